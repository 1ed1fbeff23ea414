-- Review notifications in Slack (issue 12 §3): the outbox row names the campaign it is about
-- (its message is built from the campaign and the recipient's open reviews when delivered).
ALTER TABLE outbox ADD COLUMN campaign_id TEXT;

-- The last scheduled reminder sent per campaign (domain::campaign::reminders): its occasion's
-- key and instant. The reminder job moves it forward with a guarded write, so each occasion is
-- sent once however many processes run the job.
CREATE TABLE campaign_reminders (
    campaign_id TEXT   PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    occasion    TEXT   NOT NULL,
    occasion_at BIGINT NOT NULL,
    sent_at     BIGINT NOT NULL
);

-- When each reviewer was last reminded by hand ("Send reminders", a review's "Send reminder"):
-- a second click within the dedupe window reminds nobody twice.
CREATE TABLE campaign_manual_reminders (
    campaign_id TEXT   NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sent_at     BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, user_id)
);
