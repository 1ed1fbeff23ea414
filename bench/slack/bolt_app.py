"""The Bolt side of scripts/bench-slack: a minimal slack_bolt app that does what Latch's Slack
front door does on the benchmark's two requests, and nothing more.

- `/c1 help` (slash command): verify the v0 signature, answer the usage text synchronously in the
  ack (as Latch does).
- a `block_actions` payload (an App Home / modal button): verify, ack with an empty 200 and leave
  the work for later (Latch acks and defers; here the deferred work is nothing).

Bolt verifies the signature itself (`request_verification_enabled`, the default), with the same
5-minute window. Authorization is an `authorize` function answering the workspace's bot token
from memory (Latch looks the installation up in its database per request): with a plain
`token=` Bolt would call Slack's `auth.test` on the first request, and no call to Slack is on
either side's ack path.

Run it two ways (scripts/bench-slack does both):
  python bolt_app.py PORT                      # Bolt's built-in dev server (http.server, one thread)
  gunicorn -w 2 -k gthread --threads 8 'bolt_app:wsgi()'   # a production WSGI server, Flask adapter
The signing secret comes from SLACK_SIGNING_SECRET.
"""

import os
import re
import sys

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult

USAGE = (
    "*Latch* — request and manage access from Slack.\n"
    "• `/c1 request` — ask for access to an app\n"
    "• `/c1 requests` — your open requests\n"
    "• `/c1 tasks` — what waits for you\n"
    "• `/c1 help` — this message"
)


def build_app() -> App:
    def authorize(enterprise_id, team_id, logger):
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token="xoxb-bench-not-used",
            bot_user_id="UBENCHBOT",
            bot_id="BBENCHBOT",
        )

    app = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        authorize=authorize,
        ssl_check_enabled=False,
        url_verification_enabled=False,
    )

    @app.command("/c1")
    def command(ack):
        # `/c1`, `/c1 help` and anything unknown answer with usage, as in Latch.
        ack(text=USAGE, response_type="ephemeral")

    # Any `block_actions` (every action_id): ack at once, nothing left to do.
    @app.action(re.compile(".*"))
    def action(ack):
        ack()

    return app


def wsgi():
    """The WSGI callable for gunicorn: every POST goes to Bolt, as one Slack request URL would."""
    from flask import Flask, request
    from slack_bolt.adapter.flask import SlackRequestHandler

    handler = SlackRequestHandler(build_app())
    flask_app = Flask(__name__)

    @flask_app.route("/slack/<kind>", methods=["POST"])
    def slack(kind):
        return handler.handle(request)

    return flask_app


if __name__ == "__main__":
    port = int(sys.argv[1])
    # The dev server serves one path; both kinds of request go to it (Bolt routes by payload).
    build_app().start(port=port, path="/slack/events", http_server_logger_enabled=False)
