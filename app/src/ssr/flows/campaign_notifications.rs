//! Review notifications in Slack (issue 12 §3): who hears what about an access review campaign,
//! written to the outbox in the same transaction as what they announce, delivered to DMs by the
//! `slack-delivery` job (its message built when delivered by [`message`], with
//! `slack::blocks::reviews`).
//!
//! * **Kickoff** ([`kickoff_in`], from `campaigns::start` when the owner ticks "Notify reviewers
//!   now") and **reminders** ([`remind_due`], the leased `campaign-reminders` job, on the schedule
//!   of `domain::campaign::reminders`): "Access Review Input Required" to every reviewer with open
//!   reviews. The job moves `campaign_reminders` forward with a guarded write, so each occasion is
//!   sent once whatever the number of processes; it takes the time as an argument, so tests drive
//!   it with a fake clock.
//! * **Reassignment** ([`reassigned_in`]) to the reviewers a review was handed to, and **campaign
//!   close** ([`closed_in`]) to every reviewer and owner when it ends.
//! * **Send reminders** / a review's **Send reminder** ([`send_reminders`]), by the campaign's
//!   managers: a reviewer reminded by hand less than [`MANUAL_WINDOW_MS`] ago is not reminded
//!   again (a double click sends once), audited `campaign.reminders_sent`; the answer counts the
//!   reviewers reminded and those Latch cannot reach in Slack.
//!
//! Every notice is keyed (kind, campaign, occasion, recipient): a replayed transaction or a second
//! job round enqueues nothing twice. The notification settings (kill switch, kinds turned off)
//! apply as for every other kind.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::campaign::channel::Announcement;
use crate::domain::campaign::{Campaign, CampaignId, CampaignState, CampaignStatus, ReviewTask};
use crate::domain::{AuditActor, DomainError, NotificationKind, Timestamp, UserId};
use crate::ssr::AppState;
use crate::ssr::access::audit::{self, Entry};
use crate::ssr::access::{
    AccessError, AccessResult, Actor, INSERT_CHUNK, Tx, campaigns, directory, from_json, now,
    outbox, to_json, user_id, user_row, values_placeholders,
};
use crate::ssr::db::Db;
use crate::ssr::slack::api::slack_morphism::prelude::SlackMessageContent;
use crate::ssr::slack::blocks::{console_link, reviews};

/// The reminder job's lease name.
pub const JOB: &str = "campaign-reminders";
/// How often it looks: occasions are days apart, a minute late is on time.
pub const EVERY: Duration = Duration::from_secs(60);
/// A reviewer reminded by hand is not reminded by hand again within this window (ten minutes):
/// a double click, or "Send reminders" right after a review's "Send reminder", sends once.
pub const MANUAL_WINDOW_MS: i64 = 10 * 60_000;
/// Most Slack look-ups one "Send reminders" makes to count the reviewers Latch cannot reach
/// (`users.lookupByEmail` is Tier 3); the rest are not counted either way.
const LOOKUPS_MAX: usize = 20;
/// The audit action of reminders sent, by the job or by hand.
pub const REMINDERS_SENT: &str = "campaign.reminders_sent";

/// What a campaign notification's outbox row carries (its `payload`), read back when delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignNotice {
    pub kind: NotificationKind,
    pub recipient: UserId,
    pub campaign: CampaignId,
    /// `kickoff`, a reminder's occasion key, `manual@<ms>`, `reassigned:<review>:v<version>`,
    /// `closed`.
    pub occasion: String,
    /// Who caused it (a manual reminder, a reassignment).
    #[serde(default)]
    pub by: Option<UserId>,
    /// The review a reassignment is about, and its reason.
    #[serde(default)]
    pub review: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    pub dedupe_key: String,
}

