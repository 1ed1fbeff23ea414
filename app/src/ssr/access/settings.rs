//! Tenant settings: one row per key in `settings`, the value as text.

use sqlx::Row;

use super::{AccessResult, Tx};
use crate::domain::Timestamp;
use crate::ssr::db::Db;

/// The stored value of `key`, if it was ever set.
pub async fn get(db: &Db, key: &str) -> AccessResult<Option<String>> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.try_get::<String, _>("value")).transpose()?)
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
