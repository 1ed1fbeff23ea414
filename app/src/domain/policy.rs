//! Request policies and the pure policy engine.
//!
//! A policy is an ordered list of steps. The engine ([`evaluate`]) takes the policy snapshotted onto a
//! request, the decisions made so far and a [`Directory`] view, and says what happens next: wait for
//! someone (and who), or the request is approved / denied / stuck. It also produces the automatic
//! decisions it took on the way (auto-approve steps, self-approval, implicit approval by the
//! requester), each tagged with the [`AutoRule`] that caused it, so the audit log can say why.
//!
//! Routing rules (product reference §b.2, §d 17–22):
//! * one decision completes a step; a deny at any step ends the request;
//! * suspended, deleted and unknown users are never approvers;
//! * a requester who would approve their own step is auto-approved only if the step allows
//!   self-approval; otherwise they are removed and the others (or the fallback) get the task;
//! * a requester acting for someone else who lands on a step gives implicit approval;
//! * `require_distinct_approvers` removes anyone who approved an earlier step;
//! * a group over 128 members is not notified: the step goes to the fallback;
//! * nobody left → the step's fallback users → the Super Admins. A step is never left unassigned: if
//!   even the Super Admins are all ineligible, the engine reports [`Next::NoEligibleApprover`] and the
//!   request ends in `error` instead of waiting forever.

use serde::{Deserialize, Serialize};

use super::directory::Directory;
use super::error::{DomainError, DomainResult};
use super::ids::{
    AppId, BUILTIN_APP_OWNER_APPROVAL_POLICY_ID, BUILTIN_AUTO_APPROVAL_POLICY_ID, EntitlementId,
    GroupId, PolicyId, UserId,
};
use super::time::Timestamp;

/// Groups larger than this are not notified; the step goes to the fallback instead (reference limit).
pub const MAX_GROUP_APPROVERS: usize = 128;
/// Upper bound on steps per policy; long chains are a configuration smell and slow every request.
pub const MAX_POLICY_STEPS: usize = 16;
pub const MAX_MESSAGE_LEN: usize = 1_000;
pub const MAX_POLICY_NAME_LEN: usize = 100;
/// Auto-approve and deny messages are cut to this many characters in policy summaries.
const SUMMARY_MESSAGE_LEN: usize = 60;

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>().trim_end())
    }
}

/// Where a step's approvers come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ApproverSource {
    /// The subject's manager(s).
    Manager,
    /// The app's owners.
    AppOwners,
    /// The entitlement's owners.
    EntitlementOwners,
    /// Named users.
    Users(Vec<UserId>),
    /// Every member of a group; one decision completes the step.
    GroupMembers(GroupId),
}

impl ApproverSource {
    pub fn describe(&self) -> String {
        match self {
            ApproverSource::Manager => "manager".into(),
            ApproverSource::AppOwners => "app owners".into(),
            ApproverSource::EntitlementOwners => "entitlement owners".into(),
            ApproverSource::Users(u) => format!("{} named user(s)", u.len()),
            ApproverSource::GroupMembers(g) => format!("members of group {g}"),
        }
    }
}

/// Settings of an approval step. `Default` is the safe configuration: no self-approval, reassignment
/// allowed, no reasons required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalStep {
    pub approvers: Vec<ApproverSource>,
    /// Whether the subject of the request may approve it (default off).
    pub allow_self_approval: bool,
    pub require_approval_reason: bool,
    pub require_denial_reason: bool,
    /// Whoever approved an earlier step cannot approve this one.
    pub require_distinct_approvers: bool,
    /// Whether assignees may hand the step to someone else (admins always can).
    pub allow_reassignment: bool,
    /// Used when no approver can be resolved (or all are ineligible).
    pub fallback_users: Vec<UserId>,
}

impl Default for ApprovalStep {
    fn default() -> Self {
        ApprovalStep {
            approvers: Vec::new(),
            allow_self_approval: false,
            require_approval_reason: false,
            require_denial_reason: false,
            require_distinct_approvers: false,
            allow_reassignment: true,
            fallback_users: Vec::new(),
        }
    }
}

/// Shortest wait for an external decider's answer, in seconds.
pub const MIN_DECIDER_TIMEOUT_SECS: u32 = 1;
/// Longest wait for an external decider's answer: a request must not wait on a silent decider.
pub const MAX_DECIDER_TIMEOUT_SECS: u32 = 30;
/// The wait when the editor leaves the timeout empty.
pub const DEFAULT_DECIDER_TIMEOUT_SECS: u32 = 5;
pub const MAX_DECIDER_NAME_LEN: usize = 60;
/// Calls made to a decider for one step before it passes to the fallback humans. Only failures
/// that may pass (no answer in time, unreachable, HTTP 5xx/429) are retried; an abstention or an
/// unreadable answer passes at once.
pub const DECIDER_MAX_ATTEMPTS: u32 = 3;
/// Wait before the second and third attempt (so the three fit in about a minute at most).
pub const DECIDER_RETRY_DELAYS_SECS: [u64; 2] = [2, 10];

/// An external decider step: Latch posts the request's context (signed like provisioning webhooks)
/// to `url`, and the decider answers approve, deny or abstain with a reason. Approve and deny
/// decide the step, attributed to the decider; anything else (abstain, no answer within
/// `timeout_secs`, an error, an unreadable answer, retries used up) assigns the step to the
/// `fallback` humans, resolved as an approval step. Never an approval by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalDeciderStep {
    /// How the decider is named in history and audit: "External decider (risk-bot)".
    pub name: String,
    pub url: String,
    pub timeout_secs: u32,
    /// The humans who decide when the decider does not: its approvers, flags and fallback users.
    pub fallback: ApprovalStep,
}

impl ExternalDeciderStep {
    /// "External decider (risk-bot)".
    pub fn decider_label(&self) -> String {
        decider_label(&self.name)
    }
}

/// How an external decider is named where its decisions show: "External decider (risk-bot)".
pub fn decider_label(name: &str) -> String {
    format!("External decider ({name})")
}

/// What a decider's call came to, for [`crate::domain::Request::decider_answered`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeciderOutcome {
    Approve {
        reason: String,
    },
    Deny {
        reason: String,
    },
    /// Abstained, did not answer in time, failed or answered garbage: `why` says which, as the
    /// history shows it ("the decider abstained: …").
    PassToHumans {
        why: String,
    },
}

/// A decider's answer as it reads it: `{"decision":"approve"|"deny"|"abstain","reason":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeciderAnswer {
    Approve(String),
    Deny(String),
    Abstain(Option<String>),
}

/// Reads a decider's answer body. Approve and deny need a non-empty reason; anything else (other
/// decisions, other fields, a reason over 2,000 characters, not JSON) is refused with why, and
/// the step passes to its fallback humans.
pub fn parse_decider_answer(body: &str) -> Result<DeciderAnswer, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wire {
        decision: String,
        #[serde(default)]
        reason: Option<String>,
    }
    let wire: Wire = serde_json::from_str(body)
        .map_err(|_| "the answer is not the expected JSON".to_string())?;
    let reason = wire
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > super::request::MAX_REASON_LEN)
    {
        return Err(format!(
            "the reason is longer than {} characters",
            super::request::MAX_REASON_LEN
        ));
    }
    match (wire.decision.as_str(), reason) {
        ("approve", Some(r)) => Ok(DeciderAnswer::Approve(r)),
        ("deny", Some(r)) => Ok(DeciderAnswer::Deny(r)),
        ("approve" | "deny", None) => {
            Err(format!("the decision \"{}\" has no reason", wire.decision))
        }
        ("abstain", r) => Ok(DeciderAnswer::Abstain(r)),
        (other, _) => Err(format!(
            "unknown decision \"{}\"",
            other.chars().take(40).collect::<String>()
        )),
    }
}

/// One step of a request policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicyStep {
    /// Wait for one decision from the resolved approvers.
    Approval(ApprovalStep),
    /// Ask an external decider; its fallback humans decide when it does not.
    ExternalDecider(ExternalDeciderStep),
    /// Approve the request automatically (terminal: later steps never run).
    AutoApprove { message: Option<String> },
    /// Deny the request automatically (terminal).
    Deny { message: Option<String> },
}

