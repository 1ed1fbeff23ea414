use leptos::prelude::*;

use crate::error::AppError;

/// "Validate scope": how many grants the scope takes right now, and a sample of them. Lists are
/// comma- or line-separated (apps and entitlements by name, people by email, groups by name).
#[server(endpoint = "campaigns/check_scope")]
pub async fn check_campaign_scope(
    #[server(default)] apps: String,
    #[server(default)] entitlements: String,
    #[server(default)] users: String,
    #[server(default)] groups: String,
    #[server(default)] managers: String,
    #[server(default)] grant_type: String,
    #[server(default)] granted_within_days: String,
) -> Result<crate::shapes::ScopeCheck, AppError> {
    use crate::api::server::{respond, signed_in};
    use crate::ssr::read::campaigns::{ScopeForm, check_scope, scope_from_form};
    respond(async move {
        let (db, actor) = signed_in()?;
        crate::domain::campaign::check_can_create(&actor.roles)
            .map_err(crate::ssr::access::AccessError::from)?;
        let form = ScopeForm {
            apps,
            entitlements,
            users,
            groups,
            managers,
            grant_type,
            granted_within_days,
        };
        let scope = scope_from_form(&db, &form).await?;
        Ok(check_scope(&db, &actor, &scope).await?)
    })
    .await
}
