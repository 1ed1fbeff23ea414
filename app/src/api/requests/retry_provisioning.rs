use leptos::prelude::*;

use crate::error::AppError;

/// Reopens provisioning of an approved request whose provisioning failed (approvals are kept).
#[server(endpoint = "requests/retry_provisioning")]
pub async fn retry_provisioning(id: String) -> Result<String, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let r = crate::ssr::flows::access_loop::retry_provisioning(&db, &actor, &id).await?;
        Ok(r.number.to_string())
    })
    .await
}
