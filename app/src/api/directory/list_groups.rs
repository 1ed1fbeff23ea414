use leptos::prelude::*;

use crate::error::AppError;

/// Every group with its members and what uses it.
#[server(endpoint = "directory/groups")]
pub async fn list_groups() -> Result<Vec<crate::shapes::GroupView>, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _actor) = super_admin()?;
        Ok(crate::ssr::access::directory::list_groups(&db).await?)
    })
    .await
}
