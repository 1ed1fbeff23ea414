use leptos::prelude::*;

use crate::domain::PendingExpiry;
use crate::error::AppError;

/// How long requests may wait for approval before they expire.
#[server(endpoint = "settings/get_pending_expiry")]
pub async fn get_pending_expiry() -> Result<PendingExpiry, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, _actor) = crate::ssr::access::admin_context()?;
            Ok(crate::ssr::access::pending_expiry::rule(&db).await?)
        }
        .await,
    )
}
