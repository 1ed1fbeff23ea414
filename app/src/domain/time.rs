//! Time as plain values. The domain never reads a clock: every transition takes `now: Timestamp`
//! from the caller, so rules are deterministic and testable, and the same code runs in wasm.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

use super::duration::GrantDuration;
use super::error::DomainError;

pub const MILLIS_PER_SECOND: i64 = 1_000;
pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// A point in time: milliseconds since the Unix epoch, UTC.
///
/// An integer newtype (rather than `time::OffsetDateTime`) keeps the type trivially serialisable,
/// comparable, storable in SQLite and Postgres alike, and identical on server and wasm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_unix_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub const fn from_unix_seconds(s: i64) -> Self {
        Timestamp(s.saturating_mul(MILLIS_PER_SECOND))
    }

    pub const fn as_unix_millis(self) -> i64 {
        self.0
    }

    pub const fn as_unix_seconds(self) -> i64 {
        self.0.div_euclid(MILLIS_PER_SECOND)
    }

    /// `self + d`, saturating instead of overflowing (an absurd duration must not wrap into the past).
    pub fn plus(self, d: GrantDuration) -> Self {
        let ms = i64::try_from(d.as_secs())
            .unwrap_or(i64::MAX)
            .saturating_mul(MILLIS_PER_SECOND);
        Timestamp(self.0.saturating_add(ms))
    }

    /// `self - d`, saturating.
    pub fn minus(self, d: GrantDuration) -> Self {
        let ms = i64::try_from(d.as_secs())
            .unwrap_or(i64::MAX)
            .saturating_mul(MILLIS_PER_SECOND);
        Timestamp(self.0.saturating_sub(ms))
    }

    pub fn plus_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Whole seconds from `self` until `later`; zero if `later` is not after `self`.
    /// Used for "expires in …" displays, which must never show negative time.
    pub fn secs_until(self, later: Timestamp) -> u64 {
        let diff = later.0.saturating_sub(self.0);
        u64::try_from(diff.div_euclid(MILLIS_PER_SECOND)).unwrap_or(0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(MILLIS_PER_DAY);
        let ms_of_day = self.0.rem_euclid(MILLIS_PER_DAY);
        let d = Date::from_days_since_epoch(days);
        let secs = ms_of_day / 1000;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            d.year,
            d.month,
            d.day,
            secs / 3600,
            (secs / 60) % 60,
            secs % 60,
            ms_of_day % 1000
        )
    }
}

/// A calendar date (proleptic Gregorian), used for holidays and business-day arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Validating constructor.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Self, DomainError> {
        let max_day = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            2 => 28,
            _ => 0,
        };
        if day == 0 || day > max_day {
            return Err(DomainError::invalid(
                "date",
                &format!("{year:04}-{month:02}-{day:02}"),
                "no such day",
            ));
        }
        Ok(Date { year, month, day })
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Inverse of [`Self::days_since_epoch`] (`civil_from_days`).
    pub fn from_days_since_epoch(z: i64) -> Self {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }
}

/// Which days count as business days for a tenant: weekends (Saturday, Sunday) and listed holidays
/// do not. A fixed UTC offset decides which local day an instant falls on.
///
/// Expiry reminders are "3 business days before"; a reminder that lands on a Saturday is useless.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessCalendar {
    /// Offset of the tenant's reference time zone from UTC, in minutes (e.g. -480 for PST).
    pub utc_offset_minutes: i32,
    pub holidays: BTreeSet<Date>,
}

impl BusinessCalendar {
    fn offset_ms(&self) -> i64 {
        i64::from(self.utc_offset_minutes) * 60_000
    }

    /// The local calendar day (days since epoch) that `t` falls on.
    pub fn local_day(&self, t: Timestamp) -> i64 {
        t.0.saturating_add(self.offset_ms())
            .div_euclid(MILLIS_PER_DAY)
    }

    /// Whether the local day number `day` is a business day.
    pub fn is_business_day(&self, day: i64) -> bool {
        // 1970-01-01 was a Thursday; with 0 = Sunday, weekday = (day + 4) mod 7.
        let weekday = (day + 4).rem_euclid(7);
        weekday != 0 && weekday != 6 && !self.holidays.contains(&Date::from_days_since_epoch(day))
    }

    /// The instant `n` business days before `t`, at the same local time of day.
    pub fn business_days_before(&self, t: Timestamp, n: u32) -> Timestamp {
        let start = self.local_day(t);
        let mut day = start;
        let mut remaining = n;
        // Bounded loop: even a calendar full of holidays cannot spin forever.
        let mut guard = 0u32;
        while remaining > 0 && guard < 3660 {
            day -= 1;
            guard += 1;
            if self.is_business_day(day) {
                remaining -= 1;
            }
        }
        t.plus_millis(-(start - day) * MILLIS_PER_DAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_day_numbers() {
        for days in [-1000, -1, 0, 1, 19_000, 20_454, 100_000] {
            let d = Date::from_days_since_epoch(days);
            assert_eq!(d.days_since_epoch(), days);
        }
        assert_eq!(
            Date::from_days_since_epoch(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert!(Date::new(2024, 2, 29).is_ok());
        assert!(Date::new(2023, 2, 29).is_err());
        assert!(Date::new(2023, 13, 1).is_err());
    }

    #[test]
    fn timestamps_display_as_utc_iso8601() {
        assert_eq!(
            Timestamp::from_unix_millis(1_700_000_000_123).to_string(),
            "2023-11-14T22:13:20.123Z"
        );
    }

    #[test]
    fn remaining_time_is_never_negative() {
        let a = Timestamp::from_unix_seconds(100);
        let b = Timestamp::from_unix_seconds(50);
        assert_eq!(a.secs_until(b), 0);
        assert_eq!(b.secs_until(a), 50);
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // Wednesday 2024-07-10 12:00 UTC; 3 business days before is Friday 2024-07-05,
        // unless Friday is a holiday, then Thursday 2024-07-04.
        let wed = Timestamp::from_unix_millis(
            Date::new(2024, 7, 10)
                .map(|d| d.days_since_epoch())
                .unwrap_or(0)
                * MILLIS_PER_DAY
                + 12 * 3_600_000,
        );
        let mut cal = BusinessCalendar::default();
        let r = cal.business_days_before(wed, 3);
        assert_eq!(r.to_string(), "2024-07-05T12:00:00.000Z");
        cal.holidays.insert(Date {
            year: 2024,
            month: 7,
            day: 5,
        });
        assert_eq!(
            cal.business_days_before(wed, 3).to_string(),
            "2024-07-04T12:00:00.000Z"
        );
    }

    #[test]
    fn the_local_day_depends_on_the_tenant_offset() {
        // 2024-07-06 03:00 UTC is still Friday 2024-07-05 in California (UTC-7).
        let t = Timestamp::from_unix_millis(
            Date {
                year: 2024,
                month: 7,
                day: 6,
            }
            .days_since_epoch()
                * MILLIS_PER_DAY
                + 3 * 3_600_000,
        );
        let utc = BusinessCalendar::default();
        let pacific = BusinessCalendar {
            utc_offset_minutes: -420,
            ..Default::default()
        };
        assert!(!utc.is_business_day(utc.local_day(t)));
        assert!(pacific.is_business_day(pacific.local_day(t)));
    }
}
