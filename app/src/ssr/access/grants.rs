//! Grants and provisioning tasks: approval opens a provisioning task; "Provisioned" issues (or
//! extends) the grant; expiry, release and revocation open a deprovisioning task; "Deprovisioned"
//! removes the grant. Every save is guarded by `version`, so a sweep running in two processes,
//! or two provisioners clicking at once, changes each object exactly once.
//!
//! Removal converges: a deprovisioning task that errors or is refused leaves the grant "removal
//! overdue" and opens a follow-up task in the same transaction (escalated to the provisioners, app
//! owners and Super Admins, or the webhook called again after a backoff); revoke stays possible
//! while removal is pending; [`reopen_stuck_removals`] gives any pending removal left without an
//! open task (data from before this rule) a new one; [`overdue_removals`] lists them all.
//!
//! Lock order, the same in every transaction here: the grant row, then task rows, then the
//! request row, then the audit head, always last. Completion, release, revocation and the expiry
//! sweep therefore queue behind each other instead of deadlocking on PostgreSQL. Everything a
//! transaction needs is read before it begins.

use std::collections::BTreeMap;

use sqlx::Row;

use super::audit::{self, Entry};
use super::{
    AccessError, AccessResult, Actor, Tx, catalog, directory, from_json, new_id, now, outbox,
    requests, to_json, user_row, version_i64,
};
use crate::domain::{
    self, AuditActor, DirectorySnapshot, DomainError, Entitlement, Grant, GrantAction, GrantId,
    GrantState, NewTask, NotificationKind, ProvisioningTask, ProvisioningTaskId, Request, TaskKind,
    TaskOutcome, TaskState, Timestamp, UserId,
};
use crate::ssr::db::Db;

fn grant_state(g: &Grant) -> &'static str {
    match g.state {
        GrantState::Active => "active",
        GrantState::PendingRemoval { .. } => "pending_removal",
        GrantState::Removed { .. } => "removed",
    }
}

/// Inserts (`old_version` None) or updates a grant guarded by its version.
async fn save_grant(
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
    Ok(())
}

