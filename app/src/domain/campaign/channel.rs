//! A campaign's Slack channel (issue 12 §2, product reference §a.10): the pure rules behind the
//! Configuration tab's **Communications** area.
//!
//! * The name an owner types is normalised as Slack requires ([`normalize_channel_name`]):
//!   lowercase, spaces and periods to underscores, accents folded, nothing else but letters,
//!   digits, `-` and `_`, at most 80 characters. The console shows the result as it is typed.
//! * A new channel's description holds at most 250 characters as a person counts them
//!   ([`description_length`]: grapheme clusters, so "é" written as e + accent is one, and so is
//!   a family emoji).
//! * The channel is [`ChannelStatus::Active`] (updates are posted), [`ChannelStatus::Inactive`]
//!   (an owner deactivated it: nothing is posted) or [`ChannelStatus::Completed`] (the campaign
//!   ended: the tracker reads Completed and nothing more is sent). Removing it detaches it
//!   entirely (no row), after which another may be added.
//! * What the area offers in each campaign state: [`CommunicationsActions::for_state`].
//! * The pinned status tracker's words ([`tracker_text`]) and how often it may be edited
//!   ([`tracker_edit`]: coalesced, at most one edit per [`TRACKER_EDIT_GAP_MS`] per campaign).
//! * Posts other parts of Latch ask for ([`Announcement`]: kickoff, reminders) and their words.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_segmentation::UnicodeSegmentation;

use super::CampaignStatus;
use crate::domain::error::{DomainError, DomainResult};

/// Slack's longest channel name (`invalid_name_maxlength` above it).
pub const MAX_CHANNEL_NAME_LEN: usize = 80;
/// Slack's longest channel purpose (`conversations.setPurpose` answers `too_long` above it).
pub const MAX_CHANNEL_DESCRIPTION_LEN: usize = 250;
/// Most people one `conversations.invite` call may name ("Up to 100 users may be listed").
pub const INVITE_BATCH: usize = 100;
/// The least time between two edits of one campaign's tracker: reviews submitted meanwhile are
/// shown by the next edit (a busy campaign's tracker changes every few seconds, not per click;
/// `chat.update` is Tier 3, shared by every campaign of the workspace).
pub const TRACKER_EDIT_GAP_MS: i64 = 5_000;

/// The channel name Slack will accept for what an owner typed: a leading `#` dropped, lowercase,
/// accents folded (`é` → `e`), spaces and periods to `_`, other characters dropped, cut at 80.
/// An error when nothing usable is left (no letter or digit).
pub fn normalize_channel_name(typed: &str) -> DomainResult<String> {
    let trimmed = typed.trim();
    let trimmed = trimmed.strip_prefix('#').unwrap_or(trimmed).trim();
    let mut name = String::with_capacity(trimmed.len());
    for c in trimmed.nfkd().filter(|c| !is_combining_mark(*c)) {
        if name.len() >= MAX_CHANNEL_NAME_LEN {
            break;
        }
        match c {
            ' ' | '.' => name.push('_'),
            '-' | '_' => name.push(c),
            c if c.is_ascii_alphanumeric() => name.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    if !name.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err(DomainError::invalid(
            "Slack channel name",
            typed,
            "a channel name needs at least one letter or digit",
        ));
    }
    Ok(name)
}

/// How long `text` is as a person counts it: grapheme clusters.
pub fn description_length(text: &str) -> usize {
    text.graphemes(true).count()
}

/// A new channel's description: at most [`MAX_CHANNEL_DESCRIPTION_LEN`] as a person counts.
pub fn check_channel_description(text: &str) -> DomainResult<()> {
    if description_length(text) > MAX_CHANNEL_DESCRIPTION_LEN {
        return Err(DomainError::TooLong {
            field: "the channel description".into(),
            max: MAX_CHANNEL_DESCRIPTION_LEN,
        });
    }
    Ok(())
}

string_enum! {
    /// Where a campaign's channel stands (the stored `status` column).
    pub enum ChannelStatus: "campaign channel status" {
        /// Updates, kickoff and reminders are posted.
        Active => "active",
        /// An owner deactivated it: nothing is posted until it is activated again.
        Inactive => "inactive",
        /// The campaign ended: the tracker reads Completed and nothing more is sent.
        Completed => "completed",
    }
}

impl ChannelStatus {
    /// Whether anything may be posted to the channel now.
    pub fn may_post(self) -> bool {
        self == ChannelStatus::Active
    }
}

string_enum! {
    /// Audit action names of the Communications area.
    pub enum ChannelAction: "campaign channel action" {
        Added => "campaign.channel_added",
        Deactivated => "campaign.channel_deactivated",
        Activated => "campaign.channel_activated",
        Removed => "campaign.channel_removed",
    }
}

/// What the Communications area offers now. Each flag is the check the matching change starts
/// with ([`CommunicationsActions::check`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunicationsActions {
    pub add: bool,
    pub deactivate: bool,
    pub activate: bool,
    pub remove: bool,
}

