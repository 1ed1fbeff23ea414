-- Apps and entitlements get a version, like the other aggregates: an edit form carries the
-- version it was opened at, and a save over someone else's newer edit is refused, not lost.
ALTER TABLE apps ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE entitlements ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- An alias names one entitlement in the whole tenant. The save checks it first (for a message
-- naming the holder); this index settles two saves racing for the same alias. Existing aliases
-- are copied from the stored body where they are already unique (a duplicate stays only in the
-- body and is re-checked on the entitlement's next save).
ALTER TABLE entitlements ADD COLUMN alias TEXT;
UPDATE entitlements SET alias = body::jsonb ->> 'alias'
 WHERE body::jsonb ->> 'alias' IS NOT NULL
   AND (SELECT COUNT(*) FROM entitlements other
         WHERE other.body::jsonb ->> 'alias' = entitlements.body::jsonb ->> 'alias') = 1;
CREATE UNIQUE INDEX entitlements_alias ON entitlements (alias);
