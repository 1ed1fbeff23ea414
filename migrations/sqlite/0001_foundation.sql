-- Foundation: accounts, first-run setup, sign-in throttling, background-work leases, sessions.
-- Timestamps are Unix milliseconds (BIGINT) so one query text runs on SQLite and PostgreSQL.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,          -- always stored lower-case
    display_name  TEXT    NOT NULL,
    password_hash TEXT,                             -- NULL: a directory user who can't sign in
    role          TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('super_admin', 'user')),
    status        TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- One-time first-admin links. Only a SHA-256 of the token is kept.
CREATE TABLE setup_tokens (
    token_hash TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL
);

-- Failed sign-ins per account ("account:<email>") and per client ("ip:<addr>").
CREATE TABLE login_throttle (
    throttle_key    TEXT    PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
);

-- Named leases: exactly one `latch serve` process at a time runs each kind of background work.
CREATE TABLE leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);

-- tower-sessions-sqlx-store's table, created here so the schema has one owner (and one lock).
CREATE TABLE tower_sessions (
    id          TEXT    PRIMARY KEY NOT NULL,
    data        BLOB    NOT NULL,
    expiry_date INTEGER NOT NULL
);
