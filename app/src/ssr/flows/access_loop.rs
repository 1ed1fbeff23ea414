//! The access loop, one function per thing a person does: file a request (or an extension
//! request, whose "Provisioned" extends the grant instead of issuing one), decide a step, cancel,
//! reassign, escalate to emergency access, comment, retry failed provisioning, complete a
//! provisioning task (done / won't do / errored), release and revoke a grant.
//!
//! Each is one transaction (`Db::begin`) in which every read goes through the transaction, and
//! whose writes follow the lock order (grant, tasks, request, audit head). Request actions that
//! lose a race (`Stale`: the request's version moved on between the read and the guarded update)
//! run again on the fresh request, so the rules say what happened ("step 1 was already approved by
//! Ada"); task completion, release and revocation answer that someone else changed it.

use std::future::Future;

use crate::domain::{
    self, App, AuditActor, DirectorySnapshot, DomainError, DomainResult, DurationChoice,
    Entitlement, Grant, GrantAction, GrantId, GrantLength, NewRequest, NewTask, NotificationKind,
    ProvisioningTask, ProvisioningTaskId, Request, RequestEvent, RequestId, RequestOrigin,
    TaskKind, TaskOutcome, Timestamp, Transition, UserId, Verdict,
};
use crate::shapes::CreateInput;
use crate::ssr::access::audit::{self, Entry};
use crate::ssr::access::{
    AccessError, AccessResult, Actor, Tx, catalog, directory, grants, new_id, now, outbox,
    policies, requests, to_json, user_id,
};
use crate::ssr::db::Db;

/// How often a request action reruns after losing a race before it gives up with `Stale`.
const MAX_RETRIES: usize = 5;

/// Files a request (an extension request when `input.extension`) as `actor`, through the door
/// `origin` names; approved at once by an automatic policy, its provisioning task opens in the
/// same transaction.
pub async fn create(
    db: &Db,
    actor: &Actor,
    input: CreateInput,
    origin: RequestOrigin,
) -> AccessResult<Request> {
    let mut tx = db.begin().await?;
    let number = requests::next_number(&mut tx).await?;
    let ent = catalog::load_entitlement(&mut tx, input.entitlement_id.trim()).await?;
    let app = catalog::load_app(&mut tx, ent.app_id.as_str()).await?;
    let tenant = catalog::tenant(&mut tx).await?;
    let dir = directory::snapshot(&mut tx).await?;
    let subject = match input.subject_email.trim() {
        "" => actor.id.clone(),
        email => domain::subject_for_request(
            &actor.id,
            &actor.roles,
            email,
            directory::find_by_email(&mut tx, email).await?.map(user_id),
            &dir,
        )?,
    };
    let policy = policies::load(&mut tx, ent.policy_for(&app, input.emergency)?.as_str()).await?;
    let groups = directory::groups_of(&mut tx, &subject).await?;
    let duration: Option<DurationChoice> = match input.duration.trim() {
        "" => None,
        d => Some(d.parse()?),
    };
    let open = requests::open_for(&mut tx, &subject, ent.id.as_str()).await?;
    let existing = grants::current_for(&mut tx, &subject, ent.id.as_str()).await?;
    let at = now();
    let tr = domain::create_request(
        NewRequest {
            id: RequestId::new(new_id()),
            number,
            requester: actor.id.clone(),
            requester_roles: &actor.roles,
            subject,
            subject_groups: &groups,
            app: &app,
            entitlement: &ent,
            tenant: &tenant,
            policy: &policy,
            duration,
            justification: &input.justification,
            emergency: input.emergency,
            origin,
            extension: input.extension,
            existing_grant: existing.as_ref(),
            open_requests: &open,
        },
        &dir,
        at,
    )?;
    requests::persist(&mut tx, None, &tr, Some(&actor.id), at).await?;
    if starts_provisioning(&tr) {
        open_provision_task(&mut tx, &tr.request, &ent, &dir, at).await?;
    }
    tx.commit().await?;
    Ok(tr.request)
}

/// Approves or denies `step`. `new_length` (form text such as "2h"; empty keeps the requested
/// length) lets an approver shorten the grant, never lengthen it.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    id: &str,
    step: usize,
    verdict: Verdict,
    reason: Option<String>,
    new_length: Option<String>,
) -> AccessResult<Request> {
    actor.roles.check_can_act()?;
    let new_length: Option<GrantLength> = match new_length.as_deref().map(str::trim) {
        // The decide form has one length field for both buttons: a length typed before
        // clicking "Deny" means nothing.
        _ if verdict == Verdict::Denied => None,
        None | Some("") => None,
        Some(text) => Some(text.parse::<DurationChoice>()?.length()),
    };
    let reason = reason.as_deref();
    retrying(move || async move {
        let open = Opened::visible(db, actor, id).await?;
        let tr = open.req.decide(
            step,
            &actor.id,
            &actor.roles,
            verdict,
            reason,
            new_length,
            &open.dir,
            now(),
        );
        open.save(actor, tr).await
    })
    .await
}

