use leptos::prelude::*;

use crate::error::AppError;

/// Starts "Add to Slack": returns Slack's authorize URL with a fresh single-use `state` bound to
/// the caller's session. `team` pre-selects a workspace (Reinstall). The page links to
/// `/slack/install`, which does the same and redirects; this is for scripted clients.
#[server(endpoint = "slack/install_url")]
pub async fn start_slack_install(team: Option<String>) -> Result<String, AppError> {
    use crate::api::server::respond;
    respond(async move {
        let user = crate::ssr::auth::require_super_admin()?;
        let state = crate::ssr::state()?;
        let session: tower_sessions::Session = leptos_axum::extract().await.map_err(crate::ssr::internal)?;
        let Some(session_id) = session.id() else { return Err(AppError::Unauthenticated) };
        crate::ssr::slack::oauth::begin(&state, &user, &session_id.to_string(), team.as_deref())
            .await
            .map_err(|e| match e {
                crate::ssr::slack::oauth::BeginError::NotConfigured => AppError::Invalid(
                    "Slack is not configured: set LATCH_SLACK_CLIENT_ID and LATCH_SLACK_CLIENT_SECRET.".into(),
                ),
                other => crate::ssr::internal(other),
            })
    })
    .await
}