async fn save_task(
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
    sqlx::query("DELETE FROM task_assignees WHERE task_id = $1")
        .bind(t.id.as_str())
        .execute(&mut **tx)
        .await?;
    insert_assignees(tx, std::slice::from_ref(t)).await?;
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
async fn insert_tasks(
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
    insert_assignees(tx, tasks).await?;
    let notifications: Vec<_> = tasks.iter().flat_map(domain::outbox::for_task).collect();
    outbox::enqueue(tx, at, &notifications).await
}

async fn insert_assignees(tx: &mut Tx<'_>, tasks: &[ProvisioningTask]) -> AccessResult<()> {
    let mut pairs = Vec::new();
    for t in tasks {
        for a in t.assignees() {
            pairs.push((t.id.as_str(), user_row(a)?));
        }
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

async fn open_task(
    tx: &mut Tx<'_>,
    new: NewTask,
    dir: &DirectorySnapshot,
    actor: AuditActor,
    target: String,
    at: Timestamp,
) -> AccessResult<ProvisioningTask> {
    let task = ProvisioningTask::open(new, dir, at);
    save_task(tx, None, &task, at).await?;
    audit::append(tx, at, task_opened_entry(&task, actor, target)?).await?;
    Ok(task)
}

fn task_opened_entry(
    task: &ProvisioningTask,
    actor: AuditActor,
    target: String,
) -> AccessResult<Entry> {
    let action = match task.kind {
        TaskKind::Provision => "provisioning.task_opened",
        TaskKind::Deprovision => "deprovisioning.task_opened",
    };
    Ok(Entry::new(actor, action, target).after(Some(to_json(task)?)))
}

/// Approval happened: open the provisioning task (manual, or a webhook call due now).
pub async fn open_provision_task(
    tx: &mut Tx<'_>,
    request: &Request,
    ent: &Entitlement,
    dir: &DirectorySnapshot,
    at: Timestamp,
) -> AccessResult<ProvisioningTask> {
    let new = NewTask {
        id: ProvisioningTaskId::new(new_id()),
        kind: TaskKind::Provision,
        request: Some(request.id.clone()),
        grant: request.extends_grant.clone(),
        subject: request.parties.subject.clone(),
        app: request.parties.app.clone(),
        entitlement: request.parties.entitlement.clone(),
        method: ent.provisioning.clone(),
    };
    open_task(
        tx,
        new,
        dir,
        AuditActor::System,
        format!("request:{}", request.number),
        at,
    )
    .await
}

fn deprovision_task(grant: &Grant, ent: &Entitlement) -> NewTask {
    NewTask {
        id: ProvisioningTaskId::new(new_id()),
        kind: TaskKind::Deprovision,
        request: Some(grant.source_request.clone()),
        grant: Some(grant.id.clone()),
        subject: grant.subject.clone(),
        app: grant.app.clone(),
        entitlement: grant.entitlement.clone(),
        method: ent.provisioning.clone(),
    }
}

pub async fn load_grant(db: &Db, id: &str) -> AccessResult<Grant> {
    let row = sqlx::query("SELECT body FROM grants WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AccessError::NotFound("The grant".into()))?;
    from_json(&row.try_get::<String, _>("body")?)
}

pub async fn load_task(db: &Db, id: &str) -> AccessResult<ProvisioningTask> {
    let row = sqlx::query("SELECT body FROM provisioning_tasks WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AccessError::NotFound("The task".into()))?;
    from_json(&row.try_get::<String, _>("body")?)
}

/// The subject's grant of this entitlement that still gives access, if any.
pub async fn current_for(
    db: &Db,
    subject: &UserId,
    entitlement: &str,
) -> AccessResult<Option<Grant>> {
    let row = sqlx::query("SELECT body FROM grants WHERE subject_id = $1 AND entitlement_id = $2 AND state <> 'removed' ORDER BY created_at DESC LIMIT 1")
        .bind(user_row(subject)?)
        .bind(entitlement)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| from_json(&r.try_get::<String, _>("body")?))
        .transpose()
}

fn grant_audit(
    actor: AuditActor,
    action: GrantAction,
    before: Option<&Grant>,
    after: &Grant,
) -> AccessResult<Entry> {
    Ok(
        Entry::new(actor, action.as_str(), format!("grant:{}", after.id))
            .before(before.map(to_json).transpose()?)
            .after(Some(to_json(after)?)),
    )
}

/// A provisioner completes a manual task: Provisioned, Won't do or Errored, with a note.
pub async fn complete_task(
    db: &Db,
    actor: &Actor,
    task_id: &str,
    outcome: TaskOutcome,
    note: Option<String>,
) -> AccessResult<ProvisioningTask> {
    let task = load_task(db, task_id).await?;
    let done = task.complete(&actor.id, &actor.roles, outcome, note.as_deref(), now())?;
    finish(
        db,
        &task,
        &done,
        outcome,
        note,
        actor.audit(),
        Some(&actor.id),
    )
    .await?;
    Ok(done)
}

/// Saves a completed task and what follows from it, in one transaction: a provisioned request
/// issues (or extends) the grant and closes as granted; "won't do" and "errored" close it without
/// access; a confirmed deprovisioning removes the grant; a removal that errored or was refused
/// stays open with a follow-up task. Shared by people and the webhook worker.
pub(crate) async fn finish(
    db: &Db,
    task: &ProvisioningTask,
    done: &ProvisioningTask,
    outcome: TaskOutcome,
    note: Option<String>,
    who: AuditActor,
    acting: Option<&UserId>,
) -> AccessResult<()> {
    let at = now();
    let note_text = note.clone().unwrap_or_default();
    // Read and decide everything first; the transaction below only writes, in the lock order.
    let mut grant_change: Option<(Grant, Grant, GrantAction)> = None;
    let mut new_grant: Option<Grant> = None;
    let mut request_change = None;
    let mut follow_up: Option<ProvisioningTask> = None;
    match task.kind {
        TaskKind::Provision => {
            let req_id = task
                .request
                .clone()
                .ok_or_else(|| AccessError::Data("provision task without request".into()))?;
            let req = requests::load(db, req_id.as_str()).await?;
            let tr = match outcome {
                TaskOutcome::Done => {
                    match &req.extends_grant {
                        Some(gid) => {
                            let g = load_grant(db, gid.as_str()).await?;
                            let g2 = g.extend(&req, at)?;
                            grant_change = Some((g, g2, GrantAction::Extended));
                        }
                        None => new_grant = Some(Grant::issue(GrantId::new(new_id()), &req, at)?),
                    }
                    req.mark_granted(at)?
                }
                TaskOutcome::WontDo => req.mark_not_provisioned(&note_text, at)?,
                TaskOutcome::Errored => req.mark_provisioning_failed(&note_text, at)?,
            };
            request_change = Some((req, tr));
        }
        TaskKind::Deprovision => {
            let gid = task
                .grant
                .clone()
                .ok_or_else(|| AccessError::Data("deprovision task without grant".into()))?;
            let g = load_grant(db, gid.as_str()).await?;
            let label = outcome.label(task.kind);
            let problem = match note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(n) => format!("{label}: {n}"),
                None => label.to_string(),
            };
            let update = g.after_removal_task(outcome, &problem, at)?;
            if update.removal_still_open {
                let dir = directory::snapshot(db).await?;
                follow_up = Some(done.follow_up(ProvisioningTaskId::new(new_id()), &dir, at)?);
            }
            grant_change = Some((g, update.grant, update.action));
        }
    }
    let concurrently = |e| match e {
        AccessError::Stale => AccessError::Domain(DomainError::transition(
            "complete this task",
            "someone else completed it, or changed this access, at the same time",
        )),
        other => other,
    };

    let mut tx = db.begin().await?;
    // The guarded writes come first (grant, then task): the loser of two simultaneous clicks
    // stops at the first of them.
    if let Some((g, g2, _)) = &grant_change {
        save_grant(&mut tx, Some(g.version), g2, at)
            .await
            .map_err(concurrently)?;
    }
    save_task(&mut tx, Some(task.version), done, at)
        .await
        .map_err(concurrently)?;
    if let Some(g) = &new_grant {
        save_grant(&mut tx, None, g, at).await?;
    }
    if let Some(next) = &follow_up {
        insert_tasks(&mut tx, std::slice::from_ref(next), at).await?;
    }
    // The request row, then (inside `persist`, and below) the audit head.
    if let Some((req, tr)) = &request_change {
        requests::persist(&mut tx, Some(req.version), tr, acting, at).await?;
    }
    let mut entries = vec![
        Entry::new(
            who.clone(),
            "provisioning.task_completed",
            format!("task:{}", task.id),
        )
        .before(Some(to_json(task)?))
        .after(Some(to_json(done)?)),
    ];
    if let Some(g) = &new_grant {
        entries.push(grant_audit(who.clone(), GrantAction::Issued, None, g)?);
    }
    if let Some((g, g2, action)) = &grant_change {
        entries.push(grant_audit(who.clone(), *action, Some(g), g2)?);
    }
    if let Some(next) = &follow_up {
        entries.push(task_opened_entry(
            next,
            AuditActor::System,
            format!(
                "grant:{}",
                next.grant
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ),
        )?);
    }
    audit::append_all(&mut tx, at, entries).await?;
    tx.commit().await?;
    Ok(())
}

/// Saves a task that changed without completing (a failed webhook call: retry later, or fall
/// back to a manual task), with its audit event and, for the fallback, the notifications.
pub(crate) async fn save_progress(
    db: &Db,
    task: &ProvisioningTask,
    next: &ProvisioningTask,
    action: &str,
) -> AccessResult<()> {
    let at = now();
    let mut tx = db.begin().await?;
    save_task(&mut tx, Some(task.version), next, at).await?;
    audit::append(
        &mut tx,
        at,
        Entry::new(AuditActor::System, action, format!("task:{}", task.id))
            .before(Some(to_json(task)?))
            .after(Some(to_json(next)?)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether an open deprovisioning task already works on grant `grant_id`.
async fn removal_task_open(db: &Db, grant_id: &str) -> AccessResult<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM provisioning_tasks WHERE grant_id = $1 AND kind = 'deprovision' AND open = 1",
    )
    .bind(grant_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// The task that takes over the removal of `g` when none is open: the follow-up of its last
/// deprovisioning task if that one errored or was refused (escalated), else a fresh one.
async fn next_removal_task(
    db: &Db,
    g: &Grant,
    ent: &Entitlement,
    dir: &DirectorySnapshot,
    at: Timestamp,
) -> AccessResult<ProvisioningTask> {
    let last = sqlx::query(
        "SELECT body FROM provisioning_tasks WHERE grant_id = $1 AND kind = 'deprovision' ORDER BY created_at DESC LIMIT 1",
    )
    .bind(g.id.as_str())
    .fetch_optional(&db.pool)
    .await?
    .map(|r| from_json::<ProvisioningTask>(&r.try_get::<String, _>("body")?))
    .transpose()?;
    match last {
        Some(t) if t.failed() => Ok(t.follow_up(ProvisioningTaskId::new(new_id()), dir, at)?),
        _ => Ok(ProvisioningTask::open(deprovision_task(g, ent), dir, at)),
    }
}

/// Saves `g` → `g2` with its audit event and, when given, the task that will remove the access, in
/// one transaction and in the lock order: the grant, then the task, then the audit head.
async fn save_removal(
    db: &Db,
    g: &Grant,
    g2: &Grant,
    action: GrantAction,
    actor: AuditActor,
    task: Option<&ProvisioningTask>,
) -> AccessResult<()> {
    let at = now();
    let mut tx = db.begin().await?;
    save_grant(&mut tx, Some(g.version), g2, at).await?;
    let mut entries = vec![grant_audit(actor.clone(), action, Some(g), g2)?];
    if let Some(task) = task {
        insert_tasks(&mut tx, std::slice::from_ref(task), at).await?;
        entries.push(task_opened_entry(task, actor, format!("grant:{}", g2.id))?);
    }
    if action == GrantAction::Expired
        && let Some(n) = domain::outbox::for_grant(g2, NotificationKind::AccessExpired)
    {
        outbox::enqueue(&mut tx, at, &[n]).await?;
    }
    audit::append_all(&mut tx, at, entries).await?;
    tx.commit().await?;
    Ok(())
}

/// "I'm done": the holder releases their access early.
pub async fn release(db: &Db, actor: &Actor, grant_id: &str) -> AccessResult<()> {
    let g = load_grant(db, grant_id).await?;
    let at = now();
    let g2 = g.release(&actor.id, at)?;
    let dir = directory::snapshot(db).await?;
    let ent = catalog::load_entitlement(db, g.entitlement.as_str()).await?;
    let task = ProvisioningTask::open(deprovision_task(&g2, &ent), &dir, at);
    save_removal(
        db,
        &g,
        &g2,
        GrantAction::Released,
        actor.audit(),
        Some(&task),
    )
    .await
}

/// An admin revokes a grant: an active one, or one whose removal is pending (it becomes an
/// admin's revocation, and gets a task if none is open, say after a failed removal).
pub async fn revoke(db: &Db, actor: &Actor, grant_id: &str) -> AccessResult<()> {
    let g = load_grant(db, grant_id).await?;
    let app = catalog::load_app(db, g.app.as_str()).await?;
    let at = now();
    let g2 = g.revoke(&actor.id, &actor.roles, &app, at)?;
    let task = if g.is_active() || !removal_task_open(db, grant_id).await? {
        let dir = directory::snapshot(db).await?;
        let ent = catalog::load_entitlement(db, g.entitlement.as_str()).await?;
        Some(next_removal_task(db, &g2, &ent, &dir, at).await?)
    } else {
        None
    };
    save_removal(
        db,
        &g,
        &g2,
        GrantAction::Revoked,
        actor.audit(),
        task.as_ref(),
    )
    .await
}

/// Gives every grant whose removal is pending but has no open task (left so by a version before
/// removals converged, or by a bug) the task that takes it over, escalated when its last task
/// failed; the grant records the problem, so it shows "removal overdue". At most `limit` per round.
pub async fn reopen_stuck_removals(db: &Db, limit: i64) -> AccessResult<usize> {
    let rows = sqlx::query(
        "SELECT g.body FROM grants g WHERE g.state = 'pending_removal' AND NOT EXISTS \
         (SELECT 1 FROM provisioning_tasks t WHERE t.grant_id = g.id AND t.kind = 'deprovision' AND t.open = 1) \
         ORDER BY g.expires_at, g.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let dir = directory::snapshot(db).await?;
    let mut reopened = 0;
    for r in rows {
        let g: Grant = from_json(&r.try_get::<String, _>("body")?)?;
        let at = now();
        let ent = catalog::load_entitlement(db, g.entitlement.as_str()).await?;
        let task = next_removal_task(db, &g, &ent, &dir, at).await?;
        let problem = task
            .previous_problem
            .clone()
            .or_else(|| g.removal_problem().map(str::to_string))
            .unwrap_or_else(|| "the removal was left without an open task".into());
        let g2 = g.removal_failed(&problem)?;
        match save_removal(
            db,
            &g,
            &g2,
            GrantAction::RemovalFailed,
            AuditActor::System,
            Some(&task),
        )
        .await
        {
            Ok(()) => reopened += 1,
            // Someone changed the grant meanwhile (and gave it a task, or removed it).
            Err(AccessError::Stale) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(reopened)
}

/// Expires every active grant whose time is up (at most `limit`), oldest expiry first, in one
/// transaction: the grants' guarded updates, then the deprovisioning tasks, notifications and
/// audit events as multi-row inserts, so a burst of expiries costs a few statements and one commit
/// rather than a transaction each. Safe to run in several processes at once: the version guard
/// lets exactly one of them expire each grant.
pub async fn expire_due(db: &Db, limit: i64) -> AccessResult<usize> {
    let at = now();
    // Ordered by (expires_at, id), a total order: two sweeps lock the grants in the same order.
    let rows = sqlx::query("SELECT body FROM grants WHERE state = 'active' AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2")
        .bind(at.as_unix_millis())
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    // A grant that can't be read or expired is logged and skipped, so one broken row never holds
    // up every other expiry (it stays active and is retried next round).
    let mut due = Vec::with_capacity(rows.len());
    for r in rows {
        let parsed = r
            .try_get::<String, _>("body")
            .map_err(AccessError::from)
            .and_then(|body| from_json::<Grant>(&body));
        match parsed {
            Ok(g) => match g.expire(at) {
                Ok(g2) => due.push((g, g2)),
                Err(e) => tracing::error!(grant = %g.id, error = %e, "could not expire a grant"),
            },
            Err(e) => tracing::error!(error = %e, "unreadable grant in the expiry sweep"),
        }
    }
    let dir = directory::snapshot(db).await?;
    // One lookup per entitlement per batch: a burst of expiries is usually a handful of them.
    let mut entitlements: BTreeMap<String, Entitlement> = BTreeMap::new();
    for (g, _) in &due {
        if !entitlements.contains_key(g.entitlement.as_str()) {
            match catalog::load_entitlement(db, g.entitlement.as_str()).await {
                Ok(ent) => {
                    entitlements.insert(g.entitlement.to_string(), ent);
                }
                Err(e) => {
                    tracing::error!(grant = %g.id, error = %e, "could not load the entitlement of an expiring grant");
                }
            }
        }
    }

    let mut tx = db.begin().await?;
    let mut tasks = Vec::new();
    let mut entries = Vec::new();
    let mut notifications = Vec::new();
    for (g, g2) in &due {
        let Some(ent) = entitlements.get(g.entitlement.as_str()) else {
            continue;
        };
        match save_grant(&mut tx, Some(g.version), g2, at).await {
            Ok(()) => {}
            // Released, revoked or expired by someone else since we read it: theirs stands.
            Err(AccessError::Stale) => continue,
            Err(e) => return Err(e),
        }
        let task = ProvisioningTask::open(deprovision_task(g2, ent), &dir, at);
        entries.push(grant_audit(
            AuditActor::System,
            GrantAction::Expired,
            Some(g),
            g2,
        )?);
        entries.push(task_opened_entry(
            &task,
            AuditActor::System,
            format!("grant:{}", g2.id),
        )?);
        notifications.extend(domain::outbox::for_grant(
            g2,
            NotificationKind::AccessExpired,
        ));
        tasks.push(task);
    }
    insert_tasks(&mut tx, &tasks, at).await?;
    outbox::enqueue(&mut tx, at, &notifications).await?;
    // The audit head is taken last, so the chain is locked only for the end of the batch.
    audit::append_all(&mut tx, at, entries).await?;
    tx.commit().await?;
    Ok(tasks.len())
}

/// Runs [`expire_due`] in batches until nothing is due: the body of the `grant-expiry` job.
pub async fn expire_all_due(db: &Db) -> AccessResult<usize> {
    let mut total = 0;
    loop {
        match expire_due(db, 500).await? {
            0 => return Ok(total),
            n => total += n,
        }
    }
}

/// Enqueues the "expiring soon" reminder (3 business days ahead, `Grant::reminder_at`) for active
/// grants whose reminder time has come. Idempotent: the outbox dedupe key names the grant's
/// current period, so re-running enqueues nothing twice and an extension earns a new reminder.
pub async fn remind_expiring(db: &Db) -> AccessResult<usize> {
    let at = now();
    // Three business days are at most a week or so of calendar days, even around holidays.
    let horizon = at.as_unix_millis() + 10 * 86_400_000;
    let rows = sqlx::query(
        "SELECT body FROM grants WHERE state = 'active' AND expires_at > $1 AND expires_at <= $2",
    )
    .bind(at.as_unix_millis())
    .bind(horizon)
    .fetch_all(&db.pool)
    .await?;
    let calendar = catalog::tenant(db).await?.calendar;
    let mut due = Vec::new();
    for r in rows {
        let g: Grant = from_json(&r.try_get::<String, _>("body")?)?;
        if g.reminder_at(&calendar).is_some_and(|t| t <= at)
            && let Some(n) = domain::outbox::for_grant(&g, NotificationKind::AccessExpiring)
        {
            due.push(n);
        }
    }
    if due.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    outbox::enqueue(&mut tx, at, &due).await?;
    tx.commit().await?;
    Ok(due.len())
}
