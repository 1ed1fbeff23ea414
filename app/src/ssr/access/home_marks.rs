//! Whose Slack App Home is out of date (`slack_home_marks`). The repositories' saves of requests,
//! grants and provisioning tasks call in here with their own transaction, so a change and the
//! marks of everyone whose Home shows it commit (or roll back) together: a mark is never lost, and
//! none is left for a change that did not happen. The `slack-home-refresh` job
//! (`ssr::slack::home::refresh_round`) republishes each marked person once and then deletes the
//! marks it read.
//!
//! Marks are appended, never upserted: two transactions marking the same people in a different
//! order cannot wait on each other (an upsert would take row locks on PostgreSQL, outside the
//! repositories' lock order). Repeated marks of one person are coalesced by the job.

use sqlx::Row;

use super::{AccessResult, Tx, user_row, values_placeholders};
use crate::domain::{Timestamp, UserId};
use crate::ssr::db::Db;

/// Marks `users` (repeats are harmless) inside `tx`.
pub async fn mark(tx: &mut Tx<'_>, users: &[&UserId], at: Timestamp) -> AccessResult<()> {
    let mut rows = Vec::with_capacity(users.len());
    for u in users {
        let row = user_row(u)?;
        if !rows.contains(&row) {
            rows.push(row);
        }
    }
    for chunk in rows.chunks(super::INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO slack_home_marks (user_id, marked_at) VALUES {}",
            values_placeholders(chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for user in chunk {
            q = q.bind(*user).bind(at.as_unix_millis());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Marks the people the request waits for as stored now (call before its assignees are replaced,
/// so those who no longer wait for it see it leave their Home).
pub async fn mark_request_assignees(
    tx: &mut Tx<'_>,
    request_id: &str,
    at: Timestamp,
) -> AccessResult<()> {
    sqlx::query(
        "INSERT INTO slack_home_marks (user_id, marked_at) \
         SELECT user_id, $1 FROM request_assignees WHERE request_id = $2",
    )
    .bind(at.as_unix_millis())
    .bind(request_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks the task's assignees as stored now (call before they are replaced).
pub async fn mark_task_assignees(
    tx: &mut Tx<'_>,
    task_id: &str,
    at: Timestamp,
) -> AccessResult<()> {
    sqlx::query(
        "INSERT INTO slack_home_marks (user_id, marked_at) \
         SELECT user_id, $1 FROM task_assignees WHERE task_id = $2",
    )
    .bind(at.as_unix_millis())
    .bind(task_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks every active Super Admin: their Home lists every open provisioning task
/// (`read::grants::open_tasks`), so any task change shows there.
pub async fn mark_super_admins(tx: &mut Tx<'_>, at: Timestamp) -> AccessResult<()> {
    sqlx::query(
        "INSERT INTO slack_home_marks (user_id, marked_at) \
         SELECT id, $1 FROM users WHERE role = 'super_admin' AND status = 'active'",
    )
    .bind(at.as_unix_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks the holders of active grants whose expiry entered a Home's "expiring soon" window as it
/// moved from ending at `after_ms` to ending at `until_ms` (Unix ms): time alone changes that list,
/// without any save to mark it.
pub async fn mark_grants_entering_window(
    db: &Db,
    after_ms: i64,
    until_ms: i64,
    at: Timestamp,
) -> AccessResult<()> {
    sqlx::query(
        "INSERT INTO slack_home_marks (user_id, marked_at) \
         SELECT DISTINCT subject_id, $1 FROM grants \
         WHERE state = 'active' AND expires_at > $2 AND expires_at <= $3",
    )
    .bind(at.as_unix_millis())
    .bind(after_ms)
    .bind(until_ms)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// One stored mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub id: i64,
    pub user_id: i64,
}

/// The oldest `limit` marks.
pub async fn oldest(db: &Db, limit: i64) -> AccessResult<Vec<Mark>> {
    let rows = sqlx::query("SELECT id, user_id FROM slack_home_marks ORDER BY id LIMIT $1")
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Mark {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
            })
        })
        .collect()
}

/// The marks of one person (the Home is about to be published for them anyway).
pub async fn of_user(db: &Db, user_id: i64) -> AccessResult<Vec<Mark>> {
    let rows = sqlx::query("SELECT id FROM slack_home_marks WHERE user_id = $1 ORDER BY id")
        .bind(user_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Mark {
                id: r.try_get("id")?,
                user_id,
            })
        })
        .collect()
}

/// Deletes exactly these marks (a mark written after they were read stays).
pub async fn clear(db: &Db, marks: &[Mark]) -> AccessResult<()> {
    for chunk in marks.chunks(super::INSERT_CHUNK) {
        let list = (1..=chunk.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("DELETE FROM slack_home_marks WHERE id IN ({list})");
        let mut q = sqlx::query(&sql);
        for m in chunk {
            q = q.bind(m.id);
        }
        q.execute(&db.pool).await?;
    }
    Ok(())
}
