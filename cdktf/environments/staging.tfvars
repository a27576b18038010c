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

# Retention of every store that holds events or data about people (README "Privacy", "Retention").
kinesis_retention_period     = 72   # hours in the stream
session_ttl_days             = 30   # session items (user id, pages, funnel), after the last event
alert_history_ttl_days       = 30   # alert history, after the incident
alert_state_ttl_hours        = 48   # the anomaly-detector's per-session/user state and cooldowns
aggregate_ttl_days           = 90   # page metrics and counters per minute (no personal data)
archive_expiration_days      = 365  # raw events; the curated zone expires 9 days earlier
quarantine_expiration_days   = 90   # rejected records
on_failure_expiration_days   = 30   # discarded batches (records included) to replay
forget_audit_expiration_days = 1095 # one audit record per forget request
log_retention_days           = 30   # every function's CloudWatch log group
