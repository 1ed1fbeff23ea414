use leptos::prelude::*;

use crate::error::AppError;

/// Hands the waiting step to someone else, with a reason.
#[server(endpoint = "approvals/reassign")]
pub async fn reassign_request(
    id: String,
    to_email: String,
    reason: String,
) -> Result<String, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let r =
            crate::ssr::flows::access_loop::reassign(&db, &actor, &id, &to_email, &reason).await?;
        Ok(r.number.to_string())
    })
    .await
}
