//! How the console writes a moment: `2026-12-05 14:00 UTC`. One function, so every page (and,
//! later, Slack messages) says the same instant the same way.

use crate::domain::Timestamp;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_is_written_to_the_minute_in_utc() {
        assert_eq!(utc_minute_ms(1_764_943_200_000), "2025-12-05 14:00 UTC");
    }
}
