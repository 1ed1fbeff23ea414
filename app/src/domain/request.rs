//! The access-request state machine.
//!
//! ```text
//! create ──► PendingApproval(step k, assignees) ──approve──► … ──► Provisioning ──► Closed(granted)
//!               │  deny (any step) ──────────────────────────────────────────────► Closed(denied)
//!               │  cancel (requester/admin) ─────────────────────────────────────► Closed(cancelled)
//!               │  expire (SLA / timeout) ───────────────────────────────────────► Closed(expired)
//!               │  nobody eligible ──────────────────────────────────────────────► Closed(error)
//!               └─ reassign / comment / escalate-to-emergency stay in PendingApproval
//! An external decider step waits in PendingApproval with no assignee (tier `external_decider`)
//! until its decider answers: approve/deny decide the step as above; anything else assigns it to
//! the step's fallback humans (`decider_answered`). Nobody decides it meanwhile; a Super Admin
//! may cancel it or hand it to a person (reassign), and the decider's late answer is then ignored.
//! Provisioning ── provisioned ─► Closed(granted); errored ─► Closed(error) ─ retry ─► Provisioning;
//!                 won't do ─► Closed(cancelled)
//! ```
//!
//! Every transition is a method taking `&self` and returning a [`Transition`]: the new request plus the
//! events it produced (for the audit log and the notification outbox). The request is never mutated in
//! place, so a failed transition leaves the caller's value untouched. `version` increases by one on
//! every transition; the storage layer updates `WHERE version = old` so concurrent clicks cannot both
//! win, and the pure rules additionally reject a second decision on a decided step, naming who decided.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use super::catalog::{App, Entitlement, TenantSettings, can_see};
use super::directory::Directory;
use super::duration::{DurationChoice, GrantLength};
use super::error::{DomainError, DomainResult};
use super::grant::Grant;
use super::ids::{GrantId, GroupId, PolicyId, RequestId, RequestNumber, UserId};
use super::policy::{
    ApprovalStep, AssignmentTier, AutoRule, Decider, DeciderOutcome, Evaluation, Next, Policy,
    PolicyStep, RequestParties, StepAssignment, StepDecision, Verdict, assign_decider_fallback,
    check_may_decide, evaluate,
};
use super::roles::{RoleSet, check_can_request_for};
use super::time::Timestamp;

pub const MAX_JUSTIFICATION_LEN: usize = 4_000;
pub const MAX_COMMENT_LEN: usize = 10_000;
pub const MAX_REASON_LEN: usize = 2_000;

string_enum! {
    /// Where a request came from.
    pub enum RequestOrigin: "request origin" {
        Web => "web",
        Slack => "slack",
        Api => "api",
    }
}

string_enum! {
    /// How a closed request ended.
    pub enum Outcome: "request outcome" {
        /// Access was provisioned (or the grant extended).
        Granted => "granted",
        /// A step denied it (by a person or by policy).
        Denied => "denied",
        /// The requester or an admin cancelled it, or the provisioner marked it "won't do".
        Cancelled => "cancelled",
        /// Provisioning errored, or nobody was eligible to approve.
        Error => "error",
        /// It timed out while still waiting for approval.
        Expired => "expired",
    }
}

string_enum! {
    /// Flat status for storage columns and list filters.
    pub enum RequestStatus: "request status" {
        PendingApproval => "pending_approval",
        Provisioning => "provisioning",
        Closed => "closed",
    }
}

/// Where a request is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RequestState {
    /// Waiting for one of `assignment.assignees` to decide `assignment.step`.
    PendingApproval { assignment: StepAssignment },
    /// Approved; waiting for the provisioning task or webhook.
    Provisioning,
    /// Finished. The assignee is cleared on close.
    Closed {
        outcome: Outcome,
        at: Timestamp,
        note: Option<String>,
    },
}

impl RequestState {
    pub fn status(&self) -> RequestStatus {
        match self {
            RequestState::PendingApproval { .. } => RequestStatus::PendingApproval,
            RequestState::Provisioning => RequestStatus::Provisioning,
            RequestState::Closed { .. } => RequestStatus::Closed,
        }
    }

    pub fn outcome(&self) -> Option<Outcome> {
        match self {
            RequestState::Closed { outcome, .. } => Some(*outcome),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            RequestState::PendingApproval { assignment }
                if assignment.tier == AssignmentTier::ExternalDecider =>
            {
                format!(
                    "waiting for the external decider of step {}",
                    assignment.step + 1
                )
            }
            RequestState::PendingApproval { assignment } => {
                format!("waiting for approval of step {}", assignment.step + 1)
            }
            RequestState::Provisioning => "approved and being provisioned".into(),
            RequestState::Closed { outcome, .. } => format!("closed ({outcome})"),
        }
    }
}

/// A comment on a request (synced with Slack threads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub author: UserId,
    pub at: Timestamp,
    pub body: String,
}

/// A reassignment of a waiting step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reassignment {
    pub step: usize,
    pub from: Vec<UserId>,
    pub to: UserId,
    pub by: UserId,
    pub reason: String,
    pub at: Timestamp,
}

/// Something that happened to a request. The storage layer turns these into audit events
/// ([`RequestEvent::audit_action`]) and notifications (see `outbox`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RequestEvent {
    Created,
    /// The policy decided a step without a human (the rule is inside).
    AutoDecided(StepDecision),
    /// A step is waiting; these people must be told.
    StepAssigned(StepAssignment),
    /// An external decider did not decide its step (abstained, no answer in time, an error, an
    /// unreadable answer): the step goes to its fallback humans. `why` in words.
    DeciderPassed {
        step: usize,
        decider: String,
        why: String,
    },
    Decided(StepDecision),
    DurationChanged {
        from: GrantLength,
        to: GrantLength,
        by: UserId,
    },
    /// All steps approved: provisioning must start.
    Approved,
    Denied {
        step: usize,
    },
    Cancelled {
        by: UserId,
        reason: Option<String>,
    },
    Reassigned(Reassignment),
    Commented(Comment),
    EscalatedToEmergency {
        by: UserId,
    },
    Expired {
        reason: String,
    },
    /// Closed in error (no eligible approver, or provisioning failed).
    Failed {
        reason: String,
    },
    /// Provisioning was declined ("won't do").
    NotProvisioned {
        note: String,
    },
    Granted,
    ProvisioningRetried {
        by: UserId,
    },
}

impl RequestEvent {
    /// Stable audit action name.
    pub fn audit_action(&self) -> &'static str {
        match self {
            RequestEvent::Created => "request.created",
            RequestEvent::AutoDecided(d) if d.verdict == Verdict::Denied => "request.auto_denied",
            RequestEvent::AutoDecided(_) => "request.auto_approved_step",
            RequestEvent::StepAssigned(_) => "request.step_assigned",
            RequestEvent::DeciderPassed { .. } => "request.decider_passed",
            RequestEvent::Decided(d) if d.verdict == Verdict::Denied => "request.step_denied",
            RequestEvent::Decided(_) => "request.step_approved",
            RequestEvent::DurationChanged { .. } => "request.duration_changed",
            RequestEvent::Approved => "request.approved",
            RequestEvent::Denied { .. } => "request.denied",
            RequestEvent::Cancelled { .. } => "request.cancelled",
            RequestEvent::Reassigned(_) => "request.reassigned",
            RequestEvent::Commented(_) => "request.commented",
            RequestEvent::EscalatedToEmergency { .. } => "request.escalated_to_emergency",
            RequestEvent::Expired { .. } => "request.expired",
            RequestEvent::Failed { .. } => "request.failed",
            RequestEvent::NotProvisioned { .. } => "request.not_provisioned",
            RequestEvent::Granted => "request.granted",
            RequestEvent::ProvisioningRetried { .. } => "request.provisioning_retried",
        }
    }

    /// The automatic rule behind this event, if any (the audit log's `rule` field).
    pub fn rule(&self) -> Option<&'static str> {
        match self {
            RequestEvent::AutoDecided(d) | RequestEvent::Decided(d) => d.rule.map(|r| r.as_str()),
            RequestEvent::StepAssigned(a) => a.fallback_reason.map(|r| r.as_str()),
            _ => None,
        }
    }
}

/// The result of a transition: the new request and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub request: Request,
    pub events: Vec<RequestEvent>,
}

/// Who is looking at a request, or acting on it: the facts every permission rule reads.
#[derive(Clone, Copy)]
pub struct Viewer<'a> {
    pub id: &'a UserId,
    pub roles: &'a RoleSet,
    pub directory: &'a dyn Directory,
}

/// What a viewer may do to a request right now ([`Request::actions_for`]): each flag is the
/// permission check the matching transition starts with, so a button is offered exactly when
/// pressing it would be accepted (the input aside: a reason, a valid new assignee).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestActions {
    /// Approve or deny the waiting step ([`Request::decide`]).
    pub decide: bool,
    /// Cancel the request ([`Request::cancel`]).
    pub cancel: bool,
    /// Hand the waiting step to someone else ([`Request::reassign`]).
    pub reassign: bool,
    /// Escalate it to emergency access ([`Request::escalate_to_emergency`]).
    pub escalate: bool,
    /// Retry its failed provisioning ([`Request::retry_provisioning`]).
    pub retry: bool,
}

