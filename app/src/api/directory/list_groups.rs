use leptos::prelude::*;

use crate::error::AppError;

/// Every group with its members and what uses it.
#[server(endpoint = "directory/groups")]
pub async fn list_groups() -> Result<Vec<crate::api::views::GroupView>, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, _actor) = crate::ssr::access::admin_context()?;
            Ok(crate::ssr::access::directory::list_groups(&db).await?)
        }
        .await,
    )
}