impl CampaignNotice {
    /// A notice keyed (kind, campaign, occasion, recipient).
    pub fn new(
        kind: NotificationKind,
        campaign: &CampaignId,
        occasion: &str,
        recipient: &UserId,
    ) -> CampaignNotice {
        CampaignNotice {
            kind,
            recipient: recipient.clone(),
            campaign: campaign.clone(),
            occasion: occasion.to_owned(),
            by: None,
            review: None,
            reason: None,
            dedupe_key: format!("{kind}:campaign:{campaign}:{occasion}:{recipient}"),
        }
    }
}

/// Writes `notices` inside `tx` (kinds the notification settings turn off are dropped, a key
/// already in the outbox is skipped). Returns how many rows were new.
pub async fn enqueue(tx: &mut Tx<'_>, notices: &[CampaignNotice]) -> AccessResult<u64> {
    if notices.is_empty() {
        return Ok(0);
    }
    let allowed = outbox::notification_settings(&mut *tx).await?;
    let notices: Vec<&CampaignNotice> = notices.iter().filter(|n| allowed.allows(n.kind)).collect();
    // Delivery's clock, never a test's fake one: a row dated in the past would be dropped as stale.
    let created_at = now().as_unix_millis();
    let mut queued = 0;
    for chunk in notices.chunks(INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO outbox (kind, recipient_id, campaign_id, dedupe_key, payload, created_at) \
             VALUES {} ON CONFLICT (dedupe_key) DO NOTHING",
            values_placeholders(chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for n in chunk {
            q = q
                .bind(n.kind.as_str())
                .bind(user_row(&n.recipient)?)
                .bind(n.campaign.as_str().to_owned())
                .bind(n.dedupe_key.as_str())
                .bind(to_json(n)?)
                .bind(created_at);
        }
        queued += q.execute(&mut **tx).await?.rows_affected();
    }
    Ok(queued)
}

/// The reviewers with at least one open review in the campaign.
async fn open_reviewers(tx: &mut Tx<'_>, campaign: &str) -> AccessResult<Vec<UserId>> {
    let rows: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT r.user_id FROM review_task_reviewers r \
         JOIN review_tasks t ON t.id = r.task_id \
         WHERE t.campaign_id = $1 AND t.state = 'open' ORDER BY r.user_id",
    )
    .bind(campaign)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(user_id).collect())
}

/// "Access Review Input Required" to each of `to`, for `occasion`.
fn input_required(campaign: &CampaignId, occasion: &str, to: &[UserId]) -> Vec<CampaignNotice> {
    to.iter()
        .map(|r| CampaignNotice::new(NotificationKind::ReviewInputRequired, campaign, occasion, r))
        .collect()
}

/// The kickoff, inside the start's transaction: every reviewer with open reviews hears the
/// campaign started, and so does the campaign's Slack channel. Returns how many DMs were queued.
pub async fn kickoff_in(tx: &mut Tx<'_>, campaign: &Campaign) -> AccessResult<u64> {
    let to = open_reviewers(tx, campaign.id.as_str()).await?;
    super::campaign_channel::announce(tx, &campaign.id, Announcement::Kickoff).await?;
    enqueue(tx, &input_required(&campaign.id, "kickoff", &to)).await
}

/// The due date as the channel's reminder says it after "due": "tomorrow, 11:59 PM UTC", "in 2
/// weeks and 3 days", "Wed 3 Dec, 9:00 AM UTC (overdue)" — never negative.
pub fn due_words(due_at: Option<Timestamp>, now: Timestamp) -> String {
    let Some(due) = due_at else {
        return "with no due date set".to_owned();
    };
    let said = reviews::target_line(Some(due), now);
    match said.strip_prefix("Overdue since ") {
        Some(since) => format!("{since} (overdue)"),
        None => {
            let mut chars = said.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_lowercase().chain(chars).collect::<String>()
            })
        }
    }
}

