//! Access review campaigns, one function per use case (each one `Db::begin` transaction):
//! create a draft, edit it, validate its scope (count and sample), stage it (the snapshot: one
//! review task per grant in scope at that instant), start, decide (pending), submit a batch,
//! reassign, end (open reviews skipped or revoked), auto-end on the due date, complete; and
//! cancelling the open reviews of a subject who was suspended or deleted.
//!
//! Denied access (and access revoked at the end) is removed through the access loop's own
//! machinery: the grant's revocation (`Grant::revoke_after_review`), the next removal task
//! (`access_loop::next_removal_task`: a follow-up when the last one failed) and its audit events,
//! as revocation and expiry do. Every transition writes `campaign.*` / `review.*` audit events
//! through the hash-chained audit log.
//!
//! Big campaigns stay bounded in memory: staging reads the grants in keyset pages and writes the
//! review tasks in multi-row chunks; ending walks the open reviews a page at a time.
//! Lock order: the campaign row, review tasks, grants, provisioning tasks, the audit head.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::campaign::{
    Campaign, CampaignAction, CampaignFields, CampaignId, CampaignScope, CampaignStatus,
    CancelReason, OpenReviews, PendingDecision, Remediation, ReviewAction, ReviewOutcome,
    ReviewTask, ReviewTaskId, ReviewVerdict, ScopePreview, Submission, check_can_create,
    resolve_reviewers,
};
use crate::domain::{
    AuditActor, DirectorySnapshot, Entitlement, GrantAction, ProvisioningTask, RoleSet, Timestamp,
    UserId, UserStatus,
};
use crate::ssr::access::audit::{self, Entry};
use crate::ssr::access::campaigns;
use crate::ssr::access::{
    AccessError, AccessResult, Actor, Tx, catalog, directory, grants, new_id, now, to_json,
    user_row,
};
use crate::ssr::db::{Db, Engine};

use super::access_loop::{grant_audit, next_removal_task, task_opened_entry};

/// Grants read per page while staging or previewing a scope.
const GRANTS_PAGE: i64 = 1_000;
/// Review tasks handled per page while ending a campaign.
const TASKS_PAGE: i64 = 500;
/// The audit `rule` of removals an access review caused.
const REVIEW_RULE: &str = "access_review";

/// The roles of the people named as owners, as stored (`users.role` and the roles granted on top
/// of it): each must be an active Super Admin or Campaign Administrator.
async fn owner_roles(
    tx: &mut Tx<'_>,
    owners: &[UserId],
) -> AccessResult<BTreeMap<UserId, RoleSet>> {
    directory::roles_of(&mut *tx, owners).await
}

fn campaign_entry(
    actor: AuditActor,
    action: CampaignAction,
    before: Option<&Campaign>,
    after: &Campaign,
) -> AccessResult<Entry> {
    Ok(
        Entry::new(actor, action.as_str(), format!("campaign:{}", after.id))
            .before(before.map(to_json).transpose()?)
            .after(Some(to_json(after)?)),
    )
}

/// Saves `after` (over `before`'s version; `None` for a new campaign) and writes its audit entry:
/// the end of every campaign transition that touches nothing else.
async fn save_and_audit(
    tx: &mut Tx<'_>,
    actor: AuditActor,
    action: CampaignAction,
    before: Option<&Campaign>,
    after: &Campaign,
    at: Timestamp,
) -> AccessResult<()> {
    campaigns::save(tx, before.map(|c| c.version), after, at).await?;
    audit::append(tx, at, campaign_entry(actor, action, before, after)?).await?;
    Ok(())
}

fn review_entry(
    actor: AuditActor,
    action: ReviewAction,
    before: Option<&ReviewTask>,
    after: &ReviewTask,
) -> AccessResult<Entry> {
    Ok(
        Entry::new(actor, action.as_str(), format!("review:{}", after.id))
            .before(before.map(to_json).transpose()?)
            .after(Some(to_json(after)?)),
    )
}

