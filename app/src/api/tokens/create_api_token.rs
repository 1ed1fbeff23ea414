// One checkbox per scope, so the form works without JavaScript: more arguments than clippy's
// default, as in save_entitlement.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;
use crate::shapes::CreatedApiToken;

/// Creates an API token with the scopes ticked (one checkbox per scope, named after it with `_`
/// for `:`), `expires_in_days` empty for a token without expiry. The answer carries the token's
/// text, shown this once.
#[server(endpoint = "tokens/create")]
pub async fn create_api_token(
    name: String,
    catalog_read: Option<String>,
    catalog_write: Option<String>,
    requests_read: Option<String>,
    requests_write: Option<String>,
    grants_revoke: Option<String>,
    audit_read: Option<String>,
    expires_in_days: Option<String>,
) -> Result<CreatedApiToken, AppError> {
    use crate::api::server::{checked, is_html_form_post, respond, super_admin};
    use crate::domain::api_tokens::Scope;
    respond(async move {
        let (db, actor) = super_admin()?;
        // Without JavaScript the answer is a redirect back to the page, which could not carry
        // the token's text: a token made then would be lost at once, so none is made.
        if is_html_form_post() {
            return Err(AppError::Invalid(
                "Creating a token needs JavaScript: its text is shown once, on this page. \
                 Nothing was created."
                    .into(),
            ));
        }
        let ticked = [
            (Scope::CatalogRead, catalog_read),
            (Scope::CatalogWrite, catalog_write),
            (Scope::RequestsRead, requests_read),
            (Scope::RequestsWrite, requests_write),
            (Scope::GrantsRevoke, grants_revoke),
            (Scope::AuditRead, audit_read),
        ];
        let scopes: Vec<&str> = ticked
            .iter()
            .filter(|(_, value)| checked(value))
            .map(|(scope, _)| scope.as_str())
            .collect();
        let expires_at = match expires_in_days.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(days) => {
                let days: i64 = days
                    .parse()
                    .ok()
                    .filter(|d| (1..=3650).contains(d))
                    .ok_or_else(|| {
                        AppError::Invalid("The expiry is a number of days, 1 to 3650.".into())
                    })?;
                Some(crate::ssr::clock::now_ms() + days * 86_400_000)
            }
        };
        crate::ssr::api_tokens::create(&db, &actor, &name, &scopes.join(" "), expires_at).await
    })
    .await
}
