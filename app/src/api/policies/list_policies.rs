use leptos::prelude::*;

use crate::error::AppError;

/// Request policies: built-ins first.
#[server(endpoint = "policies/list")]
pub async fn list_policies() -> Result<Vec<crate::domain::Policy>, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, _actor) = crate::ssr::access::context()?;
            Ok(crate::ssr::access::policies::list(&db).await?)
        }
        .await,
    )
}
