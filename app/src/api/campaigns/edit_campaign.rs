// One argument per form field, so the plain HTML form posts straight to it; module-wide because
// the lint also fires on the client stub the `server` macro generates.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;

/// Saves the campaign's details as they were at `version`: what its state leaves editable
/// (everything in a draft; the review instructions, due date, owners and auto-end while it runs;
/// the description once ended). Scope and reviewers are set when the draft is created.
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
) -> Result<(), AppError> {
    use crate::api::server::{checked, respond, signed_in};
    use crate::ssr::read::campaigns::{CampaignForm, edited_fields, managed};
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
            ..CampaignForm::default()
        };
        let fields = edited_fields(&db, &c, &form).await?;
        crate::ssr::flows::campaigns::edit(&db, &actor, &id, version, fields).await?;
        Ok(())
    })
    .await
}
