use leptos::prelude::*;

use crate::error::AppError;

/// The access I hold.
#[server(endpoint = "grants/mine")]
pub async fn my_grants() -> Result<Vec<crate::api::views::GrantRow>, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::context()?;
            let filter = crate::api::views::GrantFilter::default();
            Ok(crate::ssr::access::grants::list(&db, &filter, Some(&actor.id)).await?)
        }
        .await,
    )
}
