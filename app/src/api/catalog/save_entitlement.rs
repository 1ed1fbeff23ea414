// One argument per form field, so the plain HTML form posts straight to it; module-wide because
// the lint also fires on the client stub the `server` macro generates.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;

/// Creates (no id) or edits an entitlement.
#[server(endpoint = "catalog/save_entitlement")]
pub async fn save_entitlement(
    id: Option<String>,
    app_id: String,
    display_name: String,
    slug: Option<String>,
    description: Option<String>,
    alias: Option<String>,
    risk: Option<String>,
    owners: Option<String>,
    max_duration: Option<String>,
    request_policy: Option<String>,
    emergency_policy: Option<String>,
    /// Empty or absent: the campaign's own reviewers.
    review_policy: Option<String>,
    provisioning: Option<String>,
    provisioners: Option<String>,
    webhook_url: Option<String>,
    visible_to: Option<String>,
    visibility: Option<String>,
    /// The version the edit form was opened at.
    version: Option<u64>,
) -> Result<String, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        let input = crate::shapes::EntitlementInput {
            app_id,
            display_name,
            slug: slug.unwrap_or_default(),
            description: description.unwrap_or_default(),
            alias: alias.unwrap_or_default(),
            risk: risk.unwrap_or_default(),
            owners: owners.unwrap_or_default(),
            max_duration: max_duration.unwrap_or_default(),
            request_policy: request_policy.unwrap_or_default(),
            emergency_policy: emergency_policy.unwrap_or_default(),
            review_policy: review_policy.unwrap_or_default(),
            provisioning: provisioning.unwrap_or_default(),
            provisioners: provisioners.unwrap_or_default(),
            webhook_url: webhook_url.unwrap_or_default(),
            visible_to: visible_to.unwrap_or_default(),
            visibility: visibility.unwrap_or_default(),
            version,
        };
        let id = id.filter(|i| !i.trim().is_empty());
        Ok(
            crate::ssr::access::catalog::save_entitlement(&db, &actor, id.as_deref(), input)
                .await?,
        )
    })
    .await
}