impl PolicyStep {
    pub fn kind_str(&self) -> &'static str {
        match self {
            PolicyStep::Approval(_) => "approval",
            PolicyStep::ExternalDecider(_) => "external_decider",
            PolicyStep::AutoApprove { .. } => "auto_approve",
            PolicyStep::Deny { .. } => "deny",
        }
    }

    fn is_terminal(&self) -> bool {
        !matches!(
            self,
            PolicyStep::Approval(_) | PolicyStep::ExternalDecider(_)
        )
    }

    /// The kind as people read it.
    pub fn label(&self) -> &'static str {
        match self {
            PolicyStep::Approval(_) => "approval",
            PolicyStep::ExternalDecider(_) => "external decider",
            PolicyStep::AutoApprove { .. } => "auto-approve",
            PolicyStep::Deny { .. } => "deny",
        }
    }

    /// One step as people read it: "Approval by manager or members of Security (distinct
    /// approvers); fallback: alice@example.com", "Auto-approve", "Deny (“Use the break-glass
    /// account”)".
    pub fn summary(
        &self,
        user: &dyn Fn(&UserId) -> String,
        group: &dyn Fn(&GroupId) -> String,
    ) -> String {
        let with_message = |what: &str, message: &Option<String>| match message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
        {
            Some(m) => format!("{what} (“{}”)", shorten(m, SUMMARY_MESSAGE_LEN)),
            None => what.to_string(),
        };
        match self {
            PolicyStep::AutoApprove { message } => with_message("Auto-approve", message),
            PolicyStep::Deny { message } => with_message("Deny", message),
            PolicyStep::ExternalDecider(d) => format!(
                "{} (timeout {} s); if it does not decide: {}",
                d.decider_label(),
                d.timeout_secs,
                PolicyStep::Approval(d.fallback.clone()).summary(user, group)
            ),
            PolicyStep::Approval(a) => {
                let people = |ids: &[UserId]| ids.iter().map(user).collect::<Vec<_>>().join(", ");
                let sources: Vec<String> = a
                    .approvers
                    .iter()
                    .map(|s| match s {
                        ApproverSource::Manager => "manager".to_string(),
                        ApproverSource::AppOwners => "app owners".to_string(),
                        ApproverSource::EntitlementOwners => "entitlement owners".to_string(),
                        ApproverSource::Users(u) => people(u),
                        ApproverSource::GroupMembers(g) => format!("members of {}", group(g)),
                    })
                    .collect();
                let mut out = if sources.is_empty() {
                    "Approval by the fallback users".to_string()
                } else {
                    format!("Approval by {}", sources.join(" or "))
                };
                let flags: Vec<&str> = [
                    (a.allow_self_approval, "self-approval allowed"),
                    (a.require_approval_reason, "reason required to approve"),
                    (a.require_denial_reason, "reason required to deny"),
                    (a.require_distinct_approvers, "distinct approvers"),
                    (!a.allow_reassignment, "no reassignment"),
                ]
                .into_iter()
                .filter_map(|(on, text)| on.then_some(text))
                .collect();
                if !flags.is_empty() {
                    out.push_str(&format!(" ({})", flags.join(", ")));
                }
                if !a.fallback_users.is_empty() {
                    out.push_str(&format!("; fallback: {}", people(&a.fallback_users)));
                }
                out
            }
        }
    }
}

/// A request policy. Requests carry a full copy (snapshot) of it, taken at creation, so editing a
/// policy never changes requests already in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub id: PolicyId,
    pub name: String,
    /// Incremented on every edit; stored with the snapshot so the audit log can say which version ran.
    pub revision: u64,
    pub steps: Vec<PolicyStep>,
}

/// What is wrong with the people of step `n` (1-based): an approval step's, or the humans an
/// external decider falls back to. `no_people` says what is missing when nobody is named.
fn approver_problems(n: usize, a: &ApprovalStep, no_people: &str, out: &mut Vec<PolicyProblem>) {
    if a.approvers.is_empty() && a.fallback_users.is_empty() {
        out.push(PolicyProblem::step(n, "approvers", no_people));
    }
    if a.approvers
        .iter()
        .any(|s| matches!(s, ApproverSource::Users(u) if u.is_empty()))
    {
        out.push(PolicyProblem::step(
            n,
            "named users",
            "the list of named approvers is empty",
        ));
    }
}

impl Policy {
    /// Checks a policy before it is saved: the first of [`Policy::problems`], or all of them, one
    /// per line.
    pub fn validate(&self) -> DomainResult<()> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(policy_problems_error(&problems))
        }
    }

    /// Everything wrong with this policy, each tied to its step (1-based) and field, so an editor
    /// can show every problem at once next to what the admin typed.
    pub fn problems(&self) -> Vec<PolicyProblem> {
        let mut out = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            out.push(PolicyProblem::policy("name", "the policy needs a name"));
        } else if name.chars().count() > MAX_POLICY_NAME_LEN {
            out.push(PolicyProblem::policy(
                "name",
                format!("the name is longer than {MAX_POLICY_NAME_LEN} characters"),
            ));
        }
        if self.steps.is_empty() {
            out.push(PolicyProblem::policy(
                "steps",
                "the policy needs at least one step",
            ));
        }
        if self.steps.len() > MAX_POLICY_STEPS {
            out.push(PolicyProblem::policy(
                "steps",
                format!(
                    "a policy can have at most {MAX_POLICY_STEPS} steps (this one has {})",
                    self.steps.len()
                ),
            ));
        }
        for (i, step) in self.steps.iter().enumerate() {
            let n = i + 1;
            if i + 1 < self.steps.len() && step.is_terminal() {
                out.push(PolicyProblem::step(
                    n,
                    "kind",
                    format!(
                        "{} ends the request, so the steps after it would never run",
                        step.label()
                    ),
                ));
            }
            match step {
                PolicyStep::ExternalDecider(d) => {
                    let name = d.name.trim();
                    if name.is_empty() {
                        out.push(PolicyProblem::step(
                            n,
                            "decider name",
                            "the decider needs a name",
                        ));
                    } else if name.chars().count() > MAX_DECIDER_NAME_LEN {
                        out.push(PolicyProblem::step(
                            n,
                            "decider name",
                            format!("the name is longer than {MAX_DECIDER_NAME_LEN} characters"),
                        ));
                    }
                    if let Err(e) = super::catalog::validate_webhook_url(&d.url) {
                        out.push(PolicyProblem::step(n, "decider URL", e.to_string()));
                    }
                    if !(MIN_DECIDER_TIMEOUT_SECS..=MAX_DECIDER_TIMEOUT_SECS)
                        .contains(&d.timeout_secs)
                    {
                        out.push(PolicyProblem::step(
                            n,
                            "timeout",
                            format!(
                                "the timeout must be between {MIN_DECIDER_TIMEOUT_SECS} and {MAX_DECIDER_TIMEOUT_SECS} seconds"
                            ),
                        ));
                    }
                    approver_problems(
                        n,
                        &d.fallback,
                        "the decider needs people to fall back to: choose at least one approver or a fallback user",
                        &mut out,
                    );
                }
                PolicyStep::Approval(a) => approver_problems(
                    n,
                    a,
                    "the step has no approvers: choose at least one approver or a fallback user",
                    &mut out,
                ),
                PolicyStep::AutoApprove { message } | PolicyStep::Deny { message } => {
                    if message
                        .as_ref()
                        .is_some_and(|m| m.chars().count() > MAX_MESSAGE_LEN)
                    {
                        out.push(PolicyProblem::step(
                            n,
                            "message",
                            format!("the message is longer than {MAX_MESSAGE_LEN} characters"),
                        ));
                    }
                }
            }
        }
        out
    }

    /// A one-line, readable account of the steps, e.g. "1. Approval by manager (reason required
    /// to deny) → 2. Approval by app owners (distinct approvers); fallback: alice@example.com".
    /// `user` and `group` name the people and groups (emails, group names).
    pub fn summary(
        &self,
        user: &dyn Fn(&UserId) -> String,
        group: &dyn Fn(&GroupId) -> String,
    ) -> String {
        if self.steps.is_empty() {
            return "No steps".into();
        }
        self.steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {}", i + 1, s.summary(user, group)))
            .collect::<Vec<_>>()
            .join(" → ")
    }

    /// The built-in policy used when nothing else is configured: one app-owner approval step.
    pub fn builtin_app_owner_approval() -> Policy {
        Policy {
            id: PolicyId::from(BUILTIN_APP_OWNER_APPROVAL_POLICY_ID),
            name: "App Owner Approval".into(),
            revision: 1,
            steps: vec![PolicyStep::Approval(ApprovalStep {
                approvers: vec![ApproverSource::AppOwners],
                ..ApprovalStep::default()
            })],
        }
    }

    /// The built-in auto-approval policy (not editable).
    pub fn builtin_auto_approval() -> Policy {
        Policy {
            id: PolicyId::from(BUILTIN_AUTO_APPROVAL_POLICY_ID),
            name: "Auto approval".into(),
            revision: 1,
            steps: vec![PolicyStep::AutoApprove { message: None }],
        }
    }

    /// Built-in policies cannot be edited or deleted.
    pub fn is_builtin(&self) -> bool {
        self.id.as_str() == BUILTIN_APP_OWNER_APPROVAL_POLICY_ID
            || self.id.as_str() == BUILTIN_AUTO_APPROVAL_POLICY_ID
    }

    pub fn step(&self, index: usize) -> Option<&PolicyStep> {
        self.steps.get(index)
    }

    /// The approval rules people decide step `index` by: an approval step's own, or an
    /// external decider's fallback (used once the decider passed the step to people).
    pub fn approval_step(&self, index: usize) -> Option<&ApprovalStep> {
        match self.steps.get(index) {
            Some(PolicyStep::Approval(a)) => Some(a),
            Some(PolicyStep::ExternalDecider(d)) => Some(&d.fallback),
            _ => None,
        }
    }

    pub fn external_decider_step(&self, index: usize) -> Option<&ExternalDeciderStep> {
        match self.steps.get(index) {
            Some(PolicyStep::ExternalDecider(d)) => Some(d),
            _ => None,
        }
    }
}

