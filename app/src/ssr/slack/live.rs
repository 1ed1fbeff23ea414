//! Slack messages that follow their object (issue 11): every remembered DM showing a request, a
//! provisioning task or a grant (`slack_messages`: the requester's, each approver's, each
//! provisioner's and the holder's copy) is re-rendered for its viewer and edited in place when
//! that object changes, and the request's history events are posted in its thread.
//!
//! *Marks.* The repositories' saves of requests (`access::requests::persist`), grants
//! (`access::grants::save_grant`) and provisioning tasks (`save_task`, `insert_tasks`) call
//! [`mark_changed`] in their own transaction, so a committed change always has its mark
//! (`slack_live_marks`, append-only like `slack_home_marks`).
//!
//! *The job* (`slack-live`, leased, every [`EVERY`]): [`refresh_round`] reads the oldest marks,
//! finds every message showing each marked object (a request's mark also reaches its tasks'
//! provisioner copies, a task's and a grant's mark the request's copies), renders each one for
//! its viewer ([`render`]) and edits it with `chat.update` when what it shows changed
//! (`rendered_hash`), then posts in its thread the request's history events that matter to that
//! role and were not told there yet (`thread_event_id`). Paced with delivery's [`Pacer`]
//! (Tier 3 for `chat.update`, one message a second per DM for thread posts); a call the pacer
//! holds back leaves the object's marks for a later round; a 429 pauses the method for its
//! `Retry-After`; an outage ends the round with the marks kept; a message Slack will not edit any
//! more (`message_not_found`, `cant_update_message`, …) is forgotten. Thread posts are committed
//! as claimed before the post (`thread_claim_event`) and carry the event in their metadata: a
//! claim that lapsed unrecorded (a crash, no answer) is looked for in the thread
//! (`conversations.replies`, like delivery's `conversations.history` recovery): found, it is
//! recorded as told; not found, it is posted. Exactly once either way.
//!
//! *For other modules:*
//! - [`refresh_message`]: re-render one remembered message now (after a stale click), under
//!   the same pacer (`Slack::pacing`); held back or rate limited, it is left to the job's next
//!   round (a mark).
//! - [`post_to_threads`]: post a line (a console comment, say) in the threads of every message
//!   showing a request, optionally except one message (the thread it was written in); paced,
//!   waiting out a 429 rather than losing the line.
//!
//! [`Pacer`]: super::delivery::pacer::Pacer

use std::collections::BTreeMap;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::domain::{
    self, Decider, DirectorySnapshot, Grant, GrantState, Outcome, ProvisioningTask, RemovalReason,
    Request, RequestEvent, RequestState, TaskKind, TaskOutcome, TaskState, Timestamp, UserId,
    Verdict as StepVerdict, Viewer,
};
use crate::ssr::AppState;
use crate::ssr::access::{
    self, AccessError, AccessResult, Tx, catalog, directory, from_json, grants, requests,
};
use crate::ssr::lease;
use crate::ssr::slack::SlackError;
use crate::ssr::slack::api::slack_morphism::SlackTs;
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackApiChatPostMessageRequest, SlackApiChatUpdateRequest, SlackChannelId, SlackMessageContent,
    SlackMessageMetadata,
};
use crate::ssr::slack::blocks::notifications::{
    self as blocks, ApproverPart, Assignment, ExpiryNotice, RequestCard, RequesterButtons,
};
use crate::ssr::slack::blocks::{console_link, escape};
use crate::ssr::slack::delivery::classify::{Verdict, classify};
use crate::ssr::slack::delivery::pacer::Method;
use crate::ssr::slack::delivery::{Deliverer, Workspace, workspaces};

/// The job's lease name.
pub const JOB: &str = "slack-live";

/// How often the job runs: a change shows in Slack within about half a second.
pub const EVERY: Duration = Duration::from_millis(500);

/// Marks read per round.
const MARKS_PER_ROUND: i64 = 200;

/// Events of one request posted per message per round.
const EVENTS_PER_ROUND: i64 = 20;

/// The metadata `event_type` of thread posts (with `request_event` in its payload).
pub const THREAD_EVENT_TYPE: &str = "latch_thread";

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("Slack: {0}")]
    Slack(String),
    #[error("that Slack message is not one Latch remembers")]
    UnknownMessage,
}

