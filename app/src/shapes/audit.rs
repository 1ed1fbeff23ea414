//! The audit log as listed and exported.

use serde::{Deserialize, Serialize};

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
