//! Delivering the outbox to Slack DMs (issue 10 §6): the `slack-delivery` job's round.
//!
//! The job runs under a lease (one process at a time across a deployment, `background`), every
//! [`EVERY`]. A round takes the due rows, oldest first and at most one per person (a person's
//! notifications go out in order, and one channel is one person's DM), and for each: finds the
//! person's Slack user (`identity::slack_user_for`; none → `not_linked`, recorded, not retried),
//! opens the DM once (`slack_dm_channels`), then updates the message that already shows the same
//! object to them (`slack_messages`: the requester's request message follows the request) or
//! posts a new one, and marks the row delivered.
//!
//! Pacing is by construction ([`pacer`]): a call that is not allowed yet is not made; its row
//! waits for a later round. A 429 pauses the method for `Retry-After`; an outage retries with
//! backoff ([`classify`]); a refusal is recorded on the row (`failed`, its reason shown to
//! admins in Settings > Notifications, where they can retry it), never retried forever.
//!
//! No duplicates a person would notice, whatever crashes: before a post the row is marked
//! `sending` (committed), and the post carries metadata naming the row
//! (`latch_notification`, `outbox_id`). A row found `sending` once its claim lapsed (the process
//! died, or the post got no clear answer: timeout, 5xx) is looked for in its DM with
//! `conversations.history` (`include_all_metadata`): found, it is marked delivered with that
//! message; not found, it is sent. Updates are idempotent and simply redone.

pub mod admin;
pub mod classify;
pub mod pacer;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use sqlx::Row;

use crate::domain::NotificationKind;
use crate::ssr::AppState;
use crate::ssr::access::{AccessError, outbox};
use crate::ssr::lease;
use crate::ssr::slack::api::slack_morphism::SlackTs;
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackApiChatPostMessageRequest, SlackApiChatUpdateRequest, SlackApiConversationsOpenRequest,
    SlackChannelId, SlackMessageContent, SlackMessageMetadata, SlackUserId,
};
use crate::ssr::slack::identity::{self, IdentityError, RECHECK_AFTER};
use crate::ssr::slack::live;
use crate::ssr::slack::store::{self, Installation};
use classify::{MAX_ATTEMPTS, Verdict, backoff_ms, classify};
use pacer::{Method, Pacer};

/// The job's lease name.
pub const JOB: &str = "slack-delivery";

/// How often the job runs: a notification reaches Slack within about a quarter of a second.
pub const EVERY: Duration = Duration::from_millis(250);

/// The metadata `event_type` every delivered post carries (with `outbox_id` in its payload).
pub const EVENT_TYPE: &str = "latch_notification";

