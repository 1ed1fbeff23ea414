-- Access core: directory details, groups, catalog, request policies, requests and approvals,
-- grants, provisioning tasks, the hash-chained audit log, the notification outbox, tenant settings.
--
-- Aggregates (apps, entitlements, policies, requests, grants, tasks) are stored as the JSON of
-- their domain type in `body`, so the pure rules in app/src/domain own their shape; the other
-- columns are copies kept for indexes, filters and optimistic concurrency (`version`).
-- Timestamps are Unix milliseconds (BIGINT); flags are BIGINT 0/1.

ALTER TABLE users ADD COLUMN manager_id BIGINT;
ALTER TABLE users ADD COLUMN department TEXT;
ALTER TABLE users ADD COLUMN job_title TEXT;

CREATE TABLE groups (
    id         TEXT   PRIMARY KEY,
    name       TEXT   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE group_members (
    group_id TEXT   NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE policies (
    id         TEXT   PRIMARY KEY,
    name       TEXT   NOT NULL UNIQUE,
    revision   BIGINT NOT NULL,
    body       TEXT   NOT NULL,              -- JSON of domain::Policy (ordered steps)
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE apps (
    id          TEXT   PRIMARY KEY,
    slug        TEXT   NOT NULL UNIQUE,
    name        TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    body        TEXT   NOT NULL,             -- JSON of domain::App
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE app_owners (
    app_id  TEXT   NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (app_id, user_id)
);

CREATE TABLE entitlements (
    id               TEXT   PRIMARY KEY,
    app_id           TEXT   NOT NULL REFERENCES apps (id),
    slug             TEXT   NOT NULL,
    display_name     TEXT   NOT NULL,
    request_policy   TEXT,
    emergency_policy TEXT,
    body             TEXT   NOT NULL,        -- JSON of domain::Entitlement
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (app_id, slug)
);

CREATE TABLE entitlement_owners (
    entitlement_id TEXT   NOT NULL REFERENCES entitlements (id) ON DELETE CASCADE,
    user_id        BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (entitlement_id, user_id)
);

-- Named monotonic counters (request numbers). Incremented with UPDATE … RETURNING, which also
-- serialises concurrent creators on the row.
CREATE TABLE counters (
    name  TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('request_number', 0);

CREATE TABLE requests (
    id             TEXT   PRIMARY KEY,
    number         BIGINT NOT NULL UNIQUE,
    requester_id   BIGINT NOT NULL,
    subject_id     BIGINT NOT NULL,
    app_id         TEXT   NOT NULL,
    entitlement_id TEXT   NOT NULL,
    status         TEXT   NOT NULL,          -- domain::RequestStatus
    outcome        TEXT,                     -- domain::Outcome once closed
    emergency      BIGINT NOT NULL DEFAULT 0,
    version        BIGINT NOT NULL,
    body           TEXT   NOT NULL,          -- JSON of domain::Request (includes the policy snapshot)
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX requests_subject ON requests (subject_id, entitlement_id, status);
CREATE INDEX requests_requester ON requests (requester_id, created_at);

-- Who must decide the waiting step now; rewritten on every save.
CREATE TABLE request_assignees (
    request_id TEXT   NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL,
    PRIMARY KEY (request_id, user_id)
);
CREATE INDEX request_assignees_user ON request_assignees (user_id);

-- The request's history, one row per domain::RequestEvent, in order.
CREATE TABLE request_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT   NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at         BIGINT NOT NULL,
    actor_id   BIGINT,                       -- NULL: Latch itself (policy, scheduler)
    action     TEXT   NOT NULL,
    body       TEXT   NOT NULL               -- JSON of domain::RequestEvent
);
CREATE INDEX request_events_request ON request_events (request_id, id);

CREATE TABLE grants (
    id                TEXT   PRIMARY KEY,
    subject_id        BIGINT NOT NULL,
    app_id            TEXT   NOT NULL,
    entitlement_id    TEXT   NOT NULL,
    source_request_id TEXT   NOT NULL,
    state             TEXT   NOT NULL,       -- active | pending_removal | removed
    expires_at        BIGINT,                -- NULL: indefinite
    version           BIGINT NOT NULL,
    body              TEXT   NOT NULL,       -- JSON of domain::Grant
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
-- The expiry sweep reads "active and expires_at <= now" in expiry order.
CREATE INDEX grants_expiry ON grants (state, expires_at);
CREATE INDEX grants_subject ON grants (subject_id, entitlement_id, state);

CREATE TABLE provisioning_tasks (
    id         TEXT   PRIMARY KEY,
    kind       TEXT   NOT NULL,              -- provision | deprovision
    request_id TEXT,
    grant_id   TEXT,
    open       BIGINT NOT NULL,              -- 1 until completed
    due_at     BIGINT,                       -- next webhook attempt, NULL for manual tasks
    version    BIGINT NOT NULL,
    body       TEXT   NOT NULL,              -- JSON of domain::ProvisioningTask
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX provisioning_tasks_open ON provisioning_tasks (open, due_at);

CREATE TABLE task_assignees (
    task_id TEXT   NOT NULL REFERENCES provisioning_tasks (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    PRIMARY KEY (task_id, user_id)
);
CREATE INDEX task_assignees_user ON task_assignees (user_id);

-- The head of the audit chain. Appends update this one row first, so they are serialised
-- (row lock on PostgreSQL, the database write lock on SQLite) and `seq` never has gaps.
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT   NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_events (
    seq         BIGINT PRIMARY KEY,
    id          TEXT   NOT NULL UNIQUE,
    at          BIGINT NOT NULL,
    actor       TEXT   NOT NULL,             -- "user:<id>" or "system"
    action      TEXT   NOT NULL,
    target      TEXT   NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    rule        TEXT,
    prev_hash   TEXT   NOT NULL,
    hash        TEXT   NOT NULL
);
CREATE INDEX audit_events_action ON audit_events (action, seq);
CREATE INDEX audit_events_target ON audit_events (target, seq);

-- Notifications, written in the same transaction as the change that causes them. The dedupe key
-- makes re-running a transition (a retry after a crash) enqueue nothing twice.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT   NOT NULL,
    recipient_id BIGINT NOT NULL,
    request_id   TEXT,
    grant_id     TEXT,
    task_id      TEXT,
    dedupe_key   TEXT   NOT NULL UNIQUE,
    payload      TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX outbox_pending ON outbox (delivered_at, id);

-- Tenant-wide settings (e.g. the cap on grant length), JSON values by key.
CREATE TABLE settings (
    key        TEXT   PRIMARY KEY,
    value      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO settings (key, value, updated_at) VALUES ('max_grant_days', '90', 0);
