-- Roles granted on top of an account's tier. `users.role` stays the tier (`super_admin`: every
-- permission; `user`: a Basic User) and needs no migration; a plain user may also hold roles
-- listed here, one row each, which add up (domain::RoleSet). Today that is the Campaign
-- Administrator (domain::Role::CampaignAdmin), granted and removed by a Super Admin in
-- Admin > Directory. Deleting the account row removes its roles.

CREATE TABLE user_roles (
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL CHECK (role IN ('campaign_admin')),  -- domain::Role
    granted_by BIGINT  REFERENCES users (id),                         -- NULL: the command line
    granted_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, role)
);
