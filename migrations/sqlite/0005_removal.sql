-- Removal converges: the storage asks "does this grant have an open deprovisioning task?" when a
-- grant pending removal is revoked again, when stuck removals are reopened, and for the
-- overdue-removals page.
CREATE INDEX provisioning_tasks_grant ON provisioning_tasks (grant_id, kind, open);