/// What a round may do; [`DeliveryOptions::default`] is what the job uses.
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// Rows taken per round.
    pub batch: i64,
    /// A notification that could not even be tried for this long (Slack not connected, or a
    /// long outage) is dropped as `stale` instead of arriving days late.
    pub stale_after: Duration,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions {
            batch: 200,
            stale_after: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RoundReport {
    /// New messages posted.
    pub posted: usize,
    /// Messages updated in place.
    pub updated: usize,
    /// Rows left `sending` found already posted (no second post).
    pub recovered: usize,
    /// Rows left for a later round by the pacer (or a 429 pause).
    pub deferred: usize,
    /// Rows that failed for now and will be retried after a backoff.
    pub retried: usize,
    /// Rows that failed permanently.
    pub failed: usize,
    /// Rows dropped (suppressed after they were queued, or stale).
    pub dropped: usize,
}

impl RoundReport {
    /// Rows this round finished, one way or the other.
    pub fn settled(&self) -> usize {
        self.posted + self.updated + self.recovered + self.failed
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Live(#[from] live::LiveError),
}

/// The delivering side of one process: its pacing state lives across rounds.
#[derive(Debug)]
pub struct Deliverer {
    pacer: Mutex<Pacer>,
    started: Instant,
    options: DeliveryOptions,
}

impl Default for Deliverer {
    fn default() -> Self {
        Deliverer::new(DeliveryOptions::default())
    }
}

/// A due outbox row.
#[derive(Debug, Clone)]
struct DueRow {
    id: i64,
    kind: String,
    recipient_id: i64,
    request_id: Option<String>,
    grant_id: Option<String>,
    task_id: Option<String>,
    sending: bool,
    attempts: i64,
    sending_at: Option<i64>,
    install_key: Option<String>,
    slack_channel: Option<String>,
}

/// Which object a message shows, to whom in which role, and whether a message already showing
/// it is updated rather than a new one posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub object_kind: &'static str,
    pub role: &'static str,
    pub update_if_shown: bool,
}

/// Where each kind goes (pure): the requester's kinds follow one message per request; an
/// expiry follows the expiring notice; approvers and provisioners get a message per occasion
/// (remembered, so the next issue can edit their copies).
pub fn placement(kind: NotificationKind) -> Placement {
    let (object_kind, role, update_if_shown) = match kind {
        NotificationKind::RequestCreated
        | NotificationKind::RequestDecided
        | NotificationKind::RequestClosed
        | NotificationKind::AccessGranted => ("request", "requester", true),
        NotificationKind::ApprovalNeeded => ("request", "approver", false),
        NotificationKind::ProvisioningAssigned | NotificationKind::DeprovisioningAssigned => {
            ("task", "provisioner", false)
        }
        NotificationKind::AccessExpiring => ("grant", "holder", false),
        NotificationKind::AccessExpired => ("grant", "holder", true),
        // One message per reviewer and occasion for the whole campaign (counting their open
        // reviews), never one per review, and posted anew rather than edited in place: a
        // reminder must notify (`chat.update` makes no sound), and someone with forty reviews
        // wants one ping a week saying "40 open reviews", not forty messages or a silent edit.
        NotificationKind::ReviewInputRequired | NotificationKind::ReviewReassigned => {
            ("campaign", "reviewer", false)
        }
        NotificationKind::CampaignClosed => ("campaign", "closed", false),
    };
    Placement {
        object_kind,
        role,
        update_if_shown,
    }
}

/// A connected installation with its bot token.
pub struct Workspace {
    pub install: Installation,
    pub token: String,
}

/// What happened to one row.
enum Step {
    Posted,
    Updated,
    Recovered,
    Deferred,
    Retried,
    Failed,
}

/// Where a Slack user's DM is.
struct Dm {
    install_key: String,
    token_index: usize,
    channel: String,
}

impl Deliverer {
    pub fn new(options: DeliveryOptions) -> Deliverer {
        Deliverer {
            pacer: Mutex::new(Pacer::new()),
            started: Instant::now(),
            options,
        }
    }

    /// Milliseconds on this process's monotonic clock (the pacer's time).
    fn local_ms(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    fn pacer(&self) -> std::sync::MutexGuard<'_, Pacer> {
        self.pacer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes a pacer slot, or says the call must wait (the `slack-live` job shares it).
    pub fn slot(&self, method: Method, channel: Option<&str>) -> bool {
        let now = self.local_ms();
        self.pacer().try_take(method, channel, now).is_ok()
    }

    /// Pauses `method` for a 429's `Retry-After`.
    pub fn pause(&self, method: Method, secs: u64) {
        let now = self.local_ms();
        self.pacer().pause(method, secs, now);
    }

    /// One round: drops what may no longer be sent, then delivers the due rows (see the module
    /// docs). Does nothing while no Slack workspace is connected. Call it under the job's lease
    /// (the benchmark and tests may call it directly).
    pub async fn run_round(&self, state: &AppState) -> Result<RoundReport, DeliveryError> {
        let mut report = RoundReport::default();
        let workspaces = workspaces(state).await?;
        if workspaces.is_empty() {
            return Ok(report);
        }
        let db = &state.db;
        let now = lease::db_now_ms(db).await?;
        report.dropped = drop_unsendable(state, now, &self.options).await?;
        let rows = due_rows(db, now, self.options.batch).await?;
        self.pacer().forget_idle(self.local_ms());
        for row in rows {
            let step = match self.deliver(state, &workspaces, &row).await {
                Ok(step) => step,
                // One row that can't be handled (unreadable data, a failed write) must not hold
                // up the others: it backs off like a Slack outage. If even that write fails
                // (the database is down, or this process lost the lease), the round ends.
                Err(error) => {
                    tracing::warn!(outbox_id = row.id, %error, "could not deliver a notification");
                    let verdict = Verdict::Retry("internal_error".into());
                    self.after_failure(db, &row, Method::PostMessage, verdict)
                        .await?
                }
            };
            match step {
                Step::Posted => report.posted += 1,
                Step::Updated => report.updated += 1,
                Step::Recovered => report.recovered += 1,
                Step::Deferred => report.deferred += 1,
                Step::Retried => report.retried += 1,
                Step::Failed => report.failed += 1,
            }
        }
        Ok(report)
    }

    /// Runs rounds every [`EVERY`] until nothing is pending or being sent, or `limit` has
    /// passed; what they did, summed. For benchmarks and tools that drive delivery without the
    /// job (run it where no `latch serve` delivers from the same database, or hold the job's
    /// lease: rounds outside the lease are not fenced).
    pub async fn drain(
        &self,
        state: &AppState,
        limit: Duration,
    ) -> Result<RoundReport, DeliveryError> {
        let start = Instant::now();
        let mut total = RoundReport::default();
        loop {
            let round = self.run_round(state).await?;
            total.posted += round.posted;
            total.updated += round.updated;
            total.recovered += round.recovered;
            total.deferred += round.deferred;
            total.retried += round.retried;
            total.failed += round.failed;
            total.dropped += round.dropped;
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE delivery_state IN ('pending', 'sending')",
            )
            .fetch_one(&state.db.pool)
            .await?;
            if open == 0 || start.elapsed() >= limit {
                return Ok(total);
            }
            tokio::time::sleep(EVERY).await;
        }
    }

    async fn deliver(
        &self,
        state: &AppState,
        workspaces: &[Workspace],
        row: &DueRow,
    ) -> Result<Step, DeliveryError> {
        let db = &state.db;
        let Ok(kind) = row.kind.parse::<NotificationKind>() else {
            return fail(db, row, "unknown_kind").await;
        };
        let place = placement(kind);
        let dm = match self.direct_message(state, workspaces, row).await? {
            Ok(dm) => dm,
            Err(step) => return Ok(step),
        };
        let Some((content, object_id)) = build(state, row, kind, &dm.install_key).await? else {
            return fail(db, row, "object_missing").await;
        };
        let token = &workspaces[dm.token_index].token;
        let rendered = Rendered {
            hash: live::content_hash(&content),
            thread_from: thread_start(state, &place, &object_id).await?,
        };

        if row.sending {
            match self.find_posted(state, token, row, &dm.channel).await {
                Ok(Some(ts)) => {
                    mark_delivered(db, row, &dm, &ts, &place, &object_id, &rendered).await?;
                    return Ok(Step::Recovered);
                }
                Ok(None) => {}
                Err(step) => return step,
            }
        }

        if place.update_if_shown
            && let Some((channel, ts, hash)) =
                shown(db, row.recipient_id, &place, &object_id, &dm.install_key).await?
        {
            if hash.as_deref() == Some(rendered.hash.as_str()) {
                // The `slack-live` job already shows this: nothing to edit.
                let at_dm = Dm { channel, ..dm };
                mark_delivered(db, row, &at_dm, &ts, &place, &object_id, &rendered).await?;
                return Ok(Step::Updated);
            }
            if !self.slot(Method::Update, None) {
                return Ok(Step::Deferred);
            }
            let request = SlackApiChatUpdateRequest::new(
                SlackChannelId(channel.clone()),
                content.clone(),
                SlackTs(ts.clone()),
            );
            match state.slack.api.chat_update(token, &request).await {
                Ok(_) => {
                    let at_dm = Dm { channel, ..dm };
                    mark_delivered(db, row, &at_dm, &ts, &place, &object_id, &rendered).await?;
                    return Ok(Step::Updated);
                }
                Err(error) => match classify(&error) {
                    Verdict::Permanent(_) => {
                        // The old message is gone or can't be edited: post a new one.
                        forget_shown(db, &dm.install_key, &channel, &ts).await?;
                    }
                    verdict => return self.after_failure(db, row, Method::Update, verdict).await,
                },
            }
        }

        if !self.slot(Method::PostMessage, Some(&dm.channel)) {
            return Ok(Step::Deferred);
        }
        if !mark_sending(db, row, &dm, state.slack.config.timeout).await? {
            // Another process claimed it meanwhile.
            return Ok(Step::Deferred);
        }
        let mut payload = std::collections::HashMap::new();
        payload.insert("outbox_id".to_owned(), row.id.to_string());
        let request = SlackApiChatPostMessageRequest::new(
            SlackChannelId(dm.channel.clone()),
            content.with_metadata(SlackMessageMetadata {
                event_type: EVENT_TYPE.to_owned(),
                event_payload: Some(payload),
            }),
        );
        match state.slack.api.chat_post_message(token, &request).await {
            Ok(answer) => {
                mark_delivered(db, row, &dm, &answer.ts.0, &place, &object_id, &rendered).await?;
                Ok(Step::Posted)
            }
            Err(error) => {
                let verdict = classify(&error);
                // A 429 or an `ok:false` means nothing was posted: the row is pending again.
                // Anything else may have posted it: the row stays `sending`, for recovery.
                let after = DueRow {
                    sending: matches!(verdict, Verdict::Uncertain(_)),
                    ..row.clone()
                };
                self.after_failure(db, &after, Method::PostMessage, verdict)
                    .await
            }
        }
    }

    /// The recipient's DM channel: their Slack user in the first connected workspace that knows
    /// them, the DM opened once and kept. `Err` is the row's step when that is not possible now.
    async fn direct_message(
        &self,
        state: &AppState,
        workspaces: &[Workspace],
        row: &DueRow,
    ) -> Result<Result<Dm, Step>, DeliveryError> {
        let db = &state.db;
        for (index, workspace) in workspaces.iter().enumerate() {
            let install = &workspace.install;
            if row.sending && row.install_key.as_deref() != Some(install.install_key.as_str()) {
                continue;
            }
            if needs_lookup(db, &install.install_key, row.recipient_id).await?
                && !self.slot(Method::UsersLookupByEmail, None)
            {
                return Ok(Err(Step::Deferred));
            }
            let slack_user = match identity::slack_user_for(state, install, row.recipient_id).await
            {
                Ok(Some(user)) => user,
                Ok(None) | Err(IdentityError::NotConnected) => continue,
                Err(IdentityError::Slack(error)) => {
                    let verdict = classify(&error);
                    return self
                        .after_failure(db, row, Method::UsersLookupByEmail, verdict)
                        .await
                        .map(Err);
                }
                Err(other) => return Err(other.into()),
            };
            if row.sending
                && let Some(channel) = &row.slack_channel
            {
                return Ok(Ok(Dm {
                    install_key: install.install_key.clone(),
                    token_index: index,
                    channel: channel.clone(),
                }));
            }
            if let Some(channel) = dm_channel(db, &install.install_key, &slack_user).await? {
                return Ok(Ok(Dm {
                    install_key: install.install_key.clone(),
                    token_index: index,
                    channel,
                }));
            }
            if !self.slot(Method::ConversationsOpen, None) {
                return Ok(Err(Step::Deferred));
            }
            let request = SlackApiConversationsOpenRequest::new()
                .with_users(vec![SlackUserId(slack_user.clone())]);
            return match state
                .slack
                .api
                .conversations_open(&workspace.token, &request)
                .await
            {
                Ok(answer) => {
                    let channel = answer.channel.id.0;
                    remember_dm(db, &install.install_key, &slack_user, &channel).await?;
                    Ok(Ok(Dm {
                        install_key: install.install_key.clone(),
                        token_index: index,
                        channel,
                    }))
                }
                Err(error) => self
                    .after_failure(db, row, Method::ConversationsOpen, classify(&error))
                    .await
                    .map(Err),
            };
        }
        fail(db, row, "not_linked").await.map(Err)
    }

    /// Whether the post of a row left `sending` reached its DM: the message carrying its
    /// `outbox_id`, looked for from a minute before the attempt on. `Err` is the row's step when
    /// Slack can't be asked now.
    async fn find_posted(
        &self,
        state: &AppState,
        token: &str,
        row: &DueRow,
        channel: &str,
    ) -> Result<Option<String>, Result<Step, DeliveryError>> {
        let since_ms = row.sending_at.unwrap_or(0).saturating_sub(60_000).max(0);
        let oldest = format!("{}.{:06}", since_ms / 1_000, (since_ms % 1_000) * 1_000);
        let wanted = row.id.to_string();
        let mut cursor: Option<String> = None;
        for _page in 0..HISTORY_PAGES {
            if !self.slot(Method::ConversationsHistory, None) {
                return Err(Ok(Step::Deferred));
            }
            let page = match state
                .slack
                .api
                .conversations_history(token, channel, Some(&oldest), cursor.as_deref(), 200)
                .await
            {
                Ok(page) => page,
                Err(error) => {
                    let verdict = classify(&error);
                    return Err(self
                        .after_failure(&state.db, row, Method::ConversationsHistory, verdict)
                        .await);
                }
            };
            let found = page.messages.iter().find(|m| {
                m.metadata.as_ref().is_some_and(|meta| {
                    meta.event_type == EVENT_TYPE
                        && meta
                            .event_payload
                            .as_ref()
                            .and_then(|p| p.get("outbox_id"))
                            .is_some_and(|id| {
                                id.as_str() == Some(wanted.as_str()) || id.as_i64() == Some(row.id)
                            })
                })
            });
            if let Some(message) = found {
                return Ok(Some(message.ts.clone()));
            }
            cursor = page
                .response_metadata
                .map(|m| m.next_cursor)
                .filter(|c| page.has_more && !c.is_empty());
            if cursor.is_none() {
                break;
            }
        }
        Ok(None)
    }

    /// Records a failed call on the row (see [`Verdict`]) and says what became of it.
    async fn after_failure(
        &self,
        db: &crate::ssr::Db,
        row: &DueRow,
        method: Method,
        verdict: Verdict,
    ) -> Result<Step, DeliveryError> {
        let now = lease::db_now_ms(db).await?;
        match verdict {
            Verdict::RateLimited(secs) => {
                self.pause(method, secs);
                let wait = i64::try_from(secs.max(1))
                    .unwrap_or(60)
                    .saturating_mul(1_000);
                // Nothing was done: the row waits, its attempts unchanged, and a `sending` row
                // stays one (the post it stands for may still be in its DM).
                let state = if row.sending { "sending" } else { "pending" };
                let mut tx = db.begin().await?;
                sqlx::query(
                    "UPDATE outbox SET delivery_state = $2, next_attempt_at = $3, \
                     claimed_until = $3, last_error = 'ratelimited' WHERE id = $1",
                )
                .bind(row.id)
                .bind(state)
                .bind(now + wait)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Step::Deferred)
            }
            Verdict::Permanent(code) => fail(db, row, &code).await,
            Verdict::Retry(_) | Verdict::Uncertain(_) if row.attempts + 1 >= MAX_ATTEMPTS => {
                fail(db, row, "gave_up").await
            }
            Verdict::Retry(code) | Verdict::Uncertain(code) => {
                let attempts = row.attempts + 1;
                let at = now + recheck_after_ms(&code, attempts);
                let state = if row.sending { "sending" } else { "pending" };
                let mut tx = db.begin().await?;
                sqlx::query(
                    "UPDATE outbox SET delivery_state = $2, attempts = $3, next_attempt_at = $4, \
                     claimed_until = $4, last_error = $5 WHERE id = $1",
                )
                .bind(row.id)
                .bind(state)
                .bind(attempts)
                .bind(at)
                .bind(&code)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Step::Retried)
            }
        }
    }
}

