use leptos::prelude::*;

use crate::error::AppError;
use crate::shapes::ActionReport;

/// Posts a test message to the installation's chosen channel and reports Slack's answer.
#[server(endpoint = "slack/test_message")]
pub async fn send_slack_test_message(installation_id: i64) -> Result<ActionReport, AppError> {
    use crate::api::server::respond;
    respond(async move {
        use crate::ssr::slack::manage::{self, ManageError};
        let user = crate::ssr::auth::require_super_admin()?;
        let state = crate::ssr::state()?;
        match manage::send_test_message(&state, installation_id, &user.name).await {
            Ok(channel) => Ok(ActionReport {
                ok: true,
                message: format!("Test message posted to #{channel}."),
            }),
            Err(ManageError::Slack(error)) => Ok(ActionReport {
                ok: false,
                message: format!("Slack did not post the test message: {error}."),
            }),
            Err(ManageError::NotFound) => Err(AppError::NotFound("The Slack installation".into())),
            Err(ManageError::NotConnected) => Err(AppError::conflict(
                "This Slack installation is disconnected.",
            )),
            Err(other) => Err(crate::ssr::internal(other)),
        }
    })
    .await
}
