-- Access review campaigns (domain::campaign). A campaign is stored as the JSON of its domain type
-- (`body`: fields, scope and review policy, typed on read; lifecycle with its milestones) plus the
-- columns lists and sweeps filter on. Staging snapshots the grants in scope: one review task per
-- grant, carrying the grant's facts as they were then, so later changes to the grant do not change
-- what was reviewed. Review tasks are plain columns (a campaign may have 100,000 of them).

CREATE TABLE campaigns (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    status     TEXT    NOT NULL,               -- domain::CampaignStatus
    due_at     BIGINT,
    auto_end   BIGINT  NOT NULL DEFAULT 0,     -- 1: ends on its due date (see body for how)
    version    BIGINT  NOT NULL,
    body       TEXT    NOT NULL,               -- JSON of domain::campaign::Campaign
    created_by BIGINT  NOT NULL,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
CREATE INDEX campaigns_status ON campaigns (status, due_at);

CREATE TABLE campaign_owners (
    campaign_id TEXT    NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    user_id     BIGINT  NOT NULL REFERENCES users (id),
    PRIMARY KEY (campaign_id, user_id)
);
CREATE INDEX campaign_owners_user ON campaign_owners (user_id);

-- One grant to review. `state` is domain::ReviewOutcome; the decision's who/when/why and the
-- removal of denied (or revoked-at-end) access (`remediation`: waiting | started | not_needed).
CREATE TABLE review_tasks (
    id             TEXT    PRIMARY KEY,
    campaign_id    TEXT    NOT NULL REFERENCES campaigns (id),
    grant_id       TEXT    NOT NULL,
    subject_id     BIGINT  NOT NULL,
    app_id         TEXT    NOT NULL,
    entitlement_id TEXT    NOT NULL,
    granted_at     BIGINT  NOT NULL,
    expires_at     BIGINT,                    -- NULL: a permanent grant
    state          TEXT    NOT NULL,
    decided_by     BIGINT,
    decided_at     BIGINT,
    reason         TEXT,
    cancel_reason  TEXT,
    remediation    TEXT,
    version        BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);
CREATE UNIQUE INDEX review_tasks_grant ON review_tasks (campaign_id, grant_id);
CREATE INDEX review_tasks_state ON review_tasks (campaign_id, state, id);
-- Ending a campaign walks the reviews whose removal waits, a page at a time in id order.
CREATE INDEX review_tasks_remediation ON review_tasks (campaign_id, remediation, id);
CREATE INDEX review_tasks_subject ON review_tasks (subject_id, state);

-- Who reviews each task now; rewritten on reassignment.
CREATE TABLE review_task_reviewers (
    task_id TEXT    NOT NULL REFERENCES review_tasks (id) ON DELETE CASCADE,
    user_id BIGINT  NOT NULL,
    PRIMARY KEY (task_id, user_id)
);
CREATE INDEX review_task_reviewers_user ON review_task_reviewers (user_id);

-- A reviewer's decisions not yet submitted ("Submit reviews" applies them), one per task.
CREATE TABLE review_decisions (
    task_id     TEXT    NOT NULL REFERENCES review_tasks (id) ON DELETE CASCADE,
    reviewer_id BIGINT  NOT NULL,
    campaign_id TEXT    NOT NULL,
    verdict     TEXT    NOT NULL,              -- domain::ReviewVerdict
    reason      TEXT,
    decided_at  BIGINT  NOT NULL,
    PRIMARY KEY (task_id, reviewer_id)
);
CREATE INDEX review_decisions_reviewer ON review_decisions (reviewer_id, campaign_id);

-- Each "Submit reviews": what was submitted and what took effect (the rest had been decided by
-- someone else first).
CREATE TABLE review_submissions (
    id               TEXT    PRIMARY KEY,
    campaign_id      TEXT    NOT NULL REFERENCES campaigns (id),
    reviewer_id      BIGINT  NOT NULL,
    submitted        BIGINT  NOT NULL,
    certified        BIGINT  NOT NULL,
    denied           BIGINT  NOT NULL,
    decided_elsewhere BIGINT  NOT NULL,
    at               BIGINT  NOT NULL
);
CREATE INDEX review_submissions_campaign ON review_submissions (campaign_id, at);