/// How long a call that got no answer at all (timeout, connection lost) may still be carried
/// out by Slack: its row is not looked for in the DM before then, so a post still in flight is
/// not taken for one that never happened.
pub const IN_FLIGHT_GRACE_MS: i64 = 10_000;

/// When a failed row is tried (or looked for) again: the backoff, and for a call that got no
/// answer at all, not before [`IN_FLIGHT_GRACE_MS`].
pub fn recheck_after_ms(code: &str, attempts: i64) -> i64 {
    let backoff = backoff_ms(attempts);
    match code {
        "timeout" | "unreachable" => backoff.max(IN_FLIGHT_GRACE_MS),
        _ => backoff,
    }
}

/// Pages of a DM's history looked through for a post left `sending`.
const HISTORY_PAGES: usize = 5;

/// The connected installations, each with its bot token (one whose token can't be opened is
/// skipped and logged).
pub async fn workspaces(state: &AppState) -> Result<Vec<Workspace>, DeliveryError> {
    let mut out = Vec::new();
    for install in store::list(&state.db).await? {
        match install.bot_token(&state.slack.sealer) {
            Ok(None) => {}
            Ok(Some(token)) => out.push(Workspace { install, token }),
            Err(error) => {
                tracing::warn!(install = %install.install_key, %error, "cannot open the bot token")
            }
        }
    }
    Ok(out)
}

