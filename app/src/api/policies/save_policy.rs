use leptos::prelude::*;

use crate::error::AppError;

/// Creates (no id) or edits a policy. `policy_json` is the JSON of
/// [`crate::shapes::PolicyInput`], as the console's policy editor builds it: people as
/// emails, groups by name. Every problem comes back at once, one per line, each naming its step.
/// `version` is the revision the editor was opened at: a save over a newer edit is refused (409).
#[server(endpoint = "policies/save")]
pub async fn save_policy(
    id: Option<String>,
    policy_json: String,
    version: Option<u64>,
) -> Result<String, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
            let (db, actor) = super_admin()?;
            let id = id.filter(|i| !i.trim().is_empty());
            if policy_json.trim().is_empty() {
                // A plain form post: the editor builds this field in the browser.
                return Err(AppError::Invalid(
                    "Nothing was saved: the policy editor needs JavaScript, which is off or has not finished loading. Reload the page and try again.".into(),
                ));
            }
            let input: crate::shapes::PolicyInput = serde_json::from_str(&policy_json)
                .map_err(|_| {
                    AppError::Invalid(
                        "Nothing was saved: the policy could not be read. Reload the page and try again.".into(),
                    )
                })?;
            Ok(
                crate::ssr::access::policies::save(&db, &actor, id.as_deref(), input, version)
                    .await?,
            )
        })
    .await
}
