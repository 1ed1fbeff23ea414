//! The requests repository: load a request (by id or number), save a transition of it (the row,
//! guarded by `WHERE version = old`, with its assignees, history, audit events and outbox rows in
//! the caller's transaction), number a new one, and the lookups the rules need (open requests for
//! the same access, who was ever involved). The state machine is `domain::request`; the workflows
//! that create, decide, cancel… a request are in `crate::ssr::flows::access_loop`.

use crate::domain::{
    self, App, AuditActor, DirectorySnapshot, Entitlement, OpenRequestRef, Request, RequestEvent,
    RequestInvolvement, RequestNumber, Timestamp, Transition, UserId,
};

use super::audit::{self, Entry};
use super::{
    AccessError, AccessResult, Actor, Body, Conn, Tx, catalog, outbox, to_json, user_row,
    version_i64,
};

pub async fn load(conn: impl Into<Conn<'_>>, id: &str) -> AccessResult<Request> {
    let mut conn = conn.into().get().await?;
    let row: Body = sqlx::query_as("SELECT body FROM requests WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AccessError::NotFound("The request".into()))?;
    row.parse()
}

pub async fn load_by_number(conn: impl Into<Conn<'_>>, number: &str) -> AccessResult<Request> {
    let n = RequestNumber::parse(number)?;
    let mut conn = conn.into().get().await?;
    let row: Body = sqlx::query_as("SELECT body FROM requests WHERE number = $1")
        .bind(version_i64(n.get()))
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AccessError::NotFound(format!("Request {n}")))?;
    row.parse()
}

/// The next request number. Run it first in a creating transaction: it takes the write lock
/// (SQLite) or the counter's row lock (PostgreSQL) before anything else, so numbers are unique and
/// gap-free, and creations queue behind each other before they read anything.
pub async fn next_number(tx: &mut Tx<'_>) -> AccessResult<RequestNumber> {
    let number: i64 = sqlx::query_scalar(
        "UPDATE counters SET value = value + 1 WHERE name = 'request_number' RETURNING value",
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(RequestNumber::new(u64::try_from(number).unwrap_or(0)))
}

/// Who an event is attributed to in the audit log: decisions the policy took on its own are
/// Latch's (their `rule` says why); everything else follows from the acting person's click, or
/// from Latch when no one acted (schedulers, webhooks).
fn event_actor(event: &RequestEvent, acting: Option<&UserId>) -> AuditActor {
    match (event, acting) {
        (RequestEvent::AutoDecided(_), _) | (_, None) => AuditActor::System,
        (_, Some(u)) => AuditActor::User(u.clone()),
    }
}

/// Saves a transition inside `tx`: the row (insert, or update guarded by `old_version`), the
/// assignees, history, audit events and notifications. `Stale` when the version moved on.
pub async fn persist(
    tx: &mut Tx<'_>,
    old_version: Option<u64>,
    tr: &Transition,
    acting: Option<&UserId>,
    at: Timestamp,
) -> AccessResult<()> {
    let r = &tr.request;
    let body = to_json(r)?;
    let status = r.state.status().as_str();
    let outcome = r.state.outcome().map(|o| o.as_str());
    match old_version {
        Some(old) => {
            super::one_row_or_stale(sqlx::query(
                "UPDATE requests SET status = $1, outcome = $2, emergency = $3, version = $4, body = $5, updated_at = $6 \
                 WHERE id = $7 AND version = $8",
            )
            .bind(status)
            .bind(outcome)
            .bind(i64::from(r.emergency))
            .bind(version_i64(r.version))
            .bind(&body)
            .bind(at.as_unix_millis())
            .bind(r.id.as_str())
            .bind(version_i64(old))
            .execute(&mut **tx)
            .await?)?;
        }
        None => {
            sqlx::query(
                "INSERT INTO requests (id, number, requester_id, subject_id, app_id, entitlement_id, status, outcome, emergency, version, body, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
            )
            .bind(r.id.as_str())
            .bind(version_i64(r.number.get()))
            .bind(user_row(&r.parties.requester)?)
            .bind(user_row(&r.parties.subject)?)
            .bind(r.parties.app.as_str())
            .bind(r.parties.entitlement.as_str())
            .bind(status)
            .bind(outcome)
            .bind(i64::from(r.emergency))
            .bind(version_i64(r.version))
            .bind(&body)
            .bind(at.as_unix_millis())
            .execute(&mut **tx)
            .await?;
        }
    }
    // The Homes of who waited for it, who waits now, and its requester and subject change.
    super::home_marks::mark_request_assignees(tx, r.id.as_str(), at).await?;
    sqlx::query("DELETE FROM request_assignees WHERE request_id = $1")
        .bind(r.id.as_str())
        .execute(&mut **tx)
        .await?;
    let assignees = r.assignees();
    let mut shown_to = vec![&r.parties.requester, &r.parties.subject];
    shown_to.extend(assignees.iter());
    super::home_marks::mark(tx, &shown_to, at).await?;
    // Every Slack message showing it (requester, approvers, provisioners) follows it.
    crate::ssr::slack::live::mark_changed(tx, "request", r.id.as_str(), at).await?;
    for a in assignees {
        sqlx::query("INSERT INTO request_assignees (request_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(r.id.as_str())
            .bind(user_row(a)?)
            .execute(&mut **tx)
            .await?;
    }
    let target = format!("request:{}", r.number);
    for e in &tr.events {
        let actor = event_actor(e, acting);
        let json = to_json(e)?;
        sqlx::query("INSERT INTO request_events (request_id, at, actor_id, action, body) VALUES ($1, $2, $3, $4, $5)")
            .bind(r.id.as_str())
            .bind(at.as_unix_millis())
            .bind(match &actor {
                AuditActor::User(u) => Some(user_row(u)?),
                AuditActor::System => None,
            })
            .bind(e.audit_action())
            .bind(&json)
            .execute(&mut **tx)
            .await?;
        // A new request's audit entry names the door it came through (web, Slack, API).
        let audited = match e {
            RequestEvent::Created => to_json(&serde_json::json!({
                "kind": "created",
                "origin": r.origin,
            }))?,
            _ => json,
        };
        audit::append(
            tx,
            at,
            Entry::new(actor, e.audit_action(), target.clone())
                .after(Some(audited))
                .rule(e.rule()),
        )
        .await?;
    }
    outbox::enqueue(tx, at, &domain::outbox::for_request_events(r, &tr.events)).await?;
    // A request now waiting for an external decider: queue the call in this transaction.
    super::decider_calls::enqueue_for(tx, r, &tr.events, at).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct OpenRequestRow {
    number: i64,
    emergency: i64,
}

/// The subject's requests for this entitlement that are not closed, oldest first.
pub async fn open_for(
    conn: impl Into<Conn<'_>>,
    subject: &UserId,
    entitlement: &str,
) -> AccessResult<Vec<OpenRequestRef>> {
    let mut conn = conn.into().get().await?;
    let rows: Vec<OpenRequestRow> = sqlx::query_as(
        "SELECT number, emergency FROM requests WHERE subject_id = $1 AND entitlement_id = $2 AND status <> 'closed' ORDER BY number",
    )
    .bind(user_row(subject)?)
    .bind(entitlement)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OpenRequestRef {
            number: RequestNumber::new(u64::try_from(r.number).unwrap_or(0)),
            emergency: super::flag(r.emergency),
        })
        .collect())
}

/// The requests still waiting for approval that were filed on or before `cutoff`, oldest first
/// (at most `limit`). A row that does not parse comes back as its error, for the caller to log
/// and skip.
pub async fn pending_filed_before(
    conn: impl Into<Conn<'_>>,
    cutoff: Timestamp,
    limit: i64,
) -> AccessResult<Vec<AccessResult<Request>>> {
    let mut conn = conn.into().get().await?;
    let rows: Vec<Body> = sqlx::query_as(
        "SELECT body FROM requests WHERE status = 'pending_approval' AND created_at <= $1 ORDER BY created_at LIMIT $2",
    )
    .bind(cutoff.as_unix_millis())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(Body::parse).collect())
}

