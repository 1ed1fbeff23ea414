//! Grants and provisioning tasks as lists show them: a person's access, the admin grants page,
//! open tasks, overdue removals. Read only; the writes are in `ssr::flows`.

use std::collections::BTreeMap;

use sqlx::Row;

use crate::domain::{self, App, Grant, GrantState, ProvisioningTask, TaskState, UserId, Viewer};
use crate::shapes::{GrantFilter, GrantRow, OverdueRemovalRow, TaskRow};
use crate::ssr::access::{AccessResult, Actor, catalog, directory, from_json, now, user_row};
use crate::ssr::db::Db;

/// Grants matching `filter` (only `only_subject`'s, if given), each with what `viewer` may do
/// to it.
pub async fn list(
    db: &Db,
    viewer: &Actor,
    filter: &GrantFilter,
    only_subject: Option<&UserId>,
) -> AccessResult<Vec<GrantRow>> {
    let subject = match (only_subject, filter.user_email.trim()) {
        (Some(u), _) => user_row(u)?,
        (None, "") => 0,
        (None, email) => directory::find_by_email(db, email).await?.unwrap_or(-1),
    };
    let at = now();
    let apps: BTreeMap<String, App> = catalog::list(db)
        .await?
        .into_iter()
        .map(|stored| (stored.app.id.to_string(), stored.app))
        .collect();
    let dir = directory::snapshot(db).await?;
    let until = if filter.expiring_within_days > 0 {
        at.as_unix_millis() + filter.expiring_within_days * 86_400_000
    } else {
        0
    };
    let rows = sqlx::query(
        "SELECT body FROM grants WHERE ($1 = 0 OR subject_id = $1) AND ($2 = '' OR app_id = $2) AND ($3 = '' OR entitlement_id = $3) \
         AND ($4 = 0 OR (expires_at IS NOT NULL AND expires_at <= $4)) AND ($5 = 1 OR state <> 'removed') \
         ORDER BY expires_at LIMIT 500",
    )
    .bind(subject)
    .bind(filter.app_id.trim())
    .bind(filter.entitlement_id.trim())
    .bind(until)
    .bind(i64::from(filter.include_removed))
    .fetch_all(&db.pool)
    .await?;
    let names = directory::names(db).await?;
    let labels = super::catalog::entitlement_labels(db).await?;
    let mut out = Vec::new();
    for r in rows {
        let g: Grant = from_json(&r.try_get::<String, _>("body")?)?;
        let (app, ent) = labels
            .get(g.entitlement.as_str())
            .cloned()
            .unwrap_or_default();
        let actions = apps
            .get(g.app.as_str())
            .map(|app| {
                let seen_by = Viewer {
                    id: &viewer.id,
                    roles: &viewer.roles,
                    directory: &dir,
                };
                g.actions_for(&seen_by, app, at)
            })
            .unwrap_or_default();
        let status = g.status_at(at);
        out.push(GrantRow {
            id: g.id.to_string(),
            subject: names
                .get(g.subject.as_str())
                .cloned()
                .unwrap_or_else(|| g.subject.to_string()),
            subject_id: g.subject.to_string(),
            entitlement_id: g.entitlement.to_string(),
            app,
            entitlement: ent,
            granted_at: g.granted_at.as_unix_millis(),
            expires_at: g.expires_at.map(|t| t.as_unix_millis()),
            status,
            status_label: status.label().to_string(),
            remaining: g.remaining_label(at),
            source_request: g.source_request.to_string(),
            actions,
        });
    }
    Ok(out)
}

/// Most rows the overdue-removals page lists (oldest end first).
const OVERDUE_LIMIT: i64 = 500;

