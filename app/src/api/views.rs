//! The shapes access-core server functions exchange with the browser. Plain data, compiled for
//! both the server and WebAssembly; the storage code in `ssr::access` fills them.

use serde::{Deserialize, Serialize};

use crate::domain::{App, Entitlement, RowError};

/// An audit event as listed and exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub rule: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Filters for the audit page and export. Empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Prefix of the action, e.g. `request.` or `grant.expired`.
    pub action: String,
    /// Substring of the target, e.g. `REQ-12`.
    pub target: String,
    /// Exact actor, e.g. `user:3` or `system`.
    pub actor: String,
}

/// A directory user as the admin pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub manager_id: Option<i64>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub status: String,
    pub super_admin: bool,
    pub groups: Vec<String>,
}

/// Changes to one user's directory fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdate {
    pub name: String,
    pub manager_email: String,
    pub department: String,
    pub job_title: String,
    pub status: String,
}

/// The result of a CSV import: either every row applied, or every bad row and nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportOutcome {
    Imported { created: usize, updated: usize },
    Rejected(Vec<RowError>),
}

/// An app with its description and entitlements, for listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppListing {
    pub app: App,
    pub description: String,
    pub entitlements: Vec<Entitlement>,
    /// The app's stored version, carried by its edit form (a save over a newer edit is refused).
    #[serde(default)]
    pub version: u64,
    /// Entitlement id → stored version, likewise.
    #[serde(default)]
    pub entitlement_versions: std::collections::BTreeMap<String, u64>,
    /// The app's Markdown instructions rendered to sanitised HTML (`ssr::markdown`).
    #[serde(default)]
    pub instructions_html: Option<String>,
}

/// The catalog page's data: apps with their entitlements (only the ones the viewer may see,
/// unless an admin), and the names behind the ids they reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogOverview {
    pub apps: Vec<AppListing>,
    /// User id → email, for owners and provisioners.
    pub people: std::collections::BTreeMap<String, String>,
    /// Group id → name, for visibility.
    pub groups: std::collections::BTreeMap<String, String>,
    /// (policy id, name), built-ins first, for request and emergency policies.
    pub policies: Vec<(String, String)>,
    /// The organisation-wide maximum grant length in days, if any.
    pub grant_cap_days: Option<u64>,
}

/// A group with its members and what refers to it, for the directory page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    /// (user id, email, display name), by name.
    pub members: Vec<(i64, String, String)>,
    /// Entitlements and policies that use the group; non-empty means it cannot be deleted.
    pub used_by: Vec<String>,
}

/// Form input for an app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInput {
    pub name: String,
    pub description: String,
    /// Owner emails, comma separated.
    pub owners: String,
    /// Markdown provisioning/request instructions.
    pub instructions: String,
    pub default_policy: String,
    /// The version the edit form was opened at; `None` checks against the version just loaded.
    pub version: Option<u64>,
}

/// Form input for an entitlement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitlementInput {
    pub app_id: String,
    pub display_name: String,
    pub slug: String,
    pub description: String,
    pub alias: String,
    pub risk: String,
    pub owners: String,
    /// "indefinite" or a length such as "30d".
    pub max_duration: String,
    pub request_policy: String,
    pub emergency_policy: String,
    /// "manual" or "webhook".
    pub provisioning: String,
    pub provisioners: String,
    pub webhook_url: String,
    /// Group names, empty for everyone.
    pub visible_to: String,
    /// "everyone", "groups" (those in `visible_to`) or "nobody" (hidden, e.g. retired). Empty:
    /// `visible_to` decides (no groups: everyone).
    pub visibility: String,
    /// The version the edit form was opened at; `None` checks against the version just loaded.
    pub version: Option<u64>,
}

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
    /// "approval", "auto_approve" or "deny".
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
}

/// Everything the policies page needs: the policies and the groups approvers can be picked from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyOverview {
    pub policies: Vec<PolicyRow>,
    /// Group names, sorted.
    pub groups: Vec<String>,
}

/// Form input for a new request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateInput {
    pub entitlement_id: String,
    /// Empty: for myself.
    pub subject_email: String,
    /// Empty: the default length; else a preset ("1d"), custom ("10d 12h") or "indefinite".
    pub duration: String,
    pub justification: String,
    pub emergency: bool,
    /// An extension of the subject's active grant of this entitlement: on approval the grant's
    /// expiry moves instead of a new grant being issued.
    pub extension: bool,
}

/// A request as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSummary {
    pub id: String,
    pub number: String,
    pub app: String,
    pub entitlement: String,
    pub requester: String,
    pub subject: String,
    pub status: String,
    pub outcome: Option<String>,
    pub emergency: bool,
    pub created_at: i64,
    pub current_step: Option<usize>,
    /// The length that will be granted (an approver may have shortened it).
    pub length: String,
    /// The length the requester asked for.
    pub requested_length: String,
    /// Preset lengths ("1h", "4h"…) shorter than `length`, offered to approvers while it waits.
    pub shorter_lengths: Vec<String>,
}

/// One line of a request's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLine {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// Everything the request page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub summary: RequestSummary,
    pub justification: String,
    pub policy_name: String,
    pub assignees: Vec<String>,
    pub can_decide: bool,
    pub can_cancel: bool,
    /// A Super Admin may reassign any waiting step.
    pub can_reassign: bool,
    /// The subject or their manager may escalate this open normal request to emergency access.
    pub can_escalate: bool,
    /// Provisioning failed after approval and the viewer may retry it.
    pub can_retry: bool,
    pub history: Vec<HistoryLine>,
    pub comments: Vec<HistoryLine>,
    pub note: Option<String>,
}

/// A grant as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRow {
    pub id: String,
    pub subject: String,
    pub subject_id: String,
    pub entitlement_id: String,
    pub app: String,
    pub entitlement: String,
    pub granted_at: i64,
    pub expires_at: Option<i64>,
    pub status: String,
    pub status_label: String,
    pub remaining: String,
    pub source_request: String,
}

/// Filters for the admin grants page; empty means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantFilter {
    pub app_id: String,
    pub entitlement_id: String,
    pub user_email: String,
    /// Only grants expiring within this many days (0: any).
    pub expiring_within_days: i64,
    /// Include removed grants.
    pub include_removed: bool,
}

/// A provisioning task as the task list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRow {
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub app: String,
    pub entitlement: String,
    pub instructions: Option<String>,
    /// `instructions` rendered to sanitised HTML.
    pub instructions_html: Option<String>,
    pub open: bool,
    pub state: String,
}

/// An entitlement in the request form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestableEntitlement {
    pub id: String,
    pub label: String,
    /// The longest length that may be asked for ("90d", or "indefinite").
    pub max: String,
    pub indefinite_allowed: bool,
    pub emergency: bool,
}
