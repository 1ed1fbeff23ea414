//! Slows down password guessing, per account and per client address, across every process
//! sharing the database.
//!
//! The first few failures are free (people mistype). After that each further attempt must wait
//! an exponentially growing delay since the last failure, capped at 15 minutes. Every attempt is
//! counted before its password is checked (so concurrent attempts cannot slip past the count); a
//! successful sign-in clears the account's counter and takes its attempt back from the address's.

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

pub const ACCOUNT_POLICY: ThrottlePolicy = ThrottlePolicy {
    free_failures: 5,
    base_delay_ms: 2_000,
    max_delay_ms: 15 * 60_000,
};
pub const ADDRESS_POLICY: ThrottlePolicy = ThrottlePolicy {
    free_failures: 20,
    base_delay_ms: 2_000,
    max_delay_ms: 15 * 60_000,
};

impl ThrottlePolicy {
    /// How long after the last failure the next attempt must wait, given the failure count.
    pub fn delay_ms(&self, failures: i64) -> i64 {
        if failures < self.free_failures {
            return 0;
        }
        let doublings = u32::try_from((failures - self.free_failures).min(20)).unwrap_or(20);
        self.base_delay_ms
            .saturating_mul(1i64 << doublings)
            .min(self.max_delay_ms)
    }
}

pub fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

pub fn address_key(addr: &str) -> String {
    format!("ip:{addr}")
}

/// Counters whose last failure is older than this start over.
const COUNTER_LIFETIME_MS: i64 = 24 * 3_600_000;

/// How often [`begin_attempt`] retries after losing a race for the same key before it answers
/// "wait" (failing closed): each lost round means another attempt on the key just went through.
const MAX_LOST_RACES: usize = 64;

/// Asks to try a password on `key`. When the key may try now, the attempt is counted as a failure
/// *before* the password is checked, in the same atomic step as the check, and 0 comes back; the
/// caller clears ([`clear`]) or forgives ([`forgive`]) it once the password turns out right.
/// Otherwise the milliseconds still to wait come back and nothing is counted.
///
/// Check and count are one compare-and-swap on the key's row (`UPDATE … WHERE failures = <seen>
/// AND last_failure_at = <seen>`), atomic on both engines and across processes: of many attempts
/// racing on one key, each free slot goes to exactly one of them, so no more passwords are checked
/// than the policy allows however many arrive at once.
pub async fn begin_attempt(db: &Db, key: &str, policy: ThrottlePolicy) -> Result<i64, sqlx::Error> {
    for _ in 0..MAX_LOST_RACES {
        let row = sqlx::query(
            "SELECT failures, last_failure_at FROM login_throttle WHERE throttle_key = $1",
        )
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
        // No row yet (or cleared by a successful sign-in): start from nothing; the swap below
        // then inserts, and of two racing inserts only one wins.
        let (failures, last): (i64, i64) = match row {
            Some(row) => (row.try_get("failures")?, row.try_get("last_failure_at")?),
            None => (0, 0),
        };
        let now = now_ms();
        let counted = if last < now - COUNTER_LIFETIME_MS {
            0
        } else {
            failures
        };
        let wait = last
            .saturating_add(policy.delay_ms(counted))
            .saturating_sub(now);
        if wait > 0 {
            return Ok(wait);
        }
        let swapped = sqlx::query(
            "INSERT INTO login_throttle (throttle_key, failures, last_failure_at) VALUES ($1, $2, $3) \
             ON CONFLICT (throttle_key) DO UPDATE SET failures = $2, last_failure_at = $3 \
             WHERE login_throttle.failures = $4 AND login_throttle.last_failure_at = $5",
        )
        .bind(key)
        .bind(counted.saturating_add(1))
        .bind(now)
        .bind(failures)
        .bind(last)
        .execute(&db.pool)
        .await?;
        if swapped.rows_affected() == 1 {
            return Ok(0);
        }
    }
    Ok(policy.base_delay_ms)
}

/// Takes back one attempt counted by [`begin_attempt`] that turned out not to be a failure (the
/// password was right, or another key refused the attempt before any password was checked).
pub async fn forgive(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_throttle SET failures = failures - 1 WHERE throttle_key = $1 AND failures > 0")
        .bind(key)
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
