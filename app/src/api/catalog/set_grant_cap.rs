use leptos::prelude::*;

use crate::error::AppError;

/// Sets the organisation-wide maximum grant length, in days. No entitlement can exceed it.
#[server(endpoint = "catalog/set_grant_cap")]
pub async fn set_grant_cap(days: u64) -> Result<(), AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        Ok(crate::ssr::access::catalog::set_tenant_cap_days(&db, &actor, days).await?)
    })
    .await
}
