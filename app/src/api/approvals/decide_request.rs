use leptos::prelude::*;

use crate::error::AppError;

/// Approves or denies the step the approver was looking at (`step` is 1-based). `length`
/// (optional, e.g. "2h") shortens the granted length when approving; it can never lengthen it.
#[server(endpoint = "approvals/decide")]
pub async fn decide_request(
    id: String,
    step: usize,
    verdict: String,
    reason: Option<String>,
    length: Option<String>,
) -> Result<String, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let verdict = crate::domain::Verdict::parse(verdict.trim())
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let step = step
            .checked_sub(1)
            .ok_or_else(|| AppError::Invalid("Steps are numbered from 1.".into()))?;
        let r =
            crate::ssr::flows::access_loop::decide(&db, &actor, &id, step, verdict, reason, length)
                .await?;
        Ok(r.number.to_string())
    })
    .await
}
