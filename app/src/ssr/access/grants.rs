//! The grants and provisioning-tasks repository: load, save (guarded by `version`) and list
//! grants and tasks, each save in the caller's transaction. A sweep running in two processes, or
//! two provisioners clicking at once, therefore changes each object exactly once. What happens to
//! them (approval opens a provisioning task, "Provisioned" issues the grant, expiry, release and
//! revocation open a deprovisioning task, removal converges) is the access loop's, in
//! `crate::ssr::flows`.
//!
//! Lock order, the same in every transaction that writes here: the grant row, then task rows,
//! then the request row, then the audit head, always last. Completion, release, revocation and
//! the expiry sweep therefore queue behind each other instead of deadlocking on PostgreSQL. Flows
//! read inside their transaction: plain reads take no row lock on PostgreSQL, so the order the
//! writes take their locks in is the order above.

use super::{AccessError, AccessResult, Body, Conn, Tx, outbox, to_json, user_row, version_i64};
use crate::domain::{self, Grant, GrantState, ProvisioningTask, TaskState, Timestamp, UserId};

fn grant_state(g: &Grant) -> &'static str {
    match g.state {
        GrantState::Active => "active",
        GrantState::PendingRemoval { .. } => "pending_removal",
        GrantState::Removed { .. } => "removed",
    }
}

/// Inserts (`old_version` None) or updates a grant guarded by its version (`Stale` when it moved
/// on).
pub async fn save_grant(
    tx: &mut Tx<'_>,
    old_version: Option<u64>,
    g: &Grant,
    at: Timestamp,
) -> AccessResult<()> {
    let body = to_json(g)?;
    let expires = g.expires_at.map(|t| t.as_unix_millis());
    match old_version {
        Some(old) => {
            super::one_row_or_stale(sqlx::query(
                "UPDATE grants SET state = $1, expires_at = $2, version = $3, body = $4, updated_at = $5 WHERE id = $6 AND version = $7",
            )
            .bind(grant_state(g))
            .bind(expires)
            .bind(version_i64(g.version))
            .bind(&body)
            .bind(at.as_unix_millis())
            .bind(g.id.as_str())
            .bind(version_i64(old))
            .execute(&mut **tx)
            .await?)?;
        }
        None => {
            sqlx::query(
                "INSERT INTO grants (id, subject_id, app_id, entitlement_id, source_request_id, state, expires_at, version, body, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            )
            .bind(g.id.as_str())
            .bind(user_row(&g.subject)?)
            .bind(g.app.as_str())
            .bind(g.entitlement.as_str())
            .bind(g.source_request.as_str())
            .bind(grant_state(g))
            .bind(expires)
            .bind(version_i64(g.version))
            .bind(&body)
            .bind(at.as_unix_millis())
            .execute(&mut **tx)
            .await?;
        }
    }
    // The holder's Slack messages about it (and the request's) follow it.
    crate::ssr::slack::live::mark_changed(tx, "grant", g.id.as_str(), at).await?;
    // The holder's Home lists the grant (expiring access, Extend and Release).
    super::home_marks::mark(tx, &[&g.subject], at).await
}

/// Inserts (`old_version` None) or updates a task guarded by its version, with its assignees and
/// notifications.
pub async fn save_task(
    tx: &mut Tx<'_>,
    old_version: Option<u64>,
    t: &ProvisioningTask,
    at: Timestamp,
) -> AccessResult<()> {
    let Some(old) = old_version else {
        return insert_tasks(tx, std::slice::from_ref(t), at).await;
    };
    super::one_row_or_stale(sqlx::query(
        "UPDATE provisioning_tasks SET open = $1, due_at = $2, version = $3, body = $4, updated_at = $5 WHERE id = $6 AND version = $7",
    )
    .bind(i64::from(t.is_open()))
    .bind(task_due_at(t))
    .bind(version_i64(t.version))
    .bind(to_json(t)?)
    .bind(at.as_unix_millis())
    .bind(t.id.as_str())
    .bind(version_i64(old))
    .execute(&mut **tx)
    .await?)?;
    // Who was assigned sees it leave their Home ("Waiting for me"); the new ones are marked
    // by `insert_assignees`.
    super::home_marks::mark_task_assignees(tx, t.id.as_str(), at).await?;
    crate::ssr::slack::live::mark_changed(tx, "task", t.id.as_str(), at).await?;
    sqlx::query("DELETE FROM task_assignees WHERE task_id = $1")
        .bind(t.id.as_str())
        .execute(&mut **tx)
        .await?;
    insert_assignees(tx, std::slice::from_ref(t), at).await?;
    outbox::enqueue(tx, at, &domain::outbox::for_task(t)).await
}

/// When the webhook worker should next call out for `t` (None for manual tasks).
fn task_due_at(t: &ProvisioningTask) -> Option<i64> {
    match t.state {
        TaskState::WebhookPending { due_at, .. } => Some(due_at.as_unix_millis()),
        _ => None,
    }
}

/// Inserts new tasks with their assignees and "assigned" notifications, a few statements for any
/// number of tasks.
pub async fn insert_tasks(
    tx: &mut Tx<'_>,
    tasks: &[ProvisioningTask],
    at: Timestamp,
) -> AccessResult<()> {
    for chunk in tasks.chunks(super::INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO provisioning_tasks (id, kind, request_id, grant_id, open, due_at, version, body, created_at, updated_at) VALUES {}",
            super::values_placeholders(chunk.len(), 10)
        );
        let mut q = sqlx::query(&sql);
        for t in chunk {
            q = q
                .bind(t.id.as_str())
                .bind(t.kind.as_str())
                .bind(t.request.as_ref().map(|r| r.to_string()))
                .bind(t.grant.as_ref().map(|g| g.to_string()))
                .bind(i64::from(t.is_open()))
                .bind(task_due_at(t))
                .bind(version_i64(t.version))
                .bind(to_json(t)?)
                .bind(at.as_unix_millis())
                .bind(at.as_unix_millis());
        }
        q.execute(&mut **tx).await?;
    }
    insert_assignees(tx, tasks, at).await?;
    // A new task changes its request's Slack messages ("Awaiting provisioning from …").
    for t in tasks {
        crate::ssr::slack::live::mark_changed(tx, "task", t.id.as_str(), at).await?;
    }
    let notifications: Vec<_> = tasks.iter().flat_map(domain::outbox::for_task).collect();
    outbox::enqueue(tx, at, &notifications).await
}

