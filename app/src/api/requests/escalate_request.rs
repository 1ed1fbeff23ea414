use leptos::prelude::*;

use crate::error::AppError;

/// The subject (or their manager) escalates an open normal request to emergency access.
#[server(endpoint = "requests/escalate")]
pub async fn escalate_request(id: String) -> Result<String, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::context()?;
            let r = crate::ssr::access::requests::escalate(&db, &actor, &id).await?;
            Ok(r.number.to_string())
        }
        .await,
    )
}
