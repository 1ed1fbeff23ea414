use leptos::prelude::*;

use crate::error::AppError;

/// An admin revokes a grant.
#[server(endpoint = "grants/revoke")]
pub async fn revoke_grant(id: String) -> Result<(), AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        Ok(crate::ssr::flows::access_loop::revoke(&db, &actor, &id).await?)
    })
    .await
}
