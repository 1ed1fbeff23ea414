//! Keys derived from `LATCH_SECRET_KEY` for purposes other than sealing Slack secrets, and the
//! fingerprint that lets processes sharing one database notice they were given different keys.
//!
//! Every derived key comes from HKDF-SHA256 with its own label, so no two purposes share a key
//! and none of them reveals the secret key or another purpose's key.

use hkdf::Hkdf;
use sha2::Sha256;
use sqlx::Row;

use crate::ssr::clock::now_ms;
use crate::ssr::db::Db;

/// HKDF label of the key that signs audit heads.
pub const AUDIT_HEAD_PURPOSE: &[u8] = b"latch audit head signing v1";
/// HKDF label of the key the fingerprint is made with.
const FINGERPRINT_PURPOSE: &[u8] = b"latch secret key fingerprint v1";
/// The `key_fingerprints` row of `LATCH_SECRET_KEY`.
const SECRET_KEY_ROW: &str = "secret_key";

/// A 32-byte key for `purpose`, derived from the secret key (the Slack sealer's key too).
pub fn derive(secret_key: &str, purpose: &[u8]) -> [u8; 32] {
    let hk = Hkdf::<Sha256>::new(Some(b"latch"), secret_key.as_bytes());
    let mut key = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
    let _ = hk.expand(purpose, &mut key);
    key
}

/// Identifies the secret key without revealing it: HMAC-SHA256 of a fixed label under a key
/// derived for this alone (a plain hash of the key would let anyone test guesses offline at
/// SHA-256 speed without even the derivation's label; this at least binds it to Latch's scheme).
pub fn fingerprint(secret_key: &str) -> String {
    let key = derive(secret_key, FINGERPRINT_PURPOSE);
    hex::encode(crate::domain::webhook::hmac_sha256(
        &key,
        &[b"latch-secret-key-fingerprint"],
    ))
}

/// What the database said about this process's secret key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// The database had no fingerprint yet; this key's is now recorded.
    Recorded { fingerprint: String },
    /// The database's fingerprint is this key's.
    Matches,
    /// The database was first used with another key.
    Differs,
}

/// Records this key's fingerprint if the database has none, else compares it with the one there.
pub async fn check(db: &Db, secret_key: &str) -> Result<KeyCheck, sqlx::Error> {
    let mine = fingerprint(secret_key);
    let inserted = sqlx::query(
        "INSERT INTO key_fingerprints (purpose, fingerprint, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (purpose) DO NOTHING",
    )
    .bind(SECRET_KEY_ROW)
    .bind(&mine)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(KeyCheck::Recorded { fingerprint: mine });
    }
    let stored: String = sqlx::query("SELECT fingerprint FROM key_fingerprints WHERE purpose = $1")
        .bind(SECRET_KEY_ROW)
        .fetch_one(&db.pool)
        .await?
        .try_get("fingerprint")?;
    Ok(if stored == mine {
        KeyCheck::Matches
    } else {
        KeyCheck::Differs
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_keys_apart_without_containing_them() {
        let key = "k".repeat(40);
        assert_eq!(fingerprint(&key), fingerprint(&key));
        assert_ne!(fingerprint(&key), fingerprint(&"j".repeat(40)));
        assert_eq!(fingerprint(&key).len(), 64);
        assert!(!fingerprint(&key).contains("kkkk"));
        assert_ne!(
            derive(&key, AUDIT_HEAD_PURPOSE),
            derive(&key, FINGERPRINT_PURPOSE)
        );
    }
}
