//! Grants and provisioning tasks as lists show them.

use serde::{Deserialize, Serialize};

use crate::domain::{GrantActions, GrantStatus, RemovalReason, TaskActions, TaskKind};

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
    pub status: GrantStatus,
    /// `status` in words ([`GrantStatus::label`]).
    pub status_label: String,
    pub remaining: String,
    pub source_request: String,
    /// What the viewer may do to it (the domain's permission checks, [`GrantActions`]).
    pub actions: GrantActions,
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
    pub kind: TaskKind,
    pub subject: String,
    pub app: String,
    pub entitlement: String,
    pub instructions: Option<String>,
    /// `instructions` rendered to sanitised HTML.
    pub instructions_html: Option<String>,
    pub open: bool,
    pub state: String,
    /// What the viewer may do to it ([`TaskActions`]).
    pub actions: TaskActions,
}

/// A grant whose removal is overdue, with what is (or is not) being done about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueRemovalRow {
    pub grant_id: String,
    pub subject: String,
    pub app: String,
    pub entitlement: String,
    /// Expired also for a grant the sweep has not reached yet.
    pub reason: RemovalReason,
    /// When the access should have ended (Unix ms): its expiry, or the release or revocation.
    pub ended_at: Option<i64>,
    /// "3 hours", "2 days".
    pub overdue_for: String,
    /// The open deprovisioning task, if any.
    pub open_task: Option<String>,
    /// What that task is waiting for ("waiting for a provisioner", "webhook call pending …").
    pub task_state: Option<String>,
    /// Who may complete it (names); empty when nobody but the subject could.
    pub assignees: Vec<String>,
    /// How many removals of this grant errored or were refused.
    pub escalation: u32,
    /// The latest error or refusal, if any.
    pub last_error: Option<String>,
}
