use leptos::prelude::*;

use crate::error::AppError;

/// Shows the webhook signing secret to a Super Admin, once (audited); afterwards only a rotation
/// shows one.
#[server(endpoint = "settings/reveal_webhook_secret")]
pub async fn reveal_webhook_secret() -> Result<String, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::admin_context()?;
            let state = crate::ssr::state()?;
            Ok(
                crate::ssr::access::webhook_secret::reveal(&db, &state.slack.sealer, &actor)
                    .await?,
            )
        }
        .await,
    )
}
