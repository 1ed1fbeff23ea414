use leptos::prelude::*;

use crate::domain::PendingExpiry;
use crate::error::AppError;

/// How long requests may wait for approval before they expire.
#[server(endpoint = "settings/get_pending_expiry")]
pub async fn get_pending_expiry() -> Result<PendingExpiry, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _actor) = super_admin()?;
        Ok(crate::ssr::access::pending_expiry::rule(&db).await?)
    })
    .await
}