/// Tells the reviewers `after` gained (not those who already had it) that a review was handed
/// to them, inside the reassignment's transaction. Only while the campaign runs: reviews of a
/// staged campaign cannot be done yet, and its kickoff tells everyone when they can.
pub async fn reassigned_in(
    tx: &mut Tx<'_>,
    by: &UserId,
    before: &ReviewTask,
    after: &ReviewTask,
    reason: &str,
) -> AccessResult<u64> {
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM campaigns WHERE id = $1")
        .bind(after.campaign.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    if status.as_deref() != Some(CampaignStatus::Running.as_str()) {
        return Ok(0);
    }
    let occasion = format!("reassigned:{}:v{}", after.id, after.version);
    let notices: Vec<CampaignNotice> = after
        .reviewers
        .iter()
        .filter(|r| !before.reviewers.contains(r))
        .map(|r| CampaignNotice {
            by: Some(by.clone()),
            review: Some(after.id.to_string()),
            reason: Some(reason.trim().to_owned()),
            ..CampaignNotice::new(
                NotificationKind::ReviewReassigned,
                &after.campaign,
                &occasion,
                r,
            )
        })
        .collect();
    enqueue(tx, &notices).await
}

/// Tells every reviewer of the campaign (open reviews or not) and its owners that it ended,
/// inside the end's transaction (and the completion's: the same key, so once).
pub async fn closed_in(tx: &mut Tx<'_>, campaign: &Campaign) -> AccessResult<u64> {
    let mut to: Vec<UserId> = sqlx::query_scalar::<_, i64>(
        "SELECT DISTINCT r.user_id FROM review_task_reviewers r \
         JOIN review_tasks t ON t.id = r.task_id WHERE t.campaign_id = $1 ORDER BY r.user_id",
    )
    .bind(campaign.id.as_str())
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(user_id)
    .collect();
    for owner in &campaign.fields.owners {
        if !to.contains(owner) {
            to.push(owner.clone());
        }
    }
    let notices: Vec<CampaignNotice> = to
        .iter()
        .map(|r| CampaignNotice::new(NotificationKind::CampaignClosed, &campaign.id, "closed", r))
        .collect();
    enqueue(tx, &notices).await
}

/// One round of the reminder job at `at`: for each running campaign whose next reminder
/// (`Campaign::reminder_due`) has come, records the occasion (a guarded write: a concurrent
/// round or process that got there first wins, and this one sends nothing) and reminds every
/// reviewer with open reviews, audited. Returns how many campaigns were reminded.
pub async fn remind_due(db: &Db, at: Timestamp) -> AccessResult<usize> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM campaigns WHERE status = $1 ORDER BY id")
            .bind(CampaignStatus::Running.as_str())
            .fetch_all(&db.pool)
            .await?;
    let mut reminded = 0;
    for id in ids {
        let mut tx = db.begin().await?;
        let campaign = campaigns::load(&mut tx, &id).await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT occasion_at FROM campaign_reminders WHERE campaign_id = $1")
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(reminder) = campaign.reminder_due(at, last.map(Timestamp::from_unix_millis))
        else {
            continue;
        };
        let key = reminder.key();
        let claimed = sqlx::query(
            "INSERT INTO campaign_reminders (campaign_id, occasion, occasion_at, sent_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (campaign_id) DO UPDATE SET \
             occasion = excluded.occasion, occasion_at = excluded.occasion_at, \
             sent_at = excluded.sent_at \
             WHERE campaign_reminders.occasion_at < excluded.occasion_at",
        )
        .bind(&id)
        .bind(&key)
        .bind(reminder.at.as_unix_millis())
        .bind(now().as_unix_millis())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            continue;
        }
        let to = open_reviewers(&mut tx, &id).await?;
        enqueue(&mut tx, &input_required(&campaign.id, &key, &to)).await?;
        if !to.is_empty() {
            let due_in = due_words(campaign.fields.due_at, at);
            super::campaign_channel::announce(
                &mut tx,
                &campaign.id,
                Announcement::Reminder { due_in },
            )
            .await?;
            let entry = Entry::new(AuditActor::System, REMINDERS_SENT, format!("campaign:{id}"))
                .after(Some(
                    serde_json::json!({ "occasion": key, "reviewers": to }).to_string(),
                ));
            audit::append(&mut tx, now(), entry).await?;
        }
        tx.commit().await?;
        reminded += 1;
    }
    Ok(reminded)
}

