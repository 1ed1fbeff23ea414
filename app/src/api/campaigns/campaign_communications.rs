use leptos::prelude::*;

use crate::error::AppError;
use crate::shapes::Communications;

/// The Communications area of a campaign's Configuration tab: its Slack channel, the channel's
/// state, who is invited and who is not (people without a linked Slack account are listed), and
/// what may be done now. For the campaign's managers (others are told it does not exist).
#[server(endpoint = "campaigns/communications")]
pub async fn campaign_communications(id: String) -> Result<Communications, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (_, actor) = signed_in()?;
        let state = crate::ssr::state()?;
        Ok(crate::ssr::read::campaign_channel::communications(&state, &actor, &id).await?)
    })
    .await
}
