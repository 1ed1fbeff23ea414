use leptos::prelude::*;

use crate::error::AppError;

/// The access I hold.
#[server(endpoint = "grants/mine")]
pub async fn my_grants() -> Result<Vec<crate::shapes::GrantRow>, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let filter = crate::shapes::GrantFilter::default();
        Ok(crate::ssr::read::grants::list(&db, &actor, &filter, Some(&actor.id)).await?)
    })
    .await
}
