use leptos::prelude::*;

use crate::error::AppError;

/// **Deactivate** (`active` "false": nothing more is posted to the channel) or **Activate**
/// (`active` "true": updates resume) the campaign's Slack channel.
#[server(endpoint = "campaigns/set_channel_active")]
pub async fn set_campaign_channel_active(id: String, active: String) -> Result<String, AppError> {
    use crate::api::server::{checked, respond, signed_in};
    use crate::ssr::flows::campaign_channel as flows;
    respond(async move {
        let (db, actor) = signed_in()?;
        crate::ssr::read::campaigns::managed(&db, &actor, &id).await?;
        let active = checked(&Some(active));
        let c = flows::set_active(&db, &actor, &id, active).await?;
        Ok(if active {
            format!(
                "#{} is active: campaign updates are posted there.",
                c.channel_name
            )
        } else {
            format!(
                "#{} is inactive: nothing more is posted there until it is activated.",
                c.channel_name
            )
        })
    })
    .await
}