/// Drops pending rows that may no longer be sent: a kind turned off (or the kill switch) after
/// they were queued, and rows never tried for [`DeliveryOptions::stale_after`]. Reads first, so
/// an idle round writes nothing.
async fn drop_unsendable(
    state: &AppState,
    now: i64,
    options: &DeliveryOptions,
) -> Result<usize, DeliveryError> {
    let db = &state.db;
    let settings = outbox::notification_settings(db).await?;
    let stale_ms = i64::try_from(options.stale_after.as_millis()).unwrap_or(i64::MAX);
    let stale_before = now.saturating_sub(stale_ms);
    let off: Vec<&'static str> = NotificationKind::ALL
        .iter()
        .filter(|k| !settings.allows(**k))
        .map(|k| k.as_str())
        .collect();
    let kinds: Vec<String> = (0..off.len()).map(|i| format!("${}", i + 2)).collect();
    let suppressed = if kinds.is_empty() {
        String::new()
    } else {
        format!(" OR kind IN ({})", kinds.join(", "))
    };
    let sql = format!(
        "SELECT id FROM outbox WHERE delivery_state = 'pending' \
         AND ((attempts = 0 AND created_at < $1){suppressed}) LIMIT 1"
    );
    let mut any = sqlx::query_scalar::<_, i64>(&sql).bind(stale_before);
    for kind in &off {
        any = any.bind(*kind);
    }
    if any.fetch_optional(&db.pool).await?.is_none() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let mut dropped = sqlx::query(
        "UPDATE outbox SET delivery_state = 'dropped', failure = 'stale', failed_at = $1 \
         WHERE delivery_state = 'pending' AND attempts = 0 AND created_at < $2",
    )
    .bind(now)
    .bind(stale_before)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    for kind in &off {
        dropped += sqlx::query(
            "UPDATE outbox SET delivery_state = 'dropped', failure = 'suppressed', failed_at = $1 \
             WHERE delivery_state = 'pending' AND kind = $2",
        )
        .bind(now)
        .bind(*kind)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(usize::try_from(dropped).unwrap_or(usize::MAX))
}

/// Due rows, oldest first: pending and due, or `sending` with a lapsed claim; only a person's
/// oldest unfinished row (their notifications go out in order).
async fn due_rows(db: &crate::ssr::Db, now: i64, limit: i64) -> Result<Vec<DueRow>, DeliveryError> {
    let rows = sqlx::query(
        "SELECT o.id, o.kind, o.recipient_id, o.request_id, o.grant_id, o.task_id, \
                o.delivery_state, o.attempts, o.sending_at, o.install_key, o.slack_channel \
         FROM outbox o \
         WHERE o.delivery_state IN ('pending', 'sending') \
           AND ((o.delivery_state = 'pending' AND o.next_attempt_at <= $1) \
             OR (o.delivery_state = 'sending' AND COALESCE(o.claimed_until, 0) < $1)) \
           AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.recipient_id = o.recipient_id \
               AND e.delivery_state IN ('pending', 'sending') AND e.id < o.id) \
         ORDER BY o.id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DueRow {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                recipient_id: r.try_get("recipient_id")?,
                request_id: r.try_get("request_id")?,
                grant_id: r.try_get("grant_id")?,
                task_id: r.try_get("task_id")?,
                sending: r.try_get::<String, _>("delivery_state")? == "sending",
                attempts: r.try_get("attempts")?,
                sending_at: r.try_get("sending_at")?,
                install_key: r.try_get("install_key")?,
                slack_channel: r.try_get("slack_channel")?,
            })
        })
        .collect()
}

