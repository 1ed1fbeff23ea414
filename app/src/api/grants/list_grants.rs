use leptos::prelude::*;

use crate::error::AppError;

/// Admin view of grants, filtered.
#[server(endpoint = "grants/list")]
pub async fn list_grants(
    app_id: Option<String>,
    entitlement_id: Option<String>,
    user_email: Option<String>,
    expiring_within_days: Option<i64>,
    include_removed: Option<String>,
) -> Result<Vec<crate::api::views::GrantRow>, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, _actor) = crate::ssr::access::admin_context()?;
            let filter = crate::api::views::GrantFilter {
                app_id: app_id.unwrap_or_default(),
                entitlement_id: entitlement_id.unwrap_or_default(),
                user_email: user_email.unwrap_or_default(),
                expiring_within_days: expiring_within_days.unwrap_or(0),
                include_removed: include_removed.is_some_and(|v| !v.is_empty() && v != "false"),
            };
            Ok(crate::ssr::access::grants::list(&db, &filter, None).await?)
        }
        .await,
    )
}
