use leptos::prelude::*;

use crate::error::AppError;
use crate::shapes::NotificationSettingsView;

/// Which notifications go to Slack: the kill switch and each kind (Super Admins).
#[server(endpoint = "slack/notification_settings")]
pub async fn get_notification_settings() -> Result<NotificationSettingsView, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _actor) = super_admin()?;
        Ok(crate::ssr::slack::delivery::admin::settings_view(&db).await?)
    })
    .await
}
