use leptos::prelude::*;

use crate::error::AppError;

/// The requester (or an admin) cancels an open request.
#[server(endpoint = "requests/cancel")]
pub async fn cancel_request(id: String, reason: Option<String>) -> Result<String, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let r = crate::ssr::flows::access_loop::cancel(&db, &actor, &id, reason).await?;
        Ok(r.number.to_string())
    })
    .await
}