/// Whether finding this person's Slack user will ask Slack (`users.lookupByEmail`): no link, or
/// one due for its daily re-check.
async fn needs_lookup(
    db: &crate::ssr::Db,
    install_key: &str,
    user_id: i64,
) -> Result<bool, DeliveryError> {
    let checked: Option<i64> = sqlx::query_scalar(
        "SELECT checked_at FROM slack_user_links WHERE install_key = $1 AND user_id = $2",
    )
    .bind(install_key)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?;
    let recheck_ms = i64::try_from(RECHECK_AFTER.as_millis()).unwrap_or(i64::MAX);
    Ok(checked.is_none_or(|at| crate::ssr::clock::now_ms().saturating_sub(at) >= recheck_ms))
}

async fn dm_channel(
    db: &crate::ssr::Db,
    install_key: &str,
    slack_user: &str,
) -> Result<Option<String>, DeliveryError> {
    Ok(sqlx::query_scalar(
        "SELECT channel_id FROM slack_dm_channels WHERE install_key = $1 AND slack_user_id = $2",
    )
    .bind(install_key)
    .bind(slack_user)
    .fetch_optional(&db.pool)
    .await?)
}

async fn remember_dm(
    db: &crate::ssr::Db,
    install_key: &str,
    slack_user: &str,
    channel: &str,
) -> Result<(), DeliveryError> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO slack_dm_channels (install_key, slack_user_id, channel_id, opened_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (install_key, slack_user_id) \
         DO UPDATE SET channel_id = excluded.channel_id, opened_at = excluded.opened_at",
    )
    .bind(install_key)
    .bind(slack_user)
    .bind(channel)
    .bind(crate::ssr::clock::now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The message (channel, ts, hash of what it shows) already showing `object_id` to this person
/// in this role.
async fn shown(
    db: &crate::ssr::Db,
    user_id: i64,
    place: &Placement,
    object_id: &str,
    install_key: &str,
) -> Result<Option<(String, String, Option<String>)>, DeliveryError> {
    let row = sqlx::query(
        "SELECT channel_id, ts, rendered_hash FROM slack_messages WHERE user_id = $1 AND object_kind = $2 \
         AND object_id = $3 AND role = $4 AND install_key = $5",
    )
    .bind(user_id)
    .bind(place.object_kind)
    .bind(object_id)
    .bind(place.role)
    .bind(install_key)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) => Some((
            r.try_get("channel_id")?,
            r.try_get("ts")?,
            r.try_get("rendered_hash")?,
        )),
        None => None,
    })
}