/// Guard for policy deletion: a policy still referenced by an entitlement or app cannot be deleted;
/// the error names the referrer so the admin knows what to change first.
pub fn ensure_policy_deletable(policy: &Policy, referenced_by: &[String]) -> DomainResult<()> {
    if policy.is_builtin() {
        return Err(DomainError::InvalidPolicy {
            reason: format!("\"{}\" is built in and cannot be deleted", policy.name),
        });
    }
    if let Some(first) = referenced_by.first() {
        return Err(DomainError::InvalidPolicy {
            reason: format!(
                "\"{}\" is still used by {first}{}",
                policy.name,
                if referenced_by.len() > 1 {
                    format!(" and {} other(s)", referenced_by.len() - 1)
                } else {
                    String::new()
                }
            ),
        });
    }
    Ok(())
}

/// One thing wrong with a policy, tied to the step and field it concerns, so an editor can show
/// it next to what the admin typed: `Step 2, named users: unknown user "bob@example.com"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyProblem {
    /// 1-based step number; `None` for the policy as a whole (its name, its number of steps).
    pub step: Option<usize>,
    /// The field concerned, as the editor labels it ("name", "named users", "fallback users").
    pub field: String,
    pub message: String,
}

impl PolicyProblem {
    /// A problem with the policy as a whole.
    pub fn policy(field: &str, message: impl Into<String>) -> PolicyProblem {
        PolicyProblem {
            step: None,
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// A problem with step `step` (1-based).
    pub fn step(step: usize, field: &str, message: impl Into<String>) -> PolicyProblem {
        PolicyProblem {
            step: Some(step),
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.step, self.field.is_empty()) {
            (Some(n), false) => write!(f, "Step {n}, {}: {}", self.field, self.message),
            (Some(n), true) => write!(f, "Step {n}: {}", self.message),
            (None, false) => {
                let mut field = self.field.chars();
                let first = field.next().map(|c| c.to_uppercase().collect::<String>());
                write!(
                    f,
                    "{}{}: {}",
                    first.unwrap_or_default(),
                    field.as_str(),
                    self.message
                )
            }
            (None, true) => f.write_str(&self.message),
        }
    }
}

/// The error for a list of problems: one problem per line, so the console can list them.
pub fn policy_problems_error(problems: &[PolicyProblem]) -> DomainError {
    DomainError::InvalidPolicy {
        reason: problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// The people and objects a request is about, which approver sources are resolved against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestParties {
    /// Who filed the request.
    pub requester: UserId,
    /// Who would receive the access (often the requester).
    pub subject: UserId,
    pub app: AppId,
    pub entitlement: EntitlementId,
}

string_enum! {
    /// The outcome of one step.
    pub enum Verdict: "verdict" {
        Approved => "approved",
        Denied => "denied",
    }
}

string_enum! {
    /// Why the engine decided a step without a human click. Stored in the audit log's `rule` field.
    pub enum AutoRule: "automatic rule" {
        /// The policy step is an auto-approve step.
        AutoApproveStep => "policy_auto_approve_step",
        /// The policy step is a deny step.
        DenyStep => "policy_deny_step",
        /// The requester is the subject, is an approver of the step, and the step allows self-approval.
        SelfApproval => "self_approval_allowed",
        /// The requester acts for someone else and is an approver of the step: requesting is approving.
        ImplicitRequesterApproval => "requester_is_approver",
        /// An external decider step's decider answered approve or deny.
        ExternalDecider => "external_decider",
    }
}

impl AutoRule {
    /// Sentence for the audit log and task history.
    pub fn explain(self) -> &'static str {
        match self {
            AutoRule::AutoApproveStep => "auto-approved by policy",
            AutoRule::DenyStep => "auto-denied by policy",
            AutoRule::SelfApproval => {
                "auto-approved: the requester is an approver of this step and self-approval is allowed"
            }
            AutoRule::ImplicitRequesterApproval => {
                "auto-approved: the requester, acting for someone else, is an approver of this step"
            }
            AutoRule::ExternalDecider => "decided by the external decider",
        }
    }
}

/// Who made a decision: a person, or the policy itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "user", rename_all = "snake_case")]
pub enum Decider {
    User(UserId),
    Policy,
    /// An external decider step's decider, by the name the step gives it.
    External(String),
}

impl Decider {
    pub fn user(&self) -> Option<&UserId> {
        match self {
            Decider::User(u) => Some(u),
            Decider::Policy | Decider::External(_) => None,
        }
    }
}

impl std::fmt::Display for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Decider::User(u) => u.fmt(f),
            Decider::Policy => f.write_str("policy"),
            Decider::External(name) => f.write_str(&decider_label(name)),
        }
    }
}

/// The decision that completed one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDecision {
    /// Zero-based step index in the snapshotted policy.
    pub step: usize,
    pub verdict: Verdict,
    pub by: Decider,
    pub at: Timestamp,
    pub reason: Option<String>,
    /// Set when the engine decided automatically.
    pub rule: Option<AutoRule>,
}

string_enum! {
    /// Which tier of approvers a step was assigned to.
    pub enum AssignmentTier: "assignment tier" {
        /// The approvers named by the step.
        Approvers => "approvers",
        /// The step's fallback users.
        Fallback => "fallback",
        /// The tenant's Super Admins, the last resort.
        SuperAdmins => "super_admins",
        /// Nobody yet: the step waits for its external decider (`assignees` is empty).
        ExternalDecider => "external_decider",
    }
}

string_enum! {
    /// Why a step went to the fallback (shown as an "escalated to fallback" note).
    pub enum FallbackReason: "fallback reason" {
        /// No approver could be resolved (no manager, no owners, empty group).
        NoApproverFound => "no_approver_found",
        /// A group had more than 128 members and was not notified.
        GroupTooLarge => "group_too_large",
        /// Approvers were found, but none may decide (inactive, the subject, earlier approvers).
        NoEligibleApprover => "no_eligible_approver",
    }
}

string_enum! {
    /// Why a resolved approver was left out of a step.
    pub enum Exclusion: "exclusion reason" {
        /// Suspended, deleted or unknown.
        Inactive => "inactive",
        /// The subject, on a step without self-approval.
        SelfApprovalNotAllowed => "self_approval_not_allowed",
        /// Approved an earlier step, on a step requiring distinct approvers.
        ApprovedEarlierStep => "approved_earlier_step",
    }
}

/// Who a waiting step is assigned to, and how that was worked out (for the audit log and the UI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepAssignment {
    pub step: usize,
    /// Never empty, except while the step waits for its external decider.
    pub assignees: Vec<UserId>,
    pub tier: AssignmentTier,
    pub fallback_reason: Option<FallbackReason>,
    /// People who would have been approvers but were left out, and why.
    pub excluded: Vec<(UserId, Exclusion)>,
}