/// Stores the tasks' assignees and marks their Homes (and the Super Admins', who see every open
/// task) stale.
async fn insert_assignees(
    tx: &mut Tx<'_>,
    tasks: &[ProvisioningTask],
    at: Timestamp,
) -> AccessResult<()> {
    let mut pairs = Vec::new();
    let mut shown_to = Vec::new();
    for t in tasks {
        for a in t.assignees() {
            pairs.push((t.id.as_str(), user_row(a)?));
            shown_to.push(a);
        }
    }
    if !tasks.is_empty() {
        super::home_marks::mark(tx, &shown_to, at).await?;
        super::home_marks::mark_super_admins(tx, at).await?;
    }
    for chunk in pairs.chunks(super::INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO task_assignees (task_id, user_id) VALUES {} ON CONFLICT DO NOTHING",
            super::values_placeholders(chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (task, user) in chunk {
            q = q.bind(*task).bind(*user);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

pub async fn load_grant(conn: impl Into<Conn<'_>>, id: &str) -> AccessResult<Grant> {
    let mut conn = conn.into().get().await?;
    let row: Body = sqlx::query_as("SELECT body FROM grants WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AccessError::NotFound("The grant".into()))?;
    row.parse()
}

pub async fn load_task(conn: impl Into<Conn<'_>>, id: &str) -> AccessResult<ProvisioningTask> {
    let mut conn = conn.into().get().await?;
    let row: Body = sqlx::query_as("SELECT body FROM provisioning_tasks WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AccessError::NotFound("The task".into()))?;
    row.parse()
}

/// The subject's grant of this entitlement that still gives access, if any.
pub async fn current_for(
    conn: impl Into<Conn<'_>>,
    subject: &UserId,
    entitlement: &str,
) -> AccessResult<Option<Grant>> {
    let mut conn = conn.into().get().await?;
    let row: Option<Body> = sqlx::query_as("SELECT body FROM grants WHERE subject_id = $1 AND entitlement_id = $2 AND state <> 'removed' ORDER BY created_at DESC LIMIT 1")
        .bind(user_row(subject)?)
        .bind(entitlement)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| r.parse()).transpose()
}

/// Whether an open deprovisioning task already works on grant `grant_id`.
pub async fn removal_task_open(conn: impl Into<Conn<'_>>, grant_id: &str) -> AccessResult<bool> {
    let mut conn = conn.into().get().await?;
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) AS n FROM provisioning_tasks WHERE grant_id = $1 AND kind = 'deprovision' AND open = 1",
    )
    .bind(grant_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(open > 0)
}

/// The latest deprovisioning task of grant `grant_id`, open or not.
pub async fn last_removal_task(
    conn: impl Into<Conn<'_>>,
    grant_id: &str,
) -> AccessResult<Option<ProvisioningTask>> {
    let mut conn = conn.into().get().await?;
    let row: Option<Body> = sqlx::query_as(
        "SELECT body FROM provisioning_tasks WHERE grant_id = $1 AND kind = 'deprovision' ORDER BY created_at DESC LIMIT 1",
    )
    .bind(grant_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| r.parse()).transpose()
}

/// Grants whose removal is pending with no open deprovisioning task (at most `limit`).
pub async fn stuck_removals(conn: impl Into<Conn<'_>>, limit: i64) -> AccessResult<Vec<Grant>> {
    let mut conn = conn.into().get().await?;
    let rows: Vec<Body> = sqlx::query_as(
        "SELECT g.body FROM grants g WHERE g.state = 'pending_removal' AND NOT EXISTS \
         (SELECT 1 FROM provisioning_tasks t WHERE t.grant_id = g.id AND t.kind = 'deprovision' AND t.open = 1) \
         ORDER BY g.expires_at, g.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(Body::parse).collect()
}

/// Whether any active grant's time is up at `at`: a cheap look before a sweep takes any lock.
pub async fn any_due(conn: impl Into<Conn<'_>>, at: Timestamp) -> AccessResult<bool> {
    let mut conn = conn.into().get().await?;
    let due: Option<String> = sqlx::query_scalar(
        "SELECT id FROM grants WHERE state = 'active' AND expires_at <= $1 LIMIT 1",
    )
    .bind(at.as_unix_millis())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(due.is_some())
}

/// Active grants whose time is up at `at` (at most `limit`), in `(expires_at, id)` order: a total
/// order, so two sweeps lock the grants in the same order. A row that does not parse comes back
/// as its error, for the caller to log and skip.
pub async fn due(
    conn: impl Into<Conn<'_>>,
    at: Timestamp,
    limit: i64,
) -> AccessResult<Vec<AccessResult<Grant>>> {
    let mut conn = conn.into().get().await?;
    let rows: Vec<Body> = sqlx::query_as("SELECT body FROM grants WHERE state = 'active' AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2")
        .bind(at.as_unix_millis())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(Body::parse).collect())
}

/// Active grants expiring after `from` and up to `until`.
pub async fn expiring_between(
    conn: impl Into<Conn<'_>>,
    from: Timestamp,
    until: Timestamp,
) -> AccessResult<Vec<Grant>> {
    let mut conn = conn.into().get().await?;
    let rows: Vec<Body> = sqlx::query_as(
        "SELECT body FROM grants WHERE state = 'active' AND expires_at > $1 AND expires_at <= $2",
    )
    .bind(from.as_unix_millis())
    .bind(until.as_unix_millis())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(Body::parse).collect()
}
