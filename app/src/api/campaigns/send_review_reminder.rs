use leptos::prelude::*;

use crate::error::AppError;

/// A review's **Send reminder**: a Slack message now to the reviewers of open review `review`
/// of a running campaign, by the campaign's managers; not again within ten minutes.
#[server(endpoint = "campaigns/send_review_reminder")]
pub async fn send_review_reminder(review: String) -> Result<String, AppError> {
    use crate::api::server::{respond, signed_in};
    use crate::ssr::flows::campaign_notifications::send_reminders;
    respond(async move {
        let (db, actor) = signed_in()?;
        let task = crate::ssr::access::campaigns::load_task(&db, &review).await?;
        let campaign = task.campaign.to_string();
        // Strangers are told the review's campaign does not exist.
        crate::ssr::read::campaigns::managed(&db, &actor, &campaign).await?;
        let state = crate::ssr::state()?;
        Ok(send_reminders(&state, &actor, &campaign, Some(&review))
            .await?
            .summary())
    })
    .await
}
