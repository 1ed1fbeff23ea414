use leptos::prelude::*;

use crate::error::AppError;

/// Requests I made or that are for me.
#[server(endpoint = "requests/mine")]
pub async fn my_requests() -> Result<Vec<crate::api::views::RequestSummary>, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::context()?;
            Ok(crate::ssr::access::requests::mine(&db, &actor.id).await?)
        }
        .await,
    )
}