/// The subject (or their manager) escalates an open normal request to emergency access: the
/// entitlement's emergency policy replaces the snapshot and routing starts again under it.
pub async fn escalate(db: &Db, actor: &Actor, id: &str) -> AccessResult<Request> {
    actor.roles.check_can_act()?;
    retrying(move || async move {
        let mut open = Opened::visible(db, actor, id).await?;
        let policy_id = open.ent.policy_for(&open.app, true)?;
        let policy = policies::load(&mut open.tx, policy_id.as_str()).await?;
        let tr = open.req.escalate_to_emergency(
            &actor.id,
            &actor.roles,
            &open.app,
            &open.ent,
            &policy,
            &open.dir,
            now(),
        );
        open.save(actor, tr).await
    })
    .await
}

/// Reopens provisioning of an approved request whose provisioning failed, through the
/// entitlement's current provisioning method, without asking the approvers again. The version
/// guard makes a double click retry once; the second click is told it is no longer failed.
pub async fn retry_provisioning(db: &Db, actor: &Actor, id: &str) -> AccessResult<Request> {
    retrying(move || async move {
        let open = Opened::visible(db, actor, id).await?;
        let tr = open
            .req
            .retry_provisioning(&actor.id, &actor.roles, &open.app, &open.ent);
        open.save(actor, tr).await
    })
    .await
}

/// The requester (or a Super Admin) withdraws a request still waiting for approval.
pub async fn cancel(
    db: &Db,
    actor: &Actor,
    id: &str,
    reason: Option<String>,
) -> AccessResult<Request> {
    let reason = reason.as_deref();
    retrying(move || async move {
        let open = Opened::visible(db, actor, id).await?;
        let tr = open.req.cancel(&actor.id, &actor.roles, reason, now());
        open.save(actor, tr).await
    })
    .await
}

/// Adds a comment, for the people involved in the request and admins only.
pub async fn comment(db: &Db, actor: &Actor, id: &str, body: &str) -> AccessResult<Request> {
    retrying(move || async move {
        let open = Opened::visible(db, actor, id).await?;
        let tr = open.req.comment(&actor.id, body, now());
        open.save(actor, tr).await
    })
    .await
}

/// Hands the waiting step to the person with `to_email`. The request must be visible to the
/// caller, and the rules decide whether they may reassign before anything is said about the
/// person: an email nobody has is refused like an inactive user, in the same words.
pub async fn reassign(
    db: &Db,
    actor: &Actor,
    id: &str,
    to_email: &str,
    reason: &str,
) -> AccessResult<Request> {
    retrying(move || async move {
        let mut open = Opened::visible(db, actor, id).await?;
        // Nobody has this id (user ids are numbers), so the directory finds it inactive.
        let to = directory::find_by_email(&mut open.tx, to_email)
            .await?
            .map_or_else(|| UserId::new("unknown"), user_id);
        let tr = open
            .req
            .reassign(&actor.id, &actor.roles, &to, reason, &open.dir, now())
            .map_err(|e| domain::reassignment_refusal(e, to_email));
        open.save(actor, tr).await
    })
    .await
}

/// Runs `attempt` until it does not lose a race (`Stale`), at most [`MAX_RETRIES`] times. Each
/// attempt is its own transaction, so a rerun reads the state the winner committed.
async fn retrying<T, F, Fut>(mut attempt: F) -> AccessResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = AccessResult<T>>,
{
    for _ in 0..MAX_RETRIES {
        match attempt().await {
            Err(AccessError::Stale) => continue,
            other => return other,
        }
    }
    Err(AccessError::Stale)
}

/// A request loaded for an action, with what the rules need, inside the action's transaction.
struct Opened {
    tx: Tx<'static>,
    req: Request,
    ent: Entitlement,
    app: App,
    dir: DirectorySnapshot,
}

impl Opened {
    /// Begins the transaction and loads request `id`, if `actor` may see it; "not found"
    /// otherwise, so acting on a request one is not involved in tells nothing about it (not even
    /// that it exists or who decided it).
    async fn visible(db: &Db, actor: &Actor, id: &str) -> AccessResult<Opened> {
        let mut tx = db.begin().await?;
        let req = requests::load(&mut tx, id).await?;
        let dir = directory::snapshot(&mut tx).await?;
        let ent = catalog::load_entitlement(&mut tx, req.parties.entitlement.as_str()).await?;
        let app = catalog::load_app(&mut tx, ent.app_id.as_str()).await?;
        requests::check_visible(&mut tx, actor, &req, &app, &ent, &dir).await?;
        Ok(Opened {
            tx,
            req,
            ent,
            app,
            dir,
        })
    }

