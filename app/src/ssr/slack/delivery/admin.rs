//! What Settings > Notifications reads and changes about delivery: the notification settings in
//! words, the deliveries that failed for good, and retrying one once its cause is fixed.

use sqlx::Row;

use super::classify::describe;
use crate::domain::{DomainError, NotificationKind};
use crate::shapes::{FailedDelivery, NotificationKindSetting, NotificationSettingsView};
use crate::ssr::access::outbox::{self, NotificationSettings};
use crate::ssr::access::{AccessError, AccessResult, Actor, audit};
use crate::ssr::db::Db;

/// Most failed deliveries listed (newest first).
const FAILED_LIMIT: i64 = 200;

/// What a kind tells, and to whom.
pub fn kind_label(kind: NotificationKind) -> (&'static str, &'static str) {
    match kind {
        NotificationKind::RequestCreated => ("A request was created", "the requester and subject"),
        NotificationKind::ApprovalNeeded => ("An approval is required", "the approvers"),
        NotificationKind::RequestDecided => (
            "A request was approved or denied",
            "the requester and subject",
        ),
        NotificationKind::RequestClosed => (
            "A request was cancelled, expired or failed",
            "the requester and subject",
        ),
        NotificationKind::ProvisioningAssigned => ("Access needs provisioning", "the provisioners"),
        NotificationKind::DeprovisioningAssigned => ("Access needs removing", "the provisioners"),
        NotificationKind::AccessGranted => ("Access is ready", "the requester and subject"),
        NotificationKind::AccessExpiring => ("Access expires soon", "the holder"),
        NotificationKind::AccessExpired => ("Access expired", "the holder"),
        NotificationKind::ReviewInputRequired => (
            "Access reviews are waiting (kickoff and reminders)",
            "reviewers with open reviews",
        ),
        NotificationKind::ReviewReassigned => ("A review was reassigned", "the new reviewer"),
        NotificationKind::CampaignClosed => (
            "An access review campaign ended",
            "its reviewers and owners",
        ),
    }
}

fn view(settings: &NotificationSettings) -> NotificationSettingsView {
    NotificationSettingsView {
        slack: settings.slack,
        kinds: NotificationKind::ALL
            .iter()
            .map(|kind| {
                let (label, audience) = kind_label(*kind);
                NotificationKindSetting {
                    kind: kind.as_str().to_owned(),
                    label: label.to_owned(),
                    audience: audience.to_owned(),
                    on: !settings.off.iter().any(|k| k == kind.as_str()),
                }
            })
            .collect(),
    }
}

/// The notification settings in words.
pub async fn settings_view(db: &Db) -> AccessResult<NotificationSettingsView> {
    Ok(view(&outbox::notification_settings(db).await?))
}

/// Turns every Slack notification on or off (the kill switch).
pub async fn set_enabled(
    db: &Db,
    actor: &Actor,
    on: bool,
) -> AccessResult<NotificationSettingsView> {
    let mut settings = outbox::notification_settings(db).await?;
    settings.slack = on;
    Ok(view(
        &outbox::set_notification_settings(db, actor, &settings).await?,
    ))
}

/// Turns one kind on or off (`kind` is its stable name).
pub async fn set_kind(
    db: &Db,
    actor: &Actor,
    kind: &str,
    on: bool,
) -> AccessResult<NotificationSettingsView> {
    let kind: NotificationKind = kind.trim().parse().map_err(|_| {
        AccessError::from(DomainError::invalid(
            "notification kind",
            kind,
            "choose one of the listed notifications",
        ))
    })?;
    let mut settings = outbox::notification_settings(db).await?;
    settings.off.retain(|k| k != kind.as_str());
    if !on {
        settings.off.push(kind.as_str().to_owned());
    }
    Ok(view(
        &outbox::set_notification_settings(db, actor, &settings).await?,
    ))
}

/// Deliveries that failed for good, newest first.
pub async fn failed(db: &Db) -> AccessResult<Vec<FailedDelivery>> {
    let rows = sqlx::query(
        "SELECT o.id, o.kind, o.failure, o.failed_at, o.attempts, u.display_name AS name, u.email \
         FROM outbox o JOIN users u ON u.id = o.recipient_id \
         WHERE o.delivery_state = 'failed' ORDER BY o.failed_at DESC, o.id DESC LIMIT $1",
    )
    .bind(FAILED_LIMIT)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let reason: Option<String> = r.try_get("failure")?;
            let reason = reason.unwrap_or_default();
            let kind_text = kind
                .parse::<NotificationKind>()
                .map_or(kind.clone(), |k| kind_label(k).0.to_owned());
            Ok(FailedDelivery {
                id: r.try_get("id")?,
                recipient: r.try_get("name")?,
                recipient_email: r.try_get("email")?,
                kind: kind_text,
                reason_text: describe(&reason),
                reason,
                failed_at: r.try_get::<Option<i64>, _>("failed_at")?.unwrap_or(0),
                attempts: r.try_get("attempts")?,
            })
        })
        .collect()
}

/// Sends a failed delivery again (after its cause was fixed): it goes back in the queue, its
/// attempts reset and its age restarted (so it is not dropped as stale). Audited. `NotFound`
/// unless it is a failed delivery.
pub async fn retry(db: &Db, actor: &Actor, id: i64) -> AccessResult<()> {
    let at = crate::ssr::access::now();
    let mut tx = db.begin().await?;
    let reason: Option<Option<String>> = sqlx::query_scalar(
        "SELECT failure FROM outbox WHERE id = $1 AND delivery_state = 'failed'",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(reason) = reason else {
        return Err(AccessError::NotFound("The failed delivery".into()));
    };
    sqlx::query(
        "UPDATE outbox SET delivery_state = 'pending', attempts = 0, next_attempt_at = 0, \
         claimed_until = NULL, failure = NULL, failed_at = NULL, last_error = NULL, \
         sending_at = NULL, slack_channel = NULL, install_key = NULL, created_at = $2 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(at.as_unix_millis())
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        at,
        audit::Entry::new(
            actor.audit(),
            "slack.delivery_retried",
            format!("outbox:{id}"),
        )
        .before(reason),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