/// A new draft campaign, owned by `fields.owners` (the creator when none).
pub async fn create_draft(
    db: &Db,
    actor: &Actor,
    fields: CampaignFields,
) -> AccessResult<Campaign> {
    let mut tx = db.begin().await?;
    let at = now();
    let mut owners = fields.owners.clone();
    owners.push(actor.id.clone());
    let roles = owner_roles(&mut tx, &owners).await?;
    let c = Campaign::draft(
        CampaignId::new(new_id()),
        fields,
        &actor.id,
        &actor.roles,
        &roles,
        at,
    )?;
    save_and_audit(
        &mut tx,
        actor.audit(),
        CampaignAction::Created,
        None,
        &c,
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

/// Saves an owner's edit of the campaign as it was at `version` (`Stale` when it changed since);
/// only what the campaign's state leaves editable may change.
pub async fn edit(
    db: &Db,
    actor: &Actor,
    id: &str,
    version: u64,
    fields: CampaignFields,
) -> AccessResult<Campaign> {
    let mut tx = db.begin().await?;
    let at = now();
    let c = campaigns::load(&mut tx, id).await?;
    if c.version != version {
        return Err(AccessError::Stale);
    }
    let roles = owner_roles(&mut tx, &fields.owners).await?;
    let c2 = c.edit(fields, &actor.id, &actor.roles, &roles)?;
    save_and_audit(
        &mut tx,
        actor.audit(),
        CampaignAction::Updated,
        Some(&c),
        &c2,
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(c2)
}

/// "Validate scope": how many grants `scope` takes right now, and a sample of them. Reads one
/// consistent snapshot, a page at a time.
pub async fn preview_scope(
    db: &Db,
    actor: &Actor,
    scope: &CampaignScope,
) -> AccessResult<ScopePreview> {
    check_can_create(&actor.roles)?;
    scope.validate()?;
    let mut tx = db.begin_read().await?;
    // One snapshot across the pages: REPEATABLE READ on PostgreSQL; a SQLite read transaction
    // already sees the database as of its first read.
    if db.engine == Engine::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    let dir = directory::snapshot(&mut *tx).await?;
    let resolved = scope.resolve(&dir, now());
    let mut preview = ScopePreview::default();
    let mut after = String::new();
    loop {
        let page = campaigns::active_grants_page(
            &mut *tx,
            &resolved.apps,
            &resolved.entitlements,
            &after,
            GRANTS_PAGE,
        )
        .await?;
        let Some(last) = page.last() else { break };
        after = last.grant.to_string();
        for grant in page {
            if resolved.includes(&grant, &dir) {
                preview.add(grant);
            }
        }
    }
    tx.commit().await?;
    Ok(preview)
}

/// What staging did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staged {
    pub campaign: Campaign,
    /// Review tasks in the snapshot (one per grant in scope).
    pub review_tasks: u64,
}

/// Stages the campaign: freezes scope and review policy and takes the snapshot, one review task
/// per grant in scope at this instant, with its reviewers, in one transaction. Grants are read
/// in keyset pages and tasks written in chunks, so memory stays bounded however many grants are
/// in scope (`docs/benchmarks.md` stages 100,000).
pub async fn stage(db: &Db, actor: &Actor, id: &str) -> AccessResult<Staged> {
    let mut tx = db.begin().await?;
    let at = now();
    let c = campaigns::load(&mut tx, id).await?;
    let c2 = c.stage(&actor.id, &actor.roles, at)?;
    campaigns::save(&mut tx, Some(c.version), &c2, at).await?;
    let dir = directory::snapshot(&mut tx).await?;
    let resolved = c2.fields.scope.resolve(&dir, at);
    // Each grant's step: the campaign's, or, when it defers to entitlements' own review
    // policies, its entitlement's review step. Those are loaded once into a map (not read per
    // grant) and turned into steps once per entitlement.
    let review = &c2.fields.review_policy;
    let campaign_step = review.step_for(None, &c2.fields.owners);
    let entitlement_steps: BTreeMap<_, _> = if review.use_entitlement_policies {
        catalog::review_steps(&mut tx, &resolved.apps, &resolved.entitlements)
            .await?
            .into_iter()
            .map(|(e, own)| (e, review.step_for(Some(&own), &c2.fields.owners)))
            .collect()
    } else {
        BTreeMap::new()
    };
    let mut count: u64 = 0;
    let mut after = String::new();
    // The snapshot's task ids share a random prefix and count up: each index on the task id
    // then grows at one place instead of at 100,000 random ones, which keeps a big snapshot's
    // writes within SQLite's page cache (docs/benchmarks.md, "Campaign staging").
    let id_prefix: String = new_id().chars().take(16).collect();
    loop {
        let page = campaigns::active_grants_page(
            &mut tx,
            &resolved.apps,
            &resolved.entitlements,
            &after,
            GRANTS_PAGE,
        )
        .await?;
        let Some(last) = page.last() else { break };
        after = last.grant.to_string();
        let tasks: Vec<ReviewTask> = page
            .into_iter()
            .filter(|g| resolved.includes(g, &dir))
            .enumerate()
            .map(|(i, g)| {
                let step = entitlement_steps
                    .get(&g.entitlement)
                    .unwrap_or(&campaign_step);
                let reviewers = resolve_reviewers(step, &g, &dir).users;
                let id = ReviewTaskId::new(format!("{id_prefix}{:016x}", count + i as u64));
                ReviewTask::open(id, c2.id.clone(), g, reviewers)
            })
            .collect();
        campaigns::insert_tasks(&mut tx, &tasks, at).await?;
        count += tasks.len() as u64;
    }
    let entry = campaign_entry(actor.audit(), CampaignAction::Staged, Some(&c), &c2)?.after(Some(
        serde_json::json!({ "campaign": c2, "review_tasks": count }).to_string(),
    ));
    audit::append(&mut tx, at, entry).await?;
    tx.commit().await?;
    Ok(Staged {
        campaign: c2,
        review_tasks: count,
    })
}

/// Opens the reviews to the reviewers; with `notify_reviewers` ("Notify reviewers now") each
/// reviewer with open reviews gets the kickoff message.
pub async fn start(
    db: &Db,
    actor: &Actor,
    id: &str,
    notify_reviewers: bool,
) -> AccessResult<Campaign> {
    let mut tx = db.begin().await?;
    let at = now();
    let c = campaigns::load(&mut tx, id).await?;
    let c2 = c.start(&actor.id, &actor.roles, at)?;
    save_and_audit(
        &mut tx,
        actor.audit(),
        CampaignAction::Started,
        Some(&c),
        &c2,
        at,
    )
    .await?;
    if notify_reviewers {
        super::campaign_notifications::kickoff_in(&mut tx, &c2).await?;
    }
    super::campaign_channel::campaign_started(&mut tx, &c2).await?;
    tx.commit().await?;
    Ok(c2)
}

/// A reviewer's ✓ Certify or ✗ Deny, pending until they submit (deciding again replaces it).
pub async fn decide(
    db: &Db,
    actor: &Actor,
    task_id: &str,
    verdict: ReviewVerdict,
    reason: Option<&str>,
) -> AccessResult<PendingDecision> {
    let mut tx = db.begin().await?;
    let task = campaigns::load_task(&mut tx, task_id).await?;
    let c = campaigns::load(&mut tx, task.campaign.as_str()).await?;
    let pending = task.decide(&c, &actor.id, &actor.roles, verdict, reason, now())?;
    campaigns::save_decision(&mut tx, &c.id, &pending).await?;
    tx.commit().await?;
    Ok(pending)
}

/// Takes back a pending decision before submitting it.
pub async fn undo_decision(db: &Db, actor: &Actor, task_id: &str) -> AccessResult<()> {
    let mut tx = db.begin().await?;
    campaigns::delete_decision(&mut tx, &ReviewTaskId::new(task_id), &actor.id).await?;
    tx.commit().await?;
    Ok(())
}

/// What a submission did, for the confirmation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Submitted {
    pub submitted: usize,
    pub certified: usize,
    pub denied: usize,
    /// Decided by someone else first (or closed meanwhile), with who when a person did.
    pub decided_elsewhere: Vec<(ReviewTaskId, Option<UserId>)>,
    /// Denied grants whose removal started now ("remediate immediately").
    pub removals_started: usize,
}

/// "Submit reviews": applies `actor`'s pending decisions in the campaign as one batch. Reviews
/// decided by someone else first are counted, not applied; with "remediate immediately" denied
/// access starts its removal in the same transaction.
pub async fn submit(db: &Db, actor: &Actor, campaign_id: &str) -> AccessResult<Submitted> {
    let mut tx = db.begin().await?;
    let at = now();
    // First the campaign row: this batch and the campaign's end queue behind each other, and
    // what is read next is read after an end that got there first.
    match campaigns::lock(&mut tx, campaign_id, CampaignStatus::Running).await {
        Ok(()) => {}
        Err(AccessError::Stale) => {
            let c = campaigns::load(&mut tx, campaign_id).await?;
            return Err(crate::domain::DomainError::InvalidTransition {
                action: "submit reviews".into(),
                reason: format!("the campaign is {}", c.status().as_str()),
            }
            .into());
        }
        Err(e) => return Err(e),
    }
    let c = campaigns::load(&mut tx, campaign_id).await?;
    let pending = campaigns::pending_decisions(&mut tx, campaign_id, &actor.id).await?;
    let mut tasks = Vec::with_capacity(pending.len());
    for d in &pending {
        tasks.push(campaigns::load_task(&mut tx, d.task.as_str()).await?);
    }
    let s: Submission =
        crate::domain::campaign::submit_batch(&c, &actor.id, &actor.roles, &tasks, &pending, at)?;
    let mut entries = Vec::new();
    let mut due = Vec::new();
    for (before, after) in &s.applied {
        campaigns::save_task(&mut tx, before, after, at).await?;
        let action = match after.outcome() {
            ReviewOutcome::Denied => ReviewAction::Denied,
            _ => ReviewAction::Certified,
        };
        entries.push(review_entry(actor.audit(), action, Some(before), after)?);
        if after.remediation_due(&c) {
            due.push(after.clone());
        }
    }
    campaigns::drop_decisions_of(&mut tx, campaign_id, &actor.id).await?;
    super::campaign_channel::progress_changed(&mut tx, &c.id).await?;
    let submission = campaigns::record_submission(&mut tx, campaign_id, &actor.id, &s, at).await?;
    entries.push(
        Entry::new(
            actor.audit(),
            ReviewAction::Submitted.as_str(),
            format!("campaign:{campaign_id}"),
        )
        .after(Some(
            serde_json::json!({
                "submission": submission,
                "submitted": s.submitted(),
                "certified": s.certified,
                "denied": s.denied,
                "decided_elsewhere": s.decided_elsewhere.len(),
            })
            .to_string(),
        )),
    );
    let mut removals = Removals::default();
    let dir = if due.is_empty() {
        DirectorySnapshot::default()
    } else {
        directory::snapshot(&mut tx).await?
    };
    for task in &due {
        let by = task.decided_by().cloned();
        remediate(
            &mut tx,
            &dir,
            by.as_ref(),
            actor.audit(),
            task,
            at,
            &mut removals,
        )
        .await?;
    }
    let removals_started = removals.started;
    removals.flush(&mut tx, at, entries).await?;
    tx.commit().await?;
    Ok(Submitted {
        submitted: s.submitted(),
        certified: s.certified,
        denied: s.denied,
        decided_elsewhere: s.decided_elsewhere,
        removals_started,
    })
}

/// Hands a review to other reviewers, with a reason; pending decisions of people who no longer
/// review it are dropped.
pub async fn reassign(
    db: &Db,
    actor: &Actor,
    task_id: &str,
    to: &[UserId],
    reason: &str,
) -> AccessResult<ReviewTask> {
    let mut tx = db.begin().await?;
    let at = now();
    let task = campaigns::load_task(&mut tx, task_id).await?;
    let c = campaigns::load(&mut tx, task.campaign.as_str()).await?;
    let dir = directory::snapshot(&mut tx).await?;
    let after = task.reassign(&c, &actor.id, &actor.roles, to, reason, &dir)?;
    campaigns::save_task(&mut tx, &task, &after, at).await?;
    campaigns::drop_decisions_of_others(&mut tx, &after).await?;
    super::campaign_channel::reviewers_assigned(&mut tx, &after.campaign, &after.reviewers).await?;
    let entry =
        review_entry(actor.audit(), ReviewAction::Reassigned, Some(&task), &after)?.after(Some(
            serde_json::json!({
                "review": after,
                "from": task.reviewers,
                "to": after.reviewers,
                "reason": reason.trim(),
            })
            .to_string(),
        ));
    audit::append(&mut tx, at, entry).await?;
    super::campaign_notifications::reassigned_in(&mut tx, &actor.id, &task, &after, reason).await?;
    tx.commit().await?;
    Ok(after)
}

/// What ending a campaign did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ended {
    pub skipped: u64,
    pub revoked: u64,
    /// Grants whose removal started (denied earlier, or revoked now).
    pub removals_started: u64,
    /// Pending decisions never submitted, dropped.
    pub unsubmitted_dropped: u64,
}

