use leptos::prelude::*;

use crate::error::AppError;
use crate::shapes::FailedDelivery;

/// Slack notifications Latch gave up delivering, newest first, each with why in words.
#[server(endpoint = "slack/failed_deliveries")]
pub async fn failed_deliveries() -> Result<Vec<FailedDelivery>, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _actor) = super_admin()?;
        Ok(crate::ssr::slack::delivery::admin::failed(&db).await?)
    })
    .await
}
