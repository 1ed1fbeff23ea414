//! How long a request may wait for approval before it closes as "expired while pending".
//!
//! A request nobody decides is not left open forever: stale requests clutter approvers' queues and
//! approvals given weeks later no longer match the need that was justified. The tenant chooses the
//! limit (default 14 days) or turns it off. The clock starts when the request is created;
//! reassignment or escalation doesn't restart it.

use serde::{Deserialize, Serialize};

use super::duration::GrantDuration;
use super::error::{DomainError, DomainResult};
use super::time::Timestamp;

/// The tenant's rule for requests waiting for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PendingExpiry {
    /// Requests wait until someone decides or the requester cancels.
    Never,
    /// Requests close as expired this many days after they were created.
    AfterDays { days: u32 },
}

impl Default for PendingExpiry {
    fn default() -> Self {
        PendingExpiry::AfterDays {
            days: Self::DEFAULT_DAYS,
        }
    }
}

impl PendingExpiry {
    pub const DEFAULT_DAYS: u32 = 14;
    pub const MAX_DAYS: u32 = 365;

    /// Parses what an admin typed: a number of days (1 to 365), or "never" / empty for no limit.
    pub fn parse(input: &str) -> DomainResult<Self> {
        let text = input.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("never") {
            return Ok(PendingExpiry::Never);
        }
        let days: u32 = text.parse().map_err(|_| {
            DomainError::invalid(
                "pending request expiry",
                text,
                "give a whole number of days, or leave it empty for never",
            )
        })?;
        if days == 0 || days > Self::MAX_DAYS {
            return Err(DomainError::invalid(
                "pending request expiry",
                text,
                "use 1 to 365 days, or leave it empty for never",
            ));
        }
        Ok(PendingExpiry::AfterDays { days })
    }

    /// When a request created at `created_at` expires if still undecided.
    pub fn deadline(self, created_at: Timestamp) -> Option<Timestamp> {
        match self {
            PendingExpiry::Never => None,
            PendingExpiry::AfterDays { days } => {
                Some(created_at.plus(GrantDuration::days(u64::from(days))))
            }
        }
    }

    /// Requests created at or before this instant are due to expire at `now`.
    pub fn created_on_or_before(self, now: Timestamp) -> Option<Timestamp> {
        match self {
            PendingExpiry::Never => None,
            PendingExpiry::AfterDays { days } => {
                Some(now.minus(GrantDuration::days(u64::from(days))))
            }
        }
    }

    /// The reason recorded on an expired request.
    pub fn reason(self) -> String {
        match self {
            PendingExpiry::Never => "no decision was made".to_string(),
            PendingExpiry::AfterDays { days: 1 } => "no decision within 1 day".to_string(),
            PendingExpiry::AfterDays { days } => format!("no decision within {days} days"),
        }
    }

    /// The value shown in the settings form ("" for never).
    pub fn form_value(self) -> String {
        match self {
            PendingExpiry::Never => String::new(),
            PendingExpiry::AfterDays { days } => days.to_string(),
        }
    }

    /// One sentence for the settings page.
    pub fn describe(self) -> String {
        match self {
            PendingExpiry::Never => {
                "Requests wait for a decision until someone decides or the requester cancels."
                    .to_string()
            }
            PendingExpiry::AfterDays { .. } => format!(
                "Requests that wait for approval longer than {} close as expired, and the requester is told.",
                match self.reason().strip_prefix("no decision within ") {
                    Some(span) => span.to_string(),
                    None => self.reason(),
                }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn empty_and_never_mean_no_limit() {
        assert_eq!(PendingExpiry::parse("").unwrap(), PendingExpiry::Never);
        assert_eq!(
            PendingExpiry::parse(" Never ").unwrap(),
            PendingExpiry::Never
        );
        assert_eq!(
            PendingExpiry::Never.deadline(Timestamp::from_unix_millis(0)),
            None
        );
    }

    #[test]
    fn days_are_bounded_and_whole() {
        assert_eq!(
            PendingExpiry::parse("7").unwrap(),
            PendingExpiry::AfterDays { days: 7 }
        );
        for bad in ["0", "366", "-1", "2.5", "a week"] {
            let err = PendingExpiry::parse(bad).unwrap_err().to_string();
            assert!(err.contains("pending request expiry"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_deadline_counts_from_creation() {
        let rule = PendingExpiry::AfterDays { days: 14 };
        let created = Timestamp::from_unix_millis(1_000);
        assert_eq!(
            rule.deadline(created),
            Some(Timestamp::from_unix_millis(1_000 + 14 * DAY))
        );
        let now = Timestamp::from_unix_millis(1_000 + 14 * DAY);
        assert_eq!(rule.created_on_or_before(now), Some(created));
    }

    #[test]
    fn the_default_is_two_weeks() {
        assert_eq!(
            PendingExpiry::default(),
            PendingExpiry::AfterDays { days: 14 }
        );
        assert_eq!(
            PendingExpiry::default().reason(),
            "no decision within 14 days"
        );
        assert_eq!(
            PendingExpiry::AfterDays { days: 1 }.reason(),
            "no decision within 1 day"
        );
        assert!(
            PendingExpiry::default()
                .describe()
                .contains("longer than 14 days")
        );
    }
}