/// An owner ends the campaign: open reviews are skipped or revoked, and the access of denied
/// and revoked reviews starts its removal.
pub async fn end(db: &Db, actor: &Actor, id: &str, choice: OpenReviews) -> AccessResult<Ended> {
    let mut tx = db.begin().await?;
    let at = now();
    let c = campaigns::load(&mut tx, id).await?;
    let c2 = c.end(&actor.id, &actor.roles, choice, at)?;
    let ended = finish(&mut tx, &c, &c2, Some(&actor.id), actor.audit(), at).await?;
    tx.commit().await?;
    Ok(ended)
}

/// Ends every running campaign with auto-end set whose due date has come, as Latch (the body of
/// a periodic job). Returns how many ended.
pub async fn end_due(db: &Db) -> AccessResult<usize> {
    let mut done = 0;
    for id in campaigns::due_to_end(db, now()).await? {
        let mut tx = db.begin().await?;
        let at = now();
        let c = campaigns::load(&mut tx, &id).await?;
        // Ended by an owner, or its due date moved, since the look above.
        let Ok(c2) = c.end_automatically(at) else {
            continue;
        };
        finish(&mut tx, &c, &c2, None, AuditActor::System, at).await?;
        tx.commit().await?;
        done += 1;
    }
    Ok(done)
}

