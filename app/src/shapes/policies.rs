//! Request policies as the policy pages show and edit them.

use serde::{Deserialize, Serialize};

/// The policy editor's input: a name and the ordered steps, people as emails and groups by name.
/// Parsed into a `domain::Policy` once, on the server (`ssr::access::policies`); the editor posts
/// it as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyInput {
    pub name: String,
    pub steps: Vec<StepInput>,
}

/// One step in the policy editor. Fields that do not apply to the step's kind are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepInput {
    /// "approval", "external_decider", "auto_approve" or "deny". An external decider step's
    /// approver fields (manager, owners, users, groups, flags, fallback users) name the humans it
    /// falls back to.
    pub kind: String,
    /// Auto-approve and deny: an optional message for the requester.
    pub message: String,
    pub manager: bool,
    pub app_owners: bool,
    pub entitlement_owners: bool,
    /// Named approvers: emails separated by commas, spaces or new lines.
    pub users: String,
    /// Approval by the members of these groups (names).
    pub groups: Vec<String>,
    pub allow_self_approval: bool,
    pub require_approval_reason: bool,
    pub require_denial_reason: bool,
    pub require_distinct_approvers: bool,
    pub allow_reassignment: bool,
    /// Emails, as for `users`.
    pub fallback_users: String,
    /// External decider: its name in history and audit ("risk-bot").
    pub decider_name: String,
    /// External decider: where Latch posts the request's context.
    pub decider_url: String,
    /// External decider: seconds to wait for its answer (1–30).
    pub decider_timeout_secs: u32,
}

impl Default for StepInput {
    /// An approval step with the domain's safe defaults (no self-approval, reassignment allowed).
    fn default() -> Self {
        StepInput {
            kind: "approval".into(),
            message: String::new(),
            manager: false,
            app_owners: false,
            entitlement_owners: false,
            users: String::new(),
            groups: Vec::new(),
            allow_self_approval: false,
            require_approval_reason: false,
            require_denial_reason: false,
            require_distinct_approvers: false,
            allow_reassignment: true,
            fallback_users: String::new(),
            decider_name: String::new(),
            decider_url: String::new(),
            decider_timeout_secs: crate::domain::policy::DEFAULT_DECIDER_TIMEOUT_SECS,
        }
    }
}

/// A policy as the policies page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRow {
    pub id: String,
    pub name: String,
    pub revision: u64,
    pub builtin: bool,
    /// "1. Approval by manager → 2. …"
    pub summary: String,
    /// What uses it, e.g. `entitlement "Admin — admin" of Prod DB (request policy)`.
    pub used_by: Vec<String>,
    /// The policy as the editor shows it.
    pub input: PolicyInput,
    /// The catalog-as-code file that manages it (`latch apply`): the console
    /// marks it "managed in code" and refuses edits unless unlocked in Settings.
    #[serde(default)]
    pub managed_by: Option<String>,
}

/// Everything the policies page needs: the policies and the groups approvers can be picked from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyOverview {
    pub policies: Vec<PolicyRow>,
    /// Group names, sorted.
    pub groups: Vec<String>,
}
