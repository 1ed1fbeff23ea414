-- Catalog and policies as code (`latch apply`): which file of the tree manages an object (NULL:
-- made in the console, never pruned) and the source reference (e.g. a commit id) of the apply
-- that last changed it. The console refuses to edit managed objects unless the tenant setting
-- `console_edits_of_code` unlocks them.
ALTER TABLE apps ADD COLUMN managed_by TEXT;
ALTER TABLE apps ADD COLUMN managed_ref TEXT;
ALTER TABLE entitlements ADD COLUMN managed_by TEXT;
ALTER TABLE entitlements ADD COLUMN managed_ref TEXT;
ALTER TABLE policies ADD COLUMN managed_by TEXT;
ALTER TABLE policies ADD COLUMN managed_ref TEXT;
ALTER TABLE groups ADD COLUMN managed_by TEXT;
ALTER TABLE groups ADD COLUMN managed_ref TEXT;