/// Saves the ended campaign `c2` and closes its reviews, inside `tx`.
async fn finish(
    tx: &mut Tx<'_>,
    c: &Campaign,
    c2: &Campaign,
    by: Option<&UserId>,
    actor: AuditActor,
    at: Timestamp,
) -> AccessResult<Ended> {
    let crate::domain::campaign::CampaignState::Ended { open_reviews, .. } = c2.state else {
        return Err(AccessError::Data("finish expects an ended campaign".into()));
    };
    campaigns::save(tx, Some(c.version), c2, at).await?;
    let id = c2.id.as_str();
    let mut ended = Ended::default();
    let mut after = String::new();
    loop {
        let page =
            campaigns::tasks_page(&mut *tx, id, ReviewOutcome::Open, &after, TASKS_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id.to_string();
        let mut entries = Vec::new();
        for task in &page {
            let Some(closed) = task.close_at_end(open_reviews, at) else {
                continue;
            };
            campaigns::save_task(tx, task, &closed, at).await?;
            match open_reviews {
                // Skipping changes no access: the campaign's event counts them.
                OpenReviews::Skip => ended.skipped += 1,
                OpenReviews::Revoke => {
                    ended.revoked += 1;
                    entries.push(review_entry(
                        actor.clone(),
                        ReviewAction::Revoked,
                        Some(task),
                        &closed,
                    )?);
                }
            }
        }
        audit::append_all(tx, at, entries).await?;
    }
    ended.unsubmitted_dropped = campaigns::drop_all_decisions(tx, id).await?;
    super::campaign_channel::campaign_ended(tx, &c2.id).await?;
    let dir = directory::snapshot(&mut *tx).await?;
    let mut after = String::new();
    loop {
        let page = campaigns::waiting_remediation_page(&mut *tx, id, &after, TASKS_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id.to_string();
        let mut removals = Removals::default();
        for task in &page {
            // A denial is removed in its reviewer's name; a revocation at the end in the name of
            // who ended the campaign.
            let remover = task.decided_by().cloned().or_else(|| by.cloned());
            remediate(
                tx,
                &dir,
                remover.as_ref(),
                actor.clone(),
                task,
                at,
                &mut removals,
            )
            .await?;
        }
        ended.removals_started += removals.started as u64;
        removals.flush(tx, at, Vec::new()).await?;
    }
    let entry = campaign_entry(actor, CampaignAction::Ended, Some(c), c2)?.after(Some(
        serde_json::json!({
            "campaign": c2,
            "open_reviews": open_reviews,
            "skipped": ended.skipped,
            "revoked": ended.revoked,
            "removals_started": ended.removals_started,
            "unsubmitted_dropped": ended.unsubmitted_dropped,
        })
        .to_string(),
    ));
    audit::append(tx, at, entry).await?;
    super::campaign_notifications::closed_in(tx, c2).await?;
    Ok(ended)
}

/// Seals an ended campaign: read-only from now on.
pub async fn complete(db: &Db, actor: &Actor, id: &str) -> AccessResult<Campaign> {
    let mut tx = db.begin().await?;
    let at = now();
    let c = campaigns::load(&mut tx, id).await?;
    let c2 = c.complete(&actor.id, &actor.roles, at)?;
    save_and_audit(
        &mut tx,
        actor.audit(),
        CampaignAction::Completed,
        Some(&c),
        &c2,
        at,
    )
    .await?;
    super::campaign_notifications::closed_in(&mut tx, &c2).await?;
    super::campaign_channel::campaign_ended(&mut tx, &c2.id).await?;
    tx.commit().await?;
    Ok(c2)
}

/// Cancels the open reviews (in staged or running campaigns) of `subject`, who now has `status`,
/// inside the caller's transaction: what suspending or deleting a user does to their reviews.
/// Nothing when they are active. Returns how many were cancelled.
pub async fn cancel_reviews_in(
    tx: &mut Tx<'_>,
    subject: &UserId,
    status: UserStatus,
    actor: AuditActor,
    at: Timestamp,
) -> AccessResult<usize> {
    let Some(why) = CancelReason::for_status(status) else {
        return Ok(0);
    };
    let mut entries = Vec::new();
    for task in campaigns::open_tasks_of_subject(&mut *tx, subject).await? {
        let Some(cancelled) = task.cancel(why, at) else {
            continue;
        };
        campaigns::save_task(tx, &task, &cancelled, at).await?;
        entries.push(review_entry(
            actor.clone(),
            ReviewAction::Cancelled,
            Some(&task),
            &cancelled,
        )?);
    }
    let n = entries.len();
    audit::append_all(tx, at, entries).await?;
    Ok(n)
}

/// [`cancel_reviews_in`] in its own transaction, reading the subject's status there: for a door
/// that changed the status already (the directory's user edit, an IdP sync).
pub async fn cancel_reviews_of_subject(
    db: &Db,
    actor: AuditActor,
    subject: &UserId,
) -> AccessResult<usize> {
    let mut tx = db.begin().await?;
    let status: String = sqlx::query_scalar("SELECT status FROM users WHERE id = $1")
        .bind(user_row(subject)?)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AccessError::NotFound("The user".into()))?;
    let n = cancel_reviews_in(&mut tx, subject, UserStatus::parse(&status)?, actor, now()).await?;
    tx.commit().await?;
    Ok(n)
}

/// Removals started while closing reviews, written together: the deprovisioning tasks in one
/// multi-row insert and the audit events in one append.
#[derive(Default)]
struct Removals {
    tasks: Vec<ProvisioningTask>,
    entries: Vec<Entry>,
    entitlements: BTreeMap<String, Entitlement>,
    started: usize,
}

impl Removals {
    async fn flush(
        self,
        tx: &mut Tx<'_>,
        at: Timestamp,
        mut before: Vec<Entry>,
    ) -> AccessResult<()> {
        grants::insert_tasks(tx, &self.tasks, at).await?;
        before.extend(self.entries);
        audit::append_all(tx, at, before).await?;
        Ok(())
    }
}

/// Starts removing the access of a denied (or revoked-at-end) review, as revocation does: the
/// grant becomes a revocation pending removal, with a removal task unless one is already open;
/// a grant already removed needs nothing. Records the outcome on the review.
async fn remediate(
    tx: &mut Tx<'_>,
    dir: &DirectorySnapshot,
    by: Option<&UserId>,
    actor: AuditActor,
    task: &ReviewTask,
    at: Timestamp,
    removals: &mut Removals,
) -> AccessResult<()> {
    let grant_id = task.grant.grant.as_str();
    let outcome = match grants::load_grant(&mut *tx, grant_id).await {
        Err(AccessError::NotFound(_)) => Remediation::NotNeeded,
        Err(e) => return Err(e),
        Ok(g) => match g.revoke_after_review(by, at) {
            // Removed since the snapshot: nothing left to remove.
            Err(_) => Remediation::NotNeeded,
            Ok(g2) => {
                let opens_task =
                    g.is_active() || !grants::removal_task_open(&mut *tx, grant_id).await?;
                grants::save_grant(tx, Some(g.version), &g2, at).await?;
                removals.entries.push(
                    grant_audit(actor.clone(), GrantAction::Revoked, Some(&g), &g2)?
                        .rule(Some(REVIEW_RULE)),
                );
                if opens_task {
                    let ent = match removals.entitlements.get(g.entitlement.as_str()) {
                        Some(ent) => ent.clone(),
                        None => {
                            let ent =
                                catalog::load_entitlement(&mut *tx, g.entitlement.as_str()).await?;
                            removals
                                .entitlements
                                .insert(g.entitlement.to_string(), ent.clone());
                            ent
                        }
                    };
                    let removal = next_removal_task(tx, &g2, &ent, dir, at).await?;
                    removals.entries.push(task_opened_entry(
                        &removal,
                        actor.clone(),
                        format!("grant:{}", g2.id),
                    )?);
                    removals.tasks.push(removal);
                }
                removals.started += 1;
                Remediation::Started
            }
        },
    };
    let after = task.remediated(outcome)?;
    campaigns::save_task(tx, task, &after, at).await?;
    let action = match outcome {
        Remediation::NotNeeded => ReviewAction::RemediationNotNeeded,
        Remediation::Started | Remediation::Waiting => ReviewAction::RemediationStarted,
    };
    removals
        .entries
        .push(review_entry(actor, action, Some(task), &after)?);
    Ok(())
}