/// What a "Send reminders" (or a review's "Send reminder") did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemindersSent {
    /// Reviewers reminded now.
    pub reminded: usize,
    /// Reviewers reminded by hand less than [`MANUAL_WINDOW_MS`] ago: not reminded again.
    pub recently_reminded: usize,
    /// Of those reminded now, how many Latch cannot reach in Slack (no Slack account with their
    /// email, or Slack not connected): they get no message.
    pub not_in_slack: usize,
}

fn people(n: usize) -> String {
    format!("{n} reviewer{}", if n == 1 { "" } else { "s" })
}

impl RemindersSent {
    /// The answer shown to the owner.
    pub fn summary(&self) -> String {
        let mut out = if self.reminded == 0 && self.recently_reminded == 0 {
            "Nobody to remind: no review is open.".to_owned()
        } else {
            format!("Reminded {}.", people(self.reminded))
        };
        if self.not_in_slack > 0 {
            let (is, gets) = if self.not_in_slack == 1 {
                ("is", "gets")
            } else {
                ("are", "get")
            };
            out.push_str(&format!(
                " {} {is} not linked to Slack and {gets} no message.",
                people(self.not_in_slack)
            ));
        }
        if self.recently_reminded > 0 {
            let verb = if self.recently_reminded == 1 {
                "was"
            } else {
                "were"
            };
            out.push_str(&format!(
                " {} {verb} reminded less than {} minutes ago and not again.",
                people(self.recently_reminded),
                MANUAL_WINDOW_MS / 60_000
            ));
        }
        out
    }
}

/// "Send reminders" (`review`: `None`, every reviewer with open reviews) or a review's "Send
/// reminder" (`Some(id)`: that open review's reviewers), by a manager of the running campaign.
pub async fn send_reminders(
    state: &AppState,
    actor: &Actor,
    campaign_id: &str,
    review: Option<&str>,
) -> AccessResult<RemindersSent> {
    let db = &state.db;
    let mut tx = db.begin().await?;
    let at = now();
    let campaign = campaigns::load(&mut tx, campaign_id).await?;
    campaign.check_can_manage(&actor.id, &actor.roles)?;
    if !campaign.is_running() {
        return Err(DomainError::InvalidTransition {
            action: "send reminders".into(),
            reason: format!("the campaign is {}", campaign.status().as_str()),
        }
        .into());
    }
    let to = match review {
        None => open_reviewers(&mut tx, campaign_id).await?,
        Some(review) => {
            let task = campaigns::load_task(&mut tx, review).await?;
            if task.campaign != campaign.id {
                return Err(AccessError::NotFound("The review".into()));
            }
            if !task.is_open() {
                return Err(DomainError::InvalidTransition {
                    action: "send a reminder".into(),
                    reason: "the review is closed".into(),
                }
                .into());
            }
            task.reviewers
        }
    };
    let cutoff = at.as_unix_millis().saturating_sub(MANUAL_WINDOW_MS);
    let mut claimed = Vec::new();
    for reviewer in &to {
        // The guarded upsert is the dedupe: a second click's transaction waits for the first's
        // row and then finds it too recent.
        let won = sqlx::query(
            "INSERT INTO campaign_manual_reminders (campaign_id, user_id, sent_at) \
             VALUES ($1, $2, $3) ON CONFLICT (campaign_id, user_id) DO UPDATE SET \
             sent_at = excluded.sent_at WHERE campaign_manual_reminders.sent_at <= $4",
        )
        .bind(campaign_id)
        .bind(user_row(reviewer)?)
        .bind(at.as_unix_millis())
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if won == 1 {
            claimed.push(reviewer.clone());
        }
    }
    let occasion = format!("manual@{}", at.as_unix_millis());
    let notices: Vec<CampaignNotice> = input_required(&campaign.id, &occasion, &claimed)
        .into_iter()
        .map(|n| CampaignNotice {
            by: Some(actor.id.clone()),
            ..n
        })
        .collect();
    enqueue(&mut tx, &notices).await?;
    let sent = RemindersSent {
        reminded: claimed.len(),
        recently_reminded: to.len() - claimed.len(),
        not_in_slack: 0,
    };
    if !claimed.is_empty() {
        let entry = Entry::new(
            actor.audit(),
            REMINDERS_SENT,
            format!("campaign:{campaign_id}"),
        )
        .after(Some(
            serde_json::json!({
                "occasion": occasion,
                "review": review,
                "reviewers": claimed,
                "recently_reminded": sent.recently_reminded,
            })
            .to_string(),
        ));
        audit::append(&mut tx, at, entry).await?;
    }
    tx.commit().await?;
    Ok(RemindersSent {
        not_in_slack: not_in_slack(state, &claimed).await?,
        ..sent
    })
}