/// An access request (task). Holds a full snapshot of its policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: RequestId,
    pub number: RequestNumber,
    pub parties: RequestParties,
    pub justification: String,
    /// The length asked for.
    pub requested_length: GrantLength,
    /// The length that will be granted (an approver may have shortened it).
    pub length: GrantLength,
    /// Emergency (break-glass) request: uses the emergency policy; shown with a ⚡ badge.
    pub emergency: bool,
    /// For extension requests: the grant whose expiry moves on approval instead of a new grant.
    pub extends_grant: Option<GrantId>,
    pub origin: RequestOrigin,
    /// The policy as it was when the request was created (or escalated).
    pub policy: Policy,
    pub created_at: Timestamp,
    /// One decision per completed step, in order.
    pub decisions: Vec<StepDecision>,
    /// Decisions made under a previous policy (before escalation to emergency), kept for history.
    pub superseded_decisions: Vec<StepDecision>,
    pub state: RequestState,
    pub approved_at: Option<Timestamp>,
    pub comments: Vec<Comment>,
    pub reassignments: Vec<Reassignment>,
    /// Optimistic-concurrency counter, +1 per transition.
    pub version: u64,
}

/// An open request for the same subject and entitlement (for the duplicate check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenRequestRef {
    pub number: RequestNumber,
    pub emergency: bool,
}

/// Everything needed to create a request. The storage layer loads these; `create_request` checks them.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub id: RequestId,
    pub number: RequestNumber,
    pub requester: UserId,
    pub requester_roles: &'a RoleSet,
    pub subject: UserId,
    /// Groups of the subject, for the visibility check.
    pub subject_groups: &'a BTreeSet<GroupId>,
    pub app: &'a App,
    pub entitlement: &'a Entitlement,
    pub tenant: &'a TenantSettings,
    /// The policy named by `entitlement.policy_for(app, emergency)`, loaded by the caller.
    pub policy: &'a Policy,
    /// `None` uses the default length.
    pub duration: Option<DurationChoice>,
    pub justification: &'a str,
    pub emergency: bool,
    pub origin: RequestOrigin,
    /// True for an extension request.
    pub extension: bool,
    /// The subject's current grant of this entitlement, if any.
    pub existing_grant: Option<&'a Grant>,
    /// Open requests by the same subject for the same entitlement.
    pub open_requests: &'a [OpenRequestRef],
}

pub(crate) fn clean_text(field: &str, text: &str, max: usize) -> DomainResult<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DomainError::Required {
            field: field.to_string(),
        });
    }
    if t.chars().count() > max {
        return Err(DomainError::TooLong {
            field: field.to_string(),
            max,
        });
    }
    Ok(t.to_string())
}

pub(crate) fn clean_optional(
    field: &str,
    text: Option<&str>,
    max: usize,
) -> DomainResult<Option<String>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => clean_text(field, t, max).map(Some),
    }
}

/// Creates a request: checks who may ask for what, validates the input, snapshots the policy and runs
/// it as far as it goes without a human (auto-approve steps, self-approval, implicit approval).
pub fn create_request(
    new: NewRequest<'_>,
    directory: &dyn Directory,
    now: Timestamp,
) -> DomainResult<Transition> {
    check_can_request_for(new.requester_roles, &new.requester, &new.subject, directory)?;
    if new.entitlement.app_id != new.app.id {
        return Err(DomainError::invalid(
            "entitlement",
            new.entitlement.id.as_str(),
            "it does not belong to this app",
        ));
    }
    if !can_see(new.entitlement, new.subject_groups) {
        return Err(DomainError::NotVisible);
    }
    let justification = clean_text("a justification", new.justification, MAX_JUSTIFICATION_LEN)?;
    let expected_policy = new.entitlement.policy_for(new.app, new.emergency)?;
    if new.policy.id != expected_policy {
        return Err(DomainError::WrongPolicy {
            expected: expected_policy.to_string(),
            given: new.policy.id.to_string(),
        });
    }
    if let Some(open) = new.open_requests.first() {
        return Err(if new.emergency && !open.emergency {
            DomainError::DuplicateOpenRequestEscalate {
                number: open.number.to_string(),
            }
        } else {
            DomainError::DuplicateOpenRequest {
                number: open.number.to_string(),
            }
        });
    }
    let extends_grant = match (new.extension, new.existing_grant) {
        (true, None) => {
            return Err(DomainError::transition(
                "request an extension",
                "there is no active grant of this access to extend",
            ));
        }
        (true, Some(g)) => {
            g.check_extendable(&new.subject, &new.entitlement.id, now)?;
            Some(g.id.clone())
        }
        (false, Some(g)) if g.is_active() => {
            return Err(DomainError::transition(
                "request this access",
                match g.expires_at {
                    Some(t) => {
                        format!("it is already granted until {t}; request an extension instead")
                    }
                    None => "it is already granted without expiry".to_string(),
                },
            ));
        }
        (false, _) => None,
    };
    let limits = new.entitlement.duration_limits(new.tenant);
    let length = match new.duration {
        Some(choice) => limits.resolve(choice)?,
        None => limits.default_length(),
    };
    let request = Request {
        id: new.id,
        number: new.number,
        parties: RequestParties {
            requester: new.requester,
            subject: new.subject,
            app: new.app.id.clone(),
            entitlement: new.entitlement.id.clone(),
        },
        justification,
        requested_length: length,
        length,
        emergency: new.emergency,
        extends_grant,
        origin: new.origin,
        policy: new.policy.clone(),
        created_at: now,
        decisions: Vec::new(),
        superseded_decisions: Vec::new(),
        // Placeholder, replaced by `advance` below before anyone sees it.
        state: RequestState::Provisioning,
        approved_at: None,
        comments: Vec::new(),
        reassignments: Vec::new(),
        version: 0,
    };
    let mut events = vec![RequestEvent::Created];
    let request = request.advance(directory, now, &mut events);
    Ok(Transition { request, events })
}

impl Request {
    pub fn is_open(&self) -> bool {
        !matches!(self.state, RequestState::Closed { .. })
    }

    /// The step currently waiting, if any.
    pub fn current_assignment(&self) -> Option<&StepAssignment> {
        match &self.state {
            RequestState::PendingApproval { assignment } => Some(assignment),
            _ => None,
        }
    }

    /// Current assignees (empty once closed: the assignee is cleared on close).
    pub fn assignees(&self) -> &[UserId] {
        self.current_assignment()
            .map_or(&[], |a| a.assignees.as_slice())
    }

    /// Everyone who has approved a step so far (for distinct-approver checks).
    pub fn approvers_so_far(&self) -> Vec<UserId> {
        self.decisions
            .iter()
            .filter_map(|d| d.by.user().cloned())
            .collect()
    }

    /// What `viewer` may do to this request right now: the checks the transitions start with,
    /// without making them. `app` and `entitlement` are the request's (escalation and retry
    /// depend on them).
    pub fn actions_for(
        &self,
        viewer: &Viewer<'_>,
        app: &App,
        entitlement: &Entitlement,
    ) -> RequestActions {
        let Viewer {
            id,
            roles,
            directory,
        } = *viewer;
        RequestActions {
            decide: self.check_decider(id, roles, directory).is_ok(),
            cancel: self.check_cancel(id, roles).is_ok(),
            reassign: self.check_reassign(id, roles).is_ok(),
            escalate: self
                .check_escalate(id, roles, app, entitlement, directory)
                .is_ok(),
            retry: self.check_retry(id, roles, app, entitlement).is_ok(),
        }
    }

    /// Whether `user` may approve or deny the waiting step: an active assignee who is not a
    /// read-only admin, not the subject unless the step allows self-approval, and not an earlier
    /// approver when the step needs a distinct one. [`Self::decide`] starts with this check.
    pub fn check_decider(
        &self,
        user: &UserId,
        roles: &RoleSet,
        directory: &dyn Directory,
    ) -> DomainResult<()> {
        roles.check_can_act()?;
        let assignment = self
            .current_assignment()
            .ok_or_else(|| self.not_pending())?;
        if assignment.tier == AssignmentTier::ExternalDecider {
            return Err(DomainError::transition(
                "decide",
                format!(
                    "step {} is waiting for its external decider",
                    assignment.step + 1
                ),
            ));
        }
        let step = self.policy.approval_step(assignment.step).ok_or_else(|| {
            DomainError::transition("decide", "the current step is not an approval step")
        })?;
        check_may_decide(
            step,
            assignment,
            &self.parties,
            &self.approvers_so_far(),
            user,
            directory,
        )
    }

    fn not_pending(&self) -> DomainError {
        match &self.state {
            RequestState::Closed { outcome, .. } => DomainError::RequestClosed {
                number: self.number.to_string(),
                outcome: outcome.to_string(),
            },
            other => DomainError::NotAwaitingApproval {
                number: self.number.to_string(),
                state: other.describe(),
            },
        }
    }

