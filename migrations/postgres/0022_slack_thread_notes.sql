-- Thread lines of Slack messages that are not request history events (issue 11): a provisioning
-- webhook that gave up, told once in the requester's copy's thread (`ssr::slack::live`). A row is
-- committed as claimed (`claimed_until`) before the post and marked `posted_at` after it; a claim
-- that lapsed unrecorded (a crash, no answer) is looked for in the thread by the line's metadata
-- (`note`) before it is posted, so each line is told exactly once.
CREATE TABLE slack_thread_notes (
    install_key   TEXT   NOT NULL,
    channel_id    TEXT   NOT NULL,
    ts            TEXT   NOT NULL,
    note          TEXT   NOT NULL,
    claimed_until BIGINT,
    posted_at     BIGINT,
    PRIMARY KEY (install_key, channel_id, ts, note)
);