impl StepAssignment {
    /// The requester, when this step's sources (manager, owners, named users, a group) name them
    /// but its policy leaves them out because they may not approve their own request: they are
    /// shown the step (a copy without buttons that says why), never asked to decide it. Who may
    /// decide does not change: they are no assignee. `None` for anyone else left out, and for a
    /// requester acting for someone else (their approval is implicit, never excluded).
    pub fn requester_kept_from_own_request<'p>(
        &self,
        parties: &'p RequestParties,
    ) -> Option<&'p UserId> {
        let requester = &parties.requester;
        (*requester == parties.subject
            && !self.assignees.contains(requester)
            && self
                .excluded
                .iter()
                .any(|(u, why)| u == requester && *why == Exclusion::SelfApprovalNotAllowed))
        .then_some(requester)
    }
}

/// What happens next after evaluating a request's policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Next {
    /// A step is waiting for a decision by one of its assignees.
    AwaitApproval(StepAssignment),
    /// Every step approved: go on to provisioning.
    Approved,
    /// A step denied the request; later steps never run.
    Denied { step: usize },
    /// Nobody at all may decide this step (even Super Admins are ineligible); the request ends in error.
    NoEligibleApprover { step: usize },
}

/// The engine's answer: decisions it took automatically (in order) and what happens next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub auto_decisions: Vec<StepDecision>,
    pub next: Next,
}

/// Advances a request through its snapshotted policy.
///
/// `decisions` are the decisions so far, one per completed step, in step order (the request keeps
/// them). Evaluation starts at the first undecided step and runs until a step needs a human or the
/// policy ends. Pure: the same inputs always give the same answer.
pub fn evaluate(
    policy: &Policy,
    parties: &RequestParties,
    decisions: &[StepDecision],
    directory: &dyn Directory,
    now: Timestamp,
) -> Evaluation {
    let mut auto = Vec::new();
    if let Some(d) = decisions.iter().find(|d| d.verdict == Verdict::Denied) {
        return Evaluation {
            auto_decisions: auto,
            next: Next::Denied { step: d.step },
        };
    }
    let mut approvers_so_far: Vec<UserId> = decisions
        .iter()
        .filter_map(|d| d.by.user().cloned())
        .collect();
    let mut index = decisions.len();
    loop {
        let Some(step) = policy.steps.get(index) else {
            return Evaluation {
                auto_decisions: auto,
                next: Next::Approved,
            };
        };
        match step {
            PolicyStep::AutoApprove { message } => {
                auto.push(StepDecision {
                    step: index,
                    verdict: Verdict::Approved,
                    by: Decider::Policy,
                    at: now,
                    reason: message.clone(),
                    rule: Some(AutoRule::AutoApproveStep),
                });
                return Evaluation {
                    auto_decisions: auto,
                    next: Next::Approved,
                };
            }
            PolicyStep::Deny { message } => {
                auto.push(StepDecision {
                    step: index,
                    verdict: Verdict::Denied,
                    by: Decider::Policy,
                    at: now,
                    reason: message.clone(),
                    rule: Some(AutoRule::DenyStep),
                });
                return Evaluation {
                    auto_decisions: auto,
                    next: Next::Denied { step: index },
                };
            }
            PolicyStep::ExternalDecider(_) => {
                return Evaluation {
                    auto_decisions: auto,
                    next: Next::AwaitApproval(StepAssignment {
                        step: index,
                        assignees: Vec::new(),
                        tier: AssignmentTier::ExternalDecider,
                        fallback_reason: None,
                        excluded: Vec::new(),
                    }),
                };
            }
            PolicyStep::Approval(a) => {
                match resolve_step(a, index, parties, &approvers_so_far, directory, true) {
                    Resolution::AutoApprove(rule) => {
                        approvers_so_far.push(parties.requester.clone());
                        auto.push(StepDecision {
                            step: index,
                            verdict: Verdict::Approved,
                            by: Decider::User(parties.requester.clone()),
                            at: now,
                            reason: Some(rule.explain().to_string()),
                            rule: Some(rule),
                        });
                        index += 1;
                    }
                    Resolution::Assign(assignment) => {
                        return Evaluation {
                            auto_decisions: auto,
                            next: Next::AwaitApproval(assignment),
                        };
                    }
                    Resolution::Nobody => {
                        return Evaluation {
                            auto_decisions: auto,
                            next: Next::NoEligibleApprover { step: index },
                        };
                    }
                }
            }
        }
    }
}

enum Resolution {
    AutoApprove(AutoRule),
    Assign(StepAssignment),
    Nobody,
}

fn push_unique(list: &mut Vec<UserId>, users: impl IntoIterator<Item = UserId>) {
    for u in users {
        if !list.contains(&u) {
            list.push(u);
        }
    }
}

/// Resolves the raw approvers named by a step. Returns the users and whether a group was too large.
fn raw_approvers(
    step: &ApprovalStep,
    parties: &RequestParties,
    directory: &dyn Directory,
) -> (Vec<UserId>, bool) {
    let mut out = Vec::new();
    let mut group_too_large = false;
    for source in &step.approvers {
        match source {
            ApproverSource::Manager => {
                push_unique(&mut out, directory.managers_of(&parties.subject))
            }
            ApproverSource::AppOwners => push_unique(&mut out, directory.app_owners(&parties.app)),
            ApproverSource::EntitlementOwners => {
                push_unique(&mut out, directory.entitlement_owners(&parties.entitlement))
            }
            ApproverSource::Users(users) => push_unique(&mut out, users.iter().cloned()),
            ApproverSource::GroupMembers(g) => {
                let members = directory.group_members(g);
                if members.len() > MAX_GROUP_APPROVERS {
                    group_too_large = true;
                } else {
                    push_unique(&mut out, members);
                }
            }
        }
    }
    (out, group_too_large)
}

/// Outcome of filtering one tier of candidates.
enum TierResult {
    AutoApprove(AutoRule),
    Eligible(Vec<UserId>),
}

/// Applies the eligibility rules to one tier of candidates. `may_auto_approve` is false for the Super
/// Admin tier: that tier is a safety net, and letting it auto-approve would let any Super Admin grant
/// themselves anything through a misconfigured policy.
fn filter_tier(
    candidates: &[UserId],
    step: &ApprovalStep,
    parties: &RequestParties,
    approvers_so_far: &[UserId],
    directory: &dyn Directory,
    may_auto_approve: bool,
    excluded: &mut Vec<(UserId, Exclusion)>,
) -> TierResult {
    let mut eligible = Vec::new();
    for user in candidates {
        let exclusion = if !directory.is_active(user) {
            Some(Exclusion::Inactive)
        } else if step.require_distinct_approvers && approvers_so_far.contains(user) {
            Some(Exclusion::ApprovedEarlierStep)
        } else if *user == parties.subject && !step.allow_self_approval {
            Some(Exclusion::SelfApprovalNotAllowed)
        } else {
            None
        };
        match exclusion {
            Some(reason) => {
                if !excluded.iter().any(|(u, _)| u == user) {
                    excluded.push((user.clone(), reason));
                }
            }
            None => {
                if may_auto_approve && *user == parties.requester {
                    // Requesting is approving: either the requester is the subject and self-approval
                    // is allowed, or they act for someone else (a manager, the helpdesk).
                    return TierResult::AutoApprove(if parties.requester == parties.subject {
                        AutoRule::SelfApproval
                    } else {
                        AutoRule::ImplicitRequesterApproval
                    });
                }
                eligible.push(user.clone());
            }
        }
    }
    TierResult::Eligible(eligible)
}

/// Who decides step `index`, an external decider step the decider did not decide: its fallback
/// humans, resolved like an approval step's approvers (then their fallback users, then the Super
/// Admins), except that nothing is approved automatically: not even a requester among them.
/// `NoEligibleApprover` when nobody may decide; `None` when `index` is no external decider step.
pub fn assign_decider_fallback(
    policy: &Policy,
    index: usize,
    parties: &RequestParties,
    decisions: &[StepDecision],
    directory: &dyn Directory,
) -> Option<Next> {
    let step = policy.external_decider_step(index)?;
    let approvers_so_far: Vec<UserId> = decisions
        .iter()
        .filter_map(|d| d.by.user().cloned())
        .collect();
    Some(
        match resolve_step(
            &step.fallback,
            index,
            parties,
            &approvers_so_far,
            directory,
            false,
        ) {
            Resolution::Assign(assignment) => Next::AwaitApproval(assignment),
            Resolution::AutoApprove(_) | Resolution::Nobody => {
                Next::NoEligibleApprover { step: index }
            }
        },
    )
}

