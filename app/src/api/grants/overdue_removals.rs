use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A grant whose removal is overdue, with what is (or is not) being done about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueRemovalRow {
    pub grant_id: String,
    pub subject: String,
    pub app: String,
    pub entitlement: String,
    /// expired / released / revoked; "expired" also for a grant the sweep has not reached yet.
    pub reason: String,
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

/// Every grant whose removal is overdue (Super Admins).
#[server(endpoint = "grants/overdue_removals")]
pub async fn overdue_removals() -> Result<Vec<OverdueRemovalRow>, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _actor) = super_admin()?;
        Ok(crate::ssr::access::grants::overdue_removals(&db).await?)
    })
    .await
}
