use leptos::prelude::*;

use crate::error::AppError;

/// Requests waiting for my decision.
#[server(endpoint = "approvals/assigned")]
pub async fn assigned_to_me() -> Result<Vec<crate::shapes::RequestSummary>, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        Ok(crate::ssr::read::requests::assigned(&db, &actor.id).await?)
    })
    .await
}
