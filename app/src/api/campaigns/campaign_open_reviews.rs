use leptos::prelude::*;

use crate::error::AppError;

/// Most open reviews the campaign page lists.
pub const OPEN_REVIEWS_SHOWN: i64 = 200;

/// A campaign's open reviews with their reviewers, for those who manage it (to follow up and
/// reassign); to anyone else the campaign does not exist.
#[server(endpoint = "campaigns/open_reviews")]
pub async fn campaign_open_reviews(id: String) -> Result<Vec<crate::shapes::ReviewLine>, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        Ok(crate::ssr::read::campaigns::open_reviews(&db, &actor, &id, OPEN_REVIEWS_SHOWN).await?)
    })
    .await
}