    /// Saves the transition `actor` asked for and starts provisioning if it was just approved (or
    /// a failed provisioning is retried), then commits; a refusal rolls back and is explained.
    async fn save(mut self, actor: &Actor, tr: DomainResult<Transition>) -> AccessResult<Request> {
        let tr = match tr {
            Ok(tr) => tr,
            Err(e) => return Err(humanise(&mut self.tx, e.into()).await),
        };
        let at = now();
        requests::persist(
            &mut self.tx,
            Some(self.req.version),
            &tr,
            Some(&actor.id),
            at,
        )
        .await?;
        if starts_provisioning(&tr) {
            open_provision_task(&mut self.tx, &tr.request, &self.ent, &self.dir, at).await?;
        }
        self.tx.commit().await?;
        Ok(tr.request)
    }
}

/// Replaces user ids in "already decided by 12" with the person's name.
async fn humanise(tx: &mut Tx<'_>, e: AccessError) -> AccessError {
    match e {
        AccessError::Domain(DomainError::StepAlreadyDecided { step, decision, by }) => {
            let name = directory::names(tx)
                .await
                .ok()
                .and_then(|n| n.get(&by).cloned())
                .unwrap_or(by);
            AccessError::Domain(DomainError::StepAlreadyDecided {
                step,
                decision,
                by: name,
            })
        }
        other => other,
    }
}

/// Whether a transition starts provisioning: it was just approved, or failed provisioning is
/// being retried (approvals are not re-collected; a new task opens).
fn starts_provisioning(tr: &Transition) -> bool {
    tr.events.iter().any(|e| {
        matches!(
            e,
            RequestEvent::Approved | RequestEvent::ProvisioningRetried { .. }
        )
    })
}

/// Approval happened: open the provisioning task (manual, or a webhook call due now).
async fn open_provision_task(
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
    let task = ProvisioningTask::open(new, dir, at);
    grants::save_task(tx, None, &task, at).await?;
    let target = format!("request:{}", request.number);
    audit::append(
        tx,
        at,
        task_opened_entry(&task, AuditActor::System, target)?,
    )
    .await?;
    Ok(task)
}