/// Who was assigned any step of `r` (its `request.step_assigned` history) and who is or was
/// assigned its provisioning and deprovisioning tasks: the people `Request::visible_to` cannot
/// find in the request itself.
pub(crate) async fn involvement(
    conn: impl Into<Conn<'_>>,
    r: &Request,
) -> AccessResult<RequestInvolvement> {
    let mut conn = conn.into().get().await?;
    let mut involvement = RequestInvolvement::default();
    let assigned: Vec<Body> = sqlx::query_as(
        "SELECT body FROM request_events WHERE request_id = $1 AND action = 'request.step_assigned'",
    )
    .bind(r.id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for row in assigned {
        if let RequestEvent::StepAssigned(a) = row.parse()? {
            involvement.step_assignees.extend(a.assignees);
        }
    }
    // A task's assignees while it waits, and whoever completed it once it is done.
    let tasks: Vec<Body> = sqlx::query_as(
        "SELECT body FROM provisioning_tasks \
         WHERE request_id = $1 OR grant_id IN (SELECT id FROM grants WHERE source_request_id = $1)",
    )
    .bind(r.id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for row in tasks {
        let task: domain::ProvisioningTask = row.parse()?;
        involvement
            .task_assignees
            .extend(task.assignees().iter().cloned());
        if let domain::TaskState::Completed { by: Some(by), .. } = task.state {
            involvement.task_assignees.insert(by);
        }
    }
    Ok(involvement)
}

/// Refuses `viewer` unless `Request::visible_to` lets them see `r` (of `app` and `ent`), as
/// "not found": whether a request exists is not for everyone to know.
pub(crate) async fn check_visible(
    conn: impl Into<Conn<'_>>,
    viewer: &Actor,
    r: &Request,
    app: &App,
    ent: &Entitlement,
    dir: &DirectorySnapshot,
) -> AccessResult<()> {
    let involvement = involvement(conn, r).await?;
    if r.visible_to(&viewer.id, &viewer.roles, &involvement, app, ent, dir) {
        Ok(())
    } else {
        Err(AccessError::NotFound(format!("Request {}", r.number)))
    }
}

/// [`check_visible`], loading the request's app and entitlement.
pub(crate) async fn ensure_visible(
    conn: impl Into<Conn<'_>>,
    viewer: &Actor,
    r: &Request,
    dir: &DirectorySnapshot,
) -> AccessResult<()> {
    let mut conn = conn.into().get().await?;
    let ent = catalog::load_entitlement(&mut *conn, r.parties.entitlement.as_str()).await?;
    let app = catalog::load_app(&mut *conn, ent.app_id.as_str()).await?;
    check_visible(&mut *conn, viewer, r, &app, &ent, dir).await
}
