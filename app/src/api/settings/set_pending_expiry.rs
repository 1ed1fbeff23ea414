use leptos::prelude::*;

use crate::domain::PendingExpiry;
use crate::error::AppError;

/// Sets how long requests may wait for approval: a number of days (1–365), or empty for never.
#[server(endpoint = "settings/set_pending_expiry")]
pub async fn set_pending_expiry(days: String) -> Result<PendingExpiry, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        Ok(crate::ssr::access::pending_expiry::set_rule(&db, &actor, &days).await?)
    })
    .await
}
