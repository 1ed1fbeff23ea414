use leptos::prelude::*;

use crate::error::AppError;

/// Everyone in the directory.
#[server(endpoint = "directory/users")]
pub async fn list_directory() -> Result<Vec<crate::api::views::DirectoryUser>, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, _actor) = crate::ssr::access::admin_context()?;
            Ok(crate::ssr::access::directory::list_users(&db).await?)
        }
        .await,
    )
}
