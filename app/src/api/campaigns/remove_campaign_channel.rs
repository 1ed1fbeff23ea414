use leptos::prelude::*;

use crate::error::AppError;

/// **Remove**: detaches the campaign's Slack channel (the channel itself stays in Slack); another
/// may be added after.
#[server(endpoint = "campaigns/remove_channel")]
pub async fn remove_campaign_channel(id: String) -> Result<String, AppError> {
    use crate::api::server::{respond, signed_in};
    use crate::ssr::flows::campaign_channel as flows;
    respond(async move {
        let (db, actor) = signed_in()?;
        crate::ssr::read::campaigns::managed(&db, &actor, &id).await?;
        let c = flows::remove(&db, &actor, &id).await?;
        Ok(format!(
            "#{} was removed from this campaign; it stays in Slack.",
            c.channel_name
        ))
    })
    .await
}
