use leptos::prelude::*;

use crate::error::AppError;

/// Creates a group (or adds members to it), members by email.
#[server(endpoint = "directory/save_group")]
pub async fn save_group(name: String, members: Option<String>) -> Result<String, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::admin_context()?;
            let members = crate::ssr::access::catalog::split_list(&members.unwrap_or_default());
            Ok(crate::ssr::access::directory::create_group(&db, &actor, &name, &members).await?)
        }
        .await,
    )
}
