use leptos::prelude::*;

use crate::error::AppError;

/// One request with its history, for the people involved.
#[server(endpoint = "requests/detail")]
pub async fn request_detail(number: String) -> Result<crate::shapes::RequestDetail, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        Ok(crate::ssr::read::requests::detail(&db, &actor, &number).await?)
    })
    .await
}
