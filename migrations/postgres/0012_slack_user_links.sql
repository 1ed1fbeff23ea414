-- Which Latch user a Slack user is, per installation (`install_key`: 'team:T…' or, org-wide,
-- 'enterprise:E…'; Slack user ids are unique within it). A link is made by email match and
-- remembers the Slack email it was made from and when Slack last confirmed it (`checked_at`), so
-- a stale link is re-checked and a changed Slack email moves or drops the link. Only matches are
-- stored; a Latch user has at most one Slack user per installation (direct messages need it).
CREATE TABLE slack_user_links (
    install_key   TEXT    NOT NULL,
    slack_user_id TEXT    NOT NULL,
    user_id       BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    slack_email   TEXT    NOT NULL,
    checked_at    BIGINT  NOT NULL,
    PRIMARY KEY (install_key, slack_user_id)
);
CREATE UNIQUE INDEX slack_user_links_user ON slack_user_links (install_key, user_id);
