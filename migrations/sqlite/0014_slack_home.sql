-- Whose Slack App Home is out of date. A change to something a person's Home shows (requests they
-- made or that are for them, what waits for their decision, their provisioning tasks, their
-- grants) appends a mark for them in the change's own transaction, so a committed change always
-- has its mark. The `slack-home-refresh` job republishes each marked person once, however many
-- marks they have, then deletes exactly the marks it read (a mark written meanwhile stays for the
-- next round). Append-only on purpose: concurrent changes never wait on each other's marks. No
-- foreign key: the job drops marks of people who are gone or not in Slack.
CREATE TABLE slack_home_marks (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   INTEGER NOT NULL,
    marked_at INTEGER NOT NULL
);
CREATE INDEX slack_home_marks_user ON slack_home_marks (user_id);
