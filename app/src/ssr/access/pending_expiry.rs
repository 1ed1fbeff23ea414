//! The tenant's limit on how long a request may wait for approval (`domain::PendingExpiry`): the
//! setting lives in the `settings` table and every change is audited. The leased background job
//! that closes requests past it is `crate::ssr::flows::sweeps::expire_pending_requests`.

use super::audit::{self, Entry};
use super::{AccessResult, Actor, Conn, from_json, now, settings, to_json};
use crate::domain::PendingExpiry;
use crate::ssr::db::Db;

const KEY: &str = "pending_request_expiry";

/// The tenant's rule (the default, two weeks, until an admin changes it).
pub async fn rule(conn: impl Into<Conn<'_>>) -> AccessResult<PendingExpiry> {
    match settings::get(conn, KEY).await? {
        Some(json) => from_json(&json),
        None => Ok(PendingExpiry::default()),
    }
}

/// Changes the rule, with an audit event holding before and after. The server function lets
/// only Super Admins call it.
pub async fn set_rule(db: &Db, actor: &Actor, input: &str) -> AccessResult<PendingExpiry> {
    let next = PendingExpiry::parse(input)?;
    let before = rule(db).await?;
    let at = now();
    let mut tx = db.begin().await?;
    settings::put(&mut tx, KEY, &to_json(&next)?, at).await?;
    audit::append(
        &mut tx,
        at,
        Entry::new(
            actor.audit(),
            "settings.pending_request_expiry_changed",
            format!("settings:{KEY}"),
        )
        .before(Some(to_json(&before)?))
        .after(Some(to_json(&next)?)),
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}
