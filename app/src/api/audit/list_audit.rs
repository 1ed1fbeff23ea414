use leptos::prelude::*;

use crate::error::AppError;

/// The audit log, newest first, filtered.
#[server(endpoint = "audit/list")]
pub async fn list_audit(
    action: Option<String>,
    target: Option<String>,
    actor: Option<String>,
) -> Result<Vec<crate::api::views::AuditRow>, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, _actor) = crate::ssr::access::admin_context()?;
            let filter = crate::api::views::AuditFilter {
                action: action.unwrap_or_default(),
                target: target.unwrap_or_default(),
                actor: actor.unwrap_or_default(),
            };
            Ok(crate::ssr::access::audit::list(&db, &filter, 500).await?)
        }
        .await,
    )
}
