use leptos::prelude::*;

use crate::error::AppError;

/// Whether a first-run setup link can still be used (no admin exists and the token matches).
#[server(endpoint = "setup/check")]
pub async fn check_setup_link(token: String) -> Result<bool, AppError> {
    let state = crate::ssr::state()?;
    crate::ssr::setup::is_valid(&state.db, &token)
        .await
        .map_err(crate::ssr::internal)
}
