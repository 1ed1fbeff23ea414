use leptos::prelude::*;

use crate::error::AppError;

/// Hands a review to someone else (by email), with a reason: its reviewers when the campaign's
/// policy allows it, campaign managers always.
#[server(endpoint = "campaigns/reassign")]
pub async fn reassign_review(id: String, to_email: String, reason: String) -> Result<(), AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let to = crate::ssr::access::directory::find_by_email(&db, to_email.trim())
            .await?
            .ok_or_else(|| {
                AppError::Invalid(format!("Nobody in the directory has the email {to_email}."))
            })?;
        crate::ssr::flows::campaigns::reassign(
            &db,
            &actor,
            &id,
            &[crate::ssr::access::user_id(to)],
            &reason,
        )
        .await?;
        Ok(())
    })
    .await
}