/// Who decides `step` for `parties` when nothing may be approved automatically: its approvers,
/// else its fallback users, else the Super Admins, with the same eligibility rules as a request's
/// step (inactive people and, without self-approval, the subject are left out). Access reviews
/// resolve their reviewers with it (`domain::campaign`, the campaign owners as the fallback).
/// `None` when nobody at all may decide.
pub fn assign_without_auto_approval(
    step: &ApprovalStep,
    parties: &RequestParties,
    directory: &dyn Directory,
) -> Option<StepAssignment> {
    match resolve_step(step, 0, parties, &[], directory, false) {
        Resolution::Assign(assignment) => Some(assignment),
        Resolution::AutoApprove(_) | Resolution::Nobody => None,
    }
}

fn resolve_step(
    step: &ApprovalStep,
    index: usize,
    parties: &RequestParties,
    approvers_so_far: &[UserId],
    directory: &dyn Directory,
    may_auto_approve: bool,
) -> Resolution {
    let mut excluded = Vec::new();
    let (raw, group_too_large) = raw_approvers(step, parties, directory);
    let tiers: [(AssignmentTier, Vec<UserId>, bool); 3] = [
        (AssignmentTier::Approvers, raw.clone(), may_auto_approve),
        (
            AssignmentTier::Fallback,
            step.fallback_users.clone(),
            may_auto_approve,
        ),
        (AssignmentTier::SuperAdmins, directory.super_admins(), false),
    ];
    let fallback_reason = if group_too_large && raw.is_empty() {
        FallbackReason::GroupTooLarge
    } else if raw.is_empty() {
        FallbackReason::NoApproverFound
    } else {
        FallbackReason::NoEligibleApprover
    };
    for (tier, candidates, may_auto) in tiers {
        let mut c = Vec::new();
        push_unique(&mut c, candidates);
        match filter_tier(
            &c,
            step,
            parties,
            approvers_so_far,
            directory,
            may_auto,
            &mut excluded,
        ) {
            TierResult::AutoApprove(rule) => return Resolution::AutoApprove(rule),
            TierResult::Eligible(users) if !users.is_empty() => {
                let fallback_reason = match tier {
                    AssignmentTier::Approvers if group_too_large => {
                        Some(FallbackReason::GroupTooLarge)
                    }
                    AssignmentTier::Approvers => None,
                    _ => Some(fallback_reason),
                };
                return Resolution::Assign(StepAssignment {
                    step: index,
                    assignees: users,
                    tier,
                    fallback_reason,
                    excluded,
                });
            }
            TierResult::Eligible(_) => {}
        }
    }
    Resolution::Nobody
}

