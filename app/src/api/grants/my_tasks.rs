use leptos::prelude::*;

use crate::error::AppError;

/// Open provisioning tasks assigned to me (all of them for admins).
#[server(endpoint = "grants/tasks")]
pub async fn my_tasks() -> Result<Vec<crate::shapes::TaskRow>, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        Ok(crate::ssr::read::grants::open_tasks(&db, &actor).await?)
    })
    .await
}
