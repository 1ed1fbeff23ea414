use leptos::prelude::*;

use crate::error::AppError;

/// Open provisioning tasks assigned to me (all of them for admins).
#[server(endpoint = "grants/tasks")]
pub async fn my_tasks() -> Result<Vec<crate::api::views::TaskRow>, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::context()?;
            Ok(crate::ssr::access::grants::open_tasks(&db, &actor).await?)
        }
        .await,
    )
}