async fn forget_shown(
    db: &crate::ssr::Db,
    install_key: &str,
    channel: &str,
    ts: &str,
) -> Result<(), DeliveryError> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "DELETE FROM slack_messages WHERE install_key = $1 AND channel_id = $2 AND ts = $3",
    )
    .bind(install_key)
    .bind(channel)
    .bind(ts)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks the row `sending` before its post (committed first: a crash after the post leaves a
/// row recovery looks for in the DM). The claim lasts past the call's timeout, so nobody
/// recovers a post still in flight. False when the row is no longer ours to send.
async fn mark_sending(
    db: &crate::ssr::Db,
    row: &DueRow,
    dm: &Dm,
    timeout: Duration,
) -> Result<bool, DeliveryError> {
    let now = lease::db_now_ms(db).await?;
    let claim_ms = i64::try_from(timeout.as_millis())
        .unwrap_or(60_000)
        .saturating_mul(2)
        .saturating_add(5_000);
    let from = if row.sending { "sending" } else { "pending" };
    let mut tx = db.begin().await?;
    let claimed = sqlx::query(
        "UPDATE outbox SET delivery_state = 'sending', attempts = attempts + 1, sending_at = $2, \
         claimed_until = $3, install_key = $4, slack_channel = $5 \
         WHERE id = $1 AND delivery_state = $6 AND COALESCE(claimed_until, 0) <= $2",
    )
    .bind(row.id)
    .bind(now)
    .bind(now + claim_ms)
    .bind(&dm.install_key)
    .bind(&dm.channel)
    .bind(from)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(claimed == 1)
}

/// Marks the row delivered as message (`dm.channel`, `ts`) and remembers that message as the
/// one showing `object_id` to the recipient.
async fn mark_delivered(
    db: &crate::ssr::Db,
    row: &DueRow,
    dm: &Dm,
    ts: &str,
    place: &Placement,
    object_id: &str,
    rendered: &Rendered,
) -> Result<(), DeliveryError> {
    let now = crate::ssr::clock::now_ms();
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE outbox SET delivery_state = 'delivered', delivered_at = $2, install_key = $3, \
         slack_channel = $4, slack_ts = $5, claimed_until = NULL, last_error = NULL WHERE id = $1",
    )
    .bind(row.id)
    .bind(now)
    .bind(&dm.install_key)
    .bind(&dm.channel)
    .bind(ts)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO slack_messages (install_key, channel_id, ts, user_id, object_kind, object_id, \
             role, first_outbox_id, last_outbox_id, created_at, updated_at, rendered_hash, \
             thread_event_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $9, $10, $11) \
         ON CONFLICT (user_id, object_kind, object_id, role) DO UPDATE SET \
             install_key = excluded.install_key, channel_id = excluded.channel_id, \
             ts = excluded.ts, last_outbox_id = excluded.last_outbox_id, \
             updated_at = excluded.updated_at, rendered_hash = excluded.rendered_hash",
    )
    .bind(&dm.install_key)
    .bind(&dm.channel)
    .bind(ts)
    .bind(row.recipient_id)
    .bind(place.object_kind)
    .bind(object_id)
    .bind(place.role)
    .bind(row.id)
    .bind(now)
    .bind(&rendered.hash)
    .bind(rendered.thread_from)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a delivered message shows: its content's hash (the `slack-live` job edits it only when
