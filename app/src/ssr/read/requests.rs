//! Requests as pages (and Slack) show them: lists, and the detail with its history. Read only;
//! the writes are in `ssr::flows`, the visibility rule in `domain::visibility`.

use sqlx::Row;

use crate::domain::{
    self, DurationPreset, GrantLength, Request, RequestEvent, RequestNumber, UserId, Viewer,
};
use crate::shapes::{HistoryLine, RequestDetail, RequestSummary};
use crate::ssr::access::requests::ensure_visible;
use crate::ssr::access::{
    AccessError, AccessResult, Actor, catalog, directory, from_json, user_row, version_i64,
};
use crate::ssr::db::Db;

async fn summaries(db: &Db, rows: Vec<sqlx::any::AnyRow>) -> AccessResult<Vec<RequestSummary>> {
    let names = directory::names(db).await?;
    let labels = super::catalog::entitlement_labels(db).await?;
    let name = |u: &UserId| {
        names
            .get(u.as_str())
            .cloned()
            .unwrap_or_else(|| u.to_string())
    };
    let mut out = Vec::new();
    for row in rows {
        let r: Request = from_json(&row.try_get::<String, _>("body")?)?;
        let (app, ent) = labels
            .get(r.parties.entitlement.as_str())
            .cloned()
            .unwrap_or_default();
        out.push(RequestSummary {
            id: r.id.to_string(),
            number: r.number.to_string(),
            app,
            entitlement: ent,
            requester: name(&r.parties.requester),
            subject: name(&r.parties.subject),
            status: r.state.status(),
            outcome: r.state.outcome(),
            emergency: r.emergency,
            created_at: r.created_at.as_unix_millis(),
            current_step: r.current_assignment().map(|a| a.step),
            length: r.length.to_string(),
            requested_length: r.requested_length.to_string(),
            shorter_lengths: shorter_presets(&r),
        });
    }
    Ok(out)
}

/// The presets an approver may pick instead of the current length: only shorter ones, and only
/// while the request waits for a decision.
fn shorter_presets(r: &Request) -> Vec<String> {
    if r.current_assignment().is_none() {
        return Vec::new();
    }
    DurationPreset::ALL
        .iter()
        .filter(|p| r.length.longer_than(GrantLength::Limited(p.duration())))
        .map(|p| p.as_str().to_string())
        .collect()
}

/// One request as lists show it, by id (`None` if there is no such request): what a Slack
/// notification about it says.
pub async fn summary(db: &Db, id: &str) -> AccessResult<Option<RequestSummary>> {
    let rows = sqlx::query("SELECT body FROM requests WHERE id = $1")
        .bind(id)
        .fetch_all(&db.pool)
        .await?;
    Ok(summaries(db, rows).await?.into_iter().next())
}

/// Requests I made or that are for me, newest first.
pub async fn mine(db: &Db, user: &UserId) -> AccessResult<Vec<RequestSummary>> {
    let id = user_row(user)?;
    let rows = sqlx::query("SELECT body FROM requests WHERE requester_id = $1 OR subject_id = $1 ORDER BY number DESC LIMIT 200")
        .bind(id)
        .fetch_all(&db.pool)
        .await?;
    summaries(db, rows).await
}

/// Every request matching the filters (empty: any), newest first, at most `limit`, for the
/// automation API (`/api/v1/requests`, callers with `requests:read`).
pub async fn all(
    db: &Db,
    status: &str,
    subject_email: &str,
    limit: i64,
) -> AccessResult<Vec<RequestSummary>> {
    let subject = match subject_email.trim() {
        "" => 0,
        email => directory::find_by_email(db, email).await?.unwrap_or(-1),
    };
    let rows = sqlx::query(
        "SELECT body FROM requests WHERE ($1 = '' OR status = $1) AND ($2 = 0 OR subject_id = $2) \
         ORDER BY number DESC LIMIT $3",
    )
    .bind(status.trim())
    .bind(subject)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    summaries(db, rows).await
}

/// Requests waiting for my decision.
pub async fn assigned(db: &Db, user: &UserId) -> AccessResult<Vec<RequestSummary>> {
    let rows = sqlx::query(
        "SELECT r.body FROM requests r JOIN request_assignees a ON a.request_id = r.id \
         WHERE a.user_id = $1 AND r.status = 'pending_approval' ORDER BY r.number",
    )
    .bind(user_row(user)?)
    .fetch_all(&db.pool)
    .await?;
    summaries(db, rows).await
}

