use leptos::prelude::*;

use crate::error::AppError;
use crate::shapes::NotificationSettingsView;

/// Turns one kind of notification (`kind`, its stable name) `on` or `off`; a kind turned off
/// is dropped, not queued, so turning it on again sends no backlog. Audited.
#[server(endpoint = "slack/set_notification_kind")]
pub async fn set_notification_kind(
    kind: String,
    on: String,
) -> Result<NotificationSettingsView, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        let on = super::set_notifications_enabled::parse_on_off(&on, "the notification")?;
        Ok(crate::ssr::slack::delivery::admin::set_kind(&db, &actor, &kind, on).await?)
    })
    .await
}
