use leptos::prelude::*;

use crate::error::AppError;

/// The catalog: apps with their entitlements.
#[server(endpoint = "catalog/apps")]
pub async fn list_apps() -> Result<Vec<crate::api::views::AppListing>, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, _actor) = crate::ssr::access::context()?;
            Ok(crate::ssr::access::catalog::list(&db).await?)
        }
        .await,
    )
}
