-- Apps and entitlements get a version, like the other aggregates: an edit form carries the
-- version it was opened at, and a save over someone else's newer edit is refused, not lost.
ALTER TABLE apps ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE entitlements ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- An alias names one entitlement in the whole tenant. The save checks it first (for a message
-- naming the holder); this index settles two saves racing for the same alias. Existing aliases
-- are copied from the stored body where they are already unique (a duplicate stays only in the
-- body and is re-checked on the entitlement's next save).
ALTER TABLE entitlements ADD COLUMN alias TEXT;
UPDATE entitlements SET alias = json_extract(body, '$.alias')
 WHERE json_extract(body, '$.alias') IS NOT NULL
   AND (SELECT COUNT(*) FROM entitlements other
         WHERE json_extract(other.body, '$.alias') = json_extract(entitlements.body, '$.alias')) = 1;
CREATE UNIQUE INDEX entitlements_alias ON entitlements (alias);
