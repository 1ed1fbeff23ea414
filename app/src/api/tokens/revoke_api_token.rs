use leptos::prelude::*;

use crate::error::AppError;

/// Revokes an API token: it is refused from the next call on.
#[server(endpoint = "tokens/revoke")]
pub async fn revoke_api_token(id: String) -> Result<(), AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        crate::ssr::api_tokens::revoke(&db, &actor, &id).await
    })
    .await
}
