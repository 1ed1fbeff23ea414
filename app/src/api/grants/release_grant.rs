use leptos::prelude::*;

use crate::error::AppError;

/// "I'm done": the holder gives access back early.
#[server(endpoint = "grants/release")]
pub async fn release_grant(id: String) -> Result<(), AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        Ok(crate::ssr::flows::access_loop::release(&db, &actor, &id).await?)
    })
    .await
}
