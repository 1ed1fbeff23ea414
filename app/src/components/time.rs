//! How the console writes a moment: `2026-12-05 14:00 UTC`. One function, so every page (and,
//! later, Slack messages) says the same instant the same way. [`target_date`] is the relative
//! form review notifications use ("Tomorrow, 11:46 AM UTC", "in 2 weeks and 3 days").

use crate::domain::{Date, MILLIS_PER_DAY, Timestamp};

/// A moment to the minute, in UTC.
pub fn utc_minute(t: Timestamp) -> String {
    t.to_string()
        .replace('T', " ")
        .chars()
        .take(16)
        .collect::<String>()
        + " UTC"
}

/// [`utc_minute`] of a stored Unix-millisecond time.
pub fn utc_minute_ms(ms: i64) -> String {
    utc_minute(Timestamp::from_unix_millis(ms))
}

/// A target date relative to `now`, as a reviewer reads it (product reference §a.8): "Today,
/// 3:00 PM UTC", "Tomorrow, 11:46 AM UTC", then "in 5 days", "in 1 week", "in 2 weeks and 3
/// days" (calendar days in UTC). Never negative: a date in the past reads "Overdue since Mon 7
/// Dec, 2:00 PM UTC".
pub fn target_date(target: Timestamp, now: Timestamp) -> String {
    let day = |t: Timestamp| t.as_unix_millis().div_euclid(MILLIS_PER_DAY);
    if target < now {
        return format!(
            "Overdue since {} {}, {}",
            weekday_and_date(day(target)),
            month_name(Date::from_days_since_epoch(day(target)).month),
            clock(target)
        );
    }
    match day(target) - day(now) {
        0 => format!("Today, {}", clock(target)),
        1 => format!("Tomorrow, {}", clock(target)),
        days => {
            let (weeks, days) = (days / 7, days % 7);
            let plural =
                |n: i64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
            match (weeks, days) {
                (0, d) => format!("in {}", plural(d, "day")),
                (w, 0) => format!("in {}", plural(w, "week")),
                (w, d) => format!("in {} and {}", plural(w, "week"), plural(d, "day")),
            }
        }
    }
}

/// "Mon 7" of a day number.
fn weekday_and_date(day: i64) -> String {
    // 1970-01-01 was a Thursday.
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        .get(usize::try_from(day.rem_euclid(7)).unwrap_or(0))
        .copied()
        .unwrap_or("");
    format!("{weekday} {}", Date::from_days_since_epoch(day).day)
}

fn month_name(month: u8) -> &'static str {
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .get(usize::from(month.saturating_sub(1)))
    .copied()
    .unwrap_or("")
}

/// "11:46 AM UTC".
fn clock(t: Timestamp) -> String {
    let minutes = t.as_unix_millis().rem_euclid(MILLIS_PER_DAY) / 60_000;
    let (hour, minute) = (minutes / 60, minutes % 60);
    let (hour12, half) = match hour {
        0 => (12, "AM"),
        1..=11 => (hour, "AM"),
        12 => (12, "PM"),
        _ => (hour - 12, "PM"),
    };
    format!("{hour12}:{minute:02} {half} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-12-05 (a Friday) at `h`:`m` UTC, plus `days`.
    fn at(days: i64, h: i64, m: i64) -> Timestamp {
        Timestamp::from_unix_millis(
            1_764_892_800_000 + days * MILLIS_PER_DAY + (h * 60 + m) * 60_000,
        )
    }

    #[test]
    fn a_target_today_or_tomorrow_reads_as_the_day_and_the_time() {
        assert_eq!(
            target_date(at(0, 15, 0), at(0, 9, 30)),
            "Today, 3:00 PM UTC"
        );
        assert_eq!(
            target_date(at(1, 11, 46), at(0, 23, 0)),
            "Tomorrow, 11:46 AM UTC"
        );
        assert_eq!(
            target_date(at(1, 0, 5), at(0, 9, 0)),
            "Tomorrow, 12:05 AM UTC"
        );
        assert_eq!(
            target_date(at(0, 12, 0), at(0, 12, 0)),
            "Today, 12:00 PM UTC"
        );
    }

    #[test]
    fn a_later_target_reads_in_weeks_and_days() {
        let now = at(0, 10, 0);
        assert_eq!(target_date(at(2, 9, 0), now), "in 2 days");
        assert_eq!(target_date(at(6, 9, 0), now), "in 6 days");
        assert_eq!(target_date(at(7, 9, 0), now), "in 1 week");
        assert_eq!(target_date(at(8, 23, 59), now), "in 1 week and 1 day");
        assert_eq!(target_date(at(17, 23, 59), now), "in 2 weeks and 3 days");
        assert_eq!(target_date(at(21, 0, 0), now), "in 3 weeks");
    }

    #[test]
    fn an_overdue_target_is_never_negative() {
        let said = target_date(at(-2, 14, 0), at(0, 9, 0));
        assert_eq!(said, "Overdue since Wed 3 Dec, 2:00 PM UTC");
        assert!(!said.contains('-'));
        assert_eq!(
            target_date(at(0, 8, 59), at(0, 9, 0)),
            "Overdue since Fri 5 Dec, 8:59 AM UTC"
        );
    }

    #[test]
    fn a_moment_is_written_to_the_minute_in_utc() {
        assert_eq!(utc_minute_ms(1_764_943_200_000), "2025-12-05 14:00 UTC");
    }
}
