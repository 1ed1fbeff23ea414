-- wrk script for scripts/bench-slack: POSTs one pre-signed Slack request over and over.
-- Slack's v0 signature covers "v0:<timestamp>:<body>" and stays valid for 5 minutes, so the
-- driver signs the body once before the run and passes it here:
--   SLACK_BENCH_BODY_FILE   the exact form-encoded body that was signed
--   SLACK_BENCH_TIMESTAMP   X-Slack-Request-Timestamp
--   SLACK_BENCH_SIGNATURE   X-Slack-Signature (v0=…)
local file = assert(io.open(os.getenv("SLACK_BENCH_BODY_FILE"), "rb"))
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Slack-Request-Timestamp"] = os.getenv("SLACK_BENCH_TIMESTAMP")
wrk.headers["X-Slack-Signature"] = os.getenv("SLACK_BENCH_SIGNATURE")

-- Answers other than 2xx/3xx (a refused signature is a 401) are counted by wrk itself
-- ("Non-2xx or 3xx responses"); the driver fails the row when there are any.
