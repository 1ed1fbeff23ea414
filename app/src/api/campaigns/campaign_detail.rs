use leptos::prelude::*;

use crate::error::AppError;

/// One campaign's page, for those who manage it (to anyone else it does not exist).
#[server(endpoint = "campaigns/detail")]
pub async fn campaign_detail(id: String) -> Result<crate::shapes::CampaignDetail, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        Ok(crate::ssr::read::campaigns::detail(&db, &actor, &id).await?)
    })
    .await
}
