use leptos::prelude::*;

use crate::error::AppError;

/// The Slack app manifest (JSON) for this Latch's settings.
#[server(endpoint = "slack/manifest")]
pub async fn get_slack_manifest() -> Result<String, AppError> {
    use crate::api::server::respond;
    respond(async move {
        crate::ssr::auth::require_super_admin()?;
        let state = crate::ssr::state()?;
        Ok(crate::ssr::slack::manifest::manifest_json(
            &state.slack.config,
            &state.public_url,
        ))
    })
    .await
}
