use leptos::prelude::*;

use crate::error::AppError;

/// ✓ Certify (`verdict` "certify"), ✗ Deny ("deny") or take back ("undo") the caller's decision
/// on the reviews `ids` (comma-separated: one, or a bulk selection), with an optional reason.
/// Decisions stay pending until "Submit reviews". Answers how many were decided.
#[server(endpoint = "campaigns/decide")]
pub async fn decide_reviews(
    ids: String,
    verdict: String,
    #[server(default)] reason: String,
) -> Result<usize, AppError> {
    use crate::api::server::{respond, signed_in};
    use crate::ssr::flows::campaigns as flows;
    respond(async move {
        let (db, actor) = signed_in()?;
        let ids: Vec<&str> = ids
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if ids.is_empty() {
            return Err(AppError::Invalid("Select at least one review.".into()));
        }
        let reason = Some(reason.trim()).filter(|r| !r.is_empty());
        for id in &ids {
            if verdict == "undo" {
                flows::undo_decision(&db, &actor, id).await?;
            } else {
                let v = crate::ssr::read::campaigns::verdict(&verdict)?;
                flows::decide(&db, &actor, id, v, reason).await?;
            }
        }
        Ok(ids.len())
    })
    .await
}
