use leptos::prelude::*;

use crate::shapes::OverdueRemovalRow;

use crate::error::AppError;

/// Every grant whose removal is overdue (Super Admins).
#[server(endpoint = "grants/overdue_removals")]
pub async fn overdue_removals() -> Result<Vec<OverdueRemovalRow>, AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, _actor) = super_admin()?;
        Ok(crate::ssr::read::grants::overdue_removals(&db).await?)
    })
    .await
}
