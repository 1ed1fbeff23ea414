use leptos::prelude::*;

use crate::error::AppError;

/// Adds a comment to a request.
#[server(endpoint = "requests/comment")]
pub async fn comment_request(id: String, body: String) -> Result<String, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let r = crate::ssr::flows::access_loop::comment(&db, &actor, &id, &body).await?;
        Ok(r.number.to_string())
    })
    .await
}