/// How many of `people` Latch cannot direct-message in any connected workspace: a stored link
/// counts as reachable; without one, Slack is asked by email (at most [`LOOKUPS_MAX`] times,
/// the rest not counted). Everyone, when no workspace is connected.
async fn not_in_slack(state: &AppState, people: &[UserId]) -> AccessResult<usize> {
    use crate::ssr::slack::{identity, store};
    let db = &state.db;
    let installs: Vec<store::Installation> = store::list(db)
        .await?
        .into_iter()
        .filter(|i| matches!(i.bot_token(&state.slack.sealer), Ok(Some(_))))
        .collect();
    if installs.is_empty() {
        return Ok(people.len());
    }
    let mut missing = 0;
    let mut lookups = 0;
    for person in people {
        let row = user_row(person)?;
        let linked: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM slack_user_links WHERE user_id = $1")
                .bind(row)
                .fetch_one(&db.pool)
                .await?;
        if linked > 0 {
            continue;
        }
        if lookups >= LOOKUPS_MAX {
            continue;
        }
        let mut found = false;
        let mut unsure = false;
        for install in &installs {
            lookups += 1;
            match identity::slack_user_for(state, install, row).await {
                Ok(Some(_)) => {
                    found = true;
                    break;
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::info!(%error, "could not ask Slack whether a reviewer is there");
                    unsure = true;
                }
            }
        }
        if !found && !unsure {
            missing += 1;
        }
    }
    Ok(missing)
}

