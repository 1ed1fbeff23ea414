use leptos::prelude::*;

use crate::error::AppError;

/// The campaign form's people pickers: active people in the directory whose name or email
/// contains `query`, by name (at most 20); with `owners` "on", only those who may own a campaign.
/// For those who may create campaigns (Super Admins and Campaign Administrators).
#[server(endpoint = "campaigns/people")]
pub async fn search_people(
    #[server(default)] query: String,
    #[server(default)] owners: String,
) -> Result<Vec<crate::shapes::PersonOption>, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        Ok(crate::ssr::read::campaigns::search_people(&db, &actor, &query, owners == "on").await?)
    })
    .await
}
