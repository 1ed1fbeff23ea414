//! Requests that wait too long for approval close as "expired while pending"
//! (`domain::PendingExpiry`). A leased background job runs [`expire_stale`]; the setting lives in
//! the `settings` table and every change is audited.

use sqlx::Row;

use super::audit::{self, Entry};
use super::{AccessError, AccessResult, Actor, from_json, now, requests, settings, to_json};
use crate::domain::{PendingExpiry, Request};
use crate::ssr::db::Db;

const KEY: &str = "pending_request_expiry";

/// The tenant's rule (the default, two weeks, until an admin changes it).
pub async fn rule(db: &Db) -> AccessResult<PendingExpiry> {
    match settings::get(db, KEY).await? {
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

/// Closes, as expired, requests still waiting for approval past the tenant's limit (at most
/// `limit` per call, oldest first). Each closes in its own transaction with its audit events and
/// the requester's notification; a request decided meanwhile is left alone (version guard).
pub async fn expire_stale(db: &Db, limit: i64) -> AccessResult<usize> {
    let rule = rule(db).await?;
    let at = now();
    let Some(cutoff) = rule.created_on_or_before(at) else {
        return Ok(0);
    };
    let rows = sqlx::query(
        "SELECT body FROM requests WHERE status = 'pending_approval' AND created_at <= $1 ORDER BY created_at LIMIT $2",
    )
    .bind(cutoff.as_unix_millis())
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut expired = 0;
    for r in rows {
        let request: Request = match r
            .try_get::<String, _>("body")
            .map_err(AccessError::from)
            .and_then(|b| from_json(&b))
        {
            Ok(request) => request,
            Err(e) => {
                tracing::error!(error = %e, "unreadable request in the pending-expiry sweep");
                continue;
            }
        };
        let tr = match request.expire(&rule.reason(), at) {
            Ok(tr) => tr,
            Err(e) => {
                tracing::error!(request = %request.number, error = %e, "could not expire a pending request");
                continue;
            }
        };
        let mut tx = db.begin().await?;
        match requests::persist(&mut tx, Some(request.version), &tr, None, at).await {
            Ok(()) => {
                tx.commit().await?;
                expired += 1;
            }
            // Decided, cancelled or reassigned since we read it: that change stands.
            Err(AccessError::Stale) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(expired)
}