/// A change in the Communications area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelChange {
    Add,
    Deactivate,
    Activate,
    Remove,
}

impl ChannelChange {
    fn verb(self) -> &'static str {
        match self {
            ChannelChange::Add => "add a Slack channel",
            ChannelChange::Deactivate => "deactivate the Slack channel",
            ChannelChange::Activate => "activate the Slack channel",
            ChannelChange::Remove => "remove the Slack channel",
        }
    }
}

impl CommunicationsActions {
    /// For a campaign in `campaign` with `channel` attached (`None`: none). The area is shown
    /// before staging, before starting and while running; once the campaign has ended the
    /// channel is done with (its tracker reads Completed) and nothing changes any more.
    pub fn for_state(campaign: CampaignStatus, channel: Option<ChannelStatus>) -> Self {
        let open = matches!(
            campaign,
            CampaignStatus::Draft | CampaignStatus::Staged | CampaignStatus::Running
        );
        if !open {
            return CommunicationsActions::default();
        }
        CommunicationsActions {
            add: channel.is_none(),
            deactivate: channel == Some(ChannelStatus::Active),
            activate: channel == Some(ChannelStatus::Inactive),
            remove: matches!(
                channel,
                Some(ChannelStatus::Active | ChannelStatus::Inactive)
            ),
        }
    }

    /// Refuses `change` when [`Self::for_state`] does not offer it, saying why.
    pub fn check(
        campaign: CampaignStatus,
        channel: Option<ChannelStatus>,
        change: ChannelChange,
    ) -> DomainResult<()> {
        let actions = Self::for_state(campaign, channel);
        let allowed = match change {
            ChannelChange::Add => actions.add,
            ChannelChange::Deactivate => actions.deactivate,
            ChannelChange::Activate => actions.activate,
            ChannelChange::Remove => actions.remove,
        };
        if allowed {
            return Ok(());
        }
        let reason = match (campaign, channel) {
            (CampaignStatus::Ended | CampaignStatus::Completed, _) => {
                format!("the campaign is {}", campaign.as_str())
            }
            (_, None) => "the campaign has no Slack channel".to_string(),
            (_, Some(_)) if change == ChannelChange::Add => {
                "the campaign already has a Slack channel; remove it first".to_string()
            }
            (_, Some(status)) => format!("the channel is {}", status.as_str()),
        };
        Err(DomainError::InvalidTransition {
            action: change.verb().into(),
            reason,
        })
    }
}

/// What the tracker shows: the campaign's progress as of now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerProgress {
    pub campaign_name: String,
    /// Reviews closed (decided, cancelled, skipped or revoked).
    pub done: u64,
    pub total: u64,
    /// The due date in words, when there is one.
    pub due: Option<String>,
    /// The campaign has ended: the tracker reads Completed.
    pub ended: bool,
    /// The campaign's page in the console.
    pub link: String,
}

