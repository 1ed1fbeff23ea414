use leptos::prelude::*;

use crate::error::AppError;

/// Whether the console may edit objects managed in code (`latch apply`); off by default.
#[server(endpoint = "settings/get_console_edits_of_code")]
pub async fn get_console_edits_of_code() -> Result<bool, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _actor) = super_admin()?;
        Ok(crate::ssr::access::settings::console_edits_unlocked(&db).await?)
    })
    .await
}
