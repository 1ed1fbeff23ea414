//! Slows down password guessing, per account and per client address, across every process
//! sharing the database.
//!
//! The first few failures are free (people mistype). After that each further attempt must wait
//! an exponentially growing delay since the last failure, capped at 15 minutes. A successful
//! sign-in clears the account's counter; the address counter decays by itself.

use sqlx::Row;

use crate::ssr::clock::now_ms;
use crate::ssr::db::Db;

/// How many failures a key may collect before attempts are slowed down.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    pub free_failures: i64,
    pub base_delay_ms: i64,
    pub max_delay_ms: i64,
}

pub const ACCOUNT_POLICY: ThrottlePolicy = ThrottlePolicy { free_failures: 5, base_delay_ms: 2_000, max_delay_ms: 15 * 60_000 };
pub const ADDRESS_POLICY: ThrottlePolicy = ThrottlePolicy { free_failures: 20, base_delay_ms: 2_000, max_delay_ms: 15 * 60_000 };

impl ThrottlePolicy {
    /// How long after the last failure the next attempt must wait, given the failure count.
    pub fn delay_ms(&self, failures: i64) -> i64 {
        if failures < self.free_failures {
            return 0;
        }
        let doublings = u32::try_from((failures - self.free_failures).min(20)).unwrap_or(20);
        self.base_delay_ms.saturating_mul(1i64 << doublings).min(self.max_delay_ms)
    }
}

pub fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

pub fn address_key(addr: &str) -> String {
    format!("ip:{addr}")
}

/// Milliseconds the caller must still wait before another attempt on `key`, 0 if none.
pub async fn wait_ms(db: &Db, key: &str, policy: ThrottlePolicy) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT failures, last_failure_at FROM login_throttle WHERE throttle_key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    let Some(row) = row else { return Ok(0) };
    let failures: i64 = row.try_get("failures")?;
    let last: i64 = row.try_get("last_failure_at")?;
    let wait_until = last.saturating_add(policy.delay_ms(failures));
    Ok((wait_until - now_ms()).max(0))
}

/// Counts a failure. Counters older than a day start over.
pub async fn record_failure(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let stale_before = now - 24 * 3_600_000;
    sqlx::query(
        "INSERT INTO login_throttle (throttle_key, failures, last_failure_at) VALUES ($1, 1, $2) \
         ON CONFLICT (throttle_key) DO UPDATE SET \
           failures = CASE WHEN login_throttle.last_failure_at < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
           last_failure_at = $2",
    )
    .bind(key)
    .bind(now)
    .bind(stale_before)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn clear(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failures_are_free_then_the_delay_doubles_up_to_the_cap() {
        let p = ACCOUNT_POLICY;
        assert_eq!(p.delay_ms(0), 0);
        assert_eq!(p.delay_ms(4), 0);
        assert_eq!(p.delay_ms(5), 2_000);
        assert_eq!(p.delay_ms(6), 4_000);
        assert_eq!(p.delay_ms(7), 8_000);
        assert_eq!(p.delay_ms(100), 15 * 60_000);
    }
}
