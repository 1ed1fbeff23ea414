use leptos::prelude::*;

use crate::error::AppError;

/// Takes a person out of a group.
#[server(endpoint = "directory/remove_member")]
pub async fn remove_group_member(group_id: String, user_id: i64) -> Result<(), AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        Ok(crate::ssr::access::directory::remove_member(&db, &actor, &group_id, user_id).await?)
    })
    .await
}
