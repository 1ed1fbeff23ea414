use leptos::prelude::*;

use crate::error::AppError;

/// Everyone in the directory.
#[server(endpoint = "directory/users")]
pub async fn list_directory() -> Result<Vec<crate::shapes::DirectoryUser>, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _actor) = super_admin()?;
        Ok(crate::ssr::access::directory::list_users(&db).await?)
    })
    .await
}
