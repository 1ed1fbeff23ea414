use leptos::prelude::*;

use crate::error::AppError;

/// The audit log, newest first, filtered.
#[server(endpoint = "audit/list")]
pub async fn list_audit(
    action: Option<String>,
    target: Option<String>,
    actor: Option<String>,
) -> Result<Vec<crate::shapes::AuditRow>, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _actor) = super_admin()?;
        let filter = crate::shapes::AuditFilter {
            action: action.unwrap_or_default(),
            target: target.unwrap_or_default(),
            actor: actor.unwrap_or_default(),
        };
        Ok(crate::ssr::access::audit::list(&db, &filter, 500).await?)
    })
    .await
}