pub(crate) fn task_opened_entry(
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

pub(crate) fn deprovision_task(grant: &Grant, ent: &Entitlement) -> NewTask {
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

pub(crate) fn grant_audit(
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
    let mut tx = db.begin().await?;
    let task = grants::load_task(&mut tx, task_id).await?;
    let done = task.complete(&actor.id, &actor.roles, outcome, note.as_deref(), now())?;
    finish_task(
        &mut tx,
        &task,
        &done,
        outcome,
        note.as_deref(),
        actor.audit(),
        Some(&actor.id),
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

/// Saves a completed task and what follows from it, inside `tx`: a provisioned request issues
/// (or extends) the grant and closes as granted; "won't do" and "errored" close it without
/// access; a confirmed deprovisioning removes the grant; a removal that errored or was refused
/// stays open with a follow-up task. Shared by people and the webhook worker.
pub(crate) async fn finish_task(
    tx: &mut Tx<'_>,
    task: &ProvisioningTask,
    done: &ProvisioningTask,
    outcome: TaskOutcome,
    note: Option<&str>,
    who: AuditActor,
    acting: Option<&UserId>,
) -> AccessResult<()> {
    let at = now();
    let note_text = note.unwrap_or_default();
    // Read and decide everything first (plain reads, no row locks); the writes below then take
    // their locks in the lock order.
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
            let req = requests::load(&mut *tx, req_id.as_str()).await?;
            let tr = match outcome {
                TaskOutcome::Done => {
                    match &req.extends_grant {
                        Some(gid) => {
                            let g = grants::load_grant(&mut *tx, gid.as_str()).await?;
                            let g2 = g.extend(&req, at)?;
                            grant_change = Some((g, g2, GrantAction::Extended));
                        }
                        None => new_grant = Some(Grant::issue(GrantId::new(new_id()), &req, at)?),
                    }
                    req.mark_granted(at)?
                }
                TaskOutcome::WontDo => req.mark_not_provisioned(note_text, at)?,
                TaskOutcome::Errored => req.mark_provisioning_failed(note_text, at)?,
            };
            request_change = Some((req, tr));
        }
        TaskKind::Deprovision => {
            let gid = task
                .grant
                .clone()
                .ok_or_else(|| AccessError::Data("deprovision task without grant".into()))?;
            let g = grants::load_grant(&mut *tx, gid.as_str()).await?;
            let label = outcome.label(task.kind);
            let problem = match note.map(str::trim).filter(|n| !n.is_empty()) {
                Some(n) => format!("{label}: {n}"),
                None => label.to_string(),
            };
            let update = g.after_removal_task(outcome, &problem, at)?;
            if update.removal_still_open {
                let dir = directory::snapshot(&mut *tx).await?;
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

    // The guarded writes come first (grant, then task): the loser of two simultaneous clicks
    // stops at the first of them.
    if let Some((g, g2, _)) = &grant_change {
        grants::save_grant(tx, Some(g.version), g2, at)
            .await
            .map_err(concurrently)?;
    }
    grants::save_task(tx, Some(task.version), done, at)
        .await
        .map_err(concurrently)?;
    if let Some(g) = &new_grant {
        grants::save_grant(tx, None, g, at).await?;
    }
    if let Some(next) = &follow_up {
        grants::insert_tasks(tx, std::slice::from_ref(next), at).await?;
    }
    // The request row, then (inside `persist`, and below) the audit head.
    if let Some((req, tr)) = &request_change {
        requests::persist(tx, Some(req.version), tr, acting, at).await?;
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
    audit::append_all(tx, at, entries).await?;
    Ok(())
}

/// "I'm done": the holder releases their access early.
pub async fn release(db: &Db, actor: &Actor, grant_id: &str) -> AccessResult<()> {
    let mut tx = db.begin().await?;
    let g = grants::load_grant(&mut tx, grant_id).await?;
    let at = now();
    let g2 = g.release(&actor.id, at)?;
    let dir = directory::snapshot(&mut tx).await?;
    let ent = catalog::load_entitlement(&mut tx, g.entitlement.as_str()).await?;
    let task = ProvisioningTask::open(deprovision_task(&g2, &ent), &dir, at);
    save_removal(
        &mut tx,
        &g,
        &g2,
        GrantAction::Released,
        actor.audit(),
        Some(&task),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An admin revokes a grant: an active one, or one whose removal is pending (it becomes an
/// admin's revocation, and gets a task if none is open, say after a failed removal).
pub async fn revoke(db: &Db, actor: &Actor, grant_id: &str) -> AccessResult<()> {
    let mut tx = db.begin().await?;
    let g = grants::load_grant(&mut tx, grant_id).await?;
    let app = catalog::load_app(&mut tx, g.app.as_str()).await?;
    let at = now();
    let g2 = g.revoke(&actor.id, &actor.roles, &app, at)?;
    let task = if g.is_active() || !grants::removal_task_open(&mut tx, grant_id).await? {
        let dir = directory::snapshot(&mut tx).await?;
        let ent = catalog::load_entitlement(&mut tx, g.entitlement.as_str()).await?;
        Some(next_removal_task(&mut tx, &g2, &ent, &dir, at).await?)
    } else {
        None
    };
    save_removal(
        &mut tx,
        &g,
        &g2,
        GrantAction::Revoked,
        actor.audit(),
        task.as_ref(),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The task that takes over the removal of `g` when none is open: the follow-up of its last
/// deprovisioning task if that one errored or was refused (escalated), else a fresh one.
pub(crate) async fn next_removal_task(
    tx: &mut Tx<'_>,
    g: &Grant,
    ent: &Entitlement,
    dir: &DirectorySnapshot,
    at: Timestamp,
) -> AccessResult<ProvisioningTask> {
    match grants::last_removal_task(tx, g.id.as_str()).await? {
        Some(t) if t.failed() => Ok(t.follow_up(ProvisioningTaskId::new(new_id()), dir, at)?),
        _ => Ok(ProvisioningTask::open(deprovision_task(g, ent), dir, at)),
    }
}

/// Saves `g` → `g2` with its audit event and, when given, the task that will remove the access,
/// inside `tx` and in the lock order: the grant, then the task, then the audit head.
pub(crate) async fn save_removal(
    tx: &mut Tx<'_>,
    g: &Grant,
    g2: &Grant,
    action: GrantAction,
    actor: AuditActor,
    task: Option<&ProvisioningTask>,
    at: Timestamp,
) -> AccessResult<()> {
    grants::save_grant(tx, Some(g.version), g2, at).await?;
    let mut entries = vec![grant_audit(actor.clone(), action, Some(g), g2)?];
    if let Some(task) = task {
        grants::insert_tasks(tx, std::slice::from_ref(task), at).await?;
        entries.push(task_opened_entry(task, actor, format!("grant:{}", g2.id))?);
    }
    if action == GrantAction::Expired
        && let Some(n) = domain::outbox::for_grant(g2, NotificationKind::AccessExpired)
    {
        outbox::enqueue(tx, at, &[n]).await?;
    }
    audit::append_all(tx, at, entries).await?;
    Ok(())
}
