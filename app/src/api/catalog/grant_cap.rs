use leptos::prelude::*;

use crate::error::AppError;

/// The organisation-wide maximum grant length in days, if one is set.
#[server(endpoint = "catalog/grant_cap")]
pub async fn grant_cap() -> Result<Option<u64>, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, _actor) = signed_in()?;
        let tenant = crate::ssr::access::catalog::tenant(&db).await?;
        Ok(tenant.max_grant_duration.map(|d| d.as_secs() / 86_400))
    })
    .await
}
