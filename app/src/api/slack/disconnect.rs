use leptos::prelude::*;

use crate::error::AppError;
use crate::shapes::ActionReport;

/// Revokes the installation's token at Slack (`auth.revoke`) and marks it disconnected.
#[server(endpoint = "slack/disconnect")]
pub async fn disconnect_slack(installation_id: i64) -> Result<ActionReport, AppError> {
    use crate::api::server::respond;
    respond(async move {
        use crate::ssr::slack::manage::{self, ManageError};
        let user = crate::ssr::auth::require_super_admin()?;
        let state = crate::ssr::state()?;
        match manage::disconnect(&state, installation_id, user.id).await {
            Ok(None) => Ok(ActionReport { ok: true, message: "Disconnected. Slack revoked Latch's token.".into() }),
            Ok(Some(error)) => Ok(ActionReport {
                ok: false,
                message: format!(
                    "Disconnected in Latch, but the token could not be revoked at Slack ({error}). Remove the app in Slack's app management to be sure."
                ),
            }),
            Err(ManageError::NotFound) => Err(AppError::NotFound("The Slack installation".into())),
            Err(ManageError::NotConnected) => Err(AppError::conflict("This Slack installation is already disconnected.")),
            Err(other) => Err(crate::ssr::internal(other)),
        }
    })
    .await
}
