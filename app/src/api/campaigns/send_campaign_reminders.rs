use leptos::prelude::*;

use crate::error::AppError;

/// **Send reminders**: a Slack message now to every reviewer with open reviews in the running
/// campaign `id`, by its managers. Reviewers reminded by hand in the last ten minutes are not
/// reminded again (a double click sends once). Answers how many were reminded and how many
/// Latch cannot reach in Slack.
#[server(endpoint = "campaigns/send_reminders")]
pub async fn send_campaign_reminders(id: String) -> Result<String, AppError> {
    use crate::api::server::{respond, signed_in};
    use crate::ssr::flows::campaign_notifications::send_reminders;
    respond(async move {
        let (db, actor) = signed_in()?;
        // Strangers are told the campaign does not exist.
        crate::ssr::read::campaigns::managed(&db, &actor, &id).await?;
        let state = crate::ssr::state()?;
        Ok(send_reminders(&state, &actor, &id, None).await?.summary())
    })
    .await
}
