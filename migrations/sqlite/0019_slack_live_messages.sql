-- Slack messages that follow their object (issue 11): requests, provisioning tasks and grants
-- whose remembered Slack messages (`slack_messages`) are out of date. The repositories' saves
-- append a mark in the change's own transaction (`ssr::slack::live::mark_changed`), so a
-- committed change always has its mark and a rolled-back one none. The `slack-live` job
-- re-renders every message showing a marked object for its viewer, edits it with `chat.update`
-- and posts the object's new history events in its thread, then deletes exactly the marks it
-- read. Append-only like `slack_home_marks`: concurrent changes never wait on each other's marks.
CREATE TABLE slack_live_marks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    object_kind TEXT    NOT NULL,
    object_id   TEXT    NOT NULL,
    marked_at   INTEGER NOT NULL
);
CREATE INDEX slack_live_marks_object ON slack_live_marks (object_kind, object_id);

-- What each remembered message shows now (a hash of its blocks and text: an edit that would change
-- nothing is not sent) and how far its thread has been told the request's history:
-- `thread_event_id` is the last `request_events.id` handled for it; `thread_claim_event` /
-- `thread_claimed_until` mark a thread post in flight (committed before the post, so a crash
-- never posts an event twice).
ALTER TABLE slack_messages ADD COLUMN rendered_hash        TEXT;
ALTER TABLE slack_messages ADD COLUMN thread_event_id      BIGINT;
ALTER TABLE slack_messages ADD COLUMN thread_claim_event   BIGINT;
ALTER TABLE slack_messages ADD COLUMN thread_claimed_until BIGINT;
CREATE INDEX slack_messages_shows ON slack_messages (object_kind, object_id);
