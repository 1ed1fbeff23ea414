-- A campaign's Slack channel (issue 12 §2; domain::campaign::channel). At most one channel is
-- attached to a campaign at a time; removing it deletes the row (the audit log keeps the story),
-- after which another may be added. `attachment_id` is new on every add, so work queued for a
-- removed channel never reaches the next one. Latch never archives a channel.
CREATE TABLE campaign_channels (
    campaign_id      TEXT    PRIMARY KEY REFERENCES campaigns (id),
    attachment_id    TEXT    NOT NULL,
    install_key      TEXT    NOT NULL,          -- the Slack installation it lives in
    channel_id       TEXT    NOT NULL,
    channel_name     TEXT    NOT NULL,
    is_private       BIGINT  NOT NULL,
    created_by_latch BIGINT  NOT NULL,          -- 1: Latch created it; 0: joined an existing one
    status           TEXT    NOT NULL,          -- domain ChannelStatus: active | inactive | completed
    tracker_ts       TEXT,                      -- the pinned status tracker, once posted
    tracker_text     TEXT,                      -- what it shows now
    tracker_changed  BIGINT  NOT NULL DEFAULT 0, -- 1: progress moved since tracker_text was written
    tracker_edited_at BIGINT,                   -- last post or edit of the tracker (pacing)
    failure          TEXT,                      -- Slack's refusal of the last post or edit, if any
    added_by         BIGINT  NOT NULL,
    added_at         BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX campaign_channels_status ON campaign_channels (status);

-- Who should be in the campaign's channel: its owners and every assigned reviewer. `pending`
-- rows wait for the channel job to invite them (batches of at most 100); `invited` are in;
-- `unlinked` have no Slack account Latch can find and are listed on the Configuration tab.
CREATE TABLE campaign_channel_members (
    campaign_id   TEXT    NOT NULL REFERENCES campaigns (id),
    user_id       BIGINT  NOT NULL,
    state         TEXT    NOT NULL,             -- pending | invited | unlinked | refused
    slack_user_id TEXT,
    failure       TEXT,                         -- Slack's refusal of this person's invite
    updated_at    BIGINT  NOT NULL,
    PRIMARY KEY (campaign_id, user_id)
);
CREATE INDEX campaign_channel_members_state ON campaign_channel_members (state, campaign_id);

-- Posts asked for by other parts of Latch (domain Announcement: kickoff, reminders), queued in
-- the asker's transaction and posted by the channel job while the channel is active. Dropped
-- (deleted) when the channel is deactivated, removed or completed.
CREATE TABLE campaign_channel_posts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id   TEXT    NOT NULL,
    attachment_id TEXT    NOT NULL,
    kind          TEXT    NOT NULL,             -- kickoff | reminder
    body          TEXT    NOT NULL,             -- JSON of domain Announcement
    state         TEXT    NOT NULL,             -- pending | sent | failed
    attempts      BIGINT  NOT NULL DEFAULT 0,
    next_at       BIGINT  NOT NULL,
    ts            TEXT,
    failure       TEXT,
    queued_at     BIGINT  NOT NULL
);
CREATE INDEX campaign_channel_posts_due ON campaign_channel_posts (state, next_at);
CREATE INDEX campaign_channel_posts_campaign ON campaign_channel_posts (campaign_id, state);
