use leptos::prelude::*;

use crate::error::AppError;

/// Imports users from CSV; any bad row rejects the whole file.
#[server(endpoint = "directory/import")]
pub async fn import_directory_csv(
    csv: String,
) -> Result<crate::api::views::ImportOutcome, AppError> {
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::admin_context()?;
            Ok(crate::ssr::access::directory::import_csv(&db, &actor, &csv).await?)
        }
        .await,
    )
}
