use leptos::prelude::*;

use crate::error::AppError;

/// The subject (or their manager) escalates an open normal request to emergency access.
#[server(endpoint = "requests/escalate")]
pub async fn escalate_request(id: String) -> Result<String, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let r = crate::ssr::flows::access_loop::escalate(&db, &actor, &id).await?;
        Ok(r.number.to_string())
    })
    .await
}
