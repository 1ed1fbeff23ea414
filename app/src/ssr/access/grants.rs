//! Grants and provisioning tasks: approval opens a provisioning task; "Provisioned" issues (or
//! extends) the grant; expiry, release and revocation open a deprovisioning task; "Deprovisioned"
//! removes the grant. Every save is guarded by `version`, so a sweep running in two processes,
//! or two provisioners clicking at once, changes each object exactly once.

use std::collections::BTreeMap;

use sqlx::Row;

pub use crate::api::views::{GrantFilter, GrantRow, TaskRow};

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

async fn open_deprovision_task(
    tx: &mut Tx<'_>,
    grant: &Grant,
    ent: &Entitlement,
    dir: &DirectorySnapshot,
    actor: AuditActor,
    at: Timestamp,
) -> AccessResult<ProvisioningTask> {
    let new = deprovision_task(grant, ent);
    open_task(tx, new, dir, actor, format!("grant:{}", grant.id), at).await
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
/// access; a confirmed deprovisioning removes the grant. Shared by people and the webhook worker.
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
    let mut tx = db.pool.begin().await?;
    // First statement is the guarded write: the loser of two simultaneous clicks stops here.
    save_task(&mut tx, Some(task.version), done, at)
        .await
        .map_err(|e| match e {
            AccessError::Stale => AccessError::Domain(DomainError::transition(
                "complete this task",
                "someone else completed it at the same time",
            )),
            other => other,
        })?;
    audit::append(
        &mut tx,
        at,
        Entry::new(
            who.clone(),
            "provisioning.task_completed",
            format!("task:{}", task.id),
        )
        .before(Some(to_json(task)?))
        .after(Some(to_json(done)?)),
    )
    .await?;
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
                            save_grant(&mut tx, Some(g.version), &g2, at).await?;
                            audit::append(
                                &mut tx,
                                at,
                                grant_audit(who.clone(), GrantAction::Extended, Some(&g), &g2)?,
                            )
                            .await?;
                        }
                        None => {
                            let g = Grant::issue(GrantId::new(new_id()), &req, at)?;
                            save_grant(&mut tx, None, &g, at).await?;
                            audit::append(
                                &mut tx,
                                at,
                                grant_audit(who.clone(), GrantAction::Issued, None, &g)?,
                            )
                            .await?;
                        }
                    }
                    req.mark_granted(at)?
                }
                TaskOutcome::WontDo => req.mark_not_provisioned(&note_text, at)?,
                TaskOutcome::Errored => req.mark_provisioning_failed(&note_text, at)?,
            };
            requests::persist(&mut tx, Some(req.version), &tr, acting, at).await?;
        }
        TaskKind::Deprovision => {
            let gid = task
                .grant
                .clone()
                .ok_or_else(|| AccessError::Data("deprovision task without grant".into()))?;
            let g = load_grant(db, gid.as_str()).await?;
            let (g2, action) = match outcome {
                TaskOutcome::Done => (Some(g.confirm_removed(at)?), GrantAction::RemovalConfirmed),
                TaskOutcome::WontDo => (Some(g.cancel_removal(at)?), GrantAction::RemovalCancelled),
                // Errored: access is still there; the grant stays "pending removal".
                TaskOutcome::Errored => (None, GrantAction::RemovalConfirmed),
            };
            if let Some(g2) = g2 {
                save_grant(&mut tx, Some(g.version), &g2, at).await?;
                audit::append(
                    &mut tx,
                    at,
                    grant_audit(who.clone(), action, Some(&g), &g2)?,
                )
                .await?;
            }
        }
    }
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
    let mut tx = db.pool.begin().await?;
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