/// that changes) and where its thread starts (the last history event it already shows).
struct Rendered {
    hash: String,
    thread_from: Option<i64>,
}

/// The last history event of the request a new message about `object_id` shows (its thread tells
/// what happens after it); `None` for grants, whose messages have no thread.
async fn thread_start(
    state: &AppState,
    place: &Placement,
    object_id: &str,
) -> Result<Option<i64>, DeliveryError> {
    let request_id: Option<String> = match place.object_kind {
        "request" => Some(object_id.to_owned()),
        "task" => sqlx::query_scalar(
            "SELECT COALESCE(t.request_id, g.source_request_id) FROM provisioning_tasks t \
             LEFT JOIN grants g ON g.id = t.grant_id WHERE t.id = $1",
        )
        .bind(object_id)
        .fetch_optional(&state.db.pool)
        .await?
        .flatten(),
        _ => None,
    };
    Ok(match request_id {
        Some(id) => Some(
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT MAX(id) FROM request_events WHERE request_id = $1",
            )
            .bind(id)
            .fetch_one(&state.db.pool)
            .await?
            .unwrap_or(0),
        ),
        None => None,
    })
}

/// Records a permanent failure on the row (not retried; shown to admins).
async fn fail(db: &crate::ssr::Db, row: &DueRow, reason: &str) -> Result<Step, DeliveryError> {
    let now = crate::ssr::clock::now_ms();
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE outbox SET delivery_state = 'failed', failure = $2, failed_at = $3, \
         claimed_until = NULL, last_error = $2 WHERE id = $1",
    )
    .bind(row.id)
    .bind(reason)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(outbox_id = row.id, kind = %row.kind, reason, "Slack delivery failed");
    Ok(Step::Failed)
}

