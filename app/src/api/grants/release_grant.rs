use leptos::prelude::*;

use crate::error::AppError;

/// "I'm done": the holder gives access back early.
#[server(endpoint = "grants/release")]
pub async fn release_grant(id: String) -> Result<(), AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::context()?;
            Ok(crate::ssr::access::grants::release(&db, &actor, &id).await?)
        }
        .await,
    )
}
