use leptos::prelude::*;

use crate::error::AppError;

/// The catalog: apps with their entitlements. Super Admins get every entitlement as stored (the
/// grants page filters by them); everyone else gets what the apps page shows them
/// (`ssr::read::catalog`).
#[server(endpoint = "catalog/apps")]
pub async fn list_apps() -> Result<Vec<crate::shapes::AppListing>, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let listing = if actor.is_super_admin() {
            crate::ssr::read::catalog::apps_for(&db, crate::domain::CatalogViewer::Admin).await?
        } else {
            let groups = crate::ssr::access::directory::groups_of(&db, &actor.id).await?;
            crate::ssr::read::catalog::apps_for(
                &db,
                crate::domain::CatalogViewer::Member { groups: &groups },
            )
            .await?
        };
        Ok(listing)
    })
    .await
}
