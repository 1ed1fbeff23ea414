use leptos::prelude::*;

use crate::error::AppError;

/// Request policies, built-ins first. For Super Admins only: a policy names its approvers, which
/// is configuration, not something requesters need (the apps page shows policies by name).
#[server(endpoint = "policies/list")]
pub async fn list_policies() -> Result<Vec<crate::domain::Policy>, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _actor) = super_admin()?;
        Ok(crate::ssr::access::policies::list(&db).await?)
    })
    .await
}
