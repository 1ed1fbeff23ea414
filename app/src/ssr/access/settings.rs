//! Tenant settings: one row per key in `settings`, the value as text.

use super::{AccessResult, Conn, Tx};
use crate::domain::Timestamp;

/// The stored value of `key`, if it was ever set.
pub async fn get(conn: impl Into<Conn<'_>>, key: &str) -> AccessResult<Option<String>> {
    let mut conn = conn.into().get().await?;
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Sets `key` to `value` inside `tx` (the caller appends the audit event in the same transaction).
pub async fn put(tx: &mut Tx<'_>, key: &str, value: &str, at: Timestamp) -> AccessResult<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(at.as_unix_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
