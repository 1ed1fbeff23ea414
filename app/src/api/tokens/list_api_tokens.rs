use leptos::prelude::*;

use crate::error::AppError;
use crate::shapes::ApiTokenRow;

/// Every API token, newest first, without secrets.
#[server(endpoint = "tokens/list")]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenRow>, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _) = super_admin()?;
        Ok(crate::ssr::api_tokens::list(&db).await?)
    })
    .await
}