/// The DM for campaign notification `outbox_id` of `kind`, from the campaign and the
/// recipient's reviews as they are now, and the campaign's id (the object it shows); `None` when
/// the campaign is gone.
pub async fn message(
    state: &AppState,
    outbox_id: i64,
    kind: NotificationKind,
) -> AccessResult<Option<(SlackMessageContent, String)>> {
    let db = &state.db;
    let payload: Option<String> = sqlx::query_scalar("SELECT payload FROM outbox WHERE id = $1")
        .bind(outbox_id)
        .fetch_optional(&db.pool)
        .await?;
    let Some(payload) = payload else {
        return Ok(None);
    };
    let notice: CampaignNotice = from_json(&payload)?;
    let campaign = match campaigns::load(db, notice.campaign.as_str()).await {
        Ok(c) => c,
        Err(AccessError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let console = state.public_url.as_str();
    let id = campaign.id.to_string();
    if kind == NotificationKind::CampaignClosed {
        let open_reviews = match &campaign.state {
            CampaignState::Ended { open_reviews, .. }
            | CampaignState::Completed { open_reviews, .. } => Some(*open_reviews),
            _ => None,
        };
        let owner = campaign.fields.owners.contains(&notice.recipient);
        let m = reviews::closed(&reviews::Closed {
            campaign: campaign.fields.name.clone(),
            open_reviews,
            campaign_url: owner.then(|| console_link(console, &format!("/access-reviews/{id}"))),
        });
        return Ok(Some((m, id)));
    }
    let names = directory::names(db).await?;
    let name_of = |u: &UserId| {
        names
            .get(u.as_str())
            .cloned()
            .unwrap_or_else(|| u.to_string())
    };
    let open_reviews: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM review_tasks t JOIN review_task_reviewers r ON r.task_id = t.id \
         WHERE t.campaign_id = $1 AND t.state = 'open' AND r.user_id = $2",
    )
    .bind(&id)
    .bind(user_row(&notice.recipient)?)
    .fetch_one(&db.pool)
    .await?;
    let by = notice.by.as_ref().map(&name_of).unwrap_or_default();
    let occasion = if kind == NotificationKind::ReviewReassigned {
        let (subject, access) = match &notice.review {
            Some(review) => match campaigns::load_task(db, review).await {
                Ok(task) => {
                    let labels = crate::ssr::read::catalog::entitlement_labels(db).await?;
                    let (app, entitlement) = labels
                        .get(task.grant.entitlement.as_str())
                        .cloned()
                        .unwrap_or_default();
                    (
                        name_of(&task.grant.subject),
                        format!("{app} · {entitlement}"),
                    )
                }
                Err(AccessError::NotFound(_)) => (String::new(), String::new()),
                Err(e) => return Err(e),
            },
            None => (String::new(), String::new()),
        };
        reviews::Occasion::Reassigned {
            by,
            subject,
            access,
            reason: notice.reason.clone().unwrap_or_default(),
        }
    } else if notice.occasion == "kickoff" {
        reviews::Occasion::Kickoff
    } else if notice.occasion.starts_with("manual@") {
        reviews::Occasion::Manual { by }
    } else {
        reviews::Occasion::Reminder
    };
    let m = reviews::input_required(&reviews::InputRequired {
        occasion,
        campaign: campaign.fields.name.clone(),
        open_reviews: u64::try_from(open_reviews).unwrap_or(0),
        due_at: campaign.fields.due_at,
        now: now(),
        running: campaign.is_running(),
        my_tasks_url: console_link(console, "/access-reviews/mine"),
    });
    Ok(Some((m, id)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn notices_are_keyed_by_kind_campaign_occasion_and_recipient() {
        let n = CampaignNotice::new(
            NotificationKind::ReviewInputRequired,
            &CampaignId::new("c1"),
            "weekly-1@100",
            &UserId::new("7"),
        );
        assert_eq!(
            n.dedupe_key,
            "review_input_required:campaign:c1:weekly-1@100:7"
        );
        let other = CampaignNotice::new(
            NotificationKind::ReviewInputRequired,
            &CampaignId::new("c1"),
            "weekly-1@100",
            &UserId::new("8"),
        );
        assert_ne!(n.dedupe_key, other.dedupe_key);
    }

    #[test]
    fn the_channel_reminder_says_the_due_date_in_words_never_negative() {
        let now = Timestamp::from_unix_millis(1_764_925_200_000); // Fri 5 Dec 2025 09:00 UTC
        let day = 86_400_000;
        assert_eq!(
            due_words(Some(now.plus_millis(day)), now),
            "tomorrow, 9:00 AM UTC"
        );
        assert_eq!(
            due_words(Some(now.plus_millis(17 * day)), now),
            "in 2 weeks and 3 days"
        );
        assert_eq!(
            due_words(Some(now.plus_millis(-2 * day)), now),
            "Wed 3 Dec, 9:00 AM UTC (overdue)"
        );
        assert_eq!(due_words(None, now), "with no due date set");
    }

    #[test]
    fn the_owner_is_told_how_many_were_reminded_and_how_many_are_not_in_slack() {
        let s = RemindersSent {
            reminded: 3,
            recently_reminded: 0,
            not_in_slack: 1,
        };
        assert_eq!(
            s.summary(),
            "Reminded 3 reviewers. 1 reviewer is not linked to Slack and gets no message."
        );
        let again = RemindersSent {
            reminded: 0,
            recently_reminded: 1,
            not_in_slack: 0,
        };
        assert_eq!(
            again.summary(),
            "Reminded 0 reviewers. 1 reviewer was reminded less than 10 minutes ago and not again."
        );
        assert_eq!(
            RemindersSent::default().summary(),
            "Nobody to remind: no review is open."
        );
    }
}
