-- Slack connection: installations (one per workspace, or one per Enterprise Grid org for an
-- org-wide install) and the short-lived OAuth `state` values that bind an install to the admin's
-- session. Secrets (bot token, webhook URL) are stored sealed with an AEAD key derived from
-- LATCH_SECRET_KEY; only their ciphertext is ever written here.

CREATE TABLE slack_installations (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    install_key             TEXT    NOT NULL UNIQUE,   -- 'team:T…' or, org-wide, 'enterprise:E…'
    team_id                 TEXT,
    team_name               TEXT,
    enterprise_id           TEXT,
    enterprise_name         TEXT,
    is_enterprise_install   INTEGER NOT NULL DEFAULT 0,
    app_id                  TEXT    NOT NULL,
    bot_user_id             TEXT    NOT NULL,
    scopes                  TEXT    NOT NULL,          -- comma-separated, as Slack sends them
    bot_token_sealed        TEXT,                      -- NULL once disconnected
    webhook_url_sealed      TEXT,
    channel_id              TEXT,
    channel_name            TEXT,
    installed_by            INTEGER NOT NULL REFERENCES users (id),
    installed_by_slack_user TEXT,
    installed_at            INTEGER NOT NULL,
    status                  TEXT    NOT NULL DEFAULT 'connected' CHECK (status IN ('connected', 'disconnected')),
    disconnected_at         INTEGER,
    disconnect_reason       TEXT,
    updated_at              INTEGER NOT NULL
);

CREATE INDEX slack_installations_enterprise ON slack_installations (enterprise_id);

-- Only a SHA-256 of each state is kept. A row is deleted when used, so it works once.
CREATE TABLE slack_oauth_states (
    state_hash   TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    session_hash TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
