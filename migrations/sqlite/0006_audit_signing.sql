-- The audit head is signed (HMAC under a key derived from LATCH_SECRET_KEY), so rewinding or
-- re-hashing the log without the key is detected; NULL until the first append after this
-- migration by a process that has the key.
ALTER TABLE audit_head ADD COLUMN signature TEXT;

-- Fingerprints of the secret key (an HMAC of a fixed label under a derived key: never the key or
-- a plain hash of it). Every process on this database must start with the same key, or sealed
-- secrets and signatures written by one cannot be read by another.
CREATE TABLE key_fingerprints (
    purpose     TEXT   PRIMARY KEY,
    fingerprint TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
