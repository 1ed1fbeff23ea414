use leptos::prelude::*;

use crate::error::AppError;

/// "Submit reviews": applies the caller's pending decisions in the campaign as one batch.
#[server(endpoint = "campaigns/submit")]
pub async fn submit_reviews(campaign_id: String) -> Result<crate::shapes::SubmitOutcome, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let s = crate::ssr::flows::campaigns::submit(&db, &actor, &campaign_id).await?;
        let names = crate::ssr::access::directory::names(&db).await?;
        let mut decided_elsewhere = Vec::new();
        for (task, by) in &s.decided_elsewhere {
            let t = crate::ssr::access::campaigns::load_task(&db, task.as_str()).await?;
            let who = by
                .as_ref()
                .and_then(|u| names.get(u.as_str()).cloned())
                .unwrap_or_else(|| "Latch".into());
            let subject = names
                .get(t.grant.subject.as_str())
                .cloned()
                .unwrap_or_default();
            decided_elsewhere.push(format!(
                "{subject}'s access was already {} by {who}",
                t.outcome().as_str()
            ));
        }
        Ok(crate::shapes::SubmitOutcome {
            submitted: s.submitted,
            certified: s.certified,
            denied: s.denied,
            decided_elsewhere,
            removals_started: s.removals_started,
        })
    })
    .await
}
