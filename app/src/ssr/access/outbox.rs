//! The notification outbox: rows written in the same transaction as the change they announce.
//! Delivery (`ssr::slack::delivery`) sends them later; the dedupe key makes a replayed transition
//! enqueue nothing twice.
//!
//! Notification settings (Admin > Settings > Notifications: Slack on or off, and each kind on or
//! off) apply here, when a notification is written: a suppressed notification is dropped, not
//! queued (the product's documented rule), so turning a kind back on never sends a backlog.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{
    AccessResult, Actor, Conn, Tx, from_json, settings, to_json, user_row, values_placeholders,
};
use crate::domain::{Notification, NotificationKind, Timestamp};
use crate::ssr::db::Db;

/// The `settings` key of [`NotificationSettings`].
pub const NOTIFICATION_SETTINGS: &str = "slack_notifications";

/// Which notifications go out: `slack` is the kill switch (off: none), `off` the kinds turned
/// off one by one (stable kind names). Absent means everything on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    #[serde(default = "on")]
    pub slack: bool,
    #[serde(default)]
    pub off: Vec<String>,
}

fn on() -> bool {
    true
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            slack: true,
            off: Vec::new(),
        }
    }
}

impl NotificationSettings {
    /// Whether a notification of `kind` is sent (else it is dropped).
    pub fn allows(&self, kind: NotificationKind) -> bool {
        self.slack && !self.off.iter().any(|k| k == kind.as_str())
    }
}

/// The stored notification settings (the defaults when never set).
pub async fn notification_settings(
    conn: impl Into<Conn<'_>>,
) -> AccessResult<NotificationSettings> {
    match settings::get(conn, NOTIFICATION_SETTINGS).await? {
        Some(json) => from_json(&json),
        None => Ok(NotificationSettings::default()),
    }
}

/// Stores `new` (kinds listed once, in the domain's order), audited with before and after.
pub async fn set_notification_settings(
    db: &Db,
    actor: &Actor,
    new: &NotificationSettings,
) -> AccessResult<NotificationSettings> {
    let new = NotificationSettings {
        slack: new.slack,
        off: NotificationKind::ALL
            .iter()
            .filter(|k| new.off.iter().any(|o| o == k.as_str()))
            .map(|k| k.as_str().to_owned())
            .collect(),
    };
    let at = super::now();
    let mut tx = db.begin().await?;
    let before = notification_settings(&mut tx).await?;
    let value = to_json(&new)?;
    settings::put(&mut tx, NOTIFICATION_SETTINGS, &value, at).await?;
    super::audit::append(
        &mut tx,
        at,
        super::audit::Entry::new(
            actor.audit(),
            "settings.notifications_changed",
            format!("settings:{NOTIFICATION_SETTINGS}"),
        )
        .before(Some(to_json(&before)?))
        .after(Some(value)),
    )
    .await?;
    tx.commit().await?;
    Ok(new)
}

/// Writes `notifications` inside `tx`, `INSERT_CHUNK` rows per statement; a dedupe key already in
/// the outbox (a replayed transition) is skipped, and so is a kind the notification settings
/// (read in the same transaction) turn off.
pub async fn enqueue(
    tx: &mut Tx<'_>,
    at: Timestamp,
    notifications: &[Notification],
) -> AccessResult<()> {
    if notifications.is_empty() {
        return Ok(());
    }
    let allowed = notification_settings(&mut *tx).await?;
    let notifications: Vec<&Notification> = notifications
        .iter()
        .filter(|n| allowed.allows(n.kind))
        .collect();
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
