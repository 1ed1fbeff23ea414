use leptos::prelude::*;

use crate::error::AppError;

/// The policies page: every policy with a readable summary, its revision and what uses it, plus
/// the groups an approval step can name.
#[server(endpoint = "policies/overview")]
pub async fn policy_overview() -> Result<crate::api::views::PolicyOverview, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, _actor) = crate::ssr::access::admin_context()?;
            Ok(crate::ssr::access::policies::overview(&db).await?)
        }
        .await,
    )
}
