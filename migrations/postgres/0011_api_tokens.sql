-- API tokens for automation (/api/v1): created by Super Admins in the console, shown once.
-- Only the SHA-256 of the token's random 256-bit secret is kept (`secret_hash`, hex); the token
-- itself (`latch_pat_<id>_<secret>`) is never stored. A name is unique among live (unrevoked)
-- tokens; a revoked token keeps its row, and its name, for the audit log.
CREATE TABLE api_tokens (
    id           TEXT   PRIMARY KEY,
    name         TEXT   NOT NULL,
    scopes       TEXT   NOT NULL,
    secret_hash  TEXT   NOT NULL,
    created_by   BIGINT NOT NULL REFERENCES users(id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT,
    revoked_by   BIGINT REFERENCES users(id),
    last_used_at BIGINT
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;