/// Every grant whose removal is overdue (`Grant::removal_overdue`): past its end, or its removal
/// errored, was refused or is waiting too long; with its open task, who may complete it, and the
/// last error. Oldest first, at most [`OVERDUE_LIMIT`].
pub async fn overdue_removals(db: &Db) -> AccessResult<Vec<OverdueRemovalRow>> {
    let at = now();
    let rows = sqlx::query(
        "SELECT body FROM grants WHERE state = 'pending_removal' OR (state = 'active' AND expires_at <= $1) \
         ORDER BY expires_at, id LIMIT $2",
    )
    .bind(at.as_unix_millis())
    .bind(OVERDUE_LIMIT)
    .fetch_all(&db.pool)
    .await?;
    let names = directory::names(db).await?;
    let name = |u: &UserId| {
        names
            .get(u.as_str())
            .cloned()
            .unwrap_or_else(|| u.to_string())
    };
    let labels = super::catalog::entitlement_labels(db).await?;
    let mut out = Vec::new();
    for r in rows {
        let g: Grant = from_json(&r.try_get::<String, _>("body")?)?;
        if !g.removal_overdue(at) {
            continue;
        }
        let task = sqlx::query(
            "SELECT body FROM provisioning_tasks WHERE grant_id = $1 AND kind = 'deprovision' AND open = 1 ORDER BY created_at DESC LIMIT 1",
        )
        .bind(g.id.as_str())
        .fetch_optional(&db.pool)
        .await?
        .map(|r| from_json::<ProvisioningTask>(&r.try_get::<String, _>("body")?))
        .transpose()?;
        let (app, ent) = labels
            .get(g.entitlement.as_str())
            .cloned()
            .unwrap_or_default();
        let reason = match &g.state {
            GrantState::PendingRemoval { reason, .. } => *reason,
            _ => domain::RemovalReason::Expired,
        };
        let ended_at = g.ended_at();
        let last_error = task
            .as_ref()
            .and_then(|t| t.failed_attempts.last().map(|a| a.error.clone()))
            .or_else(|| g.removal_problem().map(str::to_string))
            .or_else(|| task.as_ref().and_then(|t| t.previous_problem.clone()));
        out.push(OverdueRemovalRow {
            grant_id: g.id.to_string(),
            subject: name(&g.subject),
            app,
            entitlement: ent,
            reason,
            ended_at: ended_at.map(|t| t.as_unix_millis()),
            overdue_for: domain::format_secs(ended_at.map_or(0, |t| t.secs_until(at))),
            open_task: task.as_ref().map(|t| t.id.to_string()),
            task_state: task.as_ref().map(task_state_label),
            assignees: task
                .as_ref()
                .map(|t| t.assignees().iter().map(name).collect())
                .unwrap_or_default(),
            escalation: task.as_ref().map_or(0, |t| t.escalation),
            last_error,
        });
    }
    Ok(out)
}

/// What a task is waiting for, in words.
fn task_state_label(t: &ProvisioningTask) -> String {
    let state = match &t.state {
        TaskState::WebhookPending { attempt, .. } => {
            format!("webhook call pending (attempt {attempt})")
        }
        TaskState::AwaitingManual { assignees, .. } if assignees.is_empty() => {
            "waiting: nobody but the subject can do it; a Super Admin must step in".into()
        }
        TaskState::AwaitingManual { .. } => "waiting for a provisioner".into(),
        TaskState::Completed { outcome, .. } => outcome.label(t.kind).to_string(),
    };
    // An escalated removal says why: whoever takes it over sees what went wrong before.
    match (&t.previous_problem, t.escalation) {
        (Some(problem), n) if n > 0 => format!("{state}; escalated, last time: {problem}"),
        _ => state,
    }
}

/// Open tasks assigned to `user` (all open tasks for Super Admins), never those for their own access.
pub async fn open_tasks(db: &Db, actor: &Actor) -> AccessResult<Vec<TaskRow>> {
    let rows = if actor.roles.is_super_admin() {
        sqlx::query("SELECT body FROM provisioning_tasks WHERE open = 1 ORDER BY created_at")
            .fetch_all(&db.pool)
            .await?
    } else {
        sqlx::query(
            "SELECT t.body FROM provisioning_tasks t JOIN task_assignees a ON a.task_id = t.id WHERE a.user_id = $1 AND t.open = 1 ORDER BY t.created_at",
        )
        .bind(user_row(&actor.id)?)
        .fetch_all(&db.pool)
        .await?
    };
    let names = directory::names(db).await?;
    let labels = super::catalog::entitlement_labels(db).await?;
    let mut out = Vec::new();
    for r in rows {
        let t: ProvisioningTask = from_json(&r.try_get::<String, _>("body")?)?;
        // Nobody handles their own access, so their own tasks are not theirs to see here.
        if t.subject == actor.id {
            continue;
        }
        let (app, ent) = labels
            .get(t.entitlement.as_str())
            .cloned()
            .unwrap_or_default();
        out.push(TaskRow {
            id: t.id.to_string(),
            kind: t.kind,
            subject: names
                .get(t.subject.as_str())
                .cloned()
                .unwrap_or_else(|| t.subject.to_string()),
            app,
            entitlement: ent,
            instructions_html: t
                .instructions
                .as_deref()
                .map(crate::ssr::markdown::to_safe_html),
            instructions: t.instructions.clone(),
            open: t.is_open(),
            state: task_state_label(&t),
            actions: t.actions_for(&actor.id, &actor.roles),
        });
    }
    Ok(out)
}
