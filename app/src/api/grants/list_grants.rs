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
) -> Result<Vec<crate::shapes::GrantRow>, AppError> {
    use crate::api::server::{checked, respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        let filter = crate::shapes::GrantFilter {
            app_id: app_id.unwrap_or_default(),
            entitlement_id: entitlement_id.unwrap_or_default(),
            user_email: user_email.unwrap_or_default(),
            expiring_within_days: expiring_within_days.unwrap_or(0),
            include_removed: checked(&include_removed),
        };
        Ok(crate::ssr::read::grants::list(&db, &actor, &filter, None).await?)
    })
    .await
}
