use leptos::prelude::*;

use crate::error::AppError;

/// Shows the webhook signing secret to a Super Admin, once (audited); afterwards only a rotation
/// shows one.
#[server(endpoint = "settings/reveal_webhook_secret")]
pub async fn reveal_webhook_secret() -> Result<String, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        let state = crate::ssr::state()?;
        Ok(crate::ssr::access::webhook_secret::reveal(&db, &state.slack.sealer, &actor).await?)
    })
    .await
}
