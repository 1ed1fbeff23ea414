use leptos::prelude::*;

use crate::error::AppError;

/// Locks (`off`) or unlocks (`on`) console edits of objects managed in code (audited).
#[server(endpoint = "settings/set_console_edits_of_code")]
pub async fn set_console_edits_of_code(unlocked: String) -> Result<bool, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        let unlocked = match unlocked.trim() {
            "on" => true,
            "off" => false,
            other => {
                return Err(crate::ssr::access::AccessError::from(
                    crate::domain::DomainError::invalid(
                        "console edits of objects managed in code",
                        other,
                        "choose on or off",
                    ),
                )
                .into());
            }
        };
        crate::ssr::access::settings::set_console_edits_unlocked(&db, &actor, unlocked).await?;
        Ok(unlocked)
    })
    .await
}
