use leptos::prelude::*;

use crate::error::AppError;

/// The caller's reviews in running campaigns: open ones with their pending decisions, and those
/// someone else decided first (with who).
#[server(endpoint = "campaigns/my_reviews")]
pub async fn my_reviews() -> Result<Vec<crate::shapes::MyCampaignReviews>, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        Ok(crate::ssr::read::campaigns::my_reviews(&db, &actor).await?)
    })
    .await
}
