//! The access review campaigns repository: campaigns (JSON body of `domain::campaign::Campaign`
//! plus the columns lists filter on, saved guarded by `version`), their owners, the review tasks
//! of a snapshot (plain columns, written in multi-row chunks), their reviewers, pending decisions
//! and submissions; and the read of grants that staging streams. No workflow logic: what changes
//! together is `crate::ssr::flows::campaigns`.
//!
//! Lock order, in every campaign transaction: the campaign row, then review task rows, then grants
//! and provisioning tasks (the access core's own order), then the audit head, always last.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    AccessError, AccessResult, Body, Conn, INSERT_CHUNK, Tx, new_id, to_json, user_id, user_row,
    values_placeholders, version_i64,
};
use crate::domain::campaign::{Campaign, CampaignId, CampaignStatus, ReviewTaskId};
use crate::domain::campaign::{
    CancelReason, GrantFacts, PendingDecision, Remediation, ReviewOutcome, ReviewState, ReviewTask,
    ReviewVerdict, Submission,
};
use crate::domain::{AppId, EntitlementId, GrantId, Timestamp, UserId};

// ----- campaigns -----

/// Inserts (`old_version` None) or updates a campaign guarded by its version (`Stale` when
/// someone saved first), and rewrites its owners.
pub async fn save(
    tx: &mut Tx<'_>,
    old_version: Option<u64>,
    c: &Campaign,
    at: Timestamp,
) -> AccessResult<()> {
    let body = to_json(c)?;
    let due = c.fields.due_at.map(Timestamp::as_unix_millis);
    let auto_end = i64::from(c.fields.settings.auto_end.is_some());
    match old_version {
        Some(old) => {
            super::one_row_or_stale(
                sqlx::query(
                    "UPDATE campaigns SET name = $1, status = $2, due_at = $3, auto_end = $4, version = $5, body = $6, updated_at = $7 \
                     WHERE id = $8 AND version = $9",
                )
                .bind(&c.fields.name)
                .bind(c.status().as_str())
                .bind(due)
                .bind(auto_end)
                .bind(version_i64(c.version))
                .bind(&body)
                .bind(at.as_unix_millis())
                .bind(c.id.as_str())
                .bind(version_i64(old))
                .execute(&mut **tx)
                .await?,
            )?;
            sqlx::query("DELETE FROM campaign_owners WHERE campaign_id = $1")
                .bind(c.id.as_str())
                .execute(&mut **tx)
                .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO campaigns (id, name, status, due_at, auto_end, version, body, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(c.id.as_str())
            .bind(&c.fields.name)
            .bind(c.status().as_str())
            .bind(due)
            .bind(auto_end)
            .bind(version_i64(c.version))
            .bind(&body)
            .bind(user_row(&c.created_by)?)
            .bind(at.as_unix_millis())
            .execute(&mut **tx)
            .await?;
        }
    }
    for owner in &c.fields.owners {
        sqlx::query("INSERT INTO campaign_owners (campaign_id, user_id) VALUES ($1, $2)")
            .bind(c.id.as_str())
            .bind(user_row(owner)?)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn load(conn: impl Into<Conn<'_>>, id: &str) -> AccessResult<Campaign> {
    let mut conn = conn.into().get().await?;
    let row: Body = sqlx::query_as("SELECT body FROM campaigns WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AccessError::NotFound("The campaign".into()))?;
    row.parse()
}

/// Takes the campaign's row lock (PostgreSQL) before anything else in a transaction that changes
/// its reviews, so submissions, reassignments and the end of one campaign queue behind each other
/// in the lock order above. `Stale` when the campaign is no longer `status`.
pub async fn lock(tx: &mut Tx<'_>, id: &str, status: CampaignStatus) -> AccessResult<()> {
    super::one_row_or_stale(
        sqlx::query("UPDATE campaigns SET version = version WHERE id = $1 AND status = $2")
            .bind(id)
            .bind(status.as_str())
            .execute(&mut **tx)
            .await?,
    )
}

/// Running campaigns with auto-end set whose due date has come at `at`.
pub async fn due_to_end(conn: impl Into<Conn<'_>>, at: Timestamp) -> AccessResult<Vec<String>> {
    let mut conn = conn.into().get().await?;
    Ok(sqlx::query_scalar(
        "SELECT id FROM campaigns WHERE status = 'running' AND auto_end = 1 AND due_at <= $1 ORDER BY due_at, id",
    )
    .bind(at.as_unix_millis())
    .fetch_all(&mut *conn)
    .await?)
}

// ----- the grants a snapshot reads -----

#[derive(sqlx::FromRow)]
struct GrantFactsRow {
    id: String,
    subject_id: i64,
    app_id: String,
    entitlement_id: String,
    state: String,
    created_at: i64,
    expires_at: Option<i64>,
}

impl From<GrantFactsRow> for GrantFacts {
    fn from(r: GrantFactsRow) -> Self {
        GrantFacts {
            grant: GrantId::new(r.id),
            subject: user_id(r.subject_id),
            app: AppId::new(r.app_id),
            entitlement: EntitlementId::new(r.entitlement_id),
            // A grant's row is written when it is issued, so its creation is its grant time.
            granted_at: Timestamp::from_unix_millis(r.created_at),
            expires_at: r.expires_at.map(Timestamp::from_unix_millis),
            active: r.state == "active",
        }
    }
}

/// A campaign scope as SQL: `app_id IN (…) OR {entitlement_column} IN (…)`, numbering the app
/// parameters from `$first` and the entitlements' after them (bind apps, then entitlements).
/// Staging reads grants and entitlements' review policies with the same condition, so both see
/// the same scope. At least one of `apps` and `entitlements` must be non-zero.
pub(crate) fn scope_condition(
    first: usize,
    apps: usize,
    entitlements: usize,
    entitlement_column: &str,
) -> String {
    let in_list = |from: usize, n: usize| {
        (from..from + n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut filters = Vec::new();
    if apps > 0 {
        filters.push(format!("app_id IN ({})", in_list(first, apps)));
    }
    if entitlements > 0 {
        filters.push(format!(
            "{entitlement_column} IN ({})",
            in_list(first + apps, entitlements)
        ));
    }
    filters.join(" OR ")
}

/// Up to `limit` active grants of `apps` or `entitlements` with ids after `after`, in id order:
/// one page of a snapshot. Keyset pages keep memory bounded however many grants are in scope,
/// and inside one transaction they are one consistent snapshot.
pub async fn active_grants_page(
    conn: impl Into<Conn<'_>>,
    apps: &BTreeSet<AppId>,
    entitlements: &BTreeSet<EntitlementId>,
    after: &str,
    limit: i64,
) -> AccessResult<Vec<GrantFacts>> {
    if apps.is_empty() && entitlements.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = conn.into().get().await?;
    let scope = scope_condition(3, apps.len(), entitlements.len(), "entitlement_id");
    // `state || ''` keeps SQLite off the (state, expires_at) index: through it, every page would
    // read and sort all active grants again (quadratic over a snapshot); on the primary key a page
    // reads only its own rows. PostgreSQL plans the same way.
    let sql = format!(
        "SELECT id, subject_id, app_id, entitlement_id, state, created_at, expires_at FROM grants \
         WHERE state || '' = 'active' AND id > $1 AND ({scope}) ORDER BY id LIMIT $2"
    );
    let mut q = sqlx::query_as::<_, GrantFactsRow>(&sql)
        .bind(after)
        .bind(limit);
    for app in apps {
        q = q.bind(app.as_str());
    }
    for ent in entitlements {
        q = q.bind(ent.as_str());
    }
    Ok(q.fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(GrantFacts::from)
        .collect())
}

// ----- review tasks -----

const TASK_COLUMNS: &str = "id, campaign_id, grant_id, subject_id, app_id, entitlement_id, granted_at, expires_at, state, decided_by, decided_at, reason, cancel_reason, remediation, version";

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: String,
    campaign_id: String,
    grant_id: String,
    subject_id: i64,
    app_id: String,
    entitlement_id: String,
    granted_at: i64,
    expires_at: Option<i64>,
    state: String,
    decided_by: Option<i64>,
    decided_at: Option<i64>,
    reason: Option<String>,
    cancel_reason: Option<String>,
    remediation: Option<String>,
    version: i64,
}

/// The columns a review's state is stored in.
struct StateColumns {
    outcome: ReviewOutcome,
    decided_by: Option<i64>,
    decided_at: Option<i64>,
    reason: Option<String>,
    cancel_reason: Option<&'static str>,
    remediation: Option<&'static str>,
}

fn state_columns(state: &ReviewState) -> AccessResult<StateColumns> {
    let mut c = StateColumns {
        outcome: ReviewOutcome::Open,
        decided_by: None,
        decided_at: None,
        reason: None,
        cancel_reason: None,
        remediation: None,
    };
    match state {
        ReviewState::Open => {}
        ReviewState::Certified { by, at, reason } => {
            c.outcome = ReviewOutcome::Certified;
            c.decided_by = Some(user_row(by)?);
            c.decided_at = Some(at.as_unix_millis());
            c.reason = reason.clone();
        }
        ReviewState::Denied {
            by,
            at,
            reason,
            remediation,
        } => {
            c.outcome = ReviewOutcome::Denied;
            c.decided_by = Some(user_row(by)?);
            c.decided_at = Some(at.as_unix_millis());
            c.reason = reason.clone();
            c.remediation = Some(remediation.as_str());
        }
        ReviewState::Cancelled { at, why } => {
            c.outcome = ReviewOutcome::Cancelled;
            c.decided_at = Some(at.as_unix_millis());
            c.cancel_reason = Some(why.as_str());
        }
        ReviewState::Skipped { at } => {
            c.outcome = ReviewOutcome::Skipped;
            c.decided_at = Some(at.as_unix_millis());
        }
        ReviewState::Revoked { at, remediation } => {
            c.outcome = ReviewOutcome::Revoked;
            c.decided_at = Some(at.as_unix_millis());
            c.remediation = Some(remediation.as_str());
        }
    }
    Ok(c)
}

impl TaskRow {
    fn into_task(self, reviewers: Vec<UserId>) -> AccessResult<ReviewTask> {
        let missing =
            |what: &str| AccessError::Data(format!("review task {} has no {what}", self.id));
        let at = || {
            self.decided_at
                .map(Timestamp::from_unix_millis)
                .ok_or_else(|| missing("decision time"))
        };
        let by = || {
            self.decided_by
                .map(user_id)
                .ok_or_else(|| missing("decider"))
        };
        let remediation = || -> AccessResult<Remediation> {
            Ok(Remediation::parse(
                self.remediation
                    .as_deref()
                    .ok_or_else(|| missing("remediation"))?,
            )?)
        };
        let state = match ReviewOutcome::parse(&self.state)? {
            ReviewOutcome::Open => ReviewState::Open,
            ReviewOutcome::Certified => ReviewState::Certified {
                by: by()?,
                at: at()?,
                reason: self.reason.clone(),
            },
            ReviewOutcome::Denied => ReviewState::Denied {
                by: by()?,
                at: at()?,
                reason: self.reason.clone(),
                remediation: remediation()?,
            },
            ReviewOutcome::Cancelled => ReviewState::Cancelled {
                at: at()?,
                why: CancelReason::parse(
                    self.cancel_reason
                        .as_deref()
                        .ok_or_else(|| missing("cancel reason"))?,
                )?,
            },
            ReviewOutcome::Skipped => ReviewState::Skipped { at: at()? },
            ReviewOutcome::Revoked => ReviewState::Revoked {
                at: at()?,
                remediation: remediation()?,
            },
        };
        Ok(ReviewTask {
            id: ReviewTaskId::new(self.id),
            campaign: CampaignId::new(self.campaign_id),
            grant: GrantFacts {
                grant: GrantId::new(self.grant_id),
                subject: user_id(self.subject_id),
                app: AppId::new(self.app_id),
                entitlement: EntitlementId::new(self.entitlement_id),
                granted_at: Timestamp::from_unix_millis(self.granted_at),
                expires_at: self.expires_at.map(Timestamp::from_unix_millis),
                // Only active grants are snapshotted.
                active: true,
            },
            reviewers,
            state,
            version: u64::try_from(self.version)
                .map_err(|_| AccessError::Data("negative version".into()))?,
        })
    }
}

/// The VALUES list of a multi-row INSERT of `rows` rows of `cols` columns on `conn`'s engine.
/// SQLite gets anonymous `?` parameters, bound in order: sqlx binds each named one (`$n`) after
/// looking its name up in a list SQLite scans from the start, so binding a statement of `$n`s
/// costs the square of their number (a fifth of staging 100,000 grants, docs/benchmarks.md).
fn values_for(conn: &sqlx::AnyConnection, rows: usize, cols: usize) -> String {
    if conn.backend_name() != "SQLite" {
        return values_placeholders(rows, cols);
    }
    let row = format!("({})", vec!["?"; cols].join(", "));
    vec![row; rows].join(", ")
}

/// Rows per multi-row INSERT of review tasks: with positional parameters SQLite's cost per row
/// no longer grows with the statement, so its statements carry more rows.
fn task_chunk(conn: &sqlx::AnyConnection) -> usize {
    if conn.backend_name() == "SQLite" {
        TASK_CHUNK_SQLITE
    } else {
        INSERT_CHUNK
    }
}

/// Review tasks per INSERT on SQLite (17 parameters each; SQLite allows 32,766 per statement).
const TASK_CHUNK_SQLITE: usize = 500;

/// Inserts the review tasks of a snapshot and their reviewers in multi-row chunks.
pub async fn insert_tasks(
    tx: &mut Tx<'_>,
    tasks: &[ReviewTask],
    at: Timestamp,
) -> AccessResult<()> {
    let chunk_rows = task_chunk(tx);
    for chunk in tasks.chunks(chunk_rows) {
        let sql = format!(
            "INSERT INTO review_tasks ({TASK_COLUMNS}, created_at, updated_at) VALUES {}",
            values_for(tx, chunk.len(), 17)
        );
        let mut q = sqlx::query(&sql);
        for t in chunk {
            let s = state_columns(&t.state)?;
            q = q
                .bind(t.id.as_str())
                .bind(t.campaign.as_str())
                .bind(t.grant.grant.as_str())
                .bind(user_row(&t.grant.subject)?)
                .bind(t.grant.app.as_str())
                .bind(t.grant.entitlement.as_str())
                .bind(t.grant.granted_at.as_unix_millis())
                .bind(t.grant.expires_at.map(Timestamp::as_unix_millis))
                .bind(s.outcome.as_str())
                .bind(s.decided_by)
                .bind(s.decided_at)
                .bind(s.reason)
                .bind(s.cancel_reason)
                .bind(s.remediation)
                .bind(version_i64(t.version))
                .bind(at.as_unix_millis())
                .bind(at.as_unix_millis());
        }
        q.execute(&mut **tx).await?;
    }
    insert_reviewers(tx, tasks).await
}

async fn insert_reviewers(tx: &mut Tx<'_>, tasks: &[ReviewTask]) -> AccessResult<()> {
    let mut pairs = Vec::new();
    for t in tasks {
        for r in &t.reviewers {
            pairs.push((t.id.as_str(), user_row(r)?));
        }
    }
    for chunk in pairs.chunks(task_chunk(tx)) {
        let sql = format!(
            "INSERT INTO review_task_reviewers (task_id, user_id) VALUES {}",
            values_for(tx, chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (task, user) in chunk {
            q = q.bind(*task).bind(*user);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Saves a review task's new state guarded by its version (`Stale` when it moved on); its
/// reviewers are rewritten when they changed.
pub async fn save_task(
    tx: &mut Tx<'_>,
    before: &ReviewTask,
    after: &ReviewTask,
    at: Timestamp,
) -> AccessResult<()> {
    let s = state_columns(&after.state)?;
    super::one_row_or_stale(
        sqlx::query(
            "UPDATE review_tasks SET state = $1, decided_by = $2, decided_at = $3, reason = $4, cancel_reason = $5, remediation = $6, version = $7, updated_at = $8 \
             WHERE id = $9 AND version = $10",
        )
        .bind(s.outcome.as_str())
        .bind(s.decided_by)
        .bind(s.decided_at)
        .bind(s.reason)
        .bind(s.cancel_reason)
        .bind(s.remediation)
        .bind(version_i64(after.version))
        .bind(at.as_unix_millis())
        .bind(after.id.as_str())
        .bind(version_i64(before.version))
        .execute(&mut **tx)
        .await?,
    )?;
    if before.reviewers != after.reviewers {
        sqlx::query("DELETE FROM review_task_reviewers WHERE task_id = $1")
            .bind(after.id.as_str())
            .execute(&mut **tx)
            .await?;
        insert_reviewers(tx, std::slice::from_ref(after)).await?;
    }
    Ok(())
}

/// Reads `rows` with their reviewers (one query for the reviewers of the whole page).
async fn with_reviewers(
    conn: &mut sqlx::AnyConnection,
    rows: Vec<TaskRow>,
) -> AccessResult<Vec<ReviewTask>> {
    let mut reviewers: BTreeMap<String, Vec<UserId>> = BTreeMap::new();
    for chunk in rows.chunks(500) {
        let sql = format!(
            "SELECT task_id, user_id FROM review_task_reviewers WHERE task_id IN ({}) ORDER BY task_id, user_id",
            (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
        for r in chunk {
            q = q.bind(r.id.as_str());
        }
        for (task, user) in q.fetch_all(&mut *conn).await? {
            reviewers.entry(task).or_default().push(user_id(user));
        }
    }
    rows.into_iter()
        .map(|r| {
            let of = reviewers.remove(&r.id).unwrap_or_default();
            r.into_task(of)
        })
        .collect()
}

pub async fn load_task(conn: impl Into<Conn<'_>>, id: &str) -> AccessResult<ReviewTask> {
    let mut conn = conn.into().get().await?;
    let sql = format!("SELECT {TASK_COLUMNS} FROM review_tasks WHERE id = $1");
    let row: TaskRow = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AccessError::NotFound("The review".into()))?;
    with_reviewers(&mut conn, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AccessError::NotFound("The review".into()))
}

/// Review tasks of `campaign` in `state` with ids after `after` (at most `limit`), in id order:
/// one page, so ending a campaign of any size holds a page at a time.
pub async fn tasks_page(
    conn: impl Into<Conn<'_>>,
    campaign: &str,
    state: ReviewOutcome,
    after: &str,
    limit: i64,
) -> AccessResult<Vec<ReviewTask>> {
    let mut conn = conn.into().get().await?;
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM review_tasks WHERE campaign_id = $1 AND state = $2 AND id > $3 ORDER BY id LIMIT $4"
    );
    let rows: Vec<TaskRow> = sqlx::query_as(&sql)
        .bind(campaign)
        .bind(state.as_str())
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    with_reviewers(&mut conn, rows).await
}

/// Review tasks of `campaign` whose removal waits to be started (denied or revoked), a page at a
/// time like [`tasks_page`].
pub async fn waiting_remediation_page(
    conn: impl Into<Conn<'_>>,
    campaign: &str,
    after: &str,
    limit: i64,
) -> AccessResult<Vec<ReviewTask>> {
    let mut conn = conn.into().get().await?;
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM review_tasks WHERE campaign_id = $1 AND remediation = $2 AND id > $3 ORDER BY id LIMIT $4"
    );
    let rows: Vec<TaskRow> = sqlx::query_as(&sql)
        .bind(campaign)
        .bind(Remediation::Waiting.as_str())
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    with_reviewers(&mut conn, rows).await
}

/// The open review tasks of `subject` in staged or running campaigns.
pub async fn open_tasks_of_subject(
    conn: impl Into<Conn<'_>>,
    subject: &UserId,
) -> AccessResult<Vec<ReviewTask>> {
    let mut conn = conn.into().get().await?;
    let sql = format!(
        "SELECT {} FROM review_tasks t JOIN campaigns c ON c.id = t.campaign_id \
         WHERE t.subject_id = $1 AND t.state = 'open' AND c.status IN ('staged', 'running') ORDER BY t.id",
        task_columns_of_t()
    );
    let rows: Vec<TaskRow> = sqlx::query_as(&sql)
        .bind(user_row(subject)?)
        .fetch_all(&mut *conn)
        .await?;
    with_reviewers(&mut conn, rows).await
}

/// How a listing of review tasks is ordered: by app or by holder, then by the other names and
/// the task id, so the order is total and the same from one page to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskOrder {
    /// App name, holder name, entitlement name, task id.
    ByApp,
    /// Holder name, app name, entitlement name, task id.
    ByHolder,
}

impl TaskOrder {
    /// The ORDER BY terms over `t` (review_tasks) joined with `a` (apps), `u` (users) and `e`
    /// (entitlements). Names are lower-cased so both engines sort alike; something removed since
    /// the snapshot sorts by its id.
    fn terms(self) -> &'static str {
        match self {
            TaskOrder::ByApp => {
                "LOWER(COALESCE(a.name, t.app_id)), LOWER(COALESCE(u.display_name, '')), t.subject_id, \
                 LOWER(COALESCE(e.display_name, t.entitlement_id)), t.id"
            }
            TaskOrder::ByHolder => {
                "LOWER(COALESCE(u.display_name, '')), t.subject_id, LOWER(COALESCE(a.name, t.app_id)), \
                 LOWER(COALESCE(e.display_name, t.entitlement_id)), t.id"
            }
        }
    }
}

/// The task columns prefixed with `t.`.
fn task_columns_of_t() -> String {
    TASK_COLUMNS
        .split(", ")
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The joins [`TaskOrder::terms`] sorts on.
const NAME_JOINS: &str = "LEFT JOIN apps a ON a.id = t.app_id LEFT JOIN users u ON u.id = t.subject_id \
     LEFT JOIN entitlements e ON e.id = t.entitlement_id";

/// One page of the reviews `reviewer` is asked for in running campaigns (open ones, and those
/// decided, possibly by someone else first): campaigns oldest first, then `order`; `offset` rows
/// skipped, at most `limit` returned. The order is total, so pages neither repeat nor skip a
/// review while the list stays the same.
pub async fn reviewer_tasks_page(
    conn: impl Into<Conn<'_>>,
    reviewer: &UserId,
    order: TaskOrder,
    offset: i64,
    limit: i64,
) -> AccessResult<Vec<ReviewTask>> {
    let mut conn = conn.into().get().await?;
    let sql = format!(
        "SELECT {} FROM review_tasks t JOIN review_task_reviewers r ON r.task_id = t.id \
         JOIN campaigns c ON c.id = t.campaign_id {NAME_JOINS} \
         WHERE r.user_id = $1 AND c.status = 'running' AND t.state IN ('open', 'certified', 'denied') \
         ORDER BY c.created_at, c.id, {} LIMIT $2 OFFSET $3",
        task_columns_of_t(),
        order.terms()
    );
    let rows: Vec<TaskRow> = sqlx::query_as(&sql)
        .bind(user_row(reviewer)?)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    with_reviewers(&mut conn, rows).await
}

/// How many reviews `reviewer` is asked for in each running campaign (what
/// [`reviewer_tasks_page`] lists), by outcome: (campaign, outcome, count).
pub async fn reviewer_counts(
    conn: impl Into<Conn<'_>>,
    reviewer: &UserId,
) -> AccessResult<Vec<(String, ReviewOutcome, u64)>> {
    let mut conn = conn.into().get().await?;
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT t.campaign_id, t.state, COUNT(*) AS n FROM review_tasks t \
         JOIN review_task_reviewers r ON r.task_id = t.id JOIN campaigns c ON c.id = t.campaign_id \
         WHERE r.user_id = $1 AND c.status = 'running' AND t.state IN ('open', 'certified', 'denied') \
         GROUP BY t.campaign_id, t.state",
    )
    .bind(user_row(reviewer)?)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(campaign, state, n)| {
            Ok((
                campaign,
                ReviewOutcome::parse(&state)?,
                u64::try_from(n).unwrap_or_default(),
            ))
        })
        .collect()
}

/// `reviewer`'s pending decisions in each running campaign, by verdict: (campaign, verdict,
/// count); what their next "Submit reviews" there would submit.
pub async fn pending_counts(
    conn: impl Into<Conn<'_>>,
    reviewer: &UserId,
) -> AccessResult<Vec<(String, ReviewVerdict, u64)>> {
    let mut conn = conn.into().get().await?;
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT d.campaign_id, d.verdict, COUNT(*) AS n FROM review_decisions d \
         JOIN campaigns c ON c.id = d.campaign_id \
         WHERE d.reviewer_id = $1 AND c.status = 'running' GROUP BY d.campaign_id, d.verdict",
    )
    .bind(user_row(reviewer)?)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(campaign, verdict, n)| {
            Ok((
                campaign,
                ReviewVerdict::parse(&verdict)?,
                u64::try_from(n).unwrap_or_default(),
            ))
        })
        .collect()
}

/// One page of the open reviews of `campaign` in `order` (`offset` rows skipped, at most
/// `limit`), for those who follow the campaign up.
pub async fn open_tasks_page(
    conn: impl Into<Conn<'_>>,
    campaign: &str,
    order: TaskOrder,
    offset: i64,
    limit: i64,
) -> AccessResult<Vec<ReviewTask>> {
    let mut conn = conn.into().get().await?;
    let sql = format!(
        "SELECT {} FROM review_tasks t {NAME_JOINS} WHERE t.campaign_id = $1 AND t.state = 'open' \
         ORDER BY {} LIMIT $2 OFFSET $3",
        task_columns_of_t(),
        order.terms()
    );
    let rows: Vec<TaskRow> = sqlx::query_as(&sql)
        .bind(campaign)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    with_reviewers(&mut conn, rows).await
}

/// How many review tasks of `campaign` stand at each outcome.
pub async fn counts(
    conn: impl Into<Conn<'_>>,
    campaign: &str,
) -> AccessResult<BTreeMap<ReviewOutcome, u64>> {
    let mut conn = conn.into().get().await?;
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT state, COUNT(*) AS n FROM review_tasks WHERE campaign_id = $1 GROUP BY state",
    )
    .bind(campaign)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(state, n)| {
            Ok((
                ReviewOutcome::parse(&state)?,
                u64::try_from(n).unwrap_or_default(),
            ))
        })
        .collect()
}

// ----- pending decisions and submissions -----

/// Records (or replaces) a reviewer's pending decision on a task.
pub async fn save_decision(
    tx: &mut Tx<'_>,
    campaign: &CampaignId,
    d: &PendingDecision,
) -> AccessResult<()> {
    sqlx::query(
        "INSERT INTO review_decisions (task_id, reviewer_id, campaign_id, verdict, reason, decided_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (task_id, reviewer_id) DO UPDATE SET verdict = excluded.verdict, reason = excluded.reason, decided_at = excluded.decided_at",
    )
    .bind(d.task.as_str())
    .bind(user_row(&d.reviewer)?)
    .bind(campaign.as_str())
    .bind(d.verdict.as_str())
    .bind(d.reason.as_deref())
    .bind(d.at.as_unix_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Drops a reviewer's pending decision on a task (undo before submitting).
pub async fn delete_decision(
    tx: &mut Tx<'_>,
    task: &ReviewTaskId,
    reviewer: &UserId,
) -> AccessResult<()> {
    sqlx::query("DELETE FROM review_decisions WHERE task_id = $1 AND reviewer_id = $2")
        .bind(task.as_str())
        .bind(user_row(reviewer)?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Drops the pending decisions on a task of everyone who no longer reviews it.
pub async fn drop_decisions_of_others(tx: &mut Tx<'_>, task: &ReviewTask) -> AccessResult<()> {
    let keep = task
        .reviewers
        .iter()
        .map(user_row)
        .collect::<AccessResult<Vec<i64>>>()?;
    let mut sql = "DELETE FROM review_decisions WHERE task_id = $1".to_string();
    if !keep.is_empty() {
        sql.push_str(&format!(
            " AND reviewer_id NOT IN ({})",
            (2..2 + keep.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut q = sqlx::query(&sql).bind(task.id.as_str());
    for k in keep {
        q = q.bind(k);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Drops every pending decision of a campaign (it ended: they were never submitted).
pub async fn drop_all_decisions(tx: &mut Tx<'_>, campaign: &str) -> AccessResult<u64> {
    Ok(
        sqlx::query("DELETE FROM review_decisions WHERE campaign_id = $1")
            .bind(campaign)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
    )
}

#[derive(sqlx::FromRow)]
struct DecisionRow {
    task_id: String,
    reviewer_id: i64,
    verdict: String,
    reason: Option<String>,
    decided_at: i64,
}

/// `reviewer`'s pending decisions in `campaign`, oldest first.
pub async fn pending_decisions(
    conn: impl Into<Conn<'_>>,
    campaign: &str,
    reviewer: &UserId,
) -> AccessResult<Vec<PendingDecision>> {
    let mut conn = conn.into().get().await?;
    let rows: Vec<DecisionRow> = sqlx::query_as(
        "SELECT task_id, reviewer_id, verdict, reason, decided_at FROM review_decisions \
         WHERE reviewer_id = $1 AND campaign_id = $2 ORDER BY decided_at, task_id",
    )
    .bind(user_row(reviewer)?)
    .bind(campaign)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(PendingDecision {
                task: ReviewTaskId::new(r.task_id),
                reviewer: user_id(r.reviewer_id),
                verdict: ReviewVerdict::parse(&r.verdict)?,
                reason: r.reason,
                at: Timestamp::from_unix_millis(r.decided_at),
            })
        })
        .collect()
}

/// Drops `reviewer`'s pending decisions in `campaign` (they were just submitted).
pub async fn drop_decisions_of(
    tx: &mut Tx<'_>,
    campaign: &str,
    reviewer: &UserId,
) -> AccessResult<()> {
    sqlx::query("DELETE FROM review_decisions WHERE reviewer_id = $1 AND campaign_id = $2")
        .bind(user_row(reviewer)?)
        .bind(campaign)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Logs one "Submit reviews" with its counts.
pub async fn record_submission(
    tx: &mut Tx<'_>,
    campaign: &str,
    reviewer: &UserId,
    s: &Submission,
    at: Timestamp,
) -> AccessResult<String> {
    let id = new_id();
    let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO review_submissions (id, campaign_id, reviewer_id, submitted, certified, denied, decided_elsewhere, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(campaign)
    .bind(user_row(reviewer)?)
    .bind(n(s.submitted()))
    .bind(n(s.certified))
    .bind(n(s.denied))
    .bind(n(s.decided_elsewhere.len()))
    .bind(at.as_unix_millis())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::scope_condition;

    #[test]
    fn a_scope_numbers_its_apps_then_its_entitlements_from_the_first_free_parameter() {
        assert_eq!(
            scope_condition(3, 2, 1, "entitlement_id"),
            "app_id IN ($3, $4) OR entitlement_id IN ($5)"
        );
        assert_eq!(scope_condition(1, 0, 2, "id"), "id IN ($1, $2)");
        assert_eq!(scope_condition(1, 1, 0, "id"), "app_id IN ($1)");
    }
}