/// The pinned status tracker's text (Slack mrkdwn).
pub fn tracker_text(p: &TrackerProgress) -> String {
    // An empty campaign has nothing left to do.
    let percent = p
        .done
        .saturating_mul(100)
        .checked_div(p.total)
        .unwrap_or(100);
    let status = if p.ended { "Completed" } else { "Running" };
    let mut text = format!(
        "*Access review: {}*\nStatus: *{status}*\nProgress: {} of {} {} done ({percent}%)",
        escape(&p.campaign_name),
        p.done,
        p.total,
        if p.total == 1 { "review" } else { "reviews" },
    );
    if let (Some(due), false) = (&p.due, p.ended) {
        text.push_str(&format!("\nDue: {due}"));
    }
    text.push_str(&format!("\n<{}|Open the campaign>", p.link));
    text
}

/// Slack's three control characters in mrkdwn (`&`, `<`, `>`).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What the tracker job should do about one campaign's tracker now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerEdit {
    /// Nothing changed since the last edit.
    Nothing,
    /// Edit it now.
    Now,
    /// Changed, but the last edit was too recent: edit at this time (Unix ms).
    At(i64),
}

/// Pacing of tracker edits: `changed` says progress moved since the tracker was last written;
/// `last_edit_at` is when it was (`None`: never edited since it was posted). At most one edit per
/// [`TRACKER_EDIT_GAP_MS`], so a burst of submissions becomes one edit showing them all.
pub fn tracker_edit(changed: bool, last_edit_at: Option<i64>, now: i64) -> TrackerEdit {
    if !changed {
        return TrackerEdit::Nothing;
    }
    match last_edit_at {
        Some(last) if now.saturating_sub(last) < TRACKER_EDIT_GAP_MS => {
            TrackerEdit::At(last.saturating_add(TRACKER_EDIT_GAP_MS))
        }
        _ => TrackerEdit::Now,
    }
}

/// A post to the campaign's channel asked for by another part of Latch (kickoff when the campaign
/// starts, reminders), queued with [`crate::ssr`]'s `campaign_channel::announce` and posted by the
/// channel job while the channel is active.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Announcement {
    /// The campaign has started.
    Kickoff,
    /// Reviews are still open; `due_in` is the due date in words ("in 3 days", "today").
    Reminder { due_in: String },
}

impl Announcement {
    /// The stored kind (`kickoff` / `reminder`).
    pub fn kind(&self) -> &'static str {
        match self {
            Announcement::Kickoff => "kickoff",
            Announcement::Reminder { .. } => "reminder",
        }
    }
}

