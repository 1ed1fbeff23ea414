//! The notification outbox: rows written in the same transaction as the change they announce.
//! Delivery (Slack) reads them later; the dedupe key makes a replayed transition enqueue nothing twice.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{AccessResult, Tx, to_json, user_row, values_placeholders};
use crate::domain::{Notification, Timestamp};
use crate::ssr::db::Db;

/// Writes `notifications` inside `tx`, `INSERT_CHUNK` rows per statement; a dedupe key already in
/// the outbox (a replayed transition) is skipped.
pub async fn enqueue(
    tx: &mut Tx<'_>,
    at: Timestamp,
    notifications: &[Notification],
) -> AccessResult<()> {
    for chunk in notifications.chunks(super::INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO outbox (kind, recipient_id, request_id, grant_id, task_id, dedupe_key, payload, created_at) \
             VALUES {} ON CONFLICT (dedupe_key) DO NOTHING",
            values_placeholders(chunk.len(), 8)
        );
        let mut q = sqlx::query(&sql);
        for n in chunk {
            q = q
                .bind(n.kind.as_str())
                .bind(user_row(&n.recipient)?)
                .bind(n.request.as_ref().map(|r| r.as_str().to_string()))
                .bind(n.grant.as_ref().map(|g| g.as_str().to_string()))
                .bind(n.task.as_ref().map(|t| t.as_str().to_string()))
                .bind(n.dedupe_key.as_str())
                .bind(to_json(n)?)
                .bind(at.as_unix_millis());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// An outbox row, for tests and the (later) delivery worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub recipient_id: i64,
    pub request_id: Option<String>,
    pub dedupe_key: String,
    pub delivered_at: Option<i64>,
}

/// Undelivered notifications, oldest first.
pub async fn pending(db: &Db, limit: i64) -> AccessResult<Vec<OutboxRow>> {
    let rows = sqlx::query(
        "SELECT id, kind, recipient_id, request_id, dedupe_key, delivered_at FROM outbox \
         WHERE delivered_at IS NULL ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OutboxRow {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                recipient_id: r.try_get("recipient_id")?,
                request_id: r.try_get("request_id")?,
                dedupe_key: r.try_get("dedupe_key")?,
                delivered_at: r.try_get("delivered_at")?,
            })
        })
        .collect()
}
