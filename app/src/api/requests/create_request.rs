use leptos::prelude::*;

use crate::error::AppError;

/// Files a new access request; returns its number ("REQ-12").
#[server(endpoint = "requests/create")]
pub async fn create_request(
    entitlement_id: String,
    subject_email: Option<String>,
    duration: Option<String>,
    justification: String,
    emergency: Option<String>,
    extension: Option<String>,
) -> Result<String, AppError> {
    use crate::api::server::{checked, respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let input = crate::shapes::CreateInput {
            entitlement_id,
            subject_email: subject_email.unwrap_or_default(),
            duration: duration.unwrap_or_default(),
            justification,
            emergency: checked(&emergency),
            extension: checked(&extension),
        };
        let request = crate::ssr::flows::access_loop::create(
            &db,
            &actor,
            input,
            crate::domain::RequestOrigin::Web,
        )
        .await?;
        Ok(request.number.to_string())
    })
    .await
}
