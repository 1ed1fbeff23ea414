-- Fencing tokens for leases: every new holding of a lease gets a higher token, and a leased
-- round's transactions renew the lease with their token first, so a holder that stalled past its
-- lease cannot commit beside the new holder.
ALTER TABLE leases ADD COLUMN token BIGINT NOT NULL DEFAULT 0;

-- Slack Events API deliveries already processed, by `event_id`: Slack retries a delivery it
-- thinks failed, and each event must take effect once.
CREATE TABLE slack_event_receipts (
    event_id    TEXT   PRIMARY KEY,
    received_at BIGINT NOT NULL
);
CREATE INDEX slack_event_receipts_received ON slack_event_receipts (received_at);
