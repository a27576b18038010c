# Variables of the clickstream-dev stack. Pass with an absolute path (terraform runs in
# cdktf.out/stacks/clickstream-dev/):
#   npx -p cdktn-cli@0.24.0 cdktn deploy clickstream-dev --var-file="$PWD/cdktf/environments/dev.tfvars"
# The first line is the guard: every stack refuses a file of another environment.
# Every variable and its defaults per environment: cdktf/terraform.tfvars.example.

environment = "dev"

# allowed_account_ids = ["111111111111"] # the provider then refuses any other account

# Alarms go to the operations topic; in dev nobody is subscribed unless you turn this on.
enable_alarm_notifications = false
alarm_emails               = []
