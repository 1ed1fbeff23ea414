use leptos::prelude::*;

use crate::error::AppError;

/// Grants (`granted` ticked or "true") or removes a role granted on top of a plain user's tier:
/// today the Campaign Administrator (`role` = "campaign_admin").
#[server(endpoint = "directory/set_role")]
pub async fn set_directory_role(
    id: i64,
    role: String,
    granted: Option<String>,
) -> Result<(), AppError> {
    use crate::api::server::{checked, respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        let role = crate::domain::Role::parse(role.trim())
            .map_err(crate::ssr::access::AccessError::from)?;
        crate::ssr::flows::directory::set_role(&db, &actor, id, role, checked(&granted)).await?;
        Ok(())
    })
    .await
}
