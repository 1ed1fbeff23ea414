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
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        let input = crate::shapes::AppInput {
            name,
            description: description.unwrap_or_default(),
            owners: owners.unwrap_or_default(),
            instructions: instructions.unwrap_or_default(),
            default_policy: default_policy.unwrap_or_default(),
            version,
        };
        let id = id.filter(|i| !i.trim().is_empty());
        Ok(crate::ssr::access::catalog::save_app(&db, &actor, id.as_deref(), input).await?)
    })
    .await
}
