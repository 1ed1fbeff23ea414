use leptos::prelude::*;

use crate::error::AppError;

/// Deletes an unused policy; the error names what still uses it.
#[server(endpoint = "policies/delete")]
pub async fn delete_policy(id: String) -> Result<(), AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        Ok(crate::ssr::access::policies::delete(&db, &actor, &id).await?)
    })
    .await
}
