//! When a running campaign's reviewers are reminded of their open reviews (product reference
//! §a.8): weekly from the start until 3 days before the due date, then 3 days before, 1 day
//! before and on the due date, then daily while the campaign runs past it (campaigns keep
//! running past their due date unless auto-end is set). A campaign without a due date is
//! reminded weekly.
//!
//! Pure: given when the campaign started, its due date, now, and when the last reminder's
//! occasion was, [`due_now`] says which occasion (if any) is to be sent now. Each occasion has a
//! stable [`Reminder::key`] (its name and instant), so storing it and keying the notifications on
//! it sends every occasion once, and a due date moved later never repeats an occasion already
//! sent. A job that was down across several occasions sends only the latest one: one reminder,
//! not a burst of stale ones.

use super::{Campaign, CampaignState};
use crate::domain::time::{MILLIS_PER_DAY, Timestamp};

/// A week, in milliseconds.
pub const MILLIS_PER_WEEK: i64 = 7 * MILLIS_PER_DAY;

/// A weekly reminder is skipped when it would land less than a day before the "3 days before"
/// one: two reminders within hours of each other are noise.
const WEEKLY_MARGIN_MS: i64 = MILLIS_PER_DAY;

/// Which reminder of the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    /// The n-th week since the start (n ≥ 1).
    Weekly(i64),
    /// 3 days before the due date.
    ThreeDaysBefore,
    /// 1 day before the due date.
    DayBefore,
    /// On the due date.
    DueDate,
    /// The n-th day past the due date (n ≥ 1).
    Overdue(i64),
}

impl Occasion {
    /// A stable name, stored and used in dedupe keys.
    pub fn name(self) -> String {
        match self {
            Occasion::Weekly(n) => format!("weekly-{n}"),
            Occasion::ThreeDaysBefore => "3-days-before".to_owned(),
            Occasion::DayBefore => "1-day-before".to_owned(),
            Occasion::DueDate => "due-date".to_owned(),
            Occasion::Overdue(n) => format!("overdue-{n}"),
        }
    }
}

/// One reminder of the schedule: which occasion, and the instant it falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reminder {
    pub occasion: Occasion,
    pub at: Timestamp,
}

impl Reminder {
    /// The occasion's stable key: its name and instant (a due date moved later gives new keys,
    /// never an old one again).
    pub fn key(&self) -> String {
        format!("{}@{}", self.occasion.name(), self.at.as_unix_millis())
    }
}

/// The latest occasion of the schedule at or before `now` and after `started_at` (an occasion
/// at or before the start is covered by the kickoff, or was before anyone could review).
pub fn latest_occasion(
    started_at: Timestamp,
    due_at: Option<Timestamp>,
    now: Timestamp,
) -> Option<Reminder> {
    let start = started_at.as_unix_millis();
    let now_ms = now.as_unix_millis();
    let weekly = |before: Option<i64>| -> Option<Reminder> {
        let weeks = now_ms.saturating_sub(start).div_euclid(MILLIS_PER_WEEK);
        (1..=weeks).rev().find_map(|n| {
            let at = start.saturating_add(n.saturating_mul(MILLIS_PER_WEEK));
            before.is_none_or(|limit| at <= limit).then_some(Reminder {
                occasion: Occasion::Weekly(n),
                at: Timestamp::from_unix_millis(at),
            })
        })
    };
    let reminder = match due_at.map(Timestamp::as_unix_millis) {
        None => weekly(None),
        Some(due) => {
            let three_days = due.saturating_sub(3 * MILLIS_PER_DAY);
            let one_day = due.saturating_sub(MILLIS_PER_DAY);
            let at = |occasion, ms| {
                Some(Reminder {
                    occasion,
                    at: Timestamp::from_unix_millis(ms),
                })
            };
            if now_ms >= due.saturating_add(MILLIS_PER_DAY) {
                let days = now_ms.saturating_sub(due).div_euclid(MILLIS_PER_DAY);
                at(
                    Occasion::Overdue(days),
                    due.saturating_add(days.saturating_mul(MILLIS_PER_DAY)),
                )
            } else if now_ms >= due {
                at(Occasion::DueDate, due)
            } else if now_ms >= one_day {
                at(Occasion::DayBefore, one_day)
            } else if now_ms >= three_days {
                at(Occasion::ThreeDaysBefore, three_days)
            } else {
                weekly(Some(three_days.saturating_sub(WEEKLY_MARGIN_MS)))
            }
        }
    }?;
    (reminder.at > started_at && reminder.at <= now).then_some(reminder)
}

