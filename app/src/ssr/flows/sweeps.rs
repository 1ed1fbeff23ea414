//! The background jobs' work, done as Latch: grant expiry (`grant-expiry`), expiry reminders,
//! requests left waiting for approval past the tenant's limit (`pending-expiry`), and removals left
//! without an open task (`stuck-removals`). Each is safe to run in several processes at once: the
//! version guards let exactly one of them change each object.

use std::collections::BTreeMap;

use crate::domain::{
    self, AuditActor, Entitlement, GrantAction, NotificationKind, ProvisioningTask,
};
use crate::ssr::access::{AccessError, AccessResult, catalog, directory, grants, now, outbox};
use crate::ssr::access::{audit, pending_expiry, requests};
use crate::ssr::db::Db;

use super::access_loop::{
    deprovision_task, grant_audit, next_removal_task, save_removal, task_opened_entry,
};

/// Expires every active grant whose time is up (at most `limit`), oldest expiry first, in one
/// transaction: the grants' guarded updates, then the deprovisioning tasks, notifications and
/// audit events as multi-row inserts, so a burst of expiries costs a few statements and one commit
/// rather than a transaction each. A grant released or revoked meanwhile is skipped.
pub async fn expire_due(db: &Db, limit: i64) -> AccessResult<usize> {
    // A look without a lock first: the job runs every 250 ms, and most rounds find nothing.
    if !grants::any_due(db, now()).await? {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let at = now();
    // A grant that can't be read or expired is logged and skipped, so one broken row never holds
    // up every other expiry (it stays active and is retried next round).
    let mut due = Vec::new();
    for parsed in grants::due(&mut tx, at, limit).await? {
        match parsed {
            Ok(g) => match g.expire(at) {
                Ok(g2) => due.push((g, g2)),
                Err(e) => tracing::error!(grant = %g.id, error = %e, "could not expire a grant"),
            },
            Err(e) => tracing::error!(error = %e, "unreadable grant in the expiry sweep"),
        }
    }
    if due.is_empty() {
        return Ok(0);
    }
    let dir = directory::snapshot(&mut tx).await?;
    // One lookup per entitlement per batch: a burst of expiries is usually a handful of them.
    let mut entitlements: BTreeMap<String, Entitlement> = BTreeMap::new();
    for (g, _) in &due {
        if !entitlements.contains_key(g.entitlement.as_str()) {
            match catalog::load_entitlement(&mut tx, g.entitlement.as_str()).await {
                Ok(ent) => {
                    entitlements.insert(g.entitlement.to_string(), ent);
                }
                Err(e) => {
                    tracing::error!(grant = %g.id, error = %e, "could not load the entitlement of an expiring grant");
                }
            }
        }
    }

    let mut tasks = Vec::new();
    let mut entries = Vec::new();
    let mut notifications = Vec::new();
    for (g, g2) in &due {
        let Some(ent) = entitlements.get(g.entitlement.as_str()) else {
            continue;
        };
        match grants::save_grant(&mut tx, Some(g.version), g2, at).await {
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
    grants::insert_tasks(&mut tx, &tasks, at).await?;
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
    let mut tx = db.begin().await?;
    let at = now();
    // Three business days are at most a week or so of calendar days, even around holidays.
    let horizon = domain::Timestamp::from_unix_millis(at.as_unix_millis() + 10 * 86_400_000);
    let expiring = grants::expiring_between(&mut tx, at, horizon).await?;
    if expiring.is_empty() {
        return Ok(0);
    }
    let calendar = catalog::tenant(&mut tx).await?.calendar;
    let due: Vec<_> = expiring
        .iter()
        .filter(|g| g.reminder_at(&calendar).is_some_and(|t| t <= at))
        .filter_map(|g| domain::outbox::for_grant(g, NotificationKind::AccessExpiring))
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    outbox::enqueue(&mut tx, at, &due).await?;
    tx.commit().await?;
    Ok(due.len())
}

/// Gives every grant whose removal is pending but has no open task (left so by a version before
/// removals converged, or by a bug) the task that takes it over, escalated when its last task
/// failed; the grant records the problem, so it shows "removal overdue". At most `limit` per
/// round, each grant in its own transaction (each moves the audit head, which is taken last).
pub async fn reopen_stuck_removals(db: &Db, limit: i64) -> AccessResult<usize> {
    let stuck = grants::stuck_removals(db, limit).await?;
    let mut reopened = 0;
    for listed in stuck {
        match reopen_removal(db, &listed).await {
            Ok(true) => reopened += 1,
            Ok(false) => {}
            // Someone changed the grant meanwhile (and gave it a task, or removed it).
            Err(AccessError::Stale) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(reopened)
}

/// [`reopen_stuck_removals`] for one grant, unless it changed since it was listed.
async fn reopen_removal(db: &Db, listed: &domain::Grant) -> AccessResult<bool> {
    let mut tx = db.begin().await?;
    let g = grants::load_grant(&mut tx, listed.id.as_str()).await?;
    if g.version != listed.version || grants::removal_task_open(&mut tx, g.id.as_str()).await? {
        return Ok(false);
    }
    let at = now();
    let dir = directory::snapshot(&mut tx).await?;
    let ent = catalog::load_entitlement(&mut tx, g.entitlement.as_str()).await?;
    let task = next_removal_task(&mut tx, &g, &ent, &dir, at).await?;
    let problem = task
        .previous_problem
        .clone()
        .or_else(|| g.removal_problem().map(str::to_string))
        .unwrap_or_else(|| "the removal was left without an open task".into());
    let g2 = g.removal_failed(&problem)?;
    save_removal(
        &mut tx,
        &g,
        &g2,
        GrantAction::RemovalFailed,
        AuditActor::System,
        Some(&task),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Closes, as expired, requests still waiting for approval past the tenant's limit
/// (`pending_expiry::rule`; at most `limit` per call, oldest first). Each closes in its own
/// transaction with its audit events and the requester's notification; a request decided
/// meanwhile is left alone (version guard).
pub async fn expire_pending_requests(db: &Db, limit: i64) -> AccessResult<usize> {
    let rule = pending_expiry::rule(db).await?;
    let Some(cutoff) = rule.created_on_or_before(now()) else {
        return Ok(0);
    };
    let mut expired = 0;
    for listed in requests::pending_filed_before(db, cutoff, limit).await? {
        let listed = match listed {
            Ok(request) => request,
            Err(e) => {
                tracing::error!(error = %e, "unreadable request in the pending-expiry sweep");
                continue;
            }
        };
        match expire_pending_request(db, &listed, &rule).await {
            Ok(()) => expired += 1,
            // Decided, cancelled or reassigned since we listed it: that change stands.
            Err(AccessError::Stale) => {}
            Err(AccessError::Domain(e)) => {
                tracing::error!(request = %listed.number, error = %e, "could not expire a pending request");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(expired)
}

/// [`expire_pending_requests`] for one request; `Stale` if it changed since it was listed.
async fn expire_pending_request(
    db: &Db,
    listed: &domain::Request,
    rule: &domain::PendingExpiry,
) -> AccessResult<()> {
    let mut tx = db.begin().await?;
    let request = requests::load(&mut tx, listed.id.as_str()).await?;
    if request.version != listed.version {
        return Err(AccessError::Stale);
    }
    let at = now();
    let tr = request.expire(&rule.reason(), at)?;
    requests::persist(&mut tx, Some(request.version), &tr, None, at).await?;
    tx.commit().await?;
    Ok(())
}
