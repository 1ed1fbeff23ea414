// One argument per form field, so the plain HTML form posts straight to it; module-wide because
// the lint also fires on the client stub the `server` macro generates.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;

/// Creates a draft campaign (Super Admins and Campaign Administrators); answers its id. Lists are
/// comma- or line-separated: owners and named reviewers by email, apps and entitlements
/// ("App / Entitlement") and groups by name. With no owners the creator owns it.
#[server(endpoint = "campaigns/create")]
pub async fn create_campaign(
    name: String,
    #[server(default)] description: String,
    #[server(default)] owners: String,
    #[server(default)] due_date: String,
    #[server(default)] instructions: String,
    #[server(default)] apps: String,
    #[server(default)] entitlements: String,
    #[server(default)] users: String,
    #[server(default)] groups: String,
    #[server(default)] managers: String,
    #[server(default)] grant_type: String,
    #[server(default)] granted_within_days: String,
    #[server(default)] reviewer_manager: Option<String>,
    #[server(default)] reviewer_app_owners: Option<String>,
    #[server(default)] reviewer_entitlement_owners: Option<String>,
    #[server(default)] reviewer_users: String,
    #[server(default)] reviewer_group: String,
    #[server(default)] require_certify_reason: Option<String>,
    #[server(default)] require_deny_reason: Option<String>,
    #[server(default)] allow_reassignment: Option<String>,
    #[server(default)] use_entitlement_policies: Option<String>,
    #[server(default)] remediate_immediately: Option<String>,
    #[server(default)] auto_end: String,
) -> Result<String, AppError> {
    use crate::api::server::{checked, respond, signed_in};
    use crate::ssr::read::campaigns::{CampaignForm, ReviewersForm, ScopeForm, fields_from_form};
    respond(async move {
        let (db, actor) = signed_in()?;
        crate::domain::campaign::check_can_create(&actor.roles)
            .map_err(crate::ssr::access::AccessError::from)?;
        let form = CampaignForm {
            name,
            description,
            owners,
            due_date,
            instructions,
            scope: ScopeForm {
                apps,
                entitlements,
                users,
                groups,
                managers,
                grant_type,
                granted_within_days,
            },
            reviewers: ReviewersForm {
                manager: checked(&reviewer_manager),
                app_owners: checked(&reviewer_app_owners),
                entitlement_owners: checked(&reviewer_entitlement_owners),
                users: reviewer_users,
                group: reviewer_group,
                require_certify_reason: checked(&require_certify_reason),
                require_deny_reason: checked(&require_deny_reason),
                allow_reassignment: checked(&allow_reassignment),
                use_entitlement_policies: checked(&use_entitlement_policies),
            },
            remediate_immediately: checked(&remediate_immediately),
            auto_end,
            with_scope: true,
        };
        let fields = fields_from_form(&db, &form).await?;
        let c = crate::ssr::flows::campaigns::create_draft(&db, &actor, fields).await?;
        Ok(c.id.to_string())
    })
    .await
}