/// How often [`detail`] re-reads a request that changed while its history was being read.
const CONSISTENT_READ_ATTEMPTS: usize = 5;

/// The request `number` (its stored row) and its history, as of one version of the request: the
/// history rows are written in the same transaction that bumps the version, so reading the row,
/// then the history, then finding the version unchanged means both describe the same moment.
/// Without this a decision landing between the two reads showed, say, "passed to people" in the
/// history beside a request still waiting for its decider. (Plain reads, not a transaction:
/// PostgreSQL's READ COMMITTED would not give a snapshot anyway.)
async fn request_with_history(
    db: &Db,
    number: &str,
) -> AccessResult<(Request, sqlx::any::AnyRow, Vec<sqlx::any::AnyRow>)> {
    let n = RequestNumber::parse(number)?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let row = sqlx::query("SELECT body FROM requests WHERE number = $1")
            .bind(version_i64(n.get()))
            .fetch_optional(&db.pool)
            .await?
            .ok_or_else(|| AccessError::NotFound(format!("Request {n}")))?;
        let stored: Request = from_json(&row.try_get::<String, _>("body")?)?;
        let history = sqlx::query(
            "SELECT at, actor_id, body FROM request_events WHERE request_id = $1 ORDER BY id",
        )
        .bind(stored.id.as_str())
        .fetch_all(&db.pool)
        .await?;
        let version: i64 = sqlx::query_scalar("SELECT version FROM requests WHERE id = $1")
            .bind(stored.id.as_str())
            .fetch_one(&db.pool)
            .await?;
        let unchanged = u64::try_from(version).is_ok_and(|v| v == stored.version);
        if unchanged || attempt >= CONSISTENT_READ_ATTEMPTS {
            return Ok((stored, row, history));
        }
    }
}

pub async fn detail(db: &Db, viewer: &Actor, number: &str) -> AccessResult<RequestDetail> {
    let (r, row, rows) = request_with_history(db, number).await?;
    let dir = directory::snapshot(db).await?;
    ensure_visible(db, viewer, &r, &dir).await?;
    let ent = catalog::load_entitlement(db, r.parties.entitlement.as_str()).await?;
    let app = catalog::load_app(db, ent.app_id.as_str()).await?;
    let names = directory::names(db).await?;
    let mut history = Vec::new();
    let mut comments = Vec::new();
    for row in rows {
        let e: RequestEvent = from_json(&row.try_get::<String, _>("body")?)?;
        let actor: Option<i64> = row.try_get("actor_id")?;
        let line = HistoryLine {
            at: row.try_get("at")?,
            actor: actor.map_or("Latch".to_string(), |a| {
                names
                    .get(&a.to_string())
                    .cloned()
                    .unwrap_or_else(|| a.to_string())
            }),
            action: e.audit_action().to_string(),
            detail: domain::history::describe_in_request(&e, r.origin, |u| {
                names
                    .get(u.as_str())
                    .cloned()
                    .unwrap_or_else(|| u.to_string())
            }),
        };
        if matches!(e, RequestEvent::Commented(_)) {
            comments.push(line.clone());
        }
        history.push(line);
    }
    let summary = summaries(db, vec![row])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AccessError::NotFound("The request".into()))?;
    Ok(RequestDetail {
        summary,
        justification: r.justification.clone(),
        policy_name: r.policy.name.clone(),
        // A step waiting for its external decider waits for the decider, by name.
        assignees: match r
            .waiting_for_decider()
            .and_then(|step| r.policy.external_decider_step(step))
        {
            Some(decider) => vec![decider.decider_label()],
            None => r
                .assignees()
                .iter()
                .map(|u| {
                    names
                        .get(u.as_str())
                        .cloned()
                        .unwrap_or_else(|| u.to_string())
                })
                .collect(),
        },
        actions: r.actions_for(
            &Viewer {
                id: &viewer.id,
                roles: &viewer.roles,
                directory: &dir,
            },
            &app,
            &ent,
        ),
        history,
        comments,
        note: match &r.state {
            domain::RequestState::Closed { note, .. } => note.clone(),
            _ => None,
        },
    })
}