/// The message for `row` from the current state of what it is about, as its recipient sees it
/// in workspace `install_key` (the `slack-live` job renders the same for later edits), and that
/// object's id; `None` when the object is gone.
async fn build(
    state: &AppState,
    row: &DueRow,
    kind: NotificationKind,
    install_key: &str,
) -> Result<Option<(SlackMessageContent, String)>, DeliveryError> {
    if matches!(
        kind,
        NotificationKind::ReviewInputRequired
            | NotificationKind::ReviewReassigned
            | NotificationKind::CampaignClosed
    ) {
        // Access review campaigns build their own messages (`blocks::reviews`).
        return Ok(crate::ssr::flows::campaign_notifications::message(state, row.id, kind).await?);
    }
    let place = placement(kind);
    let object_id = match kind {
        NotificationKind::RequestCreated
        | NotificationKind::RequestDecided
        | NotificationKind::RequestClosed
        | NotificationKind::AccessGranted
        | NotificationKind::ApprovalNeeded => row.request_id.clone(),
        NotificationKind::ProvisioningAssigned | NotificationKind::DeprovisioningAssigned => {
            row.task_id.clone()
        }
        NotificationKind::AccessExpiring | NotificationKind::AccessExpired => row.grant_id.clone(),
        // Returned above.
        NotificationKind::ReviewInputRequired
        | NotificationKind::ReviewReassigned
        | NotificationKind::CampaignClosed => None,
    };
    let Some(object_id) = object_id else {
        return Ok(None);
    };
    let content = live::render(
        state,
        install_key,
        row.recipient_id,
        place.object_kind,
        &object_id,
        place.role,
    )
    .await?;
    Ok(content.map(|c| (c, object_id)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn the_requesters_kinds_follow_one_message_per_request() {
        for kind in [
            NotificationKind::RequestCreated,
            NotificationKind::RequestDecided,
            NotificationKind::RequestClosed,
            NotificationKind::AccessGranted,
        ] {
            let p = placement(kind);
            assert_eq!(
                (p.object_kind, p.role, p.update_if_shown),
                ("request", "requester", true)
            );
        }
    }

    #[test]
    fn approvers_provisioners_and_expiry_notices_have_their_own_messages() {
        let approver = placement(NotificationKind::ApprovalNeeded);
        assert_eq!(
            (approver.object_kind, approver.role),
            ("request", "approver")
        );
        assert!(!approver.update_if_shown);
        for kind in [
            NotificationKind::ProvisioningAssigned,
            NotificationKind::DeprovisioningAssigned,
        ] {
            assert_eq!(placement(kind).object_kind, "task");
            assert!(!placement(kind).update_if_shown);
        }
        assert!(!placement(NotificationKind::AccessExpiring).update_if_shown);
        let expired = placement(NotificationKind::AccessExpired);
        assert_eq!((expired.object_kind, expired.role), ("grant", "holder"));
        assert!(
            expired.update_if_shown,
            "the expiring notice becomes the expired one"
        );
    }

    #[test]
    fn a_call_without_an_answer_is_not_looked_for_before_slack_could_have_carried_it_out() {
        assert_eq!(recheck_after_ms("http_503", 1), 2_000);
        assert_eq!(recheck_after_ms("internal_error", 2), 4_000);
        assert_eq!(recheck_after_ms("timeout", 1), IN_FLIGHT_GRACE_MS);
        assert_eq!(recheck_after_ms("unreachable", 1), IN_FLIGHT_GRACE_MS);
        assert_eq!(recheck_after_ms("timeout", 10), backoff_ms(10));
    }

    #[test]
    fn notification_settings_drop_kinds_turned_off_and_everything_under_the_kill_switch() {
        let mut settings = outbox::NotificationSettings::default();
        assert!(NotificationKind::ALL.iter().all(|k| settings.allows(*k)));
        settings.off.push("approval_needed".into());
        assert!(!settings.allows(NotificationKind::ApprovalNeeded));
        assert!(settings.allows(NotificationKind::RequestCreated));
        settings.slack = false;
        assert!(NotificationKind::ALL.iter().all(|k| !settings.allows(*k)));
        let stored: outbox::NotificationSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(stored, outbox::NotificationSettings::default());
    }
}
