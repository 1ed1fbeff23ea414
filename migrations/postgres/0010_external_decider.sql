-- External decider calls waiting to be made: one row per request waiting for the decider of a
-- policy step, written in the transaction that made the request wait (so a crash before the call
-- loses nothing), claimed by the external-decider job by moving `due_at` forward, and deleted
-- when the decider's answer (or the fall-back to people) is recorded, or when the request no
-- longer waits for it.
CREATE TABLE decider_calls (
    request_id TEXT    PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    step       BIGINT  NOT NULL,
    attempts   BIGINT  NOT NULL DEFAULT 0,
    due_at     BIGINT  NOT NULL,
    last_error TEXT,
    created_at BIGINT  NOT NULL
);
CREATE INDEX decider_calls_due ON decider_calls (due_at);
