use leptos::prelude::*;

use crate::error::AppError;

/// Deletes an unused policy; the error names what still uses it.
#[server(endpoint = "policies/delete")]
pub async fn delete_policy(id: String) -> Result<(), AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::admin_context()?;
            Ok(crate::ssr::access::policies::delete(&db, &actor, &id).await?)
        }
        .await,
    )
}
