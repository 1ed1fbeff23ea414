//! Webhook provisioning: an HMAC-signed JSON POST per due task (`domain::webhook` signs, the
//! task state machine decides retries). A 2xx answer completes the task like "Provisioned"; any
//! other answer or a network failure schedules a retry with backoff, and when retries run out the
//! task falls back to a manual task for the app owners.
//!
//! Each attempt is claimed first by moving the task's `due_at` forward with a compare-and-set, so
//! several processes never call the same attempt at once. A process that dies mid-call leaves the
//! claim to lapse and the attempt is made again: receivers get at-least-once delivery and should
//! use the `Latch-Delivery` id to ignore repeats.

use std::time::Duration;

use sqlx::Row;

use super::webhook_secret;
use super::{AccessError, AccessResult, catalog, directory, from_json, grants, now, user_row};
use crate::domain::{
    self, AuditActor, ProvisioningMethod, ProvisioningTask, TaskOutcome, TaskState,
};
use crate::ssr::db::Db;
use crate::ssr::slack::crypto::Sealer;

/// How long a claimed attempt is ours before another process may retry it.
const CLAIM_MS: i64 = 60_000;
/// Longest wait for the receiver's answer.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Claims and runs every due webhook call (at most `limit`). Returns how many were attempted.
pub async fn run_due(
    db: &Db,
    sealer: &Sealer,
    client: &reqwest::Client,
    limit: i64,
) -> AccessResult<usize> {
    let at = now().as_unix_millis();
    let rows = sqlx::query(
        "SELECT body, due_at FROM provisioning_tasks WHERE open = 1 AND due_at IS NOT NULL AND due_at <= $1 ORDER BY due_at LIMIT $2",
    )
    .bind(at)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut attempted = 0;
    // The signing secrets are read (and unsealed) once per round, when the first call is due.
    let mut secrets: Option<Vec<String>> = None;
    for row in rows {
        let task: ProvisioningTask = from_json(&row.try_get::<String, _>("body")?)?;
        let due: i64 = row.try_get("due_at")?;
        let claimed = sqlx::query(
            "UPDATE provisioning_tasks SET due_at = $1 WHERE id = $2 AND due_at = $3 AND open = 1",
        )
        .bind(at + CLAIM_MS)
        .bind(task.id.as_str())
        .bind(due)
        .execute(&db.pool)
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            continue;
        }
        attempted += 1;
        let secrets = match &secrets {
            Some(loaded) => loaded,
            None => secrets.insert(webhook_secret::signing_secrets(db, sealer, now()).await?),
        };
        if let Err(error) = attempt(db, secrets, client, &task).await {
            tracing::error!(task = %task.id, %error, "webhook provisioning attempt failed to record");
        }
    }
    Ok(attempted)
}

async fn attempt(
    db: &Db,
    secrets: &[String],
    client: &reqwest::Client,
    task: &ProvisioningTask,
) -> AccessResult<()> {
    let TaskState::WebhookPending { attempt, .. } = task.state else {
        return Ok(());
    };
    let ProvisioningMethod::Webhook { url } = &task.method else {
        return Err(AccessError::Data(format!(
            "task {} is pending a webhook but has none",
            task.id
        )));
    };
    let body = payload(db, task).await?.to_string();
    let signed_at = now();
    let keys: Vec<&[u8]> = secrets.iter().map(|s| s.as_bytes()).collect();
    let result = client
        .post(url)
        .header("Content-Type", "application/json")
        .header(
            "Latch-Signature",
            domain::webhook::signature_header_all(&keys, signed_at, body.as_bytes()),
        )
        .header("Latch-Delivery", format!("{}:{attempt}", task.id))
        .timeout(CALL_TIMEOUT)
        .body(body)
        .send()
        .await;
    let failure = match result {
        Ok(response) if response.status().is_success() => None,
        Ok(response) => {
            let status = response.status().as_u16();
            let text: String = response
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(500)
                .collect();
            Some(format!("HTTP {status}: {text}"))
        }
        // No internals of ours here: this is the receiver's failure, recorded for the admin.
        Err(e) if e.is_timeout() => Some(format!("no answer within {} s", CALL_TIMEOUT.as_secs())),
        Err(e) => Some(format!("could not reach the webhook: {e}")),
    };
    match failure {
        None => {
            let done = task.webhook_succeeded(now())?;
            grants::finish(
                db,
                task,
                &done,
                TaskOutcome::Done,
                None,
                AuditActor::System,
                None,
            )
            .await
        }
        Some(error) => {
            let dir = directory::snapshot(db).await?;
            let next = task.webhook_failed(&error, &dir, now())?;
            let action = if matches!(next.state, TaskState::AwaitingManual { .. }) {
                "provisioning.webhook_gave_up"
            } else {
                "provisioning.webhook_failed"
            };
            grants::save_progress(db, task, &next, action).await
        }
    }
}

/// What the receiver is told: which access to add or remove, for whom, and why.
async fn payload(db: &Db, task: &ProvisioningTask) -> AccessResult<serde_json::Value> {
    let app = catalog::load_app(db, task.app.as_str()).await?;
    let ent = catalog::load_entitlement(db, task.entitlement.as_str()).await?;
    let email: Option<String> = sqlx::query("SELECT email FROM users WHERE id = $1")
        .bind(user_row(&task.subject)?)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| r.try_get("email"))
        .transpose()?;
    Ok(serde_json::json!({
        "delivery": task.id.to_string(),
        "action": task.kind.as_str(),
        "subject": { "id": task.subject.to_string(), "email": email },
        "app": { "id": app.id.to_string(), "slug": app.slug.to_string(), "name": app.name },
        "entitlement": { "id": ent.id.to_string(), "slug": ent.slug.to_string(), "name": ent.display_name },
        "request": task.request.as_ref().map(|r| r.to_string()),
        "grant": task.grant.as_ref().map(|g| g.to_string()),
    }))
}

pub type HttpClient = reqwest::Client;

/// The client the webhook worker uses: no redirects (a signed body must not follow a receiver's
/// redirect elsewhere) and a bounded connect time.
pub fn client() -> Result<HttpClient, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .build()
}
