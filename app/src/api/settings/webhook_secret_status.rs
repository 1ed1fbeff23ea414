use leptos::prelude::*;

use crate::domain::WebhookSecretStatus;
use crate::error::AppError;

/// When the webhook signing secret was made and whether it was shown (never the secret itself).
#[server(endpoint = "settings/webhook_secret_status")]
pub async fn get_webhook_secret_status() -> Result<WebhookSecretStatus, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _actor) = super_admin()?;
        let state = crate::ssr::state()?;
        Ok(crate::ssr::access::webhook_secret::status(&db, &state.slack.sealer).await?)
    })
    .await
}
