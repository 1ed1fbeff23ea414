//! External decider calls waiting to be made (`decider_calls`): one row per request waiting for
//! the decider of a policy step. The row is written by [`super::requests::persist`] in the same
//! transaction that makes the request wait, so a crash between that commit and the call loses
//! nothing: the external-decider job (`crate::ssr::flows::decider`) finds the row and calls.
//!
//! Each attempt is claimed first by moving `due_at` forward with a compare-and-set (and counting
//! it), so several processes never make the same attempt at once; a process that dies mid-call
//! leaves the claim to lapse and the attempt is made again.

use super::{AccessResult, Conn, Tx, now, version_i64};
use crate::domain::{AssignmentTier, Request, RequestEvent, Timestamp};
use crate::ssr::db::Db;

/// How long a claimed attempt is ours before another process may make it again: longer than the
/// longest decider timeout, with room to record the answer.
const CLAIM_MS: i64 = 90_000;

/// A call to make: request `request_id` waits for the decider of `step`; this is attempt
/// `attempt` (1-based, counted when claimed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCall {
    pub request_id: String,
    pub step: usize,
    pub attempt: u32,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    request_id: String,
    step: i64,
    attempts: i64,
    due_at: i64,
}

/// Queues the decider call when `events` (of a transition of `request`, being saved in `tx`) made
/// it wait for an external decider: due at once, no attempts made yet.
pub async fn enqueue_for(
    tx: &mut Tx<'_>,
    request: &Request,
    events: &[RequestEvent],
    at: Timestamp,
) -> AccessResult<()> {
    let waits = events.iter().any(
        |e| matches!(e, RequestEvent::StepAssigned(a) if a.tier == AssignmentTier::ExternalDecider),
    );
    let Some(step) = request.waiting_for_decider().filter(|_| waits) else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO decider_calls (request_id, step, attempts, due_at, last_error, created_at) \
         VALUES ($1, $2, 0, $3, NULL, $3) \
         ON CONFLICT (request_id) DO UPDATE SET step = $2, attempts = 0, due_at = $3, last_error = NULL",
    )
    .bind(request.id.as_str())
    .bind(version_i64(step as u64))
    .bind(at.as_unix_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Claims the calls that are due (at most `limit`), each by moving its `due_at` forward and
/// counting the attempt with a compare-and-set.
pub async fn claim_due(db: &Db, limit: i64) -> AccessResult<Vec<DueCall>> {
    let at = now().as_unix_millis();
    let rows: Vec<DueRow> = sqlx::query_as(
        "SELECT request_id, step, attempts, due_at FROM decider_calls WHERE due_at <= $1 ORDER BY due_at LIMIT $2",
    )
    .bind(at)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let won = sqlx::query(
            "UPDATE decider_calls SET due_at = $1, attempts = attempts + 1 \
             WHERE request_id = $2 AND due_at = $3 AND attempts = $4",
        )
        .bind(at + CLAIM_MS)
        .bind(&row.request_id)
        .bind(row.due_at)
        .bind(row.attempts)
        .execute(&db.pool)
        .await?
        .rows_affected()
            == 1;
        if won {
            claimed.push(DueCall {
                request_id: row.request_id,
                step: usize::try_from(row.step).unwrap_or(usize::MAX),
                attempt: u32::try_from(row.attempts.saturating_add(1)).unwrap_or(u32::MAX),
            });
        }
    }
    Ok(claimed)
}

/// Schedules the next attempt of a claimed call after `delay_ms`, keeping what went wrong.
pub async fn retry_later(
    conn: impl Into<Conn<'_>>,
    call: &DueCall,
    delay_ms: i64,
    error: &str,
) -> AccessResult<()> {
    let mut conn = conn.into().get().await?;
    sqlx::query(
        "UPDATE decider_calls SET due_at = $1, last_error = $2 WHERE request_id = $3 AND attempts = $4",
    )
    .bind(now().as_unix_millis().saturating_add(delay_ms))
    .bind(error)
    .bind(&call.request_id)
    .bind(i64::from(call.attempt))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets the call: its answer is recorded, or the request no longer waits for it.
pub async fn remove(conn: impl Into<Conn<'_>>, request_id: &str) -> AccessResult<()> {
    let mut conn = conn.into().get().await?;
    sqlx::query("DELETE FROM decider_calls WHERE request_id = $1")
        .bind(request_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
