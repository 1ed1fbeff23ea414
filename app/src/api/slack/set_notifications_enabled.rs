use leptos::prelude::*;

use crate::error::AppError;
use crate::shapes::NotificationSettingsView;

/// The kill switch: `on` sends Slack notifications, `off` drops every one (nothing is queued
/// while it is off). Audited.
#[server(endpoint = "slack/set_notifications_enabled")]
pub async fn set_notifications_enabled(on: String) -> Result<NotificationSettingsView, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        let on = parse_on_off(&on, "Slack notifications")?;
        Ok(crate::ssr::slack::delivery::admin::set_enabled(&db, &actor, on).await?)
    })
    .await
}

/// `on` or `off`, else a 422 naming `what`.
#[cfg(feature = "ssr")]
pub(crate) fn parse_on_off(value: &str, what: &str) -> Result<bool, AppError> {
    match value.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(
            crate::ssr::access::AccessError::from(crate::domain::DomainError::invalid(
                what,
                other,
                "choose on or off",
            ))
            .into(),
        ),
    }
}
