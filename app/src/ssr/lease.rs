//! Leases make background work single-flight across processes: several `latch serve` processes
//! may share one PostgreSQL database, and each kind of periodic work (expiry sweeps, outbox
//! delivery, session clean-up) must run in exactly one of them at a time.
//!
//! A lease is a row `(name, holder, expires_at)`. Taking it is one atomic upsert that succeeds
//! only if the row is free, expired, or already ours; the holder renews it well before it lapses.
//! If a process dies, its lease expires and another process takes over. Work done under a lease
//! must still be idempotent per item (a paused holder can outlive its lease).

use sqlx::Row;

use crate::ssr::clock::now_ms;
use crate::ssr::db::Db;

/// Tries to take or renew lease `name` for `holder` for `ttl_ms`. True when `holder` has it.
pub async fn try_acquire(db: &Db, name: &str, holder: &str, ttl_ms: i64) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE leases.expires_at < $4 OR leases.holder = excluded.holder \
         RETURNING holder",
    )
    .bind(name)
    .bind(holder)
    .bind(now + ttl_ms)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(row) => Ok(row.try_get::<String, _>("holder")? == holder),
        None => Ok(false),
    }
}

/// Gives the lease up early (clean shutdown), so another process need not wait for expiry.
pub async fn release(db: &Db, name: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(&db.pool)
        .await?;
    Ok(())
}
