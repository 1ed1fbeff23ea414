use leptos::prelude::*;

use crate::error::AppError;

/// Requests I made or that are for me.
#[server(endpoint = "requests/mine")]
pub async fn my_requests() -> Result<Vec<crate::shapes::RequestSummary>, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        Ok(crate::ssr::read::requests::mine(&db, &actor.id).await?)
    })
    .await
}
