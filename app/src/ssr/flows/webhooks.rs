//! Provisioning webhooks, the workflow: claim the due calls, make each (`ssr::access::webhooks`),
//! and record what the answer does, as Latch, in one transaction per call. A 2xx completes the
//! task like "Provisioned" (the same [`finish_task`] a person's click runs: grant, request, audit);
//! any other answer or a network failure schedules a retry with backoff, and when retries run out
//! the task falls back to a manual task for the app owners.

use crate::domain::{AuditActor, ProvisioningTask, TaskOutcome, TaskState};
use crate::ssr::access::audit::{self, Entry};
use crate::ssr::access::{
    AccessError, AccessResult, directory, grants, now, to_json, webhook_secret, webhooks,
};
use crate::ssr::db::Db;
use crate::ssr::slack::crypto::Sealer;

use super::access_loop::finish_task;

/// Claims and runs every due webhook call (at most `limit`). Returns how many were attempted.
pub async fn run_due(
    db: &Db,
    sealer: &Sealer,
    client: &reqwest::Client,
    limit: i64,
) -> AccessResult<usize> {
    let claimed = webhooks::claim_due(db, limit).await?;
    let mut attempted = 0;
    // The signing secrets are read (and unsealed) once per round, when the first call is due.
    let mut secrets: Option<Vec<String>> = None;
    for task in claimed {
        let TaskState::WebhookPending { attempt, .. } = task.state else {
            continue;
        };
        attempted += 1;
        let secrets = match &secrets {
            Some(loaded) => loaded,
            None => secrets.insert(webhook_secret::signing_secrets(db, sealer, now()).await?),
        };
        let recorded = match webhooks::call(db, secrets, client, &task, attempt).await {
            Ok(failure) => record_outcome(db, &task, failure.as_deref()).await,
            Err(e) => Err(e),
        };
        if let Err(error) = recorded {
            tracing::error!(task = %task.id, %error, "webhook provisioning attempt failed to record");
        }
    }
    Ok(attempted)
}

/// Records the answer to the call made for `called` (`failure`: None for a 2xx, else what went
/// wrong) in one transaction: success finishes the task; a failure saves the retry (or the
/// fallback to a manual task, with its notifications) and its audit event. `Stale` if the task
/// changed since it was claimed.
pub async fn record_outcome(
    db: &Db,
    called: &ProvisioningTask,
    failure: Option<&str>,
) -> AccessResult<()> {
    let mut tx = db.begin().await?;
    let task = grants::load_task(&mut tx, called.id.as_str()).await?;
    if task.version != called.version {
        return Err(AccessError::Stale);
    }
    let at = now();
    match failure {
        None => {
            let done = task.webhook_succeeded(at)?;
            finish_task(
                &mut tx,
                &task,
                &done,
                TaskOutcome::Done,
                None,
                AuditActor::System,
                None,
            )
            .await?;
        }
        Some(error) => {
            let dir = directory::snapshot(&mut tx).await?;
            let next = task.webhook_failed(error, &dir, at)?;
            let action = if matches!(next.state, TaskState::AwaitingManual { .. }) {
                "provisioning.webhook_gave_up"
            } else {
                "provisioning.webhook_failed"
            };
            grants::save_task(&mut tx, Some(task.version), &next, at).await?;
            audit::append(
                &mut tx,
                at,
                Entry::new(AuditActor::System, action, format!("task:{}", task.id))
                    .before(Some(to_json(&task)?))
                    .after(Some(to_json(&next)?)),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
