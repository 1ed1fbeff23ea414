use leptos::prelude::*;

use crate::error::AppError;

/// Deletes a group that no entitlement visibility or policy step uses.
#[server(endpoint = "directory/delete_group")]
pub async fn delete_group(group_id: String) -> Result<(), AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        Ok(crate::ssr::access::directory::delete_group(&db, &actor, &group_id).await?)
    })
    .await
}