    fn close(&mut self, outcome: Outcome, at: Timestamp, note: Option<String>) {
        self.state = RequestState::Closed { outcome, at, note };
    }

    /// Runs the snapshotted policy from the first undecided step and applies the result.
    fn advance(
        mut self,
        directory: &dyn Directory,
        now: Timestamp,
        events: &mut Vec<RequestEvent>,
    ) -> Self {
        let Evaluation {
            auto_decisions,
            next,
        } = evaluate(&self.policy, &self.parties, &self.decisions, directory, now);
        for d in auto_decisions {
            events.push(RequestEvent::AutoDecided(d.clone()));
            self.decisions.push(d);
        }
        match next {
            Next::AwaitApproval(assignment) => {
                events.push(RequestEvent::StepAssigned(assignment.clone()));
                self.state = RequestState::PendingApproval { assignment };
            }
            Next::Approved => {
                self.approved_at = Some(now);
                self.state = RequestState::Provisioning;
                events.push(RequestEvent::Approved);
            }
            Next::Denied { step } => {
                let note = self
                    .decisions
                    .iter()
                    .find(|d| d.step == step)
                    .and_then(|d| d.reason.clone());
                self.close(Outcome::Denied, now, note);
                events.push(RequestEvent::Denied { step });
            }
            Next::NoEligibleApprover { step } => {
                let reason = format!(
                    "no one other than the requester is eligible to approve step {}; add a fallback approver or another Super Admin",
                    step + 1
                );
                self.close(Outcome::Error, now, Some(reason.clone()));
                events.push(RequestEvent::Failed { reason });
            }
        }
        self.version += 1;
        self
    }

