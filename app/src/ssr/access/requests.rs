//! Access requests: create, decide (optionally shortening the length), cancel, comment,
//! reassign, escalate to emergency access and retry failed provisioning. The state machine is
//! `domain::request`;
//! this module loads, saves with `WHERE version = old`, and records history, audit and outbox
//! rows in the same transaction.

use sqlx::Row;

use crate::shapes::CreateInput;

use super::audit::{self, Entry};
use super::{
    AccessError, AccessResult, Actor, Tx, catalog, directory, from_json, grants, new_id, now,
    outbox, policies, to_json, user_row, version_i64,
};
use crate::domain::{
    self, AuditActor, DirectorySnapshot, DomainError, DurationChoice, Entitlement, GrantLength,
    NewRequest, OpenRequestRef, Request, RequestEvent, RequestId, RequestInvolvement,
    RequestNumber, RequestOrigin, Timestamp, Transition, UserId, Verdict,
};
use crate::ssr::db::Db;

const MAX_RETRIES: usize = 5;

pub async fn load(db: &Db, id: &str) -> AccessResult<Request> {
    let row = sqlx::query("SELECT body FROM requests WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AccessError::NotFound("The request".into()))?;
    from_json(&row.try_get::<String, _>("body")?)
}

pub async fn load_by_number(db: &Db, number: &str) -> AccessResult<Request> {
    let n = RequestNumber::parse(number)?;
    let row = sqlx::query("SELECT body FROM requests WHERE number = $1")
        .bind(version_i64(n.get()))
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AccessError::NotFound(format!("Request {n}")))?;
    from_json(&row.try_get::<String, _>("body")?)
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
    sqlx::query("DELETE FROM request_assignees WHERE request_id = $1")
        .bind(r.id.as_str())
        .execute(&mut **tx)
        .await?;
    for a in r.assignees() {
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
        audit::append(
            tx,
            at,
            Entry::new(actor, e.audit_action(), target.clone())
                .after(Some(json))
                .rule(e.rule()),
        )
        .await?;
    }
    outbox::enqueue(tx, at, &domain::outbox::for_request_events(r, &tr.events)).await?;
    Ok(())
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

/// Saves a transition of an existing request and starts provisioning if it was just approved
/// (or a failed provisioning is retried), in one transaction.
async fn save(
    db: &Db,
    old: &Request,
    tr: &Transition,
    acting: &UserId,
    ent: &Entitlement,
    dir: &DirectorySnapshot,
) -> AccessResult<()> {
    let at = now();
    let mut tx = db.begin().await?;
    persist(&mut tx, Some(old.version), tr, Some(acting), at).await?;
    if starts_provisioning(tr) {
        grants::open_provision_task(&mut tx, &tr.request, ent, dir, at).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn create(db: &Db, actor: &Actor, input: CreateInput) -> AccessResult<Request> {
    let ent = catalog::load_entitlement(db, input.entitlement_id.trim()).await?;
    let app = catalog::load_app(db, ent.app_id.as_str()).await?;
    let tenant = catalog::tenant(db).await?;
    let dir = directory::snapshot(db).await?;
    let subject = match input.subject_email.trim() {
        "" => actor.id.clone(),
        email => domain::subject_for_request(
            &actor.id,
            &actor.roles,
            email,
            directory::find_by_email(db, email)
                .await?
                .map(super::user_id),
            &dir,
        )?,
    };
    let policy = policies::load(db, ent.policy_for(&app, input.emergency)?.as_str()).await?;
    let groups = directory::groups_of(db, &subject).await?;
    let duration: Option<DurationChoice> = match input.duration.trim() {
        "" => None,
        d => Some(d.parse()?),
    };
    let open = open_requests(db, &subject, ent.id.as_str()).await?;
    let existing = grants::current_for(db, &subject, ent.id.as_str()).await?;
    let at = now();
    let mut tx = db.begin().await?;
    // The counter update is the transaction's first statement: it takes the write lock (SQLite)
    // or the row lock (PostgreSQL) before anything else, so numbers are unique and gap-free.
    let number: i64 = sqlx::query(
        "UPDATE counters SET value = value + 1 WHERE name = 'request_number' RETURNING value",
    )
    .fetch_one(&mut *tx)
    .await?
    .try_get("value")?;
    let tr = domain::create_request(
        NewRequest {
            id: RequestId::new(new_id()),
            number: RequestNumber::new(u64::try_from(number).unwrap_or(0)),
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
            origin: RequestOrigin::Web,
            extension: input.extension,
            existing_grant: existing.as_ref(),
            open_requests: &open,
        },
        &dir,
        at,
    )?;
    persist(&mut tx, None, &tr, Some(&actor.id), at).await?;
    if tr
        .events
        .iter()
        .any(|e| matches!(e, RequestEvent::Approved))
    {
        grants::open_provision_task(&mut tx, &tr.request, &ent, &dir, at).await?;
    }
    tx.commit().await?;
    Ok(tr.request)
}

async fn open_requests(
    db: &Db,
    subject: &UserId,
    entitlement: &str,
) -> AccessResult<Vec<OpenRequestRef>> {
    let rows = sqlx::query(
        "SELECT number, emergency FROM requests WHERE subject_id = $1 AND entitlement_id = $2 AND status <> 'closed' ORDER BY number",
    )
    .bind(user_row(subject)?)
    .bind(entitlement)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OpenRequestRef {
                number: RequestNumber::new(
                    u64::try_from(r.try_get::<i64, _>("number")?).unwrap_or(0),
                ),
                emergency: super::flag(r.try_get("emergency")?),
            })
        })
        .collect()
}