/// Starts removal of `g` (already transitioned to `g2`) and opens the deprovisioning task.
async fn start_removal(
    db: &Db,
    g: &Grant,
    g2: &Grant,
    action: GrantAction,
    actor: AuditActor,
    dir: &DirectorySnapshot,
    ent: &Entitlement,
) -> AccessResult<()> {
    let at = now();
    let mut tx = db.pool.begin().await?;
    save_grant(&mut tx, Some(g.version), g2, at).await?;
    audit::append(
        &mut tx,
        at,
        grant_audit(actor.clone(), action, Some(g), g2)?,
    )
    .await?;
    open_deprovision_task(&mut tx, g2, ent, dir, actor, at).await?;
    if action == GrantAction::Expired
        && let Some(n) = domain::outbox::for_grant(g2, NotificationKind::AccessExpired)
    {
        outbox::enqueue(&mut tx, at, &[n]).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// "I'm done": the holder releases their access early.
pub async fn release(db: &Db, actor: &Actor, grant_id: &str) -> AccessResult<()> {
    let g = load_grant(db, grant_id).await?;
    let g2 = g.release(&actor.id, now())?;
    let dir = directory::snapshot(db).await?;
    let ent = catalog::load_entitlement(db, g.entitlement.as_str()).await?;
    start_removal(
        db,
        &g,
        &g2,
        GrantAction::Released,
        actor.audit(),
        &dir,
        &ent,
    )
    .await
}

/// An admin revokes a grant.
pub async fn revoke(db: &Db, actor: &Actor, grant_id: &str) -> AccessResult<()> {
    let g = load_grant(db, grant_id).await?;
    let app = catalog::load_app(db, g.app.as_str()).await?;
    let g2 = g.revoke(&actor.id, &actor.roles, &app, now())?;
    let dir = directory::snapshot(db).await?;
    let ent = catalog::load_entitlement(db, g.entitlement.as_str()).await?;
    start_removal(db, &g, &g2, GrantAction::Revoked, actor.audit(), &dir, &ent).await
}

/// (app name, entitlement display name) for every entitlement id, for listing rows.
async fn entitlement_labels(db: &Db) -> AccessResult<BTreeMap<String, (String, String)>> {
    let mut labels = BTreeMap::new();
    for l in catalog::list(db).await? {
        for e in l.entitlements {
            labels.insert(e.id.to_string(), (l.app.name.clone(), e.display_name.clone()));
        }
    }
    Ok(labels)
}

/// Expires every active grant whose time is up (at most `limit`), oldest expiry first, in one
/// transaction: the grants' guarded updates, then the deprovisioning tasks, notifications and
/// audit events as multi-row inserts, so a burst of expiries costs a few statements and one commit
/// rather than a transaction each. Safe to run in several processes at once: the version guard
/// lets exactly one of them expire each grant.
pub async fn expire_due(db: &Db, limit: i64) -> AccessResult<usize> {
    let at = now();
    let rows = sqlx::query("SELECT body FROM grants WHERE state = 'active' AND expires_at <= $1 ORDER BY expires_at LIMIT $2")
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

    let mut tx = db.pool.begin().await?;
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

pub async fn list(
    db: &Db,
    filter: &GrantFilter,
    only_subject: Option<&UserId>,
) -> AccessResult<Vec<GrantRow>> {
    let subject = match (only_subject, filter.user_email.trim()) {
        (Some(u), _) => user_row(u)?,
        (None, "") => 0,
        (None, email) => directory::find_by_email(db, email).await?.unwrap_or(-1),
    };
    let at = now();
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
    let labels = entitlement_labels(db).await?;
    let mut out = Vec::new();
    for r in rows {
        let g: Grant = from_json(&r.try_get::<String, _>("body")?)?;
        let (app, ent) = labels
            .get(g.entitlement.as_str())
            .cloned()
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
            status: status.to_string(),
            status_label: status.label().to_string(),
            remaining: g.remaining_label(at),
            source_request: g.source_request.to_string(),
        });
    }
    Ok(out)
}

/// Open tasks assigned to `user` (all open tasks for Super Admins).
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
    let labels = entitlement_labels(db).await?;
    let mut out = Vec::new();
    for r in rows {
        let t: ProvisioningTask = from_json(&r.try_get::<String, _>("body")?)?;
        let (app, ent) = labels
            .get(t.entitlement.as_str())
            .cloned()
            .unwrap_or_default();
        out.push(TaskRow {
            id: t.id.to_string(),
            kind: t.kind.to_string(),
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
            state: match &t.state {
                TaskState::WebhookPending { attempt, .. } => {
                    format!("webhook call pending (attempt {attempt})")
                }
                TaskState::AwaitingManual { .. } => "waiting for a provisioner".into(),
                TaskState::Completed { outcome, .. } => outcome.label(t.kind).to_string(),
            },
        });
    }
    Ok(out)
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
    let mut tx = db.pool.begin().await?;
    outbox::enqueue(&mut tx, at, &due).await?;
    tx.commit().await?;
    Ok(due.len())
}
