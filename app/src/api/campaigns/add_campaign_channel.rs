use leptos::prelude::*;

use crate::error::AppError;

/// **Add to channel**: `channel` is the name as typed (an existing channel or a new one; it is
/// normalised as Slack requires), `description` the new channel's purpose (at most 250
/// characters). Slack's refusals come back as the error's message, nothing stored. Answers what
/// happened, in words.
#[server(endpoint = "campaigns/add_channel")]
pub async fn add_campaign_channel(
    id: String,
    channel: String,
    #[server(default)] description: String,
) -> Result<String, AppError> {
    use crate::api::server::{respond, signed_in};
    use crate::ssr::flows::campaign_channel as flows;
    respond(async move {
        let (db, actor) = signed_in()?;
        // Strangers are told the campaign does not exist.
        crate::ssr::read::campaigns::managed(&db, &actor, &id).await?;
        let state = crate::ssr::state()?;
        let added = flows::add(&state, &actor, &id, &channel, &description).await?;
        let c = &added.channel;
        let mut message = format!(
            "{} #{}{}: owners and reviewers are being invited.",
            if c.created_by_latch {
                "Created"
            } else {
                "Added"
            },
            c.channel_name,
            if c.is_private { " (private)" } else { "" },
        );
        if let Some(note) = added.note {
            message.push(' ');
            message.push_str(&note);
        }
        Ok(message)
    })
    .await
}
