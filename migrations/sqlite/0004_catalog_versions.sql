-- Apps and entitlements get a version, like the other aggregates: an edit form carries the
-- version it was opened at, and a save over someone else's newer edit is refused, not lost.
ALTER TABLE apps ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE entitlements ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
