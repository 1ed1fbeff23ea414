use leptos::prelude::*;

use crate::error::AppError;

/// The policies page: every policy with a readable summary, its revision and what uses it, plus
/// the groups an approval step can name.
#[server(endpoint = "policies/overview")]
pub async fn policy_overview() -> Result<crate::shapes::PolicyOverview, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _actor) = super_admin()?;
        Ok(crate::ssr::access::policies::overview(&db).await?)
    })
    .await
}
