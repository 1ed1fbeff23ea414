// One argument per form field, so the plain HTML form posts straight to it; module-wide because
// the lint also fires on the client stub the `server` macro generates.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;

/// Saves the campaign's details as they were at `version`: what its state leaves editable
/// (everything in a draft, scope and reviewers when `with_scope` is ticked; the review
/// instructions, due date, owners and auto-end while it runs; the description once ended).
#[server(endpoint = "campaigns/edit")]
pub async fn edit_campaign(
    id: String,
    version: u64,
    #[server(default)] name: String,
    #[server(default)] description: String,
    #[server(default)] owners: String,
    #[server(default)] due_date: String,
    #[server(default)] instructions: String,
    #[server(default)] remediate_immediately: Option<String>,
    #[server(default)] auto_end: String,
    #[server(default)] with_scope: Option<String>,
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
) -> Result<(), AppError> {
    use crate::api::server::{checked, respond, signed_in};
    use crate::ssr::read::campaigns::{
        CampaignForm, ReviewersForm, ScopeForm, edited_fields, managed,
    };
    respond(async move {
        let (db, actor) = signed_in()?;
        let c = managed(&db, &actor, &id).await?;
        let form = CampaignForm {
            name,
            description,
            owners,
            due_date,
            instructions,
            remediate_immediately: checked(&remediate_immediately),
            auto_end,
            with_scope: checked(&with_scope),
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
        };
        let fields = edited_fields(&db, &c, &form).await?;
        crate::ssr::flows::campaigns::edit(&db, &actor, &id, version, fields).await?;
        Ok(())
    })
    .await
}
