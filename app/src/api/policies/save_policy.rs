use leptos::prelude::*;

use crate::error::AppError;

/// Creates (no id) or edits a policy; steps are the JSON of the domain steps.
#[server(endpoint = "policies/save")]
pub async fn save_policy(
    id: Option<String>,
    name: String,
    steps_json: String,
) -> Result<String, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::admin_context()?;
            let id = id.filter(|i| !i.trim().is_empty());
            let input = crate::api::views::PolicyInput { name, steps_json };
            Ok(crate::ssr::access::policies::save(&db, &actor, id.as_deref(), input).await?)
        }
        .await,
    )
}
