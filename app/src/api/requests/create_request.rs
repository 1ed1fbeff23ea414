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
    crate::ssr::access::with_status(
        async move {
            let (db, actor) = crate::ssr::access::context()?;
            let input = crate::ssr::access::requests::CreateInput {
                entitlement_id,
                subject_email: subject_email.unwrap_or_default(),
                duration: duration.unwrap_or_default(),
                justification,
                // A checkbox posts "on" when ticked and nothing otherwise.
                emergency: emergency.is_some_and(|v| !v.is_empty() && v != "false"),
                extension: extension.is_some_and(|v| !v.is_empty() && v != "false"),
            };
            let request = crate::ssr::access::requests::create(&db, &actor, input).await?;
            Ok(request.number.to_string())
        }
        .await,
    )
}
