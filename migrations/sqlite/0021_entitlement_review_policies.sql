-- Entitlement review policies (issue 12 §1): a campaign may let an entitlement's own review
-- policy choose the reviewers of its grants. The policy is kept in the entitlement's JSON body
-- (`domain::Entitlement::review_policy`) like its request and emergency policies; this column
-- mirrors it so the policy a row names is visible to SQL like theirs.
ALTER TABLE entitlements ADD COLUMN review_policy TEXT;
