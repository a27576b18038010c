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

# Retention of every store that holds events or data about people (README "Privacy", "Retention").
kinesis_retention_period     = 24   # hours in the stream
session_ttl_days             = 30   # session items (user id, pages, funnel), after the last event
alert_history_ttl_days       = 30   # alert history, after the incident
alert_state_ttl_hours        = 48   # the anomaly-detector's per-session/user state and cooldowns
aggregate_ttl_days           = 90   # page metrics and counters per minute (no personal data)
archive_expiration_days      = 365  # raw events; the curated zone expires 9 days earlier
quarantine_expiration_days   = 90   # rejected records
on_failure_expiration_days   = 30   # discarded batches (records included) to replay
forget_audit_expiration_days = 1095 # one audit record per forget request
log_retention_days           = 14   # every function's CloudWatch log group
