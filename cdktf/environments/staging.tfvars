# Variables of the clickstream-staging stack. Pass with an absolute path:
#   npx -p cdktn-cli@0.24.0 cdktn deploy clickstream-staging --var-file="$PWD/cdktf/environments/staging.tfvars"
# The first line is the guard: every stack refuses a file of another environment.
# Every variable and its defaults per environment: cdktf/terraform.tfvars.example.

environment = "staging"

# allowed_account_ids = ["222222222222"]

# Alarm subscribers (each e-mail address confirms the subscription AWS sends; an HTTPS endpoint
# must confirm it too). alarm_topic_arn adds an existing topic to every alarm.
alarm_emails          = []
alarm_https_endpoints = []
alarm_topic_arn       = ""
