use leptos::prelude::*;

use crate::error::AppError;

/// Imports users from CSV; any bad row rejects the whole file.
#[server(endpoint = "directory/import")]
pub async fn import_directory_csv(csv: String) -> Result<crate::shapes::ImportOutcome, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        Ok(crate::ssr::access::directory::import_csv(&db, &actor, &csv).await?)
    })
    .await
}
