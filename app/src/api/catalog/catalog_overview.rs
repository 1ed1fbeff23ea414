use leptos::prelude::*;

use crate::error::AppError;

/// The catalog with the names behind its ids. Super Admins see every entitlement; everyone else
/// sees only the ones visible to their groups (the ones they could request), without the
/// configuration only admins need (`ssr::read::catalog`).
#[server(endpoint = "catalog/overview")]
pub async fn catalog_overview() -> Result<crate::shapes::CatalogOverview, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let overview = if actor.is_super_admin() {
            crate::ssr::read::catalog::overview(&db, crate::domain::CatalogViewer::Admin).await?
        } else {
            let groups = crate::ssr::access::directory::groups_of(&db, &actor.id).await?;
            crate::ssr::read::catalog::overview(
                &db,
                crate::domain::CatalogViewer::Member { groups: &groups },
            )
            .await?
        };
        Ok(overview)
    })
    .await
}