/// The occasion to send now, if any: the latest one (see [`latest_occasion`]) when it falls
/// after the last occasion sent (`last_sent_at`, the instant of that occasion).
pub fn due_now(
    started_at: Timestamp,
    due_at: Option<Timestamp>,
    now: Timestamp,
    last_sent_at: Option<Timestamp>,
) -> Option<Reminder> {
    latest_occasion(started_at, due_at, now).filter(|r| last_sent_at.is_none_or(|last| r.at > last))
}

impl Campaign {
    /// The reminder to send now ([`due_now`]); none unless the campaign is running.
    pub fn reminder_due(
        &self,
        now: Timestamp,
        last_sent_at: Option<Timestamp>,
    ) -> Option<Reminder> {
        let CampaignState::Running { started, .. } = &self.state else {
            return None;
        };
        due_now(started.at, self.fields.due_at, now, last_sent_at)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = MILLIS_PER_DAY;
    /// 2026-12-01 09:00 UTC.
    const START: i64 = 1_796_115_600_000;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    /// Walks the clock an hour at a time from `start` to `until`, sending each reminder when due
    /// (as the job does); the occasions sent, in order.
    fn sent_between(start: i64, due: Option<i64>, until: i64) -> Vec<(String, i64)> {
        let mut last: Option<Timestamp> = None;
        let mut sent = Vec::new();
        let mut now = start;
        while now <= until {
            if let Some(r) = due_now(t(start), due.map(t), t(now), last) {
                sent.push((r.occasion.name(), (r.at.as_unix_millis() - start) / HOUR));
                last = Some(r.at);
            }
            now += HOUR;
        }
        sent
    }

    #[test]
    fn a_four_week_campaign_is_reminded_weekly_then_3_days_1_day_and_on_the_due_date_each_once() {
        let due = START + 28 * DAY;
        let sent = sent_between(START, Some(due), due + 12 * HOUR);
        let names: Vec<&str> = sent.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "weekly-1",
                "weekly-2",
                "weekly-3",
                "3-days-before",
                "1-day-before",
                "due-date"
            ]
        );
        let hours: Vec<i64> = sent.iter().map(|(_, h)| *h).collect();
        assert_eq!(hours, [168, 336, 504, 600, 648, 672]);
    }

    #[test]
    fn an_overdue_campaign_is_reminded_daily() {
        let due = START + 12 * DAY;
        let sent = sent_between(START, Some(due), due + 3 * DAY + HOUR);
        let names: Vec<&str> = sent.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "weekly-1",
                "3-days-before",
                "1-day-before",
                "due-date",
                "overdue-1",
                "overdue-2",
                "overdue-3"
            ]
        );
    }

    #[test]
    fn a_campaign_started_2_days_before_its_due_date_skips_the_reminders_before_its_start() {
        let due = START + 2 * DAY;
        let sent = sent_between(START, Some(due), due + DAY);
        let names: Vec<&str> = sent.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["1-day-before", "due-date", "overdue-1"]);
    }

    #[test]
    fn a_weekly_reminder_within_a_day_of_the_3_days_reminder_is_skipped() {
        // Due 10 days and 12 hours after the start: the 3-day reminder is 7.5 days in, half a
        // day after the first weekly one would be.
        let due = START + 10 * DAY + 12 * HOUR;
        let sent = sent_between(START, Some(due), due);
        let names: Vec<&str> = sent.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["3-days-before", "1-day-before", "due-date"]);
    }

    #[test]
    fn a_campaign_without_a_due_date_is_reminded_weekly() {
        let sent = sent_between(START, None, START + 22 * DAY);
        let names: Vec<&str> = sent.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["weekly-1", "weekly-2", "weekly-3"]);
    }

    #[test]
    fn nothing_is_due_before_the_first_occasion_nor_twice_for_the_same_one() {
        let due = t(START + 28 * DAY);
        assert_eq!(due_now(t(START), Some(due), t(START + 6 * DAY), None), None);
        let first = due_now(t(START), Some(due), t(START + 7 * DAY), None).unwrap();
        assert_eq!(first.occasion, Occasion::Weekly(1));
        assert_eq!(
            due_now(t(START), Some(due), t(START + 8 * DAY), Some(first.at)),
            None
        );
    }

    #[test]
    fn after_missed_occasions_only_the_latest_is_sent() {
        let due = START + 28 * DAY;
        let r = due_now(t(START), Some(t(due)), t(due - 12 * HOUR), None).unwrap();
        assert_eq!(r.occasion, Occasion::DayBefore);
        assert_eq!(r.at, t(due - DAY));
    }

    #[test]
    fn moving_the_due_date_later_never_repeats_an_occasion_already_sent() {
        let due = START + 10 * DAY;
        let one_day = due_now(t(START), Some(t(due)), t(due - DAY), None).unwrap();
        assert_eq!(one_day.occasion, Occasion::DayBefore);
        // Pushed a week later: the weekly occasion now latest is older than what was sent.
        let later = t(due + 7 * DAY);
        assert_eq!(
            due_now(t(START), Some(later), t(due), Some(one_day.at)),
            None
        );
        let next = due_now(t(START), Some(later), t(due + 4 * DAY), Some(one_day.at)).unwrap();
        assert_eq!(next.occasion, Occasion::ThreeDaysBefore);
        assert_ne!(next.key(), one_day.key());
    }

    #[test]
    fn keys_name_the_occasion_and_its_instant() {
        let r = Reminder {
            occasion: Occasion::Overdue(2),
            at: t(START),
        };
        assert_eq!(r.key(), format!("overdue-2@{START}"));
        assert_eq!(Occasion::Weekly(3).name(), "weekly-3");
        assert_eq!(Occasion::DueDate.name(), "due-date");
    }

    fn campaign(state: CampaignState, due: Option<i64>) -> Campaign {
        use super::super::{CampaignFields, CampaignId, CampaignScope};
        use crate::domain::ids::UserId;
        Campaign {
            id: CampaignId::new("c1"),
            fields: CampaignFields {
                name: "Q4 review".into(),
                description: String::new(),
                owners: vec![UserId::new("1")],
                due_at: due.map(t),
                instructions: String::new(),
                scope: CampaignScope::default(),
                review_policy: Default::default(),
                settings: Default::default(),
            },
            state,
            created_by: UserId::new("1"),
            created_at: t(START - DAY),
            version: 3,
        }
    }

    #[test]
    fn no_reminder_is_due_once_the_campaign_has_ended() {
        use super::super::{Milestone, OpenReviews};
        let m = Milestone {
            at: t(START),
            by: None,
        };
        let running = campaign(
            CampaignState::Running {
                staged: m.clone(),
                started: m.clone(),
            },
            Some(START + 10 * DAY),
        );
        assert!(running.reminder_due(t(START + 7 * DAY), None).is_some());
        let ended = Campaign {
            state: CampaignState::Ended {
                staged: m.clone(),
                started: m.clone(),
                ended: Milestone {
                    at: t(START + DAY),
                    by: None,
                },
                open_reviews: OpenReviews::Skip,
            },
            ..running.clone()
        };
        assert_eq!(ended.reminder_due(t(START + 7 * DAY), None), None);
        assert_eq!(ended.reminder_due(t(START + 12 * DAY), None), None);
        let completed = Campaign {
            state: CampaignState::Completed {
                staged: m.clone(),
                started: m.clone(),
                ended: m.clone(),
                open_reviews: OpenReviews::Skip,
                completed: m,
            },
            ..running
        };
        assert_eq!(completed.reminder_due(t(START + 12 * DAY), None), None);
    }
}