/// The words of an announcement for `campaign_name`, with `open` reviews left of `total`;
/// `reviews_link` is the reviewer's My reviews page.
pub fn announcement_text(
    what: &Announcement,
    campaign_name: &str,
    open: u64,
    total: u64,
    reviews_link: &str,
) -> String {
    let name = escape(campaign_name);
    let reviews = |n: u64| if n == 1 { "review" } else { "reviews" };
    match what {
        Announcement::Kickoff => format!(
            ":mag: *The access review {name} has started.* {total} {} to complete. \
             Please review your assigned access: <{reviews_link}|See my tasks>",
            reviews(total)
        ),
        Announcement::Reminder { due_in } => format!(
            ":alarm_clock: *Reminder: {name}* has {open} open {} left, due {}. \
             <{reviews_link}|See my tasks>",
            reviews(open),
            escape(due_in)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_name_is_lowercased_with_spaces_and_periods_as_underscores() {
        assert_eq!(
            normalize_channel_name("Q4 Access.Review").ok().as_deref(),
            Some("q4_access_review")
        );
    }

    #[test]
    fn a_leading_hash_and_surrounding_spaces_are_dropped() {
        assert_eq!(
            normalize_channel_name("  #sox-review ").ok().as_deref(),
            Some("sox-review")
        );
    }

    #[test]
    fn accents_are_folded_and_other_special_characters_dropped() {
        assert_eq!(
            normalize_channel_name("Révision d'accès (SOC 2)!")
                .ok()
                .as_deref(),
            Some("revision_dacces_soc_2")
        );
    }

    #[test]
    fn hyphens_and_underscores_are_kept() {
        assert_eq!(
            normalize_channel_name("it-access_2026").ok().as_deref(),
            Some("it-access_2026")
        );
    }

    #[test]
    fn a_long_name_is_cut_at_eighty_characters() {
        let name = normalize_channel_name(&"a".repeat(120)).unwrap_or_default();
        assert_eq!(name.len(), MAX_CHANNEL_NAME_LEN);
    }

    #[test]
    fn a_name_with_nothing_usable_left_is_refused() {
        assert!(normalize_channel_name("").is_err());
        assert!(normalize_channel_name("  #  ").is_err());
        assert!(normalize_channel_name("!!! ???").is_err());
        assert!(normalize_channel_name("---").is_err());
        assert!(normalize_channel_name("日本語").is_err());
    }

    #[test]
    fn a_description_is_counted_as_a_person_counts_it() {
        assert_eq!(description_length("abc"), 3);
        // e + combining acute accent: one letter on screen.
        assert_eq!(description_length("e\u{301}"), 1);
        // A family emoji is five code points joined: one symbol.
        assert_eq!(
            description_length("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"),
            1
        );
        assert_eq!(description_length("🎉é"), 2);
    }

    #[test]
    fn a_description_of_250_characters_is_accepted_and_251_refused() {
        let at_limit = format!("{}{}", "é🎉".repeat(100), "x".repeat(50));
        assert_eq!(description_length(&at_limit), 250);
        assert!(check_channel_description(&at_limit).is_ok());
        assert!(check_channel_description(&format!("{at_limit}e\u{301}")).is_err());
        let combining = "e\u{301}".repeat(250);
        assert!(check_channel_description(&combining).is_ok());
    }

    #[test]
    fn only_an_active_channel_is_posted_to() {
        assert!(ChannelStatus::Active.may_post());
        assert!(!ChannelStatus::Inactive.may_post());
        assert!(!ChannelStatus::Completed.may_post());
    }

    #[test]
    fn a_channel_may_be_added_before_staging_before_starting_and_while_running() {
        for status in [
            CampaignStatus::Draft,
            CampaignStatus::Staged,
            CampaignStatus::Running,
        ] {
            let a = CommunicationsActions::for_state(status, None);
            assert!(a.add && !a.deactivate && !a.activate && !a.remove);
        }
    }

    #[test]
    fn an_active_channel_may_be_deactivated_or_removed_but_not_added_again() {
        let a =
            CommunicationsActions::for_state(CampaignStatus::Running, Some(ChannelStatus::Active));
        assert_eq!(
            a,
            CommunicationsActions {
                add: false,
                deactivate: true,
                activate: false,
                remove: true
            }
        );
        assert!(
            CommunicationsActions::check(
                CampaignStatus::Running,
                Some(ChannelStatus::Active),
                ChannelChange::Add
            )
            .is_err()
        );
    }

    #[test]
    fn an_inactive_channel_may_be_activated_or_removed() {
        let a =
            CommunicationsActions::for_state(CampaignStatus::Staged, Some(ChannelStatus::Inactive));
        assert!(a.activate && a.remove && !a.deactivate && !a.add);
    }

    #[test]
    fn nothing_changes_once_the_campaign_has_ended() {
        for status in [CampaignStatus::Ended, CampaignStatus::Completed] {
            for channel in [None, Some(ChannelStatus::Completed)] {
                assert_eq!(
                    CommunicationsActions::for_state(status, channel),
                    CommunicationsActions::default()
                );
            }
            let refused = CommunicationsActions::check(status, None, ChannelChange::Add)
                .map_err(|e| e.to_string());
            assert_eq!(
                refused,
                Err(format!(
                    "cannot add a Slack channel: the campaign is {}",
                    status.as_str()
                ))
            );
        }
    }

    fn progress(done: u64, total: u64, ended: bool) -> TrackerProgress {
        TrackerProgress {
            campaign_name: "Q4 <SOX> & co".into(),
            done,
            total,
            due: Some("Dec 31, 2026".into()),
            ended,
            link: "https://latch.example/access-reviews/c1".into(),
        }
    }

    #[test]
    fn the_tracker_shows_progress_and_the_due_date_while_running() {
        let text = tracker_text(&progress(3, 12, false));
        assert!(text.contains("Status: *Running*"), "{text}");
        assert!(text.contains("3 of 12 reviews done (25%)"), "{text}");
        assert!(text.contains("Due: Dec 31, 2026"), "{text}");
        assert!(text.contains("Q4 &lt;SOX&gt; &amp; co"), "{text}");
        assert!(text.contains("<https://latch.example/access-reviews/c1|Open the campaign>"));
    }

    #[test]
    fn the_tracker_reads_completed_once_the_campaign_ended() {
        let text = tracker_text(&progress(12, 12, true));
        assert!(text.contains("Status: *Completed*"), "{text}");
        assert!(!text.contains("Due:"), "{text}");
    }

    #[test]
    fn an_empty_campaign_counts_as_fully_done() {
        assert!(tracker_text(&progress(0, 0, false)).contains("0 of 0 reviews done (100%)"));
        assert!(tracker_text(&progress(1, 1, false)).contains("1 of 1 review done"));
    }

    #[test]
    fn an_unchanged_tracker_is_not_edited() {
        assert_eq!(tracker_edit(false, None, 10_000), TrackerEdit::Nothing);
        assert_eq!(tracker_edit(false, Some(0), 100_000), TrackerEdit::Nothing);
    }

    #[test]
    fn a_change_is_edited_at_once_when_the_last_edit_is_old_enough() {
        assert_eq!(tracker_edit(true, None, 10_000), TrackerEdit::Now);
        assert_eq!(
            tracker_edit(true, Some(10_000), 10_000 + TRACKER_EDIT_GAP_MS),
            TrackerEdit::Now
        );
    }

    #[test]
    fn changes_soon_after_an_edit_wait_for_the_gap_and_become_one_edit() {
        let last = 50_000;
        for now in [last, last + 1, last + TRACKER_EDIT_GAP_MS - 1] {
            assert_eq!(
                tracker_edit(true, Some(last), now),
                TrackerEdit::At(last + TRACKER_EDIT_GAP_MS)
            );
        }
    }

    #[test]
    fn an_announcement_round_trips_as_json() {
        let reminder = Announcement::Reminder {
            due_in: "in 3 days".into(),
        };
        let json = serde_json::to_string(&reminder).unwrap_or_default();
        assert_eq!(json, r#"{"kind":"reminder","due_in":"in 3 days"}"#);
        assert_eq!(
            serde_json::from_str::<Announcement>(&json).ok(),
            Some(reminder.clone())
        );
        assert_eq!(reminder.kind(), "reminder");
        assert_eq!(Announcement::Kickoff.kind(), "kickoff");
    }

    #[test]
    fn a_kickoff_and_a_reminder_link_to_the_reviewers_tasks() {
        let link = "https://latch.example/access-reviews/mine";
        let kickoff = announcement_text(&Announcement::Kickoff, "Q4", 5, 5, link);
        assert!(kickoff.contains("has started"), "{kickoff}");
        assert!(kickoff.contains("5 reviews to complete"), "{kickoff}");
        assert!(kickoff.contains(&format!("<{link}|See my tasks>")));
        let reminder = announcement_text(
            &Announcement::Reminder {
                due_in: "tomorrow".into(),
            },
            "Q4",
            1,
            5,
            link,
        );
        assert!(
            reminder.contains("1 open review left, due tomorrow"),
            "{reminder}"
        );
    }
}