    /// Approves or denies step `step` (zero-based, as in [`StepAssignment::step`]).
    ///
    /// `step` is the step the actor was looking at, so a late or repeated click on an already-decided
    /// step gets "step N was already approved by X" rather than deciding the next step by accident.
    /// `new_length` lets an approver shorten (never lengthen) the granted duration.
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &self,
        step: usize,
        actor: &UserId,
        actor_roles: &RoleSet,
        verdict: Verdict,
        reason: Option<&str>,
        new_length: Option<GrantLength>,
        directory: &dyn Directory,
        now: Timestamp,
    ) -> DomainResult<Transition> {
        if let Some(d) = self.decisions.iter().find(|d| d.step == step) {
            return Err(DomainError::StepAlreadyDecided {
                step: step + 1,
                decision: d.verdict.to_string(),
                by: d.by.to_string(),
            });
        }
        let assignment = self
            .current_assignment()
            .ok_or_else(|| self.not_pending())?;
        if step != assignment.step {
            return Err(DomainError::StepNotReached {
                step: step + 1,
                current: assignment.step + 1,
            });
        }
        self.check_decider(actor, actor_roles, directory)?;
        let policy_step = self.policy.approval_step(step).ok_or_else(|| {
            DomainError::transition("decide", "the current step is not an approval step")
        })?;
        let reason = clean_optional("the reason", reason, MAX_REASON_LEN)?;
        let required = match verdict {
            Verdict::Approved => policy_step.require_approval_reason,
            Verdict::Denied => policy_step.require_denial_reason,
        };
        if required && reason.is_none() {
            return Err(DomainError::ReasonRequired {
                action: match verdict {
                    Verdict::Approved => "approve this request".into(),
                    Verdict::Denied => "deny this request".into(),
                },
            });
        }
        let mut next = self.clone();
        let mut events = Vec::new();
        if let Some(len) = new_length
            && len != self.length
        {
            if verdict == Verdict::Denied {
                return Err(DomainError::transition(
                    "change the length",
                    "the length can only be changed when approving",
                ));
            }
            if len.longer_than(self.length) {
                return Err(DomainError::CannotLengthenDuration {
                    requested: self.length.to_string(),
                    proposed: len.to_string(),
                });
            }
            next.length = len;
            events.push(RequestEvent::DurationChanged {
                from: self.length,
                to: len,
                by: actor.clone(),
            });
        }
        let decision = StepDecision {
            step,
            verdict,
            by: super::policy::Decider::User(actor.clone()),
            at: now,
            reason,
            rule: None,
        };
        events.push(RequestEvent::Decided(decision.clone()));
        next.decisions.push(decision);
        let request = next.advance(directory, now, &mut events);
        Ok(Transition { request, events })
    }

    /// Whether `actor` may cancel this request: the requester or a Super Admin (never a
    /// read-only admin), while it waits for approval. [`Self::cancel`] starts with this check.
    pub fn check_cancel(&self, actor: &UserId, actor_roles: &RoleSet) -> DomainResult<()> {
        actor_roles.check_can_act()?;
        if *actor != self.parties.requester && !actor_roles.is_super_admin() {
            return Err(DomainError::OnlyRequesterCanCancel);
        }
        if self.current_assignment().is_none() {
            return Err(self.not_pending());
        }
        Ok(())
    }

    /// Cancels an open request. Only the requester (or a Super Admin) may, and only while it waits for
    /// approval; once provisioning has started, the provisioning task decides.
    pub fn cancel(
        &self,
        actor: &UserId,
        actor_roles: &RoleSet,
        reason: Option<&str>,
        now: Timestamp,
    ) -> DomainResult<Transition> {
        self.check_cancel(actor, actor_roles)?;
        let reason = clean_optional("the reason", reason, MAX_REASON_LEN)?;
        let mut next = self.clone();
        next.close(Outcome::Cancelled, now, reason.clone());
        next.version += 1;
        Ok(Transition {
            request: next,
            events: vec![RequestEvent::Cancelled {
                by: actor.clone(),
                reason,
            }],
        })
    }

    /// Whether `actor` may hand the waiting step to someone else: a Super Admin, or a current
    /// assignee when the step allows reassignment (never a read-only admin). Returns the waiting
    /// step. [`Self::reassign`] starts with this check.
    pub fn check_reassign(
        &self,
        actor: &UserId,
        actor_roles: &RoleSet,
    ) -> DomainResult<(&StepAssignment, &ApprovalStep)> {
        actor_roles.check_can_act()?;
        let assignment = self
            .current_assignment()
            .ok_or_else(|| self.not_pending())?;
        let step = self.policy.approval_step(assignment.step).ok_or_else(|| {
            DomainError::transition("reassign", "the current step is not an approval step")
        })?;
        let is_assignee = assignment.assignees.contains(actor);
        if !(actor_roles.is_super_admin() || (is_assignee && step.allow_reassignment)) {
            return Err(DomainError::CannotReassign);
        }
        Ok((assignment, step))
    }

    /// Hands the waiting step to someone else. Allowed for a current assignee (if the step allows
    /// reassignment) or a Super Admin, always with a reason. The new assignee must be able to decide:
    /// active, not the subject without self-approval, not an earlier approver on a distinct step.
    pub fn reassign(
        &self,
        actor: &UserId,
        actor_roles: &RoleSet,
        to: &UserId,
        reason: &str,
        directory: &dyn Directory,
        now: Timestamp,
    ) -> DomainResult<Transition> {
        let (assignment, step) = self.check_reassign(actor, actor_roles)?;
        let reason = clean_text("a reason for reassigning", reason, MAX_REASON_LEN)?;
        let invalid = |why: &str| DomainError::InvalidReassignee {
            user: to.to_string(),
            reason: why.to_string(),
        };
        if !directory.is_active(to) {
            return Err(invalid("they are not an active user"));
        }
        if *to == self.parties.subject && !step.allow_self_approval {
            return Err(invalid(
                "they are the subject of this request and self-approval is off",
            ));
        }
        if step.require_distinct_approvers && self.approvers_so_far().contains(to) {
            return Err(invalid(
                "they approved an earlier step and this step needs a different approver",
            ));
        }
        if assignment.assignees.len() == 1 && assignment.assignees.contains(to) {
            return Err(invalid("they are already the only assignee"));
        }
        let record = Reassignment {
            step: assignment.step,
            from: assignment.assignees.clone(),
            to: to.clone(),
            by: actor.clone(),
            reason,
            at: now,
        };
        let mut next = self.clone();
        let mut new_assignment = assignment.clone();
        new_assignment.assignees = vec![to.clone()];
        if new_assignment.tier == AssignmentTier::ExternalDecider {
            // A Super Admin handed a step waiting for its decider to a person: it no longer waits.
            new_assignment.tier = AssignmentTier::Approvers;
        }
        next.state = RequestState::PendingApproval {
            assignment: new_assignment.clone(),
        };
        next.reassignments.push(record.clone());
        next.version += 1;
        Ok(Transition {
            request: next,
            events: vec![
                RequestEvent::Reassigned(record),
                RequestEvent::StepAssigned(new_assignment),
            ],
        })
    }

    /// Adds a comment. Allowed in any state, so the thread can continue after a decision.
    pub fn comment(&self, author: &UserId, body: &str, now: Timestamp) -> DomainResult<Transition> {
        let body = clean_text("the comment", body, MAX_COMMENT_LEN)?;
        let c = Comment {
            author: author.clone(),
            at: now,
            body,
        };
        let mut next = self.clone();
        next.comments.push(c.clone());
        next.version += 1;
        Ok(Transition {
            request: next,
            events: vec![RequestEvent::Commented(c)],
        })
    }

    /// Whether `actor` may escalate this request to emergency access: it waits for approval, is
    /// not an emergency yet, `entitlement` (the request's, in `app`) has an emergency policy, and
    /// the actor is the subject or the subject's manager (never a read-only admin). Returns the
    /// emergency policy's id. [`Self::escalate_to_emergency`] starts with this check.
    pub fn check_escalate(
        &self,
        actor: &UserId,
        actor_roles: &RoleSet,
        app: &App,
        entitlement: &Entitlement,
        directory: &dyn Directory,
    ) -> DomainResult<PolicyId> {
        actor_roles.check_can_act()?;
        if self.current_assignment().is_none() {
            return Err(self.not_pending());
        }
        if self.emergency {
            return Err(DomainError::AlreadyEmergency {
                number: self.number.to_string(),
            });
        }
        if *actor != self.parties.subject && !directory.is_manager_of(actor, &self.parties.subject)
        {
            return Err(DomainError::CannotEscalate);
        }
        if entitlement.id != self.parties.entitlement || app.id != self.parties.app {
            return Err(DomainError::transition(
                "escalate to emergency access",
                "the entitlement given is not the one requested",
            ));
        }
        entitlement.policy_for(app, true)
    }

    /// Escalates an open normal request to emergency access: only the subject or their manager may,
    /// only if the entitlement allows it. The emergency policy replaces the snapshot and routing starts
    /// again from its first step; earlier decisions are kept as history.
    #[allow(clippy::too_many_arguments)]
    pub fn escalate_to_emergency(
        &self,
        actor: &UserId,
        actor_roles: &RoleSet,
        app: &App,
        entitlement: &Entitlement,
        emergency_policy: &Policy,
        directory: &dyn Directory,
        now: Timestamp,
    ) -> DomainResult<Transition> {
        let expected = self.check_escalate(actor, actor_roles, app, entitlement, directory)?;
        if emergency_policy.id != expected {
            return Err(DomainError::WrongPolicy {
                expected: expected.to_string(),
                given: emergency_policy.id.to_string(),
            });
        }
        let mut next = self.clone();
        next.emergency = true;
        next.policy = emergency_policy.clone();
        next.superseded_decisions.append(&mut next.decisions);
        let mut events = vec![RequestEvent::EscalatedToEmergency { by: actor.clone() }];
        let request = next.advance(directory, now, &mut events);
        Ok(Transition { request, events })
    }

    /// Closes a request that waited too long for approval (SLA / timeout). Called by a scheduler.
    pub fn expire(&self, reason: &str, now: Timestamp) -> DomainResult<Transition> {
        if self.current_assignment().is_none() {
            return Err(self.not_pending());
        }
        let mut next = self.clone();
        next.close(Outcome::Expired, now, Some(reason.to_string()));
        next.version += 1;
        Ok(Transition {
            request: next,
            events: vec![RequestEvent::Expired {
                reason: reason.to_string(),
            }],
        })
    }

    fn require_provisioning(&self, action: &str) -> DomainResult<()> {
        match &self.state {
            RequestState::Provisioning => Ok(()),
            RequestState::Closed { outcome, .. } => Err(DomainError::RequestClosed {
                number: self.number.to_string(),
                outcome: outcome.to_string(),
            }),
            other => Err(DomainError::transition(
                action,
                format!("request {} is {}", self.number, other.describe()),
            )),
        }
    }

    /// Provisioning finished: access is granted. (The grant itself is created by `Grant::issue` or
    /// extended by `Grant::extend`.)
    pub fn mark_granted(&self, now: Timestamp) -> DomainResult<Transition> {
        self.require_provisioning("mark the request granted")?;
        let mut next = self.clone();
        next.close(Outcome::Granted, now, None);
        next.version += 1;
        Ok(Transition {
            request: next,
            events: vec![RequestEvent::Granted],
        })
    }

    /// Provisioning errored. The request closes in error but can be retried without new approvals.
    pub fn mark_provisioning_failed(&self, note: &str, now: Timestamp) -> DomainResult<Transition> {
        self.require_provisioning("mark provisioning failed")?;
        let note = clean_text("a note", note, MAX_REASON_LEN)?;
        let mut next = self.clone();
        next.close(Outcome::Error, now, Some(note.clone()));
        next.version += 1;
        Ok(Transition {
            request: next,
            events: vec![RequestEvent::Failed { reason: note }],
        })
    }

    /// The provisioner marked the task "won't do": no access, and no "granted" message.
    pub fn mark_not_provisioned(&self, note: &str, now: Timestamp) -> DomainResult<Transition> {
        self.require_provisioning("mark the request not provisioned")?;
        let note = clean_text("a note", note, MAX_REASON_LEN)?;
        let mut next = self.clone();
        next.close(Outcome::Cancelled, now, Some(note.clone()));
        next.version += 1;
        Ok(Transition {
            request: next,
            events: vec![RequestEvent::NotProvisioned { note }],
        })
    }

    /// Whether provisioning was approved and then failed, so it can be retried.
    pub fn provisioning_failed(&self) -> bool {
        self.approved_at.is_some() && self.state.outcome() == Some(Outcome::Error)
    }

    /// Whether `actor` may retry this request's failed provisioning: it was approved and then
    /// failed, and the actor is a Super Admin, an owner of the app or a provisioner of the
    /// entitlement (never a read-only admin). [`Self::retry_provisioning`] starts with this check.
    pub fn check_retry(
        &self,
        actor: &UserId,
        actor_roles: &RoleSet,
        app: &App,
        entitlement: &Entitlement,
    ) -> DomainResult<()> {
        actor_roles.check_can_act()?;
        let provisioner = match &entitlement.provisioning {
            super::catalog::ProvisioningMethod::Manual { provisioners, .. } => {
                provisioners.contains(actor)
            }
            super::catalog::ProvisioningMethod::Webhook { .. } => false,
        };
        if !(app.id == self.parties.app
            && entitlement.id == self.parties.entitlement
            && (actor_roles.is_super_admin() || app.owners.contains(actor) || provisioner))
        {
            return Err(DomainError::CannotRetryProvisioning);
        }
        if !self.provisioning_failed() {
            return Err(DomainError::transition(
                "retry provisioning",
                "only approved requests whose provisioning failed can be retried",
            ));
        }
        Ok(())
    }

    /// "Retry failed provisioning": back to provisioning, keeping every approval (approvals are never
    /// re-collected). Only for requests that were approved and then failed, and only by a Super
    /// Admin, an owner of the app or a provisioner of the entitlement ([`Self::check_retry`]).
    pub fn retry_provisioning(
        &self,
        actor: &UserId,
        actor_roles: &RoleSet,
        app: &App,
        entitlement: &Entitlement,
    ) -> DomainResult<Transition> {
        self.check_retry(actor, actor_roles, app, entitlement)?;
        let mut next = self.clone();
        next.state = RequestState::Provisioning;
        next.version += 1;
        Ok(Transition {
            request: next,
            events: vec![RequestEvent::ProvisioningRetried { by: actor.clone() }],
        })
    }

    /// The step waiting for its external decider, if the request is waiting for one.
    pub fn waiting_for_decider(&self) -> Option<usize> {
        self.current_assignment()
            .filter(|a| a.tier == AssignmentTier::ExternalDecider)
            .map(|a| a.step)
    }

    /// Records what step `step`'s external decider came to, as Latch. Approve and deny decide the
    /// step, attributed to the decider with its reason, and the policy runs on; anything else
    /// assigns the step to its fallback humans, with why (never an approval). Refused when the
    /// request no longer waits for that decider (cancelled, expired, handed to a person).
    pub fn decider_answered(
        &self,
        step: usize,
        outcome: &DeciderOutcome,
        directory: &dyn Directory,
        now: Timestamp,
    ) -> DomainResult<Transition> {
        if self.waiting_for_decider() != Some(step) {
            return Err(DomainError::transition(
                "record the external decider's answer",
                format!(
                    "request {} is not waiting for the decider of step {}",
                    self.number,
                    step + 1
                ),
            ));
        }
        let decider = self.policy.external_decider_step(step).ok_or_else(|| {
            DomainError::transition(
                "record the external decider's answer",
                "the step is not an external decider step",
            )
        })?;
        let mut next = self.clone();
        let mut events = Vec::new();
        let decided = |verdict: Verdict, reason: &str| StepDecision {
            step,
            verdict,
            by: Decider::External(decider.name.clone()),
            at: now,
            reason: Some(reason.to_string()),
            rule: Some(AutoRule::ExternalDecider),
        };
        let decision = match outcome {
            DeciderOutcome::Approve { reason } => decided(Verdict::Approved, reason),
            DeciderOutcome::Deny { reason } => decided(Verdict::Denied, reason),
            DeciderOutcome::PassToHumans { why } => {
                events.push(RequestEvent::DeciderPassed {
                    step,
                    decider: decider.name.clone(),
                    why: why.clone(),
                });
                match assign_decider_fallback(
                    &self.policy,
                    step,
                    &self.parties,
                    &self.decisions,
                    directory,
                ) {
                    Some(Next::AwaitApproval(assignment)) => {
                        events.push(RequestEvent::StepAssigned(assignment.clone()));
                        next.state = RequestState::PendingApproval { assignment };
                    }
                    _ => {
                        let reason = format!(
                            "the external decider of step {} did not decide and no one other than the requester is eligible to; add a fallback approver or another Super Admin",
                            step + 1
                        );
                        next.close(Outcome::Error, now, Some(reason.clone()));
                        events.push(RequestEvent::Failed { reason });
                    }
                }
                next.version += 1;
                return Ok(Transition {
                    request: next,
                    events,
                });
            }
        };
        events.push(RequestEvent::Decided(decision.clone()));
        next.decisions.push(decision);
        let request = next.advance(directory, now, &mut events);
        Ok(Transition { request, events })
    }

    /// The step kind currently waiting (for display).
    pub fn current_step(&self) -> Option<&PolicyStep> {
        self.current_assignment()
            .and_then(|a| self.policy.step(a.step))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::super::catalog::tests::{app, entitlement};
    use super::super::directory::DirectorySnapshot;
    use super::super::duration::GrantDuration;
    use super::super::ids::PolicyId;
    use super::super::policy::tests::{approval, directory, u};
    use super::super::policy::{ApproverSource, AssignmentTier, AutoRule, Decider, PolicyStep};
    use super::super::roles::Role;
    use super::*;

    pub(crate) const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

    pub(crate) fn two_step_policy() -> Policy {
        Policy {
            id: PolicyId::from("pol-1"),
            name: "Manager then owner".into(),
            revision: 1,
            steps: vec![
                PolicyStep::Approval(approval(vec![ApproverSource::Manager])),
                PolicyStep::Approval(approval(vec![ApproverSource::AppOwners])),
            ],
        }
    }

    pub(crate) struct Fixture {
        pub dir: DirectorySnapshot,
        pub app: App,
        pub ent: Entitlement,
        pub tenant: TenantSettings,
        pub policy: Policy,
        pub groups: BTreeSet<GroupId>,
        pub roles: RoleSet,
    }

    pub(crate) fn fixture() -> Fixture {
        Fixture {
            dir: directory(),
            app: app(),
            ent: entitlement(),
            tenant: TenantSettings::with_cap_days(90),
            policy: two_step_policy(),
            groups: BTreeSet::new(),
            roles: RoleSet::new([]),
        }
    }

    pub(crate) fn new_request<'a>(
        f: &'a Fixture,
        requester: &str,
        subject: &str,
    ) -> NewRequest<'a> {
        NewRequest {
            id: RequestId::from("r1"),
            number: RequestNumber::new(42),
            requester: u(requester),
            requester_roles: &f.roles,
            subject: u(subject),
            subject_groups: &f.groups,
            app: &f.app,
            entitlement: &f.ent,
            tenant: &f.tenant,
            policy: &f.policy,
            duration: Some(DurationChoice::Custom(GrantDuration::days(7))),
            justification: "on-call this week",
            emergency: false,
            origin: RequestOrigin::Slack,
            extension: false,
            existing_grant: None,
            open_requests: &[],
        }
    }

    pub(crate) fn created(f: &Fixture) -> Request {
        create_request(new_request(f, "alice", "alice"), &f.dir, T0)
            .unwrap()
            .request
    }

    /// A request approved by both steps, now in provisioning.
    pub(crate) fn approved(f: &Fixture) -> Request {
        let r = created(f);
        let r = r
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap()
            .request;
        r.decide(
            1,
            &u("owner"),
            &RoleSet::default(),
            Verdict::Approved,
            None,
            None,
            &f.dir,
            T0,
        )
        .unwrap()
        .request
    }

    #[test]
    fn creating_a_request_snapshots_the_policy_and_assigns_the_first_step() {
        let f = fixture();
        let t = create_request(new_request(&f, "alice", "alice"), &f.dir, T0).unwrap();
        let r = &t.request;
        assert_eq!(r.policy, f.policy);
        assert_eq!(r.assignees(), &[u("mgr")]);
        assert_eq!(r.state.status(), RequestStatus::PendingApproval);
        assert_eq!(r.length, GrantLength::Limited(GrantDuration::days(7)));
        assert_eq!(r.version, 1);
        assert_eq!(t.events[0], RequestEvent::Created);
        assert!(matches!(t.events[1], RequestEvent::StepAssigned(_)));
        assert_eq!(t.events[1].audit_action(), "request.step_assigned");
    }

    #[test]
    fn policy_edits_do_not_change_snapshotted_requests() {
        let mut f = fixture();
        let r = created(&f);
        // The admin rewrites the policy to auto-deny after the request was filed.
        f.policy.steps = vec![PolicyStep::Deny { message: None }];
        f.policy.revision += 1;
        let r = r
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap()
            .request;
        assert_eq!(r.assignees(), &[u("owner")], "still follows the snapshot");
        assert_eq!(r.policy.revision, 1);
    }

    #[test]
    fn approving_every_step_moves_the_request_to_provisioning() {
        let f = fixture();
        let r = approved(&f);
        assert_eq!(r.state, RequestState::Provisioning);
        assert_eq!(r.approved_at, Some(T0));
        assert!(r.assignees().is_empty());
        assert_eq!(r.decisions.len(), 2);
        assert_eq!(r.version, 3);
    }

    #[test]
    fn a_deny_at_any_step_ends_the_request() {
        let f = fixture();
        let r = created(&f);
        let t = r
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Denied,
                Some("not on call"),
                None,
                &f.dir,
                T0,
            )
            .unwrap();
        assert_eq!(t.request.state.outcome(), Some(Outcome::Denied));
        assert!(t.events.contains(&RequestEvent::Denied { step: 0 }));
        assert!(
            t.request.assignees().is_empty(),
            "the assignee is cleared on close"
        );
        // The owner never gets step 2.
        let err = t
            .request
            .decide(
                1,
                &u("owner"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap_err();
        assert!(matches!(err, DomainError::RequestClosed { .. }), "{err}");
    }

    #[test]
    fn a_second_decision_on_a_decided_step_is_rejected_naming_who_decided() {
        let f = fixture();
        let r = created(&f);
        let r = r
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap()
            .request;
        let err = r
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Denied,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap_err();
        assert_eq!(err.to_string(), "step 1 was already approved by mgr");
        // Also after the request closed.
        let r = r
            .decide(
                1,
                &u("owner"),
                &RoleSet::default(),
                Verdict::Denied,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap()
            .request;
        let err = r
            .decide(
                1,
                &u("owner"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap_err();
        assert_eq!(err.to_string(), "step 2 was already denied by owner");
    }

    #[test]
    fn deciding_a_step_that_has_not_been_reached_is_rejected() {
        let f = fixture();
        let r = created(&f);
        let err = r
            .decide(
                1,
                &u("owner"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap_err();
        assert_eq!(
            err,
            DomainError::StepNotReached {
                step: 2,
                current: 1
            }
        );
    }

    #[test]
    fn only_assignees_may_decide() {
        let f = fixture();
        let r = created(&f);
        assert!(r.check_decider(&u("bob"), &f.roles, &f.dir).is_err());
        assert!(r.check_decider(&u("mgr"), &f.roles, &f.dir).is_ok());
        let err = r
            .decide(
                0,
                &u("bob"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap_err();
        assert_eq!(err, DomainError::NotAnApprover { step: 1 });
    }

    #[test]
    fn an_approver_suspended_after_assignment_can_no_longer_decide() {
        let mut f = fixture();
        let r = created(&f);
        f.dir.users.get_mut(&u("mgr")).unwrap().status =
            super::super::directory::UserStatus::Suspended;
        let err = r
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap_err();
        assert!(matches!(err, DomainError::UserNotActive { .. }));
    }

    #[test]
    fn requester_cannot_approve_own_step_without_self_approval() {
        let mut f = fixture();
        f.policy.steps = vec![PolicyStep::Approval(approval(vec![ApproverSource::Users(
            vec![u("alice"), u("bob")],
        )]))];
        let r = created(&f);
        assert_eq!(r.assignees(), &[u("bob")]);
        assert!(
            r.check_decider(&u("alice"), &f.roles, &f.dir).is_err(),
            "no Approve/Deny buttons for alice"
        );
        let err = r
            .decide(
                0,
                &u("alice"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap_err();
        assert_eq!(err, DomainError::SelfApprovalNotAllowed);
    }

    #[test]
    fn a_requester_who_may_self_approve_is_approved_automatically_with_the_rule_recorded() {
        let mut f = fixture();
        let mut step = approval(vec![ApproverSource::Users(vec![u("alice")])]);
        step.allow_self_approval = true;
        f.policy.steps = vec![PolicyStep::Approval(step)];
        let t = create_request(new_request(&f, "alice", "alice"), &f.dir, T0).unwrap();
        assert_eq!(t.request.state, RequestState::Provisioning);
        let auto = t
            .events
            .iter()
            .find(|e| matches!(e, RequestEvent::AutoDecided(_)))
            .unwrap();
        assert_eq!(auto.rule(), Some(AutoRule::SelfApproval.as_str()));
        assert_eq!(auto.audit_action(), "request.auto_approved_step");
        assert_eq!(t.request.decisions[0].by, Decider::User(u("alice")));
    }

    #[test]
    fn auto_approval_policies_go_straight_to_provisioning() {
        let mut f = fixture();
        f.policy.steps = vec![PolicyStep::AutoApprove { message: None }];
        let t = create_request(new_request(&f, "alice", "alice"), &f.dir, T0).unwrap();
        assert_eq!(t.request.state, RequestState::Provisioning);
        assert!(t.events.contains(&RequestEvent::Approved));
    }

    #[test]
    fn a_request_nobody_may_approve_closes_in_error_instead_of_waiting_forever() {
        let mut f = fixture();
        f.dir.super_admins = vec![u("alice")];
        f.policy.steps = vec![PolicyStep::Approval(approval(vec![ApproverSource::Users(
            vec![u("gone")],
        )]))];
        let t = create_request(new_request(&f, "alice", "alice"), &f.dir, T0).unwrap();
        assert_eq!(t.request.state.outcome(), Some(Outcome::Error));
        assert!(matches!(t.events.last(), Some(RequestEvent::Failed { .. })));
    }

    #[test]
    fn required_approval_and_denial_reasons_are_enforced() {
        let mut f = fixture();
        let mut step = approval(vec![ApproverSource::Manager]);
        step.require_approval_reason = true;
        step.require_denial_reason = true;
        f.policy.steps = vec![PolicyStep::Approval(step)];
        let r = created(&f);
        for (verdict, reason) in [(Verdict::Approved, None), (Verdict::Denied, Some("   "))] {
            let err = r
                .decide(
                    0,
                    &u("mgr"),
                    &RoleSet::default(),
                    verdict,
                    reason,
                    None,
                    &f.dir,
                    T0,
                )
                .unwrap_err();
            assert!(matches!(err, DomainError::ReasonRequired { .. }), "{err}");
        }
        let t = r
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Approved,
                Some(" on call "),
                None,
                &f.dir,
                T0,
            )
            .unwrap();
        assert_eq!(t.request.decisions[0].reason.as_deref(), Some("on call"));
    }

    #[test]
    fn approvers_may_shorten_but_not_lengthen_the_duration() {
        let f = fixture();
        let r = created(&f);
        let longer = GrantLength::Limited(GrantDuration::days(8));
        let err = r
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                Some(longer),
                &f.dir,
                T0,
            )
            .unwrap_err();
        assert!(matches!(err, DomainError::CannotLengthenDuration { .. }));
        let shorter = GrantLength::Limited(GrantDuration::days(2));
        let t = r
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                Some(shorter),
                &f.dir,
                T0,
            )
            .unwrap();
        assert_eq!(t.request.length, shorter);
        assert_eq!(
            t.request.requested_length,
            GrantLength::Limited(GrantDuration::days(7))
        );
        assert_eq!(t.events[0].audit_action(), "request.duration_changed");
    }

    #[test]
    fn only_the_requester_can_cancel_and_only_while_open() {
        let f = fixture();
        let r = created(&f);
        assert_eq!(
            r.cancel(&u("mgr"), &f.roles, None, T0).unwrap_err(),
            DomainError::OnlyRequesterCanCancel
        );
        let t = r
            .cancel(&u("alice"), &f.roles, Some("not needed"), T0)
            .unwrap();
        assert_eq!(t.request.state.outcome(), Some(Outcome::Cancelled));
        let err = t
            .request
            .cancel(&u("alice"), &f.roles, None, T0)
            .unwrap_err();
        assert!(matches!(err, DomainError::RequestClosed { .. }));
        // A Super Admin may cancel too.
        let admin = RoleSet::new([Role::SuperAdmin]);
        assert!(r.cancel(&u("admin"), &admin, None, T0).is_ok());
        // Not once approved and provisioning.
        assert!(
            approved(&f)
                .cancel(&u("alice"), &f.roles, None, T0)
                .is_err()
        );
    }

    #[test]
    fn a_stale_click_after_cancellation_gets_a_clear_error() {
        let f = fixture();
        let r = created(&f)
            .cancel(&u("alice"), &f.roles, None, T0)
            .unwrap()
            .request;
        let err = r
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "request REQ-42 is already closed (cancelled)"
        );
    }

    #[test]
    fn reassignment_needs_a_reason_and_an_eligible_assignee() {
        let f = fixture();
        let r = created(&f);
        let err = r
            .reassign(&u("mgr"), &f.roles, &u("bob"), "  ", &f.dir, T0)
            .unwrap_err();
        assert!(matches!(err, DomainError::Required { .. }));
        for bad in ["alice", "gone"] {
            let err = r
                .reassign(&u("mgr"), &f.roles, &u(bad), "on leave", &f.dir, T0)
                .unwrap_err();
            assert!(
                matches!(err, DomainError::InvalidReassignee { .. }),
                "{bad}"
            );
        }
        let t = r
            .reassign(&u("mgr"), &f.roles, &u("bob"), "on leave", &f.dir, T0)
            .unwrap();
        assert_eq!(t.request.assignees(), &[u("bob")]);
        assert_eq!(t.request.reassignments.len(), 1);
        assert!(
            t.request
                .check_decider(&u("mgr"), &f.roles, &f.dir)
                .is_err()
        );
        assert!(
            t.request
                .decide(
                    0,
                    &u("bob"),
                    &RoleSet::default(),
                    Verdict::Approved,
                    None,
                    None,
                    &f.dir,
                    T0
                )
                .is_ok()
        );
    }

    #[test]
    fn only_an_assignee_or_an_admin_can_reassign() {
        let f = fixture();
        let r = created(&f);
        assert_eq!(
            r.reassign(&u("bob"), &f.roles, &u("owner"), "x", &f.dir, T0)
                .unwrap_err(),
            DomainError::CannotReassign
        );
        let admin = RoleSet::new([Role::SuperAdmin]);
        assert!(
            r.reassign(
                &u("admin"),
                &admin,
                &u("owner"),
                "manager on leave",
                &f.dir,
                T0
            )
            .is_ok()
        );
    }

    #[test]
    fn a_justification_is_required() {
        let f = fixture();
        let mut n = new_request(&f, "alice", "alice");
        n.justification = "   ";
        assert!(matches!(
            create_request(n, &f.dir, T0),
            Err(DomainError::Required { .. })
        ));
    }

    #[test]
    fn the_requested_length_is_checked_against_the_entitlement_maximum() {
        let f = fixture();
        let mut n = new_request(&f, "alice", "alice");
        n.duration = Some(DurationChoice::Custom(GrantDuration::days(31)));
        assert!(matches!(
            create_request(n, &f.dir, T0),
            Err(DomainError::DurationExceedsMaximum { .. })
        ));
        let mut n = new_request(&f, "alice", "alice");
        n.duration = None;
        let r = create_request(n, &f.dir, T0).unwrap().request;
        assert_eq!(r.length, GrantLength::Limited(GrantDuration::weeks(1)));
    }

    #[test]
    fn invisible_entitlements_cannot_be_requested() {
        let mut f = fixture();
        f.ent.visibility = super::super::catalog::Visibility::Groups([GroupId::from("sre")].into());
        assert_eq!(
            create_request(new_request(&f, "alice", "alice"), &f.dir, T0).unwrap_err(),
            DomainError::NotVisible
        );
        f.groups.insert(GroupId::from("sre"));
        assert!(create_request(new_request(&f, "alice", "alice"), &f.dir, T0).is_ok());
    }

    #[test]
    fn requests_for_other_people_need_a_manager_or_helpdesk_role() {
        let f = fixture();
        assert!(matches!(
            create_request(new_request(&f, "bob", "alice"), &f.dir, T0),
            Err(DomainError::CannotRequestForOthers { .. })
        ));
        // The manager may, and requesting counts as their approval of the manager step.
        let t = create_request(new_request(&f, "mgr", "alice"), &f.dir, T0).unwrap();
        assert_eq!(
            t.request.decisions[0].rule,
            Some(AutoRule::ImplicitRequesterApproval)
        );
        assert_eq!(t.request.assignees(), &[u("owner")]);
    }

    #[test]
    fn requests_for_suspended_or_deleted_users_are_refused() {
        let f = fixture();
        let mut roles = RoleSet::new([Role::AccessRequestHelpdesk]);
        roles = RoleSet::new(roles.iter());
        let mut n = new_request(&f, "bob", "away");
        n.requester_roles = &roles;
        assert!(matches!(
            create_request(n, &f.dir, T0),
            Err(DomainError::UserNotActive { .. })
        ));
    }

    #[test]
    fn a_second_open_request_for_the_same_access_is_refused_with_its_number() {
        let f = fixture();
        let open = [OpenRequestRef {
            number: RequestNumber::new(7),
            emergency: false,
        }];
        let mut n = new_request(&f, "alice", "alice");
        n.open_requests = &open;
        assert_eq!(
            create_request(n, &f.dir, T0).unwrap_err().to_string(),
            "there is already an open request REQ-7 for this access"
        );
    }

    #[test]
    fn an_emergency_request_while_a_normal_one_is_open_suggests_escalating_it() {
        let mut f = fixture();
        f.ent.emergency_policy = Some(PolicyId::from("pol-1"));
        let open = [OpenRequestRef {
            number: RequestNumber::new(7),
            emergency: false,
        }];
        let mut n = new_request(&f, "alice", "alice");
        n.open_requests = &open;
        n.emergency = true;
        assert!(matches!(
            create_request(n, &f.dir, T0),
            Err(DomainError::DuplicateOpenRequestEscalate { .. })
        ));
    }

    fn break_glass() -> Policy {
        Policy {
            id: PolicyId::from("break-glass"),
            name: "Emergency".into(),
            revision: 1,
            steps: vec![PolicyStep::AutoApprove {
                message: Some("break-glass".into()),
            }],
        }
    }

    #[test]
    fn emergency_requests_use_the_emergency_policy_and_are_marked() {
        let mut f = fixture();
        let mut n = new_request(&f, "alice", "alice");
        n.emergency = true;
        assert_eq!(
            create_request(n, &f.dir, T0).unwrap_err(),
            DomainError::EmergencyNotEnabled
        );
        f.ent.emergency_policy = Some(PolicyId::from("break-glass"));
        let mut n = new_request(&f, "alice", "alice");
        n.emergency = true;
        // The normal policy is refused for an emergency request.
        assert!(matches!(
            create_request(n.clone(), &f.dir, T0),
            Err(DomainError::WrongPolicy { .. })
        ));
        let bg = break_glass();
        n.policy = &bg;
        let r = create_request(n, &f.dir, T0).unwrap().request;
        assert!(r.emergency);
        assert_eq!(r.policy.id, PolicyId::from("break-glass"));
        assert_eq!(r.state, RequestState::Provisioning);
    }

    #[test]
    fn only_the_subject_or_their_manager_can_escalate_to_emergency() {
        let mut f = fixture();
        f.ent.emergency_policy = Some(PolicyId::from("break-glass"));
        let bg = break_glass();
        let r = created(&f);
        assert_eq!(
            r.escalate_to_emergency(
                &u("bob"),
                &RoleSet::default(),
                &f.app,
                &f.ent,
                &bg,
                &f.dir,
                T0
            )
            .unwrap_err(),
            DomainError::CannotEscalate
        );
        let r1 = r
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap()
            .request;
        let t = r1
            .escalate_to_emergency(
                &u("alice"),
                &RoleSet::default(),
                &f.app,
                &f.ent,
                &bg,
                &f.dir,
                T0,
            )
            .unwrap();
        assert!(t.request.emergency);
        assert_eq!(t.request.state, RequestState::Provisioning);
        assert_eq!(t.request.superseded_decisions.len(), 1, "history is kept");
        assert_eq!(t.events[0].audit_action(), "request.escalated_to_emergency");
        assert!(
            r.escalate_to_emergency(
                &u("mgr"),
                &RoleSet::default(),
                &f.app,
                &f.ent,
                &bg,
                &f.dir,
                T0
            )
            .is_ok()
        );
    }

    #[test]
    fn a_pending_request_can_expire_but_a_closed_one_cannot() {
        let f = fixture();
        let r = created(&f);
        let t = r.expire("no decision within 7 days", T0).unwrap();
        assert_eq!(t.request.state.outcome(), Some(Outcome::Expired));
        assert!(t.request.expire("again", T0).is_err());
    }

    #[test]
    fn only_provisioned_requests_are_granted_and_failures_can_be_retried_without_new_approvals() {
        let f = fixture();
        let r = created(&f);
        assert!(r.mark_granted(T0).is_err(), "not approved yet");
        let r = approved(&f);
        let failed = r.mark_provisioning_failed("API 500", T0).unwrap().request;
        assert_eq!(failed.state.outcome(), Some(Outcome::Error));
        let retried = failed
            .retry_provisioning(&u("prov"), &f.roles, &f.app, &f.ent)
            .unwrap()
            .request;
        assert_eq!(retried.state, RequestState::Provisioning);
        assert_eq!(
            retried.decisions, r.decisions,
            "approvals are not re-collected"
        );
        let granted = retried.mark_granted(T0).unwrap();
        assert_eq!(granted.request.state.outcome(), Some(Outcome::Granted));
        assert_eq!(granted.events, vec![RequestEvent::Granted]);
        let wont = r.mark_not_provisioned("license unavailable", T0).unwrap();
        assert_eq!(wont.request.state.outcome(), Some(Outcome::Cancelled));
        assert!(!wont.events.contains(&RequestEvent::Granted));
        assert!(
            r.mark_not_provisioned("  ", T0).is_err(),
            "a note is required"
        );
        // A denied request cannot be "retried" into provisioning.
        let denied = created(&f)
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Denied,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap()
            .request;
        let admin = RoleSet::new([Role::SuperAdmin]);
        assert!(
            denied
                .retry_provisioning(&u("admin"), &admin, &f.app, &f.ent)
                .is_err()
        );
    }

    #[test]
    fn only_super_admins_app_owners_and_provisioners_may_retry_failed_provisioning() {
        let f = fixture();
        let failed = approved(&f)
            .mark_provisioning_failed("API 500", T0)
            .unwrap()
            .request;
        assert!(failed.provisioning_failed());
        for who in ["alice", "mgr", "owner"] {
            assert_eq!(
                failed
                    .retry_provisioning(&u(who), &f.roles, &f.app, &f.ent)
                    .unwrap_err(),
                DomainError::CannotRetryProvisioning,
                "{who}"
            );
            assert!(
                failed
                    .check_retry(&u(who), &f.roles, &f.app, &f.ent)
                    .is_err()
            );
        }
        let admin = RoleSet::new([Role::SuperAdmin]);
        for (who, roles) in [
            ("prov", &f.roles),
            ("app-owner", &f.roles),
            ("admin", &admin),
        ] {
            assert!(
                failed.check_retry(&u(who), roles, &f.app, &f.ent).is_ok(),
                "{who}"
            );
            let t = failed
                .retry_provisioning(&u(who), roles, &f.app, &f.ent)
                .unwrap();
            assert_eq!(t.request.state, RequestState::Provisioning);
            assert_eq!(t.request.version, failed.version + 1);
            assert_eq!(
                t.events,
                vec![RequestEvent::ProvisioningRetried { by: u(who) }]
            );
            // A second click on the retried request is refused.
            assert!(matches!(
                t.request
                    .retry_provisioning(&u(who), roles, &f.app, &f.ent)
                    .unwrap_err(),
                DomainError::InvalidTransition { .. }
            ));
        }
        // Read-only admins look but never act.
        let auditor = RoleSet::new([Role::ReadOnlyAdmin]);
        assert_eq!(
            failed
                .retry_provisioning(&u("prov"), &auditor, &f.app, &f.ent)
                .unwrap_err(),
            DomainError::ReadOnlyAdmin
        );
        // A request closed in error before approval (nobody eligible) is not a failed provisioning.
        let mut never_approved = created(&f);
        never_approved.close(Outcome::Error, T0, None);
        assert!(!never_approved.provisioning_failed());
        assert!(
            never_approved
                .retry_provisioning(&u("admin"), &admin, &f.app, &f.ent)
                .is_err()
        );
    }

    #[test]
    fn the_escalate_button_shows_only_for_the_subject_or_manager_of_an_open_normal_request() {
        let mut f = fixture();
        let r = created(&f);
        assert!(
            r.check_escalate(&u("alice"), &f.roles, &f.app, &f.ent, &f.dir)
                .is_err(),
            "no emergency policy"
        );
        f.ent.emergency_policy = Some(PolicyId::from("break-glass"));
        assert!(
            r.check_escalate(&u("alice"), &f.roles, &f.app, &f.ent, &f.dir)
                .is_ok()
        );
        assert!(
            r.check_escalate(&u("mgr"), &f.roles, &f.app, &f.ent, &f.dir)
                .is_ok()
        );
        assert!(
            r.check_escalate(&u("bob"), &f.roles, &f.app, &f.ent, &f.dir)
                .is_err()
        );
        assert!(
            r.check_escalate(&u("owner"), &f.roles, &f.app, &f.ent, &f.dir)
                .is_err()
        );
        let bg = break_glass();
        let escalated = r
            .escalate_to_emergency(
                &u("alice"),
                &RoleSet::default(),
                &f.app,
                &f.ent,
                &bg,
                &f.dir,
                T0,
            )
            .unwrap()
            .request;
        assert!(
            escalated
                .check_escalate(&u("alice"), &f.roles, &f.app, &f.ent, &f.dir)
                .is_err()
        );
        let cancelled = r.cancel(&u("alice"), &f.roles, None, T0).unwrap().request;
        assert!(
            cancelled
                .check_escalate(&u("alice"), &f.roles, &f.app, &f.ent, &f.dir)
                .is_err()
        );
    }

    #[test]
    fn escalating_twice_is_refused_and_routing_restarts_under_the_emergency_policy() {
        let mut f = fixture();
        f.ent.emergency_policy = Some(PolicyId::from("emergency"));
        let emergency = Policy {
            id: PolicyId::from("emergency"),
            name: "Security on call".into(),
            revision: 1,
            steps: vec![PolicyStep::Approval(approval(vec![
                ApproverSource::AppOwners,
            ]))],
        };
        let r = created(&f);
        let t = r
            .escalate_to_emergency(
                &u("alice"),
                &RoleSet::default(),
                &f.app,
                &f.ent,
                &emergency,
                &f.dir,
                T0,
            )
            .unwrap();
        assert!(t.request.emergency);
        assert_eq!(t.request.assignees(), &[u("owner")]);
        assert!(matches!(
            t.events.as_slice(),
            [
                RequestEvent::EscalatedToEmergency { .. },
                RequestEvent::StepAssigned(_)
            ]
        ));
        assert!(matches!(
            t.request
                .escalate_to_emergency(
                    &u("alice"),
                    &RoleSet::default(),
                    &f.app,
                    &f.ent,
                    &emergency,
                    &f.dir,
                    T0
                )
                .unwrap_err(),
            DomainError::AlreadyEmergency { .. }
        ));
    }

    #[test]
    fn comments_are_trimmed_required_and_allowed_after_close() {
        let f = fixture();
        let r = created(&f)
            .cancel(&u("alice"), &f.roles, None, T0)
            .unwrap()
            .request;
        assert!(r.comment(&u("alice"), "  ", T0).is_err());
        let t = r.comment(&u("alice"), " thanks anyway ", T0).unwrap();
        assert_eq!(t.request.comments[0].body, "thanks anyway");
    }

    #[test]
    fn every_transition_bumps_the_version() {
        let f = fixture();
        let r = created(&f);
        let v = r.version;
        let r = r.comment(&u("alice"), "ping", T0).unwrap().request;
        assert_eq!(r.version, v + 1);
        let r = r
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap()
            .request;
        assert_eq!(r.version, v + 2);
    }

    #[test]
    fn the_super_admin_fallback_is_visible_on_the_assignment() {
        let mut f = fixture();
        f.dir.users.get_mut(&u("alice")).unwrap().managers.clear();
        f.policy.steps = vec![PolicyStep::Approval(approval(vec![
            ApproverSource::Manager,
        ]))];
        let r = created(&f);
        let a = r.current_assignment().unwrap();
        assert_eq!(a.tier, AssignmentTier::SuperAdmins);
        assert_eq!(r.assignees(), &[u("admin")]);
    }

    #[test]
    fn outcomes_and_statuses_have_stable_names() {
        let names: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
        assert_eq!(
            names,
            ["granted", "denied", "cancelled", "error", "expired"]
        );
        assert_eq!(Outcome::parse("expired"), Ok(Outcome::Expired));
        assert_eq!(RequestStatus::PendingApproval.as_str(), "pending_approval");
    }

    // External decider steps.

    fn decider_policy(f: &Fixture) -> Policy {
        Policy {
            steps: vec![
                PolicyStep::ExternalDecider(super::super::policy::ExternalDeciderStep {
                    name: "risk-bot".into(),
                    url: "https://decider.example.com/latch".into(),
                    timeout_secs: 5,
                    fallback: approval(vec![ApproverSource::Users(vec![u("sec1")])]),
                }),
                PolicyStep::Approval(approval(vec![ApproverSource::AppOwners])),
            ],
            ..f.policy.clone()
        }
    }

    fn waiting_for_decider(f: &Fixture) -> Request {
        let mut nr = new_request(f, "alice", "alice");
        let policy = decider_policy(f);
        nr.policy = &policy;
        create_request(nr, &f.dir, T0).unwrap().request
    }

    #[test]
    fn nobody_decides_a_step_waiting_for_its_decider_but_it_can_be_cancelled_or_handed_to_a_person()
    {
        let f = fixture();
        let r = waiting_for_decider(&f);
        assert_eq!(r.waiting_for_decider(), Some(0));
        assert!(r.assignees().is_empty());
        let admin = RoleSet::new([Role::SuperAdmin]);
        for (who, roles) in [("sec1", &f.roles), ("admin", &admin), ("alice", &f.roles)] {
            let viewer = Viewer {
                id: &u(who),
                roles,
                directory: &f.dir,
            };
            assert!(!r.actions_for(&viewer, &f.app, &f.ent).decide, "{who}");
            let err = r
                .decide(0, &u(who), roles, Verdict::Approved, None, None, &f.dir, T0)
                .unwrap_err();
            assert!(
                err.to_string().contains("waiting for its external decider"),
                "{err}"
            );
        }
        // The requester may cancel; a Super Admin may hand the step to a person, after which the
        // decider's late answer is refused.
        assert!(r.check_cancel(&u("alice"), &f.roles).is_ok());
        let handed = r
            .reassign(
                &u("admin"),
                &admin,
                &u("sec2"),
                "decider is down",
                &f.dir,
                T0,
            )
            .unwrap()
            .request;
        assert_eq!(handed.assignees(), &[u("sec2")]);
        assert_eq!(handed.waiting_for_decider(), None);
        let late = DeciderOutcome::Approve {
            reason: "fine".into(),
        };
        assert!(handed.decider_answered(0, &late, &f.dir, T0).is_err());
        assert!(
            handed
                .decide(
                    0,
                    &u("sec2"),
                    &f.roles,
                    Verdict::Approved,
                    None,
                    None,
                    &f.dir,
                    T0
                )
                .is_ok()
        );
    }

    #[test]
    fn a_deciders_approval_decides_the_step_in_its_name_and_the_policy_goes_on() {
        let f = fixture();
        let r = waiting_for_decider(&f);
        let t = r
            .decider_answered(
                0,
                &DeciderOutcome::Approve {
                    reason: "low risk".into(),
                },
                &f.dir,
                T0,
            )
            .unwrap();
        let d = &t.request.decisions[0];
        assert_eq!(d.by, Decider::External("risk-bot".into()));
        assert_eq!(d.verdict, Verdict::Approved);
        assert_eq!(d.reason.as_deref(), Some("low risk"));
        assert_eq!(d.rule, Some(AutoRule::ExternalDecider));
        assert_eq!(t.events[0], RequestEvent::Decided(d.clone()));
        assert_eq!(t.events[0].rule(), Some("external_decider"));
        assert_eq!(t.request.assignees(), &[u("owner")]);
        assert_eq!(t.request.version, r.version + 1);
        // A second answer for the same step is refused.
        assert!(
            t.request
                .decider_answered(
                    0,
                    &DeciderOutcome::Deny {
                        reason: "again".into()
                    },
                    &f.dir,
                    T0
                )
                .is_err()
        );
    }

    #[test]
    fn a_deciders_denial_closes_the_request_with_its_reason() {
        let f = fixture();
        let t = waiting_for_decider(&f)
            .decider_answered(
                0,
                &DeciderOutcome::Deny {
                    reason: "no ticket".into(),
                },
                &f.dir,
                T0,
            )
            .unwrap();
        assert_eq!(
            t.request.state,
            RequestState::Closed {
                outcome: Outcome::Denied,
                at: T0,
                note: Some("no ticket".into())
            }
        );
        assert!(t.events.contains(&RequestEvent::Denied { step: 0 }));
    }

    #[test]
    fn anything_but_approve_or_deny_assigns_the_fallback_humans_with_why_and_never_approves() {
        let f = fixture();
        let r = waiting_for_decider(&f);
        let t = r
            .decider_answered(
                0,
                &DeciderOutcome::PassToHumans {
                    why: "the decider did not answer in 5 s".into(),
                },
                &f.dir,
                T0,
            )
            .unwrap();
        assert!(t.request.decisions.is_empty());
        assert_eq!(t.request.assignees(), &[u("sec1")]);
        assert_eq!(t.request.waiting_for_decider(), None);
        assert_eq!(
            t.events[0],
            RequestEvent::DeciderPassed {
                step: 0,
                decider: "risk-bot".into(),
                why: "the decider did not answer in 5 s".into()
            }
        );
        assert_eq!(
            crate::domain::history::describe(&t.events[0], |u| u.to_string()),
            "Step 1 passed to people by External decider (risk-bot): the decider did not answer in 5 s"
        );
        assert!(matches!(t.events[1], RequestEvent::StepAssigned(_)));
        // The fallback human decides with the fallback's rules; then the next step.
        let t = t
            .request
            .decide(
                0,
                &u("sec1"),
                &f.roles,
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap();
        assert_eq!(t.request.assignees(), &[u("owner")]);
    }
}
