use leptos::prelude::*;

use crate::error::AppError;

/// Sends a failed Slack notification again, once its cause is fixed (404 unless `id` is a
/// failed delivery). Audited.
#[server(endpoint = "slack/retry_delivery")]
pub async fn retry_delivery(id: i64) -> Result<(), AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        Ok(crate::ssr::slack::delivery::admin::retry(&db, &actor, id).await?)
    })
    .await
}
