use leptos::prelude::*;

use crate::error::AppError;

/// Creates a group (or adds members to it), members by email.
#[server(endpoint = "directory/save_group")]
pub async fn save_group(name: String, members: Option<String>) -> Result<String, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        let members = crate::ssr::access::catalog::split_list(&members.unwrap_or_default());
        Ok(crate::ssr::access::directory::create_group(&db, &actor, &name, &members).await?)
    })
    .await
}
