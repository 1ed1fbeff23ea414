use leptos::prelude::*;

use crate::error::AppError;
use crate::shapes::SlackOverview;

/// Everything the Slack section shows: settings still missing, installations, the manifest.
#[server(endpoint = "slack/overview")]
pub async fn get_slack_overview() -> Result<SlackOverview, AppError> {
    use crate::api::server::respond;
    respond(async move {
        crate::ssr::auth::require_super_admin()?;
        let state = crate::ssr::state()?;
        crate::ssr::slack::view::overview(&state)
            .await
            .map_err(crate::ssr::internal)
    })
    .await
}
