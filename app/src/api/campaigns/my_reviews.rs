use leptos::prelude::*;

use crate::error::AppError;

/// One page of the caller's reviews in running campaigns: open ones with their pending
/// decisions, and those someone else decided first (with who). `by` is "holder" to group by the
/// person holding the access, anything else by app; `page` counts from 1.
#[server(endpoint = "campaigns/my_reviews")]
pub async fn my_reviews(
    #[server(default)] by: String,
    #[server(default)] page: u64,
) -> Result<crate::shapes::MyReviewList, AppError> {
    use crate::api::server::{respond, signed_in};
    use crate::ssr::access::campaigns::TaskOrder;
    respond(async move {
        let (db, actor) = signed_in()?;
        let order = if by == "holder" {
            TaskOrder::ByHolder
        } else {
            TaskOrder::ByApp
        };
        Ok(crate::ssr::read::campaigns::my_reviews(&db, &actor, order, page).await?)
    })
    .await
}
