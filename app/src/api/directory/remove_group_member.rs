use leptos::prelude::*;

use crate::error::AppError;

/// Takes a person out of a group.
#[server(endpoint = "directory/remove_member")]
pub async fn remove_group_member(group_id: String, user_id: i64) -> Result<(), AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::admin_context()?;
            Ok(
                crate::ssr::access::directory::remove_member(&db, &actor, &group_id, user_id)
                    .await?,
            )
        }
        .await,
    )
}