/// Marks `object_kind` (`request`, `task` or `grant`) `object_id` as changed, inside the change's
/// own transaction: the `slack-live` job refreshes every Slack message showing it.
pub async fn mark_changed(
    tx: &mut Tx<'_>,
    object_kind: &str,
    object_id: &str,
    at: Timestamp,
) -> AccessResult<()> {
    sqlx::query(
        "INSERT INTO slack_live_marks (object_kind, object_id, marked_at) VALUES ($1, $2, $3)",
    )
    .bind(object_kind)
    .bind(object_id)
    .bind(at.as_unix_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A remembered message (`slack_messages`).
#[derive(Debug, Clone)]
pub struct Shown {
    pub install_key: String,
    pub channel: String,
    pub ts: String,
    pub user_id: i64,
    pub object_kind: String,
    pub object_id: String,
    pub role: String,
    rendered_hash: Option<String>,
    thread_event_id: Option<i64>,
    thread_claim_event: Option<i64>,
    thread_claimed_until: Option<i64>,
}

const SHOWN_COLUMNS: &str = "install_key, channel_id, ts, user_id, object_kind, object_id, role, \
     rendered_hash, thread_event_id, thread_claim_event, thread_claimed_until";

fn shown_of(r: &sqlx::any::AnyRow) -> Result<Shown, sqlx::Error> {
    Ok(Shown {
        install_key: r.try_get("install_key")?,
        channel: r.try_get("channel_id")?,
        ts: r.try_get("ts")?,
        user_id: r.try_get("user_id")?,
        object_kind: r.try_get("object_kind")?,
        object_id: r.try_get("object_id")?,
        role: r.try_get("role")?,
        rendered_hash: r.try_get("rendered_hash")?,
        thread_event_id: r.try_get("thread_event_id")?,
        thread_claim_event: r.try_get("thread_claim_event")?,
        thread_claimed_until: r.try_get("thread_claimed_until")?,
    })
}

/// Every remembered message a change of (`kind`, `id`) may have changed: those showing it, and
/// for a request its tasks' copies, for a task or a grant its request's copies.
async fn messages_showing(
    db: &crate::ssr::Db,
    kind: &str,
    id: &str,
) -> Result<Vec<Shown>, LiveError> {
    let sql = format!(
        "SELECT {SHOWN_COLUMNS} FROM slack_messages WHERE (object_kind = $1 AND object_id = $2) \
         OR ($1 = 'request' AND object_kind = 'task' AND object_id IN \
             (SELECT id FROM provisioning_tasks WHERE request_id = $2)) \
         OR ($1 = 'task' AND object_kind = 'request' AND object_id IN \
             (SELECT request_id FROM provisioning_tasks WHERE id = $2)) \
         OR ($1 = 'grant' AND object_kind = 'request' AND object_id IN \
             (SELECT source_request_id FROM grants WHERE id = $2)) \
         ORDER BY created_at"
    );
    let rows = sqlx::query(&sql)
        .bind(kind)
        .bind(id)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.iter().map(shown_of).collect::<Result<_, _>>()?)
}

/// The hash `rendered_hash` keeps of a message's content.
pub fn content_hash(content: &SlackMessageContent) -> String {
    let json = serde_json::to_string(content).unwrap_or_default();
    hex::encode(Sha256::digest(json.as_bytes()))
}

/// The last history event of `request_id` (a new message's thread starts after it: the message
/// itself shows what happened before).
pub async fn last_event_id(db: &crate::ssr::Db, request_id: &str) -> Result<i64, LiveError> {
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(id) FROM request_events WHERE request_id = $1")
            .bind(request_id)
            .fetch_one(&db.pool)
            .await?;
    Ok(last.unwrap_or(0))
}

/// The request whose history a message's thread tells: the request itself, a task's request,
/// or the source request of the grant a removal task is about.
async fn thread_request(db: &crate::ssr::Db, shown: &Shown) -> Result<Option<String>, LiveError> {
    Ok(match shown.object_kind.as_str() {
        "request" => Some(shown.object_id.clone()),
        "task" => sqlx::query_scalar(
            "SELECT COALESCE(t.request_id, g.source_request_id) FROM provisioning_tasks t \
             LEFT JOIN grants g ON g.id = t.grant_id WHERE t.id = $1",
        )
        .bind(&shown.object_id)
        .fetch_optional(&db.pool)
        .await?
        .flatten(),
        _ => None,
    })
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// Names and Slack links for one workspace: how people are shown.
struct People {
    names: BTreeMap<String, String>,
    /// Latch user id → Slack user id, in this workspace.
    slack: BTreeMap<String, String>,
}

impl People {
    async fn load(db: &crate::ssr::Db, install_key: &str) -> Result<People, LiveError> {
        let names = directory::names(db).await?;
        let rows = sqlx::query(
            "SELECT user_id, slack_user_id FROM slack_user_links WHERE install_key = $1",
        )
        .bind(install_key)
        .fetch_all(&db.pool)
        .await?;
        let mut slack = BTreeMap::new();
        for r in rows {
            let user: i64 = r.try_get("user_id")?;
            slack.insert(user.to_string(), r.try_get::<String, _>("slack_user_id")?);
        }
        Ok(People { names, slack })
    }

    fn name(&self, user: &UserId) -> String {
        self.names
            .get(user.as_str())
            .cloned()
            .unwrap_or_else(|| user.to_string())
    }

    /// `<@U…>` for someone linked in this workspace, else their name (escaped).
    fn mention(&self, user: &UserId) -> String {
        match self.slack.get(user.as_str()) {
            Some(id) => format!("<@{id}>"),
            None => escape(&self.name(user)),
        }
    }

    /// A person for `mrkdwn` (a mention) or plain text (the name).
    fn who(&self, user: &UserId, mrkdwn: bool) -> String {
        if mrkdwn {
            self.mention(user)
        } else {
            self.name(user)
        }
    }

    /// "@Anna Smith + 1".
    fn first_and_more(&self, users: &[UserId], mrkdwn: bool) -> String {
        match users {
            [] => "nobody".to_owned(),
            [one] => self.who(one, mrkdwn),
            [first, rest @ ..] => format!("{} + {}", self.who(first, mrkdwn), rest.len()),
        }
    }

    fn decider(&self, by: &Decider, mrkdwn: bool) -> String {
        match by {
            Decider::User(u) => self.who(u, mrkdwn),
            other => {
                let label = other.to_string();
                if mrkdwn { escape(&label) } else { label }
            }
        }
    }
}

/// A moment as Slack shows it in the reader's time zone, falling back to UTC words.
fn slack_date(at: Timestamp, mrkdwn: bool) -> String {
    let secs = at.as_unix_millis().div_euclid(1000);
    let fallback = utc_words(secs);
    if mrkdwn {
        format!("<!date^{secs}^{{date_short_pretty}} {{time}}|{fallback}>")
    } else {
        fallback
    }
}

/// "Tue 14:00 UTC" (within a week) or "Tue 3 Mar 14:00 UTC".
fn utc_words(secs: i64) -> String {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp(secs) else {
        return String::new();
    };
    let day = &at.weekday().to_string()[..3];
    let month = &at.month().to_string()[..3];
    format!(
        "{day} {} {month} {:02}:{:02} UTC",
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// What a request's copies read under **State**, in mrkdwn or plain words.
fn request_state(
    r: &Request,
    tasks: &[ProvisioningTask],
    grant: Option<&Grant>,
    people: &People,
    mrkdwn: bool,
) -> String {
    let text = |t: &str| if mrkdwn { escape(t) } else { t.to_owned() };
    match &r.state {
        RequestState::PendingApproval { assignment } => {
            if assignment.tier == domain::AssignmentTier::ExternalDecider {
                match r.policy.external_decider_step(assignment.step) {
                    Some(decider) => text(&format!("Awaiting {}", decider.decider_label())),
                    None => "Awaiting its external decider".to_owned(),
                }
            } else {
                format!(
                    "Awaiting approval from {}",
                    people.first_and_more(&assignment.assignees, mrkdwn)
                )
            }
        }
        RequestState::Provisioning => match tasks.iter().find(|t| t.is_open()).map(|t| &t.state) {
            Some(TaskState::AwaitingManual { assignees, reason }) => format!(
                "Awaiting provisioning from {}{}",
                people.first_and_more(assignees, mrkdwn),
                if *reason == domain::ManualReason::WebhookFailed {
                    " (automatic provisioning failed)"
                } else {
                    ""
                }
            ),
            Some(TaskState::WebhookPending { .. }) => "Being provisioned automatically".into(),
            _ => "Provisioning".into(),
        },
        RequestState::Closed { outcome, note, .. } => match outcome {
            Outcome::Granted => match grant.map(|g| (&g.state, g.expires_at)) {
                Some((GrantState::Active, Some(until))) => {
                    format!("Granted until {}", slack_date(until, mrkdwn))
                }
                Some((
                    GrantState::PendingRemoval { reason, .. } | GrantState::Removed { reason, .. },
                    _,
                )) => match reason {
                    RemovalReason::Expired => "Expired".into(),
                    RemovalReason::Released => "Released".into(),
                    RemovalReason::Revoked => "Revoked".into(),
                },
                _ => "Granted".into(),
            },
            Outcome::Denied => {
                let denial = r
                    .decisions
                    .iter()
                    .rev()
                    .find(|d| d.verdict == StepVerdict::Denied);
                match denial {
                    Some(d) => format!(
                        "Denied by {}{}",
                        people.decider(&d.by, mrkdwn),
                        d.reason
                            .as_deref()
                            .map(|why| format!(": {}", text(why)))
                            .unwrap_or_default()
                    ),
                    None => "Denied".into(),
                }
            }
            Outcome::Cancelled => match note {
                Some(n) if r.approved_at.is_some() => text(&format!("Not provisioned: {n}")),
                _ => "Cancelled".into(),
            },
            Outcome::Expired => "Expired".into(),
            Outcome::Error => text(&format!(
                "Failed{}",
                note.as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            )),
        },
    }
}

/// What a closed approver's copy says happened (mrkdwn).
fn approver_outcome(r: &Request, viewer: &UserId, people: &People) -> String {
    match &r.state {
        RequestState::Closed {
            outcome: Outcome::Denied,
            ..
        } => format!("❌ {}", request_state(r, &[], None, people, true)),
        RequestState::Closed {
            outcome: Outcome::Cancelled,
            ..
        } if r.approved_at.is_none() => {
            if r.parties.requester == *viewer {
                "🚫 Cancelled".into()
            } else {
                "🚫 Cancelled by the requester".into()
            }
        }
        RequestState::Closed {
            outcome: Outcome::Expired,
            ..
        } => "⌛ Expired before a decision".into(),
        _ => {
            let reassigned = r
                .reassignments
                .iter()
                .rev()
                .find(|x| x.from.contains(viewer) && x.to != *viewer);
            let decided_by_viewer = r.decisions.iter().any(|d| d.by.user() == Some(viewer));
            if let (Some(x), false) = (reassigned, decided_by_viewer) {
                return format!("↪️ Reassigned to {}", people.mention(&x.to));
            }
            match r
                .decisions
                .iter()
                .rev()
                .find(|d| d.verdict == StepVerdict::Approved)
            {
                Some(d) => {
                    let mut line = format!("✅ Approved by {}", people.decider(&d.by, true));
                    if let RequestState::PendingApproval { assignment } = &r.state {
                        line.push_str(&format!(
                            " — step {} now awaits {}",
                            assignment.step + 1,
                            people.first_and_more(&assignment.assignees, true)
                        ));
                    }
                    line
                }
                None => format!("Now: {}", request_state(r, &[], None, people, true)),
            }
        }
    }
}

/// What the requester's copy of a step they would approve, but may not (their own request,
/// no self-approval), says instead of the buttons.
pub const OWN_REQUEST: &str =
    "You requested this access; this policy does not allow approving your own request";

/// Why an asked approver may not decide (no buttons on their copy).
fn blocked_reason(r: &Request, viewer: &UserId, error: &domain::DomainError) -> String {
    if r.parties.subject == *viewer || r.parties.requester == *viewer {
        "You can't approve this request yourself: its policy asks someone else to decide.".into()
    } else {
        format!("You can't decide this request: {error}")
    }
}

/// Everything about a request its copies show.
struct RequestData {
    request: Request,
    app: domain::App,
    entitlement: domain::Entitlement,
    tasks: Vec<ProvisioningTask>,
    grant: Option<Grant>,
}

async fn request_data(db: &crate::ssr::Db, id: &str) -> Result<Option<RequestData>, LiveError> {
    let request = match requests::load(db, id).await {
        Ok(r) => r,
        Err(AccessError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let entitlement = catalog::load_entitlement(db, request.parties.entitlement.as_str()).await?;
    let app = catalog::load_app(db, entitlement.app_id.as_str()).await?;
    let tasks = sqlx::query("SELECT body FROM provisioning_tasks WHERE request_id = $1")
        .bind(id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| from_json::<ProvisioningTask>(&r.try_get::<String, _>("body")?))
        .collect::<AccessResult<Vec<_>>>()?;
    let grant_id: Option<String> = match &request.extends_grant {
        Some(g) => Some(g.to_string()),
        None => {
            sqlx::query_scalar(
                "SELECT id FROM grants WHERE source_request_id = $1 ORDER BY created_at DESC",
            )
            .bind(id)
            .fetch_optional(&db.pool)
            .await?
        }
    };
    let grant = match grant_id {
        Some(g) => match grants::load_grant(db, &g).await {
            Ok(g) => Some(g),
            Err(AccessError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    Ok(Some(RequestData {
        request,
        app,
        entitlement,
        tasks,
        grant,
    }))
}

fn card(d: &RequestData, console: &str, people: &People) -> RequestCard {
    let r = &d.request;
    RequestCard {
        request_id: r.id.to_string(),
        url: console_link(console, &format!("/requests/{}", r.number)),
        subject: people.name(&r.parties.subject),
        app: d.app.name.clone(),
        entitlement: d.entitlement.display_name.clone(),
        requested_by: people.mention(&r.parties.requester),
        requested_for: people.mention(&r.parties.subject),
        justification: r.justification.clone(),
        length: r.length.as_duration().map(|_| r.length.to_string()),
        state: request_state(r, &d.tasks, d.grant.as_ref(), people, true),
        state_text: request_state(r, &d.tasks, d.grant.as_ref(), people, false),
    }
}

/// The message `role` copy of (`object_kind`, `object_id`) shows Latch user `user_id` now, in
/// workspace `install_key`; `None` when the object is gone or the pair is not one Latch renders.
pub async fn render(
    state: &AppState,
    install_key: &str,
    user_id: i64,
    object_kind: &str,
    object_id: &str,
    role: &str,
) -> Result<Option<SlackMessageContent>, LiveError> {
    let db = &state.db;
    let console = state.public_url.as_str();
    let people = People::load(db, install_key).await?;
    let viewer = access::user_id(user_id);
    let roles = directory::roles_of(db, std::slice::from_ref(&viewer))
        .await?
        .remove(&viewer)
        .unwrap_or_default();
    match (object_kind, role) {
        ("request", "requester" | "approver") => {
            let Some(d) = request_data(db, object_id).await? else {
                return Ok(None);
            };
            let dir: DirectorySnapshot = directory::snapshot(db).await?;
            let seen_by = Viewer {
                id: &viewer,
                roles: &roles,
                directory: &dir,
            };
            let actions = d.request.actions_for(&seen_by, &d.app, &d.entitlement);
            let c = card(&d, console, &people);
            if role == "requester" {
                return Ok(Some(blocks::requester_message(
                    &c,
                    d.request.parties.requester == viewer,
                    RequesterButtons {
                        cancel: actions.cancel,
                        retry: actions.retry,
                    },
                )));
            }
            let r = &d.request;
            let decide = |step: usize| ApproverPart::Decide {
                step,
                reason_required: r
                    .policy
                    .approval_step(step)
                    .is_some_and(|s| s.require_approval_reason),
            };
            let part = match r.current_assignment() {
                Some(a) if actions.decide => decide(a.step),
                Some(a) if a.requester_kept_from_own_request(&r.parties) == Some(&viewer) => {
                    ApproverPart::Blocked(OWN_REQUEST.into())
                }
                Some(a) if a.assignees.contains(&viewer) => {
                    match r.check_decider(&viewer, &roles, &dir) {
                        Err(error) => ApproverPart::Blocked(blocked_reason(r, &viewer, &error)),
                        Ok(()) => decide(a.step),
                    }
                }
                _ => ApproverPart::Outcome(approver_outcome(r, &viewer, &people)),
            };
            Ok(Some(blocks::approver_message(&c, &part)))
        }
        ("task", _) => {
            let task = match grants::load_task(db, object_id).await {
                Ok(t) => t,
                Err(AccessError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let request_id = match (&task.request, &task.grant) {
                (Some(r), _) => r.to_string(),
                (None, Some(g)) => match grants::load_grant(db, g.as_str()).await {
                    Ok(g) => g.source_request.to_string(),
                    Err(AccessError::NotFound(_)) => return Ok(None),
                    Err(e) => return Err(e.into()),
                },
                (None, None) => return Ok(None),
            };
            let Some(d) = request_data(db, &request_id).await? else {
                return Ok(None);
            };
            let dir: DirectorySnapshot = directory::snapshot(db).await?;
            let seen_by = Viewer {
                id: &viewer,
                roles: &roles,
                directory: &dir,
            };
            let deprovision = task.kind == TaskKind::Deprovision;
            let mut c = card(&d, console, &people);
            c.state = task_state(&task, &people, true);
            c.state_text = task_state(&task, &people, false);
            let instructions = match &d.entitlement.provisioning {
                domain::ProvisioningMethod::Manual {
                    instructions: Some(i),
                    ..
                } => Some(blocks::markdown_to_mrkdwn(i)),
                _ => None,
            };
            let note = match &task.state {
                TaskState::AwaitingManual {
                    reason: domain::ManualReason::WebhookFailed,
                    ..
                } => {
                    Some("The provisioning webhook failed: this is yours to do by hand.".to_owned())
                }
                TaskState::AwaitingManual {
                    reason: domain::ManualReason::RemovalFailed,
                    ..
                } => Some("An earlier removal of this access failed or was refused.".to_owned()),
                _ => None,
            };
            let retry = (!deprovision
                && d.request
                    .actions_for(&seen_by, &d.app, &d.entitlement)
                    .retry)
                .then(|| d.request.id.to_string());
            let open = task.is_open() && task.actions_for(&viewer, &roles).complete;
            let assignment = Assignment {
                task_id: task.id.to_string(),
                deprovision,
                instructions,
                note,
                open,
                outcome: (!task.is_open()).then(|| task_state(&task, &people, true)),
                retry,
            };
            Ok(Some(blocks::provisioner_message(&c, &assignment)))
        }
        ("grant", _) => {
            let grant = match grants::load_grant(db, object_id).await {
                Ok(g) => g,
                Err(AccessError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let entitlement = catalog::load_entitlement(db, grant.entitlement.as_str()).await?;
            let app = catalog::load_app(db, entitlement.app_id.as_str()).await?;
            let dir: DirectorySnapshot = directory::snapshot(db).await?;
            let now = access::now();
            let actions = grant.actions_for(
                &Viewer {
                    id: &viewer,
                    roles: &roles,
                    directory: &dir,
                },
                &app,
                now,
            );
            let (headline, ends, open) = match &grant.state {
                GrantState::Active => (
                    match grant.expires_at {
                        Some(_) => format!("Your access expires in {}", grant.remaining_label(now)),
                        None => "Your access does not expire".to_owned(),
                    },
                    grant.expires_at.map(|t| slack_date(t, true)),
                    true,
                ),
                GrantState::PendingRemoval { reason, .. } | GrantState::Removed { reason, .. } => (
                    match reason {
                        // The notice stays in the holder's DM: once removed, it says so.
                        RemovalReason::Expired
                            if matches!(grant.state, GrantState::Removed { .. }) =>
                        {
                            "Your access has expired and was removed".to_owned()
                        }
                        RemovalReason::Expired => {
                            "Your access has expired and is being removed".to_owned()
                        }
                        RemovalReason::Released => "You released this access".to_owned(),
                        RemovalReason::Revoked => "This access was revoked".to_owned(),
                    },
                    None,
                    false,
                ),
            };
            Ok(Some(blocks::expiry_message(&ExpiryNotice {
                grant_id: grant.id.to_string(),
                app: app.name.clone(),
                entitlement: entitlement.display_name.clone(),
                description: entitlement.description.clone(),
                url: console_link(console, "/"),
                headline,
                ends,
                extend: open && actions.extend,
                release: open && actions.release,
            })))
        }
        _ => Ok(None),
    }
}

/// A task's **State** (and, once closed, its outcome line).
fn task_state(task: &ProvisioningTask, people: &People, mrkdwn: bool) -> String {
    let text = |t: &str| if mrkdwn { escape(t) } else { t.to_owned() };
    let removal = task.kind == TaskKind::Deprovision;
    match &task.state {
        TaskState::AwaitingManual { assignees, .. } => format!(
            "Awaiting {} from {}",
            if removal {
                "deprovisioning"
            } else {
                "provisioning"
            },
            people.first_and_more(assignees, mrkdwn)
        ),
        TaskState::WebhookPending { .. } => if removal {
            "Being removed automatically"
        } else {
            "Being provisioned automatically"
        }
        .to_owned(),
        TaskState::Completed {
            outcome, by, note, ..
        } => {
            let who = by
                .as_ref()
                .map(|u| format!(" by {}", people.who(u, mrkdwn)))
                .unwrap_or_default();
            let note = note
                .as_deref()
                .map(|n| format!(": {}", text(n)))
                .unwrap_or_default();
            match (outcome, removal) {
                (TaskOutcome::Done, false) => format!("✅ Provisioned{who}"),
                (TaskOutcome::Done, true) => format!("✅ Deprovisioned{who}"),
                (TaskOutcome::WontDo, false) => format!("🚫 Won't do{who}{note}"),
                (TaskOutcome::WontDo, true) => format!("🚫 Won't deprovision{who}{note}"),
                (TaskOutcome::Errored, _) => format!("⚠️ Errored{who}{note}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Threads

/// Which copies' threads an event is told in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audience {
    pub requester: bool,
    pub approver: bool,
    pub provisioner: bool,
}

/// Who hears of `event` in their thread (pure). Comments are posted by whoever records them
/// ([`post_to_threads`]), creation is the message itself, and a denial is told by the decision
/// that carries its reason.
pub fn audience(event: &RequestEvent) -> Audience {
    let (requester, approver, provisioner) = match event {
        RequestEvent::Created | RequestEvent::Commented(_) | RequestEvent::Denied { .. } => {
            (false, false, false)
        }
        RequestEvent::StepAssigned(_)
        | RequestEvent::DeciderPassed { .. }
        | RequestEvent::Approved
        | RequestEvent::Granted => (true, false, false),
        RequestEvent::Decided(_)
        | RequestEvent::AutoDecided(_)
        | RequestEvent::Reassigned(_)
        | RequestEvent::Expired { .. }
        | RequestEvent::DurationChanged { .. }
        | RequestEvent::EscalatedToEmergency { .. } => (true, true, false),
        RequestEvent::Cancelled { .. } => (true, true, true),
        RequestEvent::Failed { .. }
        | RequestEvent::NotProvisioned { .. }
        | RequestEvent::ProvisioningRetried { .. } => (true, false, true),
    };
    Audience {
        requester,
        approver,
        provisioner,
    }
}

impl Audience {
    fn includes(&self, role: &str) -> bool {
        match role {
            "requester" => self.requester,
            "approver" => self.approver,
            "provisioner" => self.provisioner,
            _ => false,
        }
    }
}

/// The thread line for `event` (mrkdwn with mentions, or plain words): who did what, with the
/// reason.
fn event_line(event: &RequestEvent, people: &People, mrkdwn: bool) -> String {
    let text = |t: &str| if mrkdwn { escape(t) } else { t.to_owned() };
    let reason = |r: Option<&String>| r.map(|r| format!(": {}", text(r))).unwrap_or_default();
    match event {
        RequestEvent::Decided(d) if matches!(d.by, Decider::User(_)) => format!(
            "{} Step {} {} by {}{}",
            if d.verdict == StepVerdict::Approved {
                "✅"
            } else {
                "❌"
            },
            d.step + 1,
            d.verdict,
            people.decider(&d.by, mrkdwn),
            reason(d.reason.as_ref())
        ),
        RequestEvent::StepAssigned(a) if a.tier != domain::AssignmentTier::ExternalDecider => {
            format!(
                "Step {} awaits approval from {}",
                a.step + 1,
                people.first_and_more(&a.assignees, mrkdwn)
            )
        }
        RequestEvent::Approved => "Approved: provisioning started".into(),
        RequestEvent::Granted => "🎉 Access granted: it is ready to use".into(),
        RequestEvent::Cancelled { by, reason: why } => {
            format!(
                "🚫 Cancelled by {}{}",
                people.who(by, mrkdwn),
                reason(why.as_ref())
            )
        }
        RequestEvent::Reassigned(x) => format!(
            "↪️ Reassigned to {} by {}: {}",
            people.who(&x.to, mrkdwn),
            people.who(&x.by, mrkdwn),
            text(&x.reason)
        ),
        RequestEvent::Failed { reason: why } => format!("⚠️ Provisioning failed: {}", text(why)),
        other => text(&domain::history::describe(other, |u| people.name(u))),
    }
}

/// What a round did with one message.
enum Step {
    Done,
    /// The pacer (or a 429) holds the next call back: the object's marks stay.
    Deferred,
}

// ---------------------------------------------------------------------------------------------
// The job

/// One round of the `slack-live` job (see the module docs); the messages edited and thread lines
/// posted. Call it under the job's lease with the process's [`Deliverer`] (its pacer is shared
/// with delivery, so both together stay under Slack's limits).
pub async fn refresh_round(state: &AppState, deliverer: &Deliverer) -> Result<usize, LiveError> {
    let db = &state.db;
    let rows =
        sqlx::query("SELECT id, object_kind, object_id FROM slack_live_marks ORDER BY id LIMIT $1")
            .bind(MARKS_PER_ROUND)
            .fetch_all(&db.pool)
            .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut objects: Vec<((String, String), Vec<i64>)> = Vec::new();
    for r in &rows {
        let key = (
            r.try_get::<String, _>("object_kind")?,
            r.try_get::<String, _>("object_id")?,
        );
        let id: i64 = r.try_get("id")?;
        match objects.iter_mut().find(|(k, _)| *k == key) {
            Some((_, ids)) => ids.push(id),
            None => objects.push((key, vec![id])),
        }
    }
    let workspaces = workspaces(state)
        .await
        .map_err(|e| LiveError::Slack(e.to_string()))?;
    let mut done = 0;
    for ((kind, id), marks) in objects {
        let mut finished = true;
        if !workspaces.is_empty() {
            for shown in messages_showing(db, &kind, &id).await? {
                let Some(ws) = workspaces
                    .iter()
                    .find(|w| w.install.install_key == shown.install_key)
                else {
                    continue;
                };
                match refresh_one(state, deliverer, ws, &shown, &mut done).await {
                    Ok(Step::Done) => {}
                    Ok(Step::Deferred) => {
                        finished = false;
                        break;
                    }
                    // Slack or the database failing ends the round with the marks kept.
                    Err(error @ (LiveError::Slack(_) | LiveError::Db(_))) => return Err(error),
                    // One message that can't be rendered (unreadable data) must not hold up
                    // the others: it is left as it is.
                    Err(error) => {
                        tracing::warn!(%error, object = %shown.object_id, "a Slack copy could not be refreshed");
                    }
                }
            }
        }
        if !finished {
            break;
        }
        clear_marks(db, &marks).await?;
    }
    Ok(done)
}

async fn clear_marks(db: &crate::ssr::Db, marks: &[i64]) -> Result<(), LiveError> {
    for chunk in marks.chunks(100) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let mut tx = db.begin().await?;
        sqlx::query(&format!(
            "DELETE FROM slack_live_marks WHERE id IN ({list})"
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Edits one message if what it shows changed, then tells its thread the new events.
async fn refresh_one(
    state: &AppState,
    deliverer: &Deliverer,
    ws: &Workspace,
    shown: &Shown,
    done: &mut usize,
) -> Result<Step, LiveError> {
    let db = &state.db;
    let Some(content) = render(
        state,
        &shown.install_key,
        shown.user_id,
        &shown.object_kind,
        &shown.object_id,
        &shown.role,
    )
    .await?
    else {
        return Ok(Step::Done);
    };
    let hash = content_hash(&content);
    if shown.rendered_hash.as_deref() != Some(hash.as_str()) {
        if !deliverer.slot(Method::Update, None) {
            return Ok(Step::Deferred);
        }
        match update(state, &ws.token, shown, content, &hash).await? {
            Ok(()) => *done += 1,
            Err(error) => match classify(&error) {
                Verdict::RateLimited(secs) => {
                    deliverer.pause(Method::Update, secs);
                    return Ok(Step::Deferred);
                }
                Verdict::Permanent(code) => {
                    tracing::info!(code, "a Slack message can't be edited any more; forgotten");
                    forget(db, shown).await?;
                    return Ok(Step::Done);
                }
                Verdict::Retry(code) | Verdict::Uncertain(code) => {
                    return Err(LiveError::Slack(code));
                }
            },
        }
    }
    tell_thread(state, deliverer, ws, shown, done).await
}

/// Edits the message with `content` and records what it shows now.
async fn update(
    state: &AppState,
    token: &str,
    shown: &Shown,
    content: SlackMessageContent,
    hash: &str,
) -> Result<Result<(), SlackError>, LiveError> {
    let request = SlackApiChatUpdateRequest::new(
        SlackChannelId(shown.channel.clone()),
        content,
        SlackTs(shown.ts.clone()),
    );
    if let Err(error) = state.slack.api.chat_update(token, &request).await {
        return Ok(Err(error));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE slack_messages SET rendered_hash = $1, updated_at = $2 \
         WHERE install_key = $3 AND channel_id = $4 AND ts = $5",
    )
    .bind(hash)
    .bind(crate::ssr::clock::now_ms())
    .bind(&shown.install_key)
    .bind(&shown.channel)
    .bind(&shown.ts)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

async fn forget(db: &crate::ssr::Db, shown: &Shown) -> Result<(), LiveError> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "DELETE FROM slack_messages WHERE install_key = $1 AND channel_id = $2 AND ts = $3",
    )
    .bind(&shown.install_key)
    .bind(&shown.channel)
    .bind(&shown.ts)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a message's thread cursor (and its claim).
async fn set_thread(
    db: &crate::ssr::Db,
    shown: &Shown,
    cursor: i64,
    claim: Option<(i64, i64)>,
) -> Result<(), LiveError> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE slack_messages SET thread_event_id = $1, thread_claim_event = $2, \
         thread_claimed_until = $3 WHERE install_key = $4 AND channel_id = $5 AND ts = $6",
    )
    .bind(cursor)
    .bind(claim.map(|c| c.0))
    .bind(claim.map(|c| c.1))
    .bind(&shown.install_key)
    .bind(&shown.channel)
    .bind(&shown.ts)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Posts in `shown`'s thread the events of its request after its cursor that matter to its role.
async fn tell_thread(
    state: &AppState,
    deliverer: &Deliverer,
    ws: &Workspace,
    shown: &Shown,
    done: &mut usize,
) -> Result<Step, LiveError> {
    let db = &state.db;
    if !matches!(
        shown.role.as_str(),
        "requester" | "approver" | "provisioner"
    ) {
        return Ok(Step::Done);
    }
    let Some(request_id) = thread_request(db, shown).await? else {
        return Ok(Step::Done);
    };
    let now = lease::db_now_ms(db).await?;
    let mut cursor = match shown.thread_event_id {
        Some(c) => c,
        // Remembered before threads were told: its thread starts now.
        None => {
            let last = last_event_id(db, &request_id).await?;
            set_thread(db, shown, last, None).await?;
            return Ok(Step::Done);
        }
    };
    if let Some(claimed) = shown.thread_claim_event {
        if shown.thread_claimed_until.unwrap_or(0) > now {
            // A post is in flight elsewhere; look again next round.
            return Ok(Step::Deferred);
        }
        // A post claimed and never recorded (a crash, or no answer): it may be in the thread.
        // Looked for there (its metadata names the event): found, it is recorded as told; not
        // found, it is posted below like any other line.
        match find_thread_line(state, deliverer, &ws.token, shown, &claimed.to_string()).await? {
            Found::Yes => {
                cursor = cursor.max(claimed);
                set_thread(db, shown, cursor, None).await?;
            }
            Found::No => set_thread(db, shown, cursor, None).await?,
            Found::AskLater => return Ok(Step::Deferred),
        }
    }
    let events = sqlx::query(
        "SELECT id, body FROM request_events WHERE request_id = $1 AND id > $2 ORDER BY id \
         LIMIT $3",
    )
    .bind(&request_id)
    .bind(cursor)
    .bind(EVENTS_PER_ROUND)
    .fetch_all(&db.pool)
    .await?;
    let mut people: Option<People> = None;
    let start = cursor;
    for row in events {
        let event_id: i64 = row.try_get("id")?;
        let event: RequestEvent = from_json(&row.try_get::<String, _>("body")?)?;
        if !audience(&event).includes(&shown.role) {
            cursor = event_id;
            continue;
        }
        if !deliverer.slot(Method::PostMessage, Some(&shown.channel)) {
            if cursor != start {
                set_thread(db, shown, cursor, None).await?;
            }
            return Ok(Step::Deferred);
        }
        if people.is_none() {
            people = Some(People::load(db, &shown.install_key).await?);
        }
        let Some(p) = people.as_ref() else {
            return Ok(Step::Done);
        };
        let claim_ms = i64::try_from(state.slack.config.timeout.as_millis())
            .unwrap_or(60_000)
            .saturating_mul(2)
            .saturating_add(5_000);
        set_thread(db, shown, cursor, Some((event_id, now + claim_ms))).await?;
        let line = blocks::thread_line(&event_line(&event, p, true), &event_line(&event, p, false));
        match post_in_thread(state, &ws.token, shown, line, &event_id.to_string()).await {
            Ok(()) => {
                cursor = event_id;
                set_thread(db, shown, cursor, None).await?;
                *done += 1;
            }
            Err(error) => match classify(&error) {
                Verdict::RateLimited(secs) => {
                    deliverer.pause(Method::PostMessage, secs);
                    set_thread(db, shown, cursor, None).await?;
                    return Ok(Step::Deferred);
                }
                Verdict::Permanent(code) => {
                    tracing::info!(code, "a thread line was refused by Slack; skipped");
                    cursor = event_id;
                    set_thread(db, shown, cursor, None).await?;
                }
                Verdict::Retry(code) => {
                    set_thread(db, shown, cursor, None).await?;
                    return Err(LiveError::Slack(code));
                }
                // It may have been posted: the claim stays, and once it lapses the thread is
                // looked at before posting again.
                Verdict::Uncertain(code) => return Err(LiveError::Slack(code)),
            },
        }
    }
    if cursor != start {
        set_thread(db, shown, cursor, None).await?;
    }
    if shown.role == "requester" && shown.object_kind == "request" {
        return tell_give_ups(state, deliverer, ws, shown, &request_id, done).await;
    }
    Ok(Step::Done)
}

/// A provisioning webhook that gave up (its task now awaits someone by hand), as thread notes:
/// each one's key (one per give-up: a retried task that gives up again is told again) and line.
fn give_up_notes(
    tasks: &[ProvisioningTask],
    people: &People,
) -> Vec<(String, SlackMessageContent)> {
    tasks
        .iter()
        .filter_map(|t| match &t.state {
            TaskState::AwaitingManual {
                assignees,
                reason: domain::ManualReason::WebhookFailed,
            } if t.kind == TaskKind::Provision => {
                let line = |mrkdwn: bool| {
                    format!(
                        "⚠️ Automatic provisioning failed: {} will provision it by hand",
                        people.first_and_more(assignees, mrkdwn)
                    )
                };
                Some((
                    format!("webhook_gave_up:{}:{}", t.id, t.failed_attempts.len()),
                    blocks::thread_line(&line(true), &line(false)),
                ))
            }
            _ => None,
        })
        .collect()
}

/// Tells the requester's copy, once each (`slack_thread_notes`: claimed before the post and
/// looked for after a crash, like history lines), that automatic provisioning gave up.
async fn tell_give_ups(
    state: &AppState,
    deliverer: &Deliverer,
    ws: &Workspace,
    shown: &Shown,
    request_id: &str,
    done: &mut usize,
) -> Result<Step, LiveError> {
    let db = &state.db;
    let tasks = sqlx::query("SELECT body FROM provisioning_tasks WHERE request_id = $1")
        .bind(request_id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| from_json::<ProvisioningTask>(&r.try_get::<String, _>("body")?))
        .collect::<AccessResult<Vec<_>>>()?;
    let notes = {
        let waiting = tasks.iter().any(|t| {
            matches!(
                t.state,
                TaskState::AwaitingManual {
                    reason: domain::ManualReason::WebhookFailed,
                    ..
                }
            )
        });
        if !waiting {
            return Ok(Step::Done);
        }
        give_up_notes(&tasks, &People::load(db, &shown.install_key).await?)
    };
    for (key, line) in notes {
        let now = lease::db_now_ms(db).await?;
        let row = sqlx::query(
            "SELECT claimed_until, posted_at FROM slack_thread_notes \
             WHERE install_key = $1 AND channel_id = $2 AND ts = $3 AND note = $4",
        )
        .bind(&shown.install_key)
        .bind(&shown.channel)
        .bind(&shown.ts)
        .bind(&key)
        .fetch_optional(&db.pool)
        .await?;
        if let Some(row) = row {
            if row.try_get::<Option<i64>, _>("posted_at")?.is_some() {
                continue;
            }
            if row.try_get::<Option<i64>, _>("claimed_until")?.unwrap_or(0) > now {
                return Ok(Step::Deferred);
            }
            // Claimed and never recorded: it may be in the thread.
            match find_thread_line(state, deliverer, &ws.token, shown, &key).await? {
                Found::Yes => {
                    set_note(db, shown, &key, None, Some(now)).await?;
                    continue;
                }
                Found::No => {}
                Found::AskLater => return Ok(Step::Deferred),
            }
        }
        if !deliverer.slot(Method::PostMessage, Some(&shown.channel)) {
            return Ok(Step::Deferred);
        }
        let claim_ms = i64::try_from(state.slack.config.timeout.as_millis())
            .unwrap_or(60_000)
            .saturating_mul(2)
            .saturating_add(5_000);
        set_note(db, shown, &key, Some(now + claim_ms), None).await?;
        match post_in_thread(state, &ws.token, shown, line, &key).await {
            Ok(()) => {
                set_note(db, shown, &key, None, Some(now)).await?;
                *done += 1;
            }
            Err(error) => match classify(&error) {
                Verdict::RateLimited(secs) => {
                    deliverer.pause(Method::PostMessage, secs);
                    set_note(db, shown, &key, None, None).await?;
                    return Ok(Step::Deferred);
                }
                Verdict::Permanent(code) => {
                    tracing::info!(code, "a thread note was refused by Slack; skipped");
                    set_note(db, shown, &key, None, Some(now)).await?;
                }
                Verdict::Retry(code) => {
                    set_note(db, shown, &key, None, None).await?;
                    return Err(LiveError::Slack(code));
                }
                // It may have been posted: the claim stays, and is looked for once it lapses.
                Verdict::Uncertain(code) => return Err(LiveError::Slack(code)),
            },
        }
    }
    Ok(Step::Done)
}

/// Records a thread note's claim (`claimed_until`) or its post (`posted_at`); neither is a
/// claim given back (nothing was posted: a later round posts it).
async fn set_note(
    db: &crate::ssr::Db,
    shown: &Shown,
    key: &str,
    claimed_until: Option<i64>,
    posted_at: Option<i64>,
) -> Result<(), LiveError> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO slack_thread_notes \
         (install_key, channel_id, ts, note, claimed_until, posted_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (install_key, channel_id, ts, note) \
         DO UPDATE SET claimed_until = excluded.claimed_until, posted_at = excluded.posted_at",
    )
    .bind(&shown.install_key)
    .bind(&shown.channel)
    .bind(&shown.ts)
    .bind(key)
    .bind(claimed_until)
    .bind(posted_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a claimed thread line is in its thread.
enum Found {
    Yes,
    No,
    /// The pacer (or a 429) holds `conversations.replies` back: look next round.
    AskLater,
}

/// Pages of a thread read looking for a line (200 replies each).
const REPLIES_PAGES: usize = 5;

/// Looks in `shown`'s thread (`conversations.replies`, with metadata) for the line whose
/// [`post_in_thread`] key is `wanted` (a history event's id, or a note's key). Paced like every call; an outage is an error
/// (the claim stays for a later round).
async fn find_thread_line(
    state: &AppState,
    deliverer: &Deliverer,
    token: &str,
    shown: &Shown,
    wanted: &str,
) -> Result<Found, LiveError> {
    let mut cursor: Option<String> = None;
    for _page in 0..REPLIES_PAGES {
        if !deliverer.slot(Method::ConversationsReplies, None) {
            return Ok(Found::AskLater);
        }
        let page = match state
            .slack
            .api
            .conversations_replies(
                token,
                &shown.channel,
                &shown.ts,
                None,
                cursor.as_deref(),
                200,
            )
            .await
        {
            Ok(page) => page,
            Err(error) => match classify(&error) {
                Verdict::RateLimited(secs) => {
                    deliverer.pause(Method::ConversationsReplies, secs);
                    return Ok(Found::AskLater);
                }
                // The message (and its thread) is gone: nothing to find, nothing to post into.
                Verdict::Permanent(code) => {
                    tracing::info!(
                        code,
                        "a thread could not be read; its claimed line is skipped"
                    );
                    return Ok(Found::Yes);
                }
                Verdict::Retry(code) | Verdict::Uncertain(code) => {
                    return Err(LiveError::Slack(code));
                }
            },
        };
        let found = page.messages.iter().any(|m| {
            m.metadata.as_ref().is_some_and(|meta| {
                meta.event_type == THREAD_EVENT_TYPE
                    && meta
                        .event_payload
                        .as_ref()
                        .and_then(|p| p.get("line"))
                        .is_some_and(|line| {
                            line.as_str() == Some(wanted)
                                || line.as_i64().is_some_and(|id| id.to_string() == wanted)
                        })
            })
        });
        if found {
            return Ok(Found::Yes);
        }
        cursor = page
            .response_metadata
            .map(|m| m.next_cursor)
            .filter(|c| page.has_more && !c.is_empty());
        if cursor.is_none() {
            break;
        }
    }
    Ok(Found::No)
}

async fn post_in_thread(
    state: &AppState,
    token: &str,
    shown: &Shown,
    line: SlackMessageContent,
    key: &str,
) -> Result<(), SlackError> {
    let mut payload = std::collections::HashMap::new();
    payload.insert("line".to_owned(), key.to_owned());
    let request = SlackApiChatPostMessageRequest::new(
        SlackChannelId(shown.channel.clone()),
        line.with_metadata(SlackMessageMetadata {
            event_type: THREAD_EVENT_TYPE.to_owned(),
            event_payload: Some(payload),
        }),
    )
    .with_thread_ts(SlackTs(shown.ts.clone()));
    state.slack.api.chat_post_message(token, &request).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// For other modules

/// Re-renders the remembered message `channel`/`ts` of workspace `install_key` for its viewer and
/// edits it now (after a stale click, so it shows the current state). `Ok(false)` when it showed
/// that already or its object is gone.
pub async fn refresh_message(
    state: &AppState,
    install_key: &str,
    channel: &str,
    ts: &str,
) -> Result<bool, LiveError> {
    let db = &state.db;
    let row = sqlx::query(&format!(
        "SELECT {SHOWN_COLUMNS} FROM slack_messages \
         WHERE install_key = $1 AND channel_id = $2 AND ts = $3"
    ))
    .bind(install_key)
    .bind(channel)
    .bind(ts)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(LiveError::UnknownMessage)?;
    let shown = shown_of(&row)?;
    let Some(content) = render(
        state,
        install_key,
        shown.user_id,
        &shown.object_kind,
        &shown.object_id,
        &shown.role,
    )
    .await?
    else {
        return Ok(false);
    };
    let hash = content_hash(&content);
    if shown.rendered_hash.as_deref() == Some(hash.as_str()) {
        return Ok(false);
    }
    let pacing = &state.slack.pacing;
    if !pacing.slot(Method::Update, None) {
        // Over `chat.update`'s pace: the job's next round edits it.
        later(db, &shown).await?;
        return Ok(false);
    }
    let token = bot_token(state, install_key).await?;
    match update(state, &token, &shown, content, &hash).await? {
        Ok(()) => Ok(true),
        Err(error) => match classify(&error) {
            Verdict::RateLimited(secs) => {
                pacing.pause(Method::Update, secs);
                later(db, &shown).await?;
                Ok(false)
            }
            Verdict::Permanent(code) => {
                tracing::info!(code, "a Slack message can't be edited any more; forgotten");
                forget(db, &shown).await?;
                Ok(false)
            }
            Verdict::Retry(_) | Verdict::Uncertain(_) => {
                later(db, &shown).await?;
                Err(LiveError::Slack(error.to_string()))
            }
        },
    }
}

/// Leaves a refresh of `shown`'s object to the job's next round (a mark, as a change would).
async fn later(db: &crate::ssr::Db, shown: &Shown) -> Result<(), LiveError> {
    let mut tx = db.begin().await?;
    mark_changed(
        &mut tx,
        &shown.object_kind,
        &shown.object_id,
        Timestamp::from_unix_millis(crate::ssr::clock::now_ms()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn bot_token(state: &AppState, install_key: &str) -> Result<String, LiveError> {
    workspaces(state)
        .await
        .map_err(|e| LiveError::Slack(e.to_string()))?
        .into_iter()
        .find(|w| w.install.install_key == install_key)
        .map(|w| w.token)
        .ok_or_else(|| LiveError::Slack("not_connected".into()))
}

/// Posts `line` (mrkdwn; `plain` for the notification text) in the thread of every remembered
/// message showing request `request_id` (requester, approver and provisioner copies), except the
/// message `except` (`(channel, ts)`: the thread it was written in). For comments (THREADS):
/// once per call, under the process's pacer (`Slack::pacing`, shared with delivery and the job):
/// a post that may not go yet waits for its slot, a 429 pauses `chat.postMessage` for its
/// `Retry-After` and the post is made after it, so a burst of comments loses no line. Call it
/// off the request path (it may wait). The threads posted to.
pub async fn post_to_threads(
    state: &AppState,
    request_id: &str,
    line: &str,
    plain: &str,
    except: Option<(&str, &str)>,
) -> Result<usize, LiveError> {
    let db = &state.db;
    let shown = messages_showing(db, "request", request_id).await?;
    let workspaces = workspaces(state)
        .await
        .map_err(|e| LiveError::Slack(e.to_string()))?;
    let mut posted = 0;
    for s in shown {
        if except.is_some_and(|(channel, ts)| channel == s.channel && ts == s.ts)
            || !matches!(s.role.as_str(), "requester" | "approver" | "provisioner")
        {
            continue;
        }
        let Some(ws) = workspaces
            .iter()
            .find(|w| w.install.install_key == s.install_key)
        else {
            continue;
        };
        paced_post(state, &ws.token, &s, blocks::thread_line(line, plain)).await?;
        posted += 1;
    }
    Ok(posted)
}

/// How long a paced comment waits between looks at the pacer.
const PACED_WAIT: Duration = Duration::from_millis(100);

/// Longest a comment waits for Slack to take it (rate limits and outages together).
const PACED_GIVE_UP: Duration = Duration::from_secs(15 * 60);

/// Posts one comment line in `shown`'s thread when the pacer allows, waiting out 429s and
/// outages (bounded by [`PACED_GIVE_UP`]); a final refusal is an error.
async fn paced_post(
    state: &AppState,
    token: &str,
    shown: &Shown,
    line: SlackMessageContent,
) -> Result<(), LiveError> {
    let pacing = &state.slack.pacing;
    let started = std::time::Instant::now();
    let mut outage_wait = Duration::from_secs(2);
    loop {
        if started.elapsed() > PACED_GIVE_UP {
            return Err(LiveError::Slack("gave_up".into()));
        }
        if !pacing.slot(Method::PostMessage, Some(&shown.channel)) {
            tokio::time::sleep(PACED_WAIT).await;
            continue;
        }
        let Err(error) = post_in_thread(state, token, shown, line.clone(), "comment").await else {
            return Ok(());
        };
        match classify(&error) {
            Verdict::RateLimited(secs) => pacing.pause(Method::PostMessage, secs),
            Verdict::Retry(_) => {
                tokio::time::sleep(outage_wait).await;
                outage_wait = (outage_wait * 2).min(Duration::from_secs(60));
            }
            // It may be in the thread already: not posted again.
            Verdict::Uncertain(code) | Verdict::Permanent(code) => {
                return Err(LiveError::Slack(code));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn people() -> People {
        People {
            names: [("1", "Anna Smith"), ("2", "Bob <Builder>"), ("3", "Carol")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            slack: [("1".to_owned(), "U01".to_owned())].into_iter().collect(),
        }
    }

    #[test]
    fn people_are_mentioned_when_linked_and_named_escaped_otherwise() {
        let p = people();
        assert_eq!(p.mention(&UserId::new("1")), "<@U01>");
        assert_eq!(p.mention(&UserId::new("2")), "Bob &lt;Builder&gt;");
        let three = [UserId::new("1"), UserId::new("2"), UserId::new("3")];
        assert_eq!(p.first_and_more(&three, true), "<@U01> + 2");
        assert_eq!(p.first_and_more(&three[1..2], false), "Bob <Builder>");
    }

    #[test]
    fn creation_comments_and_the_closing_denial_are_not_told_in_threads() {
        for e in [RequestEvent::Created, RequestEvent::Denied { step: 0 }] {
            assert_eq!(audience(&e), Audience::default());
        }
        let granted = audience(&RequestEvent::Granted);
        assert!(granted.requester && !granted.approver && !granted.provisioner);
        let failed = audience(&RequestEvent::Failed {
            reason: "API 500".into(),
        });
        assert!(failed.requester && failed.provisioner && !failed.approver);
        assert!(
            audience(&RequestEvent::Cancelled {
                by: UserId::new("1"),
                reason: None
            })
            .includes("provisioner")
        );
    }

    #[test]
    fn thread_lines_name_who_did_what_with_the_reason() {
        let p = people();
        let cancelled = RequestEvent::Cancelled {
            by: UserId::new("1"),
            reason: Some("fixed <it>".into()),
        };
        assert_eq!(
            event_line(&cancelled, &p, true),
            "🚫 Cancelled by <@U01>: fixed &lt;it&gt;"
        );
        assert_eq!(
            event_line(&cancelled, &p, false),
            "🚫 Cancelled by Anna Smith: fixed <it>"
        );
    }

    #[test]
    fn dates_read_as_weekday_and_time_with_a_slack_date_for_the_readers_zone() {
        // 2023-11-14 22:13:20 UTC, a Tuesday.
        let at = Timestamp::from_unix_millis(1_700_000_000_000);
        assert_eq!(slack_date(at, false), "Tue 14 Nov 22:13 UTC");
        assert_eq!(
            slack_date(at, true),
            "<!date^1700000000^{date_short_pretty} {time}|Tue 14 Nov 22:13 UTC>"
        );
    }
}
