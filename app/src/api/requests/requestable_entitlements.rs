use leptos::prelude::*;

use crate::error::AppError;

/// What I can request: visible entitlements with their app.
#[server(endpoint = "requests/requestable")]
pub async fn requestable_entitlements()
-> Result<Vec<crate::shapes::RequestableEntitlement>, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let groups = crate::ssr::access::directory::groups_of(&db, &actor.id).await?;
        let tenant = crate::ssr::access::catalog::tenant(&db).await?;
        let list = crate::ssr::access::catalog::requestable(&db, &groups).await?;
        Ok(list
            .into_iter()
            .map(|(app, e)| {
                let limits = e.duration_limits(&tenant);
                crate::shapes::RequestableEntitlement {
                    id: e.id.to_string(),
                    label: format!("{} — {}", app.name, e.display_name),
                    max: limits.effective_max().to_string(),
                    indefinite_allowed: limits.effective_max().is_indefinite(),
                    emergency: e.allows_emergency(),
                }
            })
            .collect())
    })
    .await
}
