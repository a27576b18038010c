# Variables of the clickstream-prod stack. Pass with an absolute path:
#   npx -p cdktn-cli@0.24.0 cdktn deploy clickstream-prod --var-file="$PWD/cdktf/environments/prod.tfvars"
# The first line is the guard: every stack refuses a file of another environment.
# Every variable and its defaults per environment: cdktf/terraform.tfvars.example.

environment = "prod"

# Required in prod: plan fails until this names the account prod lives in.
allowed_account_ids = []

# Alarm subscribers. Plan warns while none is set: the alarms would reach nobody.
alarm_emails          = []
alarm_https_endpoints = []
alarm_topic_arn       = ""

# Anomaly alerts (bots, spikes, broken funnels) for the shop's analysts, separate from alarms.
enable_sns_alerts = false
alert_email       = ""
