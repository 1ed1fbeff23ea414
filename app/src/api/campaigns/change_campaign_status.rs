use leptos::prelude::*;

use crate::error::AppError;

/// Moves a campaign along its lifecycle: `action` is "stage", "start" (with `notify_reviewers`
/// ticked: "Notify reviewers now", the kickoff message to every reviewer), "end" (with
/// `open_reviews` "skip" or "revoke") or "complete". Answers what happened, in words.
#[server(endpoint = "campaigns/change_status")]
pub async fn change_campaign_status(
    id: String,
    action: String,
    #[server(default)] open_reviews: String,
    #[server(default)] notify_reviewers: Option<String>,
) -> Result<String, AppError> {
    use crate::api::server::{checked, respond, signed_in};
    use crate::domain::campaign::OpenReviews;
    use crate::ssr::flows::campaigns as flows;
    respond(async move {
        let (db, actor) = signed_in()?;
        // Strangers are told the campaign does not exist, whatever they ask.
        crate::ssr::read::campaigns::managed(&db, &actor, &id).await?;
        Ok(match action.as_str() {
            "stage" => {
                let s = flows::stage(&db, &actor, &id).await?;
                format!(
                    "Staged: {} in the snapshot.",
                    count(s.review_tasks, "review")
                )
            }
            "start" => {
                let notify = checked(&notify_reviewers);
                flows::start(&db, &actor, &id, notify).await?;
                if notify {
                    "Started: reviewers can review, and each was sent a message.".to_string()
                } else {
                    "Started: reviewers can review.".to_string()
                }
            }
            "end" => {
                let choice = OpenReviews::parse(open_reviews.trim()).map_err(|_| {
                    AppError::Invalid(
                        "Choose what happens to the open reviews: skip or revoke.".into(),
                    )
                })?;
                let e = flows::end(&db, &actor, &id, choice).await?;
                format!(
                    "Ended: {} skipped, {} revoked; removal started for {}.",
                    e.skipped,
                    e.revoked,
                    count(e.removals_started, "grant")
                )
            }
            "complete" => {
                flows::complete(&db, &actor, &id).await?;
                "Completed: the campaign is read-only.".to_string()
            }
            other => {
                return Err(AppError::Invalid(format!(
                    "Unknown campaign action \"{other}\"."
                )));
            }
        })
    })
    .await
}

/// "1 review", "3 reviews".
#[cfg(feature = "ssr")]
fn count(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