/// Whether `user` may decide `step` of a request right now: the check behind hiding Approve/Deny
/// buttons (edge case: never show buttons that will fail) and behind the decision itself.
pub fn check_may_decide(
    step: &ApprovalStep,
    assignment: &StepAssignment,
    parties: &RequestParties,
    approvers_so_far: &[UserId],
    user: &UserId,
    directory: &dyn Directory,
) -> DomainResult<()> {
    if !directory.is_active(user) {
        return Err(DomainError::UserNotActive {
            user: user.to_string(),
            status: directory
                .user_status(user)
                .map_or("unknown", |s| s.as_str())
                .to_string(),
            action: "approve or deny requests".into(),
        });
    }
    if *user == parties.subject && !step.allow_self_approval {
        return Err(DomainError::SelfApprovalNotAllowed);
    }
    if step.require_distinct_approvers && approvers_so_far.contains(user) {
        return Err(DomainError::DistinctApproverRequired);
    }
    if !assignment.assignees.contains(user) {
        return Err(DomainError::NotAnApprover {
            step: assignment.step + 1,
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::super::directory::Group;
    use super::super::directory::{DirectorySnapshot, Email, User, UserStatus};
    use super::*;

    pub(crate) fn u(s: &str) -> UserId {
        UserId::from(s)
    }

    pub(crate) fn user(id: &str, managers: &[&str], status: UserStatus) -> User {
        User {
            id: u(id),
            email: Email::parse(&format!("{id}@example.com")).unwrap(),
            display_name: id.to_string(),
            managers: managers.iter().map(|m| u(m)).collect(),
            department: None,
            job_title: None,
            status,
        }
    }

    /// alice (requester) reports to mgr; owner owns the app; admin is the Super Admin.
    pub(crate) fn directory() -> DirectorySnapshot {
        let mut d = DirectorySnapshot::default();
        for (id, mgrs) in [
            ("alice", &["mgr"][..]),
            ("bob", &["mgr"][..]),
            ("mgr", &[][..]),
            ("owner", &[][..]),
            ("owner2", &[][..]),
            ("ent-owner", &[][..]),
            ("fallback", &[][..]),
            ("admin", &[][..]),
            ("sec1", &[][..]),
            ("sec2", &[][..]),
        ] {
            d.add_user(user(id, mgrs, UserStatus::Active));
        }
        d.add_user(user("gone", &[], UserStatus::Deleted));
        d.add_user(user("away", &[], UserStatus::Suspended));
        d.app_owners.insert(AppId::from("aws"), vec![u("owner")]);
        d.entitlement_owners
            .insert(EntitlementId::from("ent-1"), vec![u("ent-owner")]);
        d.groups.insert(
            GroupId::from("security"),
            Group {
                id: GroupId::from("security"),
                name: "Security".into(),
                members: vec![u("sec1"), u("sec2")],
            },
        );
        d.super_admins = vec![u("admin")];
        d
    }

    pub(crate) fn parties(requester: &str, subject: &str) -> RequestParties {
        RequestParties {
            requester: u(requester),
            subject: u(subject),
            app: AppId::from("aws"),
            entitlement: EntitlementId::from("ent-1"),
        }
    }

    pub(crate) fn approval(approvers: Vec<ApproverSource>) -> ApprovalStep {
        ApprovalStep {
            approvers,
            ..ApprovalStep::default()
        }
    }

    pub(crate) fn policy(steps: Vec<PolicyStep>) -> Policy {
        Policy {
            id: PolicyId::from("pol-1"),
            name: "Test policy".into(),
            revision: 1,
            steps,
        }
    }

    const NOW: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

    fn human(step: usize, by: &str, verdict: Verdict) -> StepDecision {
        StepDecision {
            step,
            verdict,
            by: Decider::User(u(by)),
            at: NOW,
            reason: None,
            rule: None,
        }
    }

    fn assignment(e: &Evaluation) -> &StepAssignment {
        match &e.next {
            Next::AwaitApproval(a) => a,
            other => panic!("expected a waiting step, got {other:?}"),
        }
    }

    #[test]
    fn a_manager_step_is_assigned_to_the_subjects_manager() {
        let p = policy(vec![PolicyStep::Approval(approval(vec![
            ApproverSource::Manager,
        ]))]);
        let e = evaluate(&p, &parties("alice", "alice"), &[], &directory(), NOW);
        let a = assignment(&e);
        assert_eq!(a.assignees, vec![u("mgr")]);
        assert_eq!(a.tier, AssignmentTier::Approvers);
        assert_eq!(a.step, 0);
        assert!(e.auto_decisions.is_empty());
    }

    #[test]
    fn approver_sources_are_combined_without_duplicates() {
        let p = policy(vec![PolicyStep::Approval(approval(vec![
            ApproverSource::AppOwners,
            ApproverSource::EntitlementOwners,
            ApproverSource::Users(vec![u("owner"), u("bob")]),
            ApproverSource::GroupMembers(GroupId::from("security")),
        ]))]);
        let e = evaluate(&p, &parties("alice", "alice"), &[], &directory(), NOW);
        assert_eq!(
            assignment(&e).assignees,
            vec![u("owner"), u("ent-owner"), u("bob"), u("sec1"), u("sec2")]
        );
    }

    #[test]
    fn one_approval_per_step_moves_to_the_next_step_and_the_last_one_approves() {
        let p = policy(vec![
            PolicyStep::Approval(approval(vec![ApproverSource::Manager])),
            PolicyStep::Approval(approval(vec![ApproverSource::AppOwners])),
        ]);
        let d = directory();
        let mut decisions = vec![human(0, "mgr", Verdict::Approved)];
        let e = evaluate(&p, &parties("alice", "alice"), &decisions, &d, NOW);
        assert_eq!(assignment(&e).assignees, vec![u("owner")]);
        assert_eq!(assignment(&e).step, 1);
        decisions.push(human(1, "owner", Verdict::Approved));
        let e = evaluate(&p, &parties("alice", "alice"), &decisions, &d, NOW);
        assert_eq!(e.next, Next::Approved);
    }

    #[test]
    fn a_deny_at_any_step_ends_the_request() {
        let p = policy(vec![
            PolicyStep::Approval(approval(vec![ApproverSource::Manager])),
            PolicyStep::Approval(approval(vec![ApproverSource::AppOwners])),
        ]);
        let e = evaluate(
            &p,
            &parties("alice", "alice"),
            &[human(0, "mgr", Verdict::Denied)],
            &directory(),
            NOW,
        );
        assert_eq!(e.next, Next::Denied { step: 0 });
    }

    #[test]
    fn auto_approve_and_deny_steps_record_the_rule_that_decided() {
        let p = policy(vec![PolicyStep::AutoApprove {
            message: Some("low risk".into()),
        }]);
        let e = evaluate(&p, &parties("alice", "alice"), &[], &directory(), NOW);
        assert_eq!(e.next, Next::Approved);
        assert_eq!(e.auto_decisions.len(), 1);
        assert_eq!(e.auto_decisions[0].rule, Some(AutoRule::AutoApproveStep));
        assert_eq!(e.auto_decisions[0].by, Decider::Policy);
        assert_eq!(e.auto_decisions[0].reason.as_deref(), Some("low risk"));

        let p = policy(vec![
            PolicyStep::Approval(approval(vec![ApproverSource::Manager])),
            PolicyStep::Deny { message: None },
        ]);
        let e = evaluate(
            &p,
            &parties("alice", "alice"),
            &[human(0, "mgr", Verdict::Approved)],
            &directory(),
            NOW,
        );
        assert_eq!(e.next, Next::Denied { step: 1 });
        assert_eq!(e.auto_decisions[0].rule, Some(AutoRule::DenyStep));
    }

    #[test]
    fn requester_cannot_approve_own_step_without_self_approval() {
        // alice is a member of the approving group but self-approval is off: the other members get it.
        let p = policy(vec![PolicyStep::Approval(approval(vec![
            ApproverSource::Users(vec![u("alice"), u("bob")]),
        ]))]);
        let e = evaluate(&p, &parties("alice", "alice"), &[], &directory(), NOW);
        let a = assignment(&e);
        assert_eq!(a.assignees, vec![u("bob")]);
        assert_eq!(
            a.excluded,
            vec![(u("alice"), Exclusion::SelfApprovalNotAllowed)]
        );
        assert!(e.auto_decisions.is_empty());
        assert_eq!(
            a.requester_kept_from_own_request(&parties("alice", "alice")),
            Some(&u("alice")),
            "alice follows the step she may not decide"
        );
    }

    #[test]
    fn only_a_requester_left_out_of_their_own_request_is_kept_from_it() {
        let p = policy(vec![PolicyStep::Approval(approval(vec![
            ApproverSource::Users(vec![u("alice"), u("bob"), u("owner")]),
        ]))]);
        // Bob is not the requester: an approver like any other.
        let e = evaluate(&p, &parties("alice", "alice"), &[], &directory(), NOW);
        assert_eq!(assignment(&e).assignees, vec![u("bob"), u("owner")]);
        // Someone excluded for another reason (inactive) is not told anything.
        let mut a = assignment(&e).clone();
        a.excluded = vec![(u("alice"), Exclusion::Inactive)];
        assert_eq!(
            a.requester_kept_from_own_request(&parties("alice", "alice")),
            None
        );
        // Self-approval allowed: alice requesting approves her own step, nobody is kept out.
        let mut step = approval(vec![ApproverSource::Users(vec![u("alice"), u("bob")])]);
        step.allow_self_approval = true;
        let e = evaluate(
            &policy(vec![PolicyStep::Approval(step)]),
            &parties("alice", "alice"),
            &[],
            &directory(),
            NOW,
        );
        assert!(matches!(e.next, Next::Approved), "{e:?}");
        // The subject left out of a request someone else made is not its requester.
        let e = evaluate(&p, &parties("mgr", "alice"), &[], &directory(), NOW);
        let a = assignment(&e);
        assert!(a.excluded.iter().any(|(x, _)| *x == u("alice")));
        assert_eq!(
            a.requester_kept_from_own_request(&parties("mgr", "alice")),
            None
        );
    }

    #[test]
    fn requester_who_is_sole_approver_without_self_approval_goes_to_the_fallback() {
        let mut step = approval(vec![ApproverSource::Users(vec![u("alice")])]);
        step.fallback_users = vec![u("fallback")];
        let p = policy(vec![PolicyStep::Approval(step)]);
        let e = evaluate(&p, &parties("alice", "alice"), &[], &directory(), NOW);
        let a = assignment(&e);
        assert_eq!(a.assignees, vec![u("fallback")]);
        assert_eq!(a.tier, AssignmentTier::Fallback);
        assert_eq!(a.fallback_reason, Some(FallbackReason::NoEligibleApprover));
    }

    #[test]
    fn requester_who_is_an_approver_is_auto_approved_when_self_approval_is_allowed() {
        let mut step = approval(vec![ApproverSource::Users(vec![u("bob"), u("alice")])]);
        step.allow_self_approval = true;
        let p = policy(vec![
            PolicyStep::Approval(step),
            PolicyStep::Approval(approval(vec![ApproverSource::AppOwners])),
        ]);
        let e = evaluate(&p, &parties("alice", "alice"), &[], &directory(), NOW);
        assert_eq!(e.auto_decisions.len(), 1);
        let d = &e.auto_decisions[0];
        assert_eq!(d.rule, Some(AutoRule::SelfApproval));
        assert_eq!(d.by, Decider::User(u("alice")));
        assert_eq!(d.step, 0);
        assert_eq!(assignment(&e).assignees, vec![u("owner")]);
    }

    #[test]
    fn a_manager_requesting_for_a_report_gives_implicit_approval_on_the_manager_step() {
        let p = policy(vec![
            PolicyStep::Approval(approval(vec![ApproverSource::Manager])),
            PolicyStep::Approval(approval(vec![ApproverSource::AppOwners])),
        ]);
        let e = evaluate(&p, &parties("mgr", "alice"), &[], &directory(), NOW);
        assert_eq!(
            e.auto_decisions[0].rule,
            Some(AutoRule::ImplicitRequesterApproval)
        );
        assert_eq!(assignment(&e).step, 1);
    }

    #[test]
    fn suspended_and_deleted_users_are_never_approvers() {
        let mut step = approval(vec![ApproverSource::Users(vec![
            u("gone"),
            u("away"),
            u("ghost"),
        ])]);
        step.fallback_users = vec![u("away"), u("fallback")];
        let p = policy(vec![PolicyStep::Approval(step)]);
        let e = evaluate(&p, &parties("alice", "alice"), &[], &directory(), NOW);
        let a = assignment(&e);
        assert_eq!(a.assignees, vec![u("fallback")]);
        assert!(a.excluded.iter().all(|(_, r)| *r == Exclusion::Inactive));
        assert_eq!(a.excluded.len(), 3);
    }

    #[test]
    fn nobody_resolvable_and_no_fallback_goes_to_super_admins() {
        // bob has no manager.
        let mut d = directory();
        d.add_user(user("bob", &[], UserStatus::Active));
        let p = policy(vec![PolicyStep::Approval(approval(vec![
            ApproverSource::Manager,
        ]))]);
        let e = evaluate(&p, &parties("bob", "bob"), &[], &d, NOW);
        let a = assignment(&e);
        assert_eq!(a.assignees, vec![u("admin")]);
        assert_eq!(a.tier, AssignmentTier::SuperAdmins);
        assert_eq!(a.fallback_reason, Some(FallbackReason::NoApproverFound));
    }

    #[test]
    fn a_super_admin_requester_is_not_auto_approved_by_the_last_resort_tier() {
        let mut d = directory();
        d.super_admins = vec![u("admin"), u("bob")];
        d.add_user(user("bob", &[], UserStatus::Active));
        let p = policy(vec![PolicyStep::Approval(approval(vec![
            ApproverSource::Manager,
        ]))]);
        let e = evaluate(&p, &parties("bob", "bob"), &[], &d, NOW);
        assert_eq!(assignment(&e).assignees, vec![u("admin")]);
        assert!(e.auto_decisions.is_empty());
    }

    #[test]
    fn a_step_is_never_left_without_an_assignee() {
        // The only Super Admin is the requester and self-approval is off: the engine reports it.
        let mut d = directory();
        d.super_admins = vec![u("alice")];
        let p = policy(vec![PolicyStep::Approval(approval(vec![
            ApproverSource::Users(vec![u("gone")]),
        ]))]);
        let e = evaluate(&p, &parties("alice", "alice"), &[], &d, NOW);
        assert_eq!(e.next, Next::NoEligibleApprover { step: 0 });
    }

    #[test]
    fn groups_over_128_members_are_not_notified_and_use_the_fallback() {
        let mut d = directory();
        d.groups.insert(
            GroupId::from("everyone"),
            Group {
                id: GroupId::from("everyone"),
                name: "Everyone".into(),
                members: (0..129).map(|i| u(&format!("m{i}"))).collect(),
            },
        );
        let mut step = approval(vec![ApproverSource::GroupMembers(GroupId::from(
            "everyone",
        ))]);
        step.fallback_users = vec![u("fallback")];
        let p = policy(vec![PolicyStep::Approval(step)]);
        let e = evaluate(&p, &parties("alice", "alice"), &[], &d, NOW);
        let a = assignment(&e);
        assert_eq!(a.assignees, vec![u("fallback")]);
        assert_eq!(a.fallback_reason, Some(FallbackReason::GroupTooLarge));
    }

    #[test]
    fn distinct_approver_steps_skip_people_who_approved_earlier_steps() {
        let mut second = approval(vec![ApproverSource::Users(vec![u("mgr"), u("owner")])]);
        second.require_distinct_approvers = true;
        let p = policy(vec![
            PolicyStep::Approval(approval(vec![ApproverSource::Manager])),
            PolicyStep::Approval(second.clone()),
        ]);
        let e = evaluate(
            &p,
            &parties("alice", "alice"),
            &[human(0, "mgr", Verdict::Approved)],
            &directory(),
            NOW,
        );
        let a = assignment(&e);
        assert_eq!(a.assignees, vec![u("owner")]);
        assert_eq!(a.excluded, vec![(u("mgr"), Exclusion::ApprovedEarlierStep)]);
        assert_eq!(
            check_may_decide(
                &second,
                a,
                &parties("alice", "alice"),
                &[u("mgr")],
                &u("mgr"),
                &directory()
            ),
            Err(DomainError::DistinctApproverRequired)
        );
    }

    #[test]
    fn without_distinct_approvers_the_same_person_may_approve_several_steps() {
        let p = policy(vec![
            PolicyStep::Approval(approval(vec![ApproverSource::Manager])),
            PolicyStep::Approval(approval(vec![ApproverSource::Manager])),
        ]);
        let e = evaluate(
            &p,
            &parties("alice", "alice"),
            &[human(0, "mgr", Verdict::Approved)],
            &directory(),
            NOW,
        );
        assert_eq!(assignment(&e).assignees, vec![u("mgr")]);
    }

    #[test]
    fn an_implicit_approval_counts_as_an_earlier_approval_for_distinct_steps() {
        let mut second = approval(vec![ApproverSource::Users(vec![u("mgr"), u("owner")])]);
        second.require_distinct_approvers = true;
        let p = policy(vec![
            PolicyStep::Approval(approval(vec![ApproverSource::Manager])),
            PolicyStep::Approval(second),
        ]);
        let e = evaluate(&p, &parties("mgr", "alice"), &[], &directory(), NOW);
        assert_eq!(e.auto_decisions.len(), 1);
        assert_eq!(assignment(&e).assignees, vec![u("owner")]);
    }

    #[test]
    fn the_subject_may_approve_for_themselves_only_when_self_approval_is_allowed() {
        let d = directory();
        let mut step = approval(vec![ApproverSource::Users(vec![u("alice"), u("bob")])]);
        let p = policy(vec![PolicyStep::Approval(step.clone())]);
        // Requested by mgr for alice: alice is not auto-approving anything; she is excluded.
        let e = evaluate(&p, &parties("mgr", "alice"), &[], &d, NOW);
        let a = assignment(&e).clone();
        assert_eq!(a.assignees, vec![u("bob")]);
        assert_eq!(
            check_may_decide(&step, &a, &parties("mgr", "alice"), &[], &u("alice"), &d),
            Err(DomainError::SelfApprovalNotAllowed)
        );
        step.allow_self_approval = true;
        let p = policy(vec![PolicyStep::Approval(step)]);
        let e = evaluate(&p, &parties("mgr", "alice"), &[], &d, NOW);
        assert_eq!(assignment(&e).assignees, vec![u("alice"), u("bob")]);
    }

    #[test]
    fn policies_without_steps_or_with_unreachable_steps_are_rejected() {
        assert!(policy(vec![]).validate().is_err());
        let p = policy(vec![
            PolicyStep::AutoApprove { message: None },
            PolicyStep::Approval(approval(vec![ApproverSource::Manager])),
        ]);
        let err = p.validate().unwrap_err();
        assert!(err.to_string().contains("would never run"), "{err}");
        assert!(
            policy(vec![PolicyStep::Approval(approval(vec![]))])
                .validate()
                .is_err()
        );
        assert!(
            policy(vec![PolicyStep::Approval(approval(vec![
                ApproverSource::Users(vec![])
            ]))])
            .validate()
            .is_err()
        );
        assert!(Policy::builtin_app_owner_approval().validate().is_ok());
        assert!(Policy::builtin_auto_approval().validate().is_ok());
    }

    #[test]
    fn a_policy_in_use_cannot_be_deleted_and_the_error_names_the_referrer() {
        let p = policy(vec![PolicyStep::AutoApprove { message: None }]);
        let err = ensure_policy_deletable(&p, &["entitlement \"AWS — admin\"".into()]).unwrap_err();
        assert!(err.to_string().contains("AWS — admin"));
        assert!(ensure_policy_deletable(&p, &[]).is_ok());
        assert!(ensure_policy_deletable(&Policy::builtin_auto_approval(), &[]).is_err());
    }

    #[test]
    fn evaluation_is_deterministic() {
        let p = policy(vec![PolicyStep::Approval(approval(vec![
            ApproverSource::GroupMembers(GroupId::from("security")),
        ]))]);
        let d = directory();
        let a = evaluate(&p, &parties("alice", "alice"), &[], &d, NOW);
        let b = evaluate(&p, &parties("alice", "alice"), &[], &d, NOW);
        assert_eq!(a, b);
    }

    fn label_user(u: &UserId) -> String {
        format!("{u}@example.com")
    }

    fn label_group(g: &GroupId) -> String {
        format!("group {g}")
    }

    #[test]
    fn every_problem_of_a_policy_is_reported_with_its_step_and_field() {
        let mut p = policy(vec![
            PolicyStep::Deny { message: None },
            PolicyStep::Approval(approval(vec![])),
            PolicyStep::Approval(approval(vec![ApproverSource::Users(vec![])])),
        ]);
        p.name = "  ".into();
        let problems = p.problems();
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            vec![
                "Name: the policy needs a name".to_string(),
                "Step 1, kind: deny ends the request, so the steps after it would never run".into(),
                "Step 2, approvers: the step has no approvers: choose at least one approver or a fallback user".into(),
                "Step 3, named users: the list of named approvers is empty".into(),
            ]
        );
        let err = p.validate().unwrap_err().to_string();
        assert_eq!(err, format!("invalid policy: {}", lines.join("\n")));
    }

    #[test]
    fn too_many_steps_and_long_names_are_rejected() {
        let mut p = policy(vec![
            PolicyStep::Approval(approval(vec![
                ApproverSource::Manager
            ]));
            MAX_POLICY_STEPS + 1
        ]);
        p.name = "x".repeat(MAX_POLICY_NAME_LEN + 1);
        let problems = p.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().all(|p| p.step.is_none()));
        assert!(
            problems[1]
                .to_string()
                .contains("at most 16 steps (this one has 17)")
        );
        p.steps.truncate(MAX_POLICY_STEPS);
        p.name = "Sixteen managers".into();
        assert!(p.validate().is_ok());
    }

    #[test]
    fn an_approval_step_with_only_fallback_users_is_valid() {
        let step = ApprovalStep {
            fallback_users: vec![u("fallback")],
            ..ApprovalStep::default()
        };
        assert!(policy(vec![PolicyStep::Approval(step)]).validate().is_ok());
    }

    #[test]
    fn a_policy_summary_reads_as_numbered_steps_with_flags_and_fallback() {
        let p = policy(vec![
            PolicyStep::Approval(ApprovalStep {
                require_denial_reason: true,
                ..approval(vec![ApproverSource::Manager])
            }),
            PolicyStep::Approval(ApprovalStep {
                require_distinct_approvers: true,
                allow_reassignment: false,
                fallback_users: vec![u("alice"), u("bob")],
                ..approval(vec![
                    ApproverSource::AppOwners,
                    ApproverSource::Users(vec![u("carol")]),
                    ApproverSource::GroupMembers(GroupId::from("security")),
                ])
            }),
        ]);
        assert_eq!(
            p.summary(&label_user, &label_group),
            "1. Approval by manager (reason required to deny) → 2. Approval by app owners or \
             carol@example.com or members of group security (distinct approvers, no reassignment); \
             fallback: alice@example.com, bob@example.com"
        );
    }

    #[test]
    fn auto_approve_and_deny_summaries_show_a_shortened_message() {
        let long = "y".repeat(200);
        let p = policy(vec![PolicyStep::Deny {
            message: Some(long),
        }]);
        let s = p.summary(&label_user, &label_group);
        assert!(s.starts_with("1. Deny (“yyy"), "{s}");
        assert!(s.ends_with("…”)"), "{s}");
        assert!(s.chars().count() < 80, "{s}");
        assert_eq!(
            Policy::builtin_auto_approval().summary(&label_user, &label_group),
            "1. Auto-approve"
        );
        let fallback_only = policy(vec![PolicyStep::Approval(ApprovalStep {
            fallback_users: vec![u("fallback")],
            ..ApprovalStep::default()
        })]);
        assert_eq!(
            fallback_only.summary(&label_user, &label_group),
            "1. Approval by the fallback users; fallback: fallback@example.com"
        );
    }

    // External decider steps.

    fn decider_step(fallback: Vec<ApproverSource>) -> ExternalDeciderStep {
        ExternalDeciderStep {
            name: "risk-bot".into(),
            url: "https://decider.example.com/latch".into(),
            timeout_secs: DEFAULT_DECIDER_TIMEOUT_SECS,
            fallback: approval(fallback),
        }
    }

    #[test]
    fn an_external_decider_step_needs_a_name_a_safe_url_a_short_timeout_and_humans_to_fall_back_to()
    {
        let good = decider_step(vec![ApproverSource::Users(vec![u("sec1")])]);
        assert!(
            policy(vec![PolicyStep::ExternalDecider(good.clone())])
                .validate()
                .is_ok()
        );
        let bad = ExternalDeciderStep {
            name: " ".into(),
            url: "http://decider.example.com/latch".into(),
            timeout_secs: MAX_DECIDER_TIMEOUT_SECS + 1,
            fallback: ApprovalStep::default(),
        };
        let lines: Vec<String> = policy(vec![PolicyStep::ExternalDecider(bad)])
            .problems()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[0], "Step 1, decider name: the decider needs a name");
        assert!(lines[1].starts_with("Step 1, decider URL: "), "{lines:?}");
        assert!(lines[1].contains("https://"), "{lines:?}");
        assert_eq!(
            lines[2],
            "Step 1, timeout: the timeout must be between 1 and 30 seconds"
        );
        assert!(
            lines[3].starts_with("Step 1, approvers: the decider needs people to fall back to")
        );
        let zero = ExternalDeciderStep {
            timeout_secs: 0,
            ..good.clone()
        };
        assert!(
            policy(vec![PolicyStep::ExternalDecider(zero)])
                .validate()
                .is_err()
        );
        // A decider step does not end the request: steps may follow it.
        let then = policy(vec![
            PolicyStep::ExternalDecider(good),
            PolicyStep::Approval(approval(vec![ApproverSource::Manager])),
        ]);
        assert!(then.validate().is_ok());
        assert_eq!(
            then.summary(&label_user, &label_group),
            "1. External decider (risk-bot) (timeout 5 s); if it does not decide: Approval by \
             sec1@example.com → 2. Approval by manager"
        );
    }

    #[test]
    fn a_request_reaching_an_external_decider_step_waits_for_it_with_nobody_assigned() {
        let p = policy(vec![
            PolicyStep::Approval(approval(vec![ApproverSource::Manager])),
            PolicyStep::ExternalDecider(decider_step(vec![ApproverSource::AppOwners])),
        ]);
        let e = evaluate(
            &p,
            &parties("alice", "alice"),
            &[human(0, "mgr", Verdict::Approved)],
            &directory(),
            NOW,
        );
        let a = assignment(&e);
        assert_eq!(a.step, 1);
        assert!(a.assignees.is_empty());
        assert_eq!(a.tier, AssignmentTier::ExternalDecider);
        assert!(e.auto_decisions.is_empty());
    }

    #[test]
    fn a_decider_that_does_not_decide_passes_the_step_to_its_humans_without_any_auto_approval() {
        // Bob (not the subject) asks for alice and is a fallback human: on an approval step that
        // would be an implicit approval; here he is only assigned.
        let p = policy(vec![PolicyStep::ExternalDecider(decider_step(vec![
            ApproverSource::Users(vec![u("bob"), u("sec1")]),
        ]))]);
        let next =
            assign_decider_fallback(&p, 0, &parties("bob", "alice"), &[], &directory()).unwrap();
        match next {
            Next::AwaitApproval(a) => {
                assert_eq!(a.assignees, vec![u("bob"), u("sec1")]);
                assert_eq!(a.tier, AssignmentTier::Approvers);
            }
            other => panic!("expected people, got {other:?}"),
        }
        // Nobody resolvable: the fallback users, then the Super Admins.
        let p = policy(vec![PolicyStep::ExternalDecider(decider_step(vec![
            ApproverSource::Users(vec![u("gone")]),
        ]))]);
        match assign_decider_fallback(&p, 0, &parties("alice", "alice"), &[], &directory()) {
            Some(Next::AwaitApproval(a)) => assert_eq!(a.assignees, vec![u("admin")]),
            other => panic!("expected the Super Admins, got {other:?}"),
        }
        assert_eq!(
            assign_decider_fallback(
                &policy(vec![PolicyStep::Deny { message: None }]),
                0,
                &parties("alice", "alice"),
                &[],
                &directory()
            ),
            None
        );
    }

    #[test]
    fn a_deciders_answer_is_read_strictly_and_anything_else_is_refused_with_why() {
        assert_eq!(
            parse_decider_answer(r#"{"decision":"approve","reason":" low risk "}"#),
            Ok(DeciderAnswer::Approve("low risk".into()))
        );
        assert_eq!(
            parse_decider_answer(r#"{"decision":"deny","reason":"no ticket"}"#),
            Ok(DeciderAnswer::Deny("no ticket".into()))
        );
        assert_eq!(
            parse_decider_answer(r#"{"decision":"abstain"}"#),
            Ok(DeciderAnswer::Abstain(None))
        );
        assert_eq!(
            parse_decider_answer(r#"{"decision":"abstain","reason":"high risk"}"#),
            Ok(DeciderAnswer::Abstain(Some("high risk".into())))
        );
        for (body, why) in [
            (r#"{"decision":"approve"}"#, "has no reason"),
            (r#"{"decision":"approve","reason":"  "}"#, "has no reason"),
            (
                r#"{"decision":"yes","reason":"sure"}"#,
                "unknown decision \"yes\"",
            ),
            (
                r#"{"decision":"approve","reason":"ok","extra":1}"#,
                "not the expected JSON",
            ),
            ("approve", "not the expected JSON"),
            ("", "not the expected JSON"),
        ] {
            let err = parse_decider_answer(body).unwrap_err();
            assert!(err.contains(why), "{body:?}: {err}");
        }
        let long = format!(
            r#"{{"decision":"approve","reason":"{}"}}"#,
            "x".repeat(super::super::request::MAX_REASON_LEN + 1)
        );
        assert!(
            parse_decider_answer(&long)
                .unwrap_err()
                .contains("longer than")
        );
    }

    #[test]
    fn a_deciders_decision_is_attributed_to_it_by_name() {
        let by = Decider::External("risk-bot".into());
        assert_eq!(by.to_string(), "External decider (risk-bot)");
        assert_eq!(by.user(), None);
    }
}
