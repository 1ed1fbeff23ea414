use leptos::prelude::*;

use crate::error::AppError;

/// A provisioner marks a task done ("provisioned"), "wont_do" or "errored", with a note.
#[server(endpoint = "grants/complete_task")]
pub async fn complete_task(
    id: String,
    outcome: String,
    note: Option<String>,
) -> Result<(), AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let outcome = crate::domain::TaskOutcome::parse(outcome.trim())
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        crate::ssr::flows::access_loop::complete_task(&db, &actor, &id, outcome, note).await?;
        Ok(())
    })
    .await
}
