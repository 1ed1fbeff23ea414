use leptos::prelude::*;

use crate::error::AppError;

/// One request with its history, for the people involved.
#[server(endpoint = "requests/detail")]
pub async fn request_detail(number: String) -> Result<crate::api::views::RequestDetail, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::context()?;
            Ok(crate::ssr::access::requests::detail(&db, &actor, &number).await?)
        }
        .await,
    )
}
