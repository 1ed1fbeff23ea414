-- Slack delivery of the outbox (issue 10 §6).
--
-- Each outbox row carries its delivery state: `pending` (due at `next_attempt_at`), `sending`
-- (a post is or may be in flight since `sending_at`; `claimed_until` bounds the attempt and
-- `slack_channel` is the DM it went to, so recovery can look for it there), `delivered`
-- (`delivered_at`, `slack_channel`, `slack_ts`), `failed` (permanent: `failure` is the reason
-- code, `failed_at` when) or `dropped` (suppressed, or too old to be worth sending). `attempts`
-- and `last_error` show what happened. Rows queued before delivery existed are dropped here:
-- sending weeks-old notifications the day Slack delivery is deployed would be noise.
ALTER TABLE outbox ADD COLUMN delivery_state  TEXT   NOT NULL DEFAULT 'pending';
ALTER TABLE outbox ADD COLUMN attempts        BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claimed_until   BIGINT;
ALTER TABLE outbox ADD COLUMN sending_at      BIGINT;
ALTER TABLE outbox ADD COLUMN last_error      TEXT;
ALTER TABLE outbox ADD COLUMN failure         TEXT;
ALTER TABLE outbox ADD COLUMN failed_at       BIGINT;
ALTER TABLE outbox ADD COLUMN install_key     TEXT;
ALTER TABLE outbox ADD COLUMN slack_channel   TEXT;
ALTER TABLE outbox ADD COLUMN slack_ts        TEXT;
UPDATE outbox SET delivery_state = 'dropped', failure = 'queued_before_delivery'
    WHERE delivered_at IS NULL;
UPDATE outbox SET delivery_state = 'delivered' WHERE delivered_at IS NOT NULL;
CREATE INDEX outbox_delivery_due ON outbox (delivery_state, next_attempt_at, id);
CREATE INDEX outbox_delivery_recipient ON outbox (recipient_id, delivery_state, id);

-- Which Slack message shows which object to which person, so a later change updates it
-- (`chat.update`) instead of posting again. One message per (person, object, role): `role` is
-- `requester` (the requester's and subject's copy of a request), `approver`, `provisioner` or
-- `holder` (a grant's expiry notices); `object_kind` is `request`, `task` or `grant`.
CREATE TABLE slack_messages (
    install_key    TEXT   NOT NULL,
    channel_id     TEXT   NOT NULL,
    ts             TEXT   NOT NULL,
    user_id        BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    object_kind    TEXT   NOT NULL,
    object_id      TEXT   NOT NULL,
    role           TEXT   NOT NULL,
    first_outbox_id BIGINT NOT NULL,
    last_outbox_id BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (install_key, channel_id, ts)
);
CREATE UNIQUE INDEX slack_messages_object ON slack_messages (user_id, object_kind, object_id, role);

-- The DM channel Latch's bot has with a Slack user (`conversations.open` answers the same id
-- every time; keeping it saves a Tier 3 call per message).
CREATE TABLE slack_dm_channels (
    install_key   TEXT   NOT NULL,
    slack_user_id TEXT   NOT NULL,
    channel_id    TEXT   NOT NULL,
    opened_at     BIGINT NOT NULL,
    PRIMARY KEY (install_key, slack_user_id)
);
