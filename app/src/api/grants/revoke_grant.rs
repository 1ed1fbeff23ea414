use leptos::prelude::*;

use crate::error::AppError;

/// An admin revokes a grant.
#[server(endpoint = "grants/revoke")]
pub async fn revoke_grant(id: String) -> Result<(), AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::admin_context()?;
            Ok(crate::ssr::access::grants::revoke(&db, &actor, &id).await?)
        }
        .await,
    )
}
