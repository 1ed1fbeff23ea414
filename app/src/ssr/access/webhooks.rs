//! Webhook provisioning, the storage and HTTP half: claiming due calls and making one signed
//! call (an HMAC-signed JSON POST, `domain::webhook` signs). What an answer does (a 2xx completes
//! the task like "Provisioned"; anything else schedules a retry with backoff, and when retries run
//! out the task falls back to a manual task for the app owners) is `crate::ssr::flows::webhooks`.
//!
//! Each attempt is claimed first by moving the task's `due_at` forward with a compare-and-set, so
//! several processes never call the same attempt at once. A process that dies mid-call leaves the
//! claim to lapse and the attempt is made again: receivers get at-least-once delivery and should
//! use the `Latch-Delivery` id to ignore repeats.

use std::time::Duration;

use super::{AccessError, AccessResult, catalog, from_json, now, user_row};
use crate::domain::{self, ProvisioningMethod, ProvisioningTask};
use crate::ssr::db::Db;

/// How long a claimed attempt is ours before another process may retry it.
const CLAIM_MS: i64 = 60_000;
/// Longest wait for the receiver's answer.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(sqlx::FromRow)]
struct DueRow {
    body: String,
    due_at: i64,
}

/// Claims the webhook calls that are due (at most `limit`), each by moving its `due_at` forward
/// with a compare-and-set, and returns the claimed tasks: no other process calls them until the
/// claim lapses.
pub async fn claim_due(db: &Db, limit: i64) -> AccessResult<Vec<ProvisioningTask>> {
    let at = now().as_unix_millis();
    let rows: Vec<DueRow> = sqlx::query_as(
        "SELECT body, due_at FROM provisioning_tasks WHERE open = 1 AND due_at IS NOT NULL AND due_at <= $1 ORDER BY due_at LIMIT $2",
    )
    .bind(at)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let task: ProvisioningTask = from_json(&row.body)?;
        let won = sqlx::query(
            "UPDATE provisioning_tasks SET due_at = $1 WHERE id = $2 AND due_at = $3 AND open = 1",
        )
        .bind(at + CLAIM_MS)
        .bind(task.id.as_str())
        .bind(row.due_at)
        .execute(&db.pool)
        .await?
        .rows_affected()
            == 1;
        if won {
            claimed.push(task);
        }
    }
    Ok(claimed)
}

/// Calls the receiver for `task`, signed with every current signing secret. `None` when it
/// answered 2xx, else what went wrong, in words for the admin (HTTP status and the start of the
/// body, a timeout, an unreachable host).
pub async fn call(
    db: &Db,
    secrets: &[String],
    client: &reqwest::Client,
    task: &ProvisioningTask,
    attempt: u32,
) -> AccessResult<Option<String>> {
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
    Ok(match result {
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
    })
}

/// What the receiver is told: which access to add or remove, for whom, and why.
async fn payload(db: &Db, task: &ProvisioningTask) -> AccessResult<serde_json::Value> {
    let app = catalog::load_app(db, task.app.as_str()).await?;
    let ent = catalog::load_entitlement(db, task.entitlement.as_str()).await?;
    let email: Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_row(&task.subject)?)
        .fetch_optional(&db.pool)
        .await?;
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