/// Replaces user ids in "already decided by 12" with the person's name.
async fn humanise(db: &Db, e: AccessError) -> AccessError {
    match e {
        AccessError::Domain(DomainError::StepAlreadyDecided { step, decision, by }) => {
            let name = directory::names(db)
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

/// Runs `transition` on the freshest request until it saves or the rules refuse. A concurrent
/// change makes the save `Stale`; reloading re-runs the pure rules, which then say what happened
/// (e.g. "step 1 was already approved by Ada").
async fn with_retries<F>(db: &Db, id: &str, actor: &Actor, transition: F) -> AccessResult<Request>
where
    F: Fn(&Request, &DirectorySnapshot) -> Result<Transition, DomainError>,
{
    let dir = directory::snapshot(db).await?;
    for _ in 0..MAX_RETRIES {
        let req = load(db, id).await?;
        let ent = catalog::load_entitlement(db, req.parties.entitlement.as_str()).await?;
        let tr = match transition(&req, &dir) {
            Ok(tr) => tr,
            Err(e) => return Err(humanise(db, e.into()).await),
        };
        match save(db, &req, &tr, &actor.id, &ent, &dir).await {
            Ok(()) => return Ok(tr.request),
            Err(AccessError::Stale) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(AccessError::Stale)
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
    load_visible(db, actor, id).await?;
    let new_length: Option<GrantLength> = match new_length.as_deref().map(str::trim) {
        // The decide form has one length field for both buttons: a length typed before
        // clicking "Deny" means nothing.
        _ if verdict == Verdict::Denied => None,
        None | Some("") => None,
        Some(text) => Some(text.parse::<DurationChoice>()?.length()),
    };
    with_retries(db, id, actor, |req, dir| {
        req.decide(
            step,
            &actor.id,
            &actor.roles,
            verdict,
            reason.as_deref(),
            new_length,
            dir,
            now(),
        )
    })
    .await
}

/// The subject (or their manager) escalates an open normal request to emergency access: the
/// entitlement's emergency policy replaces the snapshot and routing starts again under it.
pub async fn escalate(db: &Db, actor: &Actor, id: &str) -> AccessResult<Request> {
    actor.roles.check_can_act()?;
    let req = load_visible(db, actor, id).await?;
    let ent = catalog::load_entitlement(db, req.parties.entitlement.as_str()).await?;
    let app = catalog::load_app(db, ent.app_id.as_str()).await?;
    let policy = policies::load(db, ent.policy_for(&app, true)?.as_str()).await?;
    with_retries(db, id, actor, |req, dir| {
        req.escalate_to_emergency(&actor.id, &actor.roles, &app, &ent, &policy, dir, now())
    })
    .await
}

/// Reopens provisioning of an approved request whose provisioning failed, through the
/// entitlement's current provisioning method, without asking the approvers again. The version
/// guard makes a double click retry once; the second click is told it is no longer failed.
pub async fn retry_provisioning(db: &Db, actor: &Actor, id: &str) -> AccessResult<Request> {
    let req = load_visible(db, actor, id).await?;
    let ent = catalog::load_entitlement(db, req.parties.entitlement.as_str()).await?;
    let app = catalog::load_app(db, ent.app_id.as_str()).await?;
    with_retries(db, id, actor, |req, _| {
        req.retry_provisioning(&actor.id, &actor.roles, &app, &ent)
    })
    .await
}

pub async fn cancel(
    db: &Db,
    actor: &Actor,
    id: &str,
    reason: Option<String>,
) -> AccessResult<Request> {
    load_visible(db, actor, id).await?;
    with_retries(db, id, actor, |req, _| {
        req.cancel(&actor.id, &actor.roles, reason.as_deref(), now())
    })
    .await
}

/// Who was assigned any step of `r` (its `request.step_assigned` history) and who is or was
/// assigned its provisioning and deprovisioning tasks: the people `Request::visible_to` cannot
/// find in the request itself.
pub(crate) async fn involvement(db: &Db, r: &Request) -> AccessResult<RequestInvolvement> {
    let mut involvement = RequestInvolvement::default();
    for row in sqlx::query(
        "SELECT body FROM request_events WHERE request_id = $1 AND action = 'request.step_assigned'",
    )
    .bind(r.id.as_str())
    .fetch_all(&db.pool)
    .await?
    {
        if let RequestEvent::StepAssigned(a) = from_json(&row.try_get::<String, _>("body")?)? {
            involvement.step_assignees.extend(a.assignees);
        }
    }
    // A task's assignees while it waits, and whoever completed it once it is done.
    for row in sqlx::query(
        "SELECT body FROM provisioning_tasks \
         WHERE request_id = $1 OR grant_id IN (SELECT id FROM grants WHERE source_request_id = $1)",
    )
    .bind(r.id.as_str())
    .fetch_all(&db.pool)
    .await?
    {
        let task: domain::ProvisioningTask = from_json(&row.try_get::<String, _>("body")?)?;
        involvement
            .task_assignees
            .extend(task.assignees().iter().cloned());
        if let domain::TaskState::Completed { by: Some(by), .. } = task.state {
            involvement.task_assignees.insert(by);
        }
    }
    Ok(involvement)
}

/// Refuses `viewer` unless `Request::visible_to` lets them see `r`, as "not found": whether a
/// request exists is not for everyone to know.
pub(crate) async fn ensure_visible(
    db: &Db,
    viewer: &Actor,
    r: &Request,
    dir: &DirectorySnapshot,
) -> AccessResult<()> {
    let ent = catalog::load_entitlement(db, r.parties.entitlement.as_str()).await?;
    let app = catalog::load_app(db, ent.app_id.as_str()).await?;
    let involvement = involvement(db, r).await?;
    if r.visible_to(&viewer.id, &viewer.roles, &involvement, &app, &ent, dir) {
        Ok(())
    } else {
        Err(AccessError::NotFound(format!("Request {}", r.number)))
    }
}

/// The request `id`, if `actor` may see it; "not found" otherwise, so acting on a request one is
/// not involved in tells nothing about it (not even that it exists or who decided it).
async fn load_visible(db: &Db, actor: &Actor, id: &str) -> AccessResult<Request> {
    let req = load(db, id).await?;
    ensure_visible(db, actor, &req, &directory::snapshot(db).await?).await?;
    Ok(req)
}

/// Adds a comment, for the people involved in the request and admins only.
pub async fn comment(db: &Db, actor: &Actor, id: &str, body: &str) -> AccessResult<Request> {
    load_visible(db, actor, id).await?;
    with_retries(db, id, actor, |req, _| req.comment(&actor.id, body, now())).await
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
    load_visible(db, actor, id).await?;
    // Nobody has this id (user ids are numbers), so the directory finds it inactive.
    let to = directory::find_by_email(db, to_email)
        .await?
        .map_or_else(|| UserId::new("unknown"), super::user_id);
    with_retries(db, id, actor, |req, dir| {
        req.reassign(&actor.id, &actor.roles, &to, reason, dir, now())
            .map_err(|e| domain::reassignment_refusal(e, to_email))
    })
    .await
}
