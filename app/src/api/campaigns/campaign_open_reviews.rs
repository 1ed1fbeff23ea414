use leptos::prelude::*;

use crate::error::AppError;

/// One page (from 1) of a campaign's open reviews with their reviewers, for those who manage it
/// (to follow up and reassign); to anyone else the campaign does not exist.
#[server(endpoint = "campaigns/open_reviews")]
pub async fn campaign_open_reviews(
    id: String,
    #[server(default)] page: u64,
) -> Result<crate::shapes::OpenReviewsPage, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        Ok(crate::ssr::read::campaigns::open_reviews(&db, &actor, &id, page).await?)
    })
    .await
}
