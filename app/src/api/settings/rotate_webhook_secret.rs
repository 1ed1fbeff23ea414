use leptos::prelude::*;

use crate::error::AppError;

/// Replaces the webhook signing secret and shows the new one once (audited). The previous secret
/// keeps signing alongside for a day, so receivers can switch without refusing calls.
#[server(endpoint = "settings/rotate_webhook_secret")]
pub async fn rotate_webhook_secret() -> Result<String, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        let state = crate::ssr::state()?;
        Ok(crate::ssr::access::webhook_secret::rotate(&db, &state.slack.sealer, &actor).await?)
    })
    .await
}
