use leptos::prelude::*;

use crate::error::AppError;

/// The campaigns the caller manages (every one for Super Admins), whether they may create one,
/// and how many reviews wait for them.
#[server(endpoint = "campaigns/list")]
pub async fn list_campaigns() -> Result<crate::shapes::CampaignList, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        Ok(crate::ssr::read::campaigns::list(&db, &actor).await?)
    })
    .await
}
