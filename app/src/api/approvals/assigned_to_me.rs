use leptos::prelude::*;

use crate::error::AppError;

/// Requests waiting for my decision.
#[server(endpoint = "approvals/assigned")]
pub async fn assigned_to_me() -> Result<Vec<crate::api::views::RequestSummary>, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::context()?;
            Ok(crate::ssr::access::requests::assigned(&db, &actor.id).await?)
        }
        .await,
    )
}
