use leptos::prelude::*;

use crate::error::AppError;

/// Creates (no id) or edits an app.
#[server(endpoint = "catalog/save_app")]
pub async fn save_app(
    id: Option<String>,
    name: String,
    description: Option<String>,
    owners: Option<String>,
    instructions: Option<String>,
    default_policy: Option<String>,
    /// The version the edit form was opened at.
    version: Option<u64>,
) -> Result<String, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::admin_context()?;
            let input = crate::api::views::AppInput {
                name,
                description: description.unwrap_or_default(),
                owners: owners.unwrap_or_default(),
                instructions: instructions.unwrap_or_default(),
                default_policy: default_policy.unwrap_or_default(),
                version,
            };
            let id = id.filter(|i| !i.trim().is_empty());
            Ok(crate::ssr::access::catalog::save_app(&db, &actor, id.as_deref(), input).await?)
        }
        .await,
    )
}
