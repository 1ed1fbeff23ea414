//! External decider steps, the workflow: claim the due calls (`ssr::access::decider_calls`), post
//! each request's context to its decider, signed exactly like provisioning webhooks
//! (`domain::webhook`, the webhook signing secrets; `docs/decider.md`), and record what the answer
//! does, as Latch, in one transaction per call (`Request::decider_answered`).
//!
//! Approve and deny decide the step, attributed to the decider with its reason. An abstention or
//! an unreadable answer (including any 2xx that is not `{"decision": …, "reason": …}` and any
//! 4xx) passes the step to its fallback humans at once. No answer in time, an unreachable decider
//! or an HTTP 5xx/429 is retried ([`DECIDER_MAX_ATTEMPTS`] in all, `DECIDER_RETRY_DELAYS_SECS`
//! apart), then passes too. Never an approval by default; the request is never stuck.
//!
//! The decider sees only what it needs to decide: who asks for what, for how long and why, the
//! subject's department, title and managers, their recent requests and current grants of this
//! app, the entitlement's risk. No secret, no webhook URL, no other entitlement's configuration.

use std::time::Duration;

use serde_json::{Value, json};

use crate::domain::{
    self, AuditActor, DECIDER_MAX_ATTEMPTS, DECIDER_RETRY_DELAYS_SECS, DeciderAnswer,
    DeciderOutcome, DirectorySnapshot, ExternalDeciderStep, Grant, Request, UserId,
    parse_decider_answer,
};
use crate::ssr::access::audit::{self, Entry};
use crate::ssr::access::decider_calls::{self, DueCall};
use crate::ssr::access::{
    AccessError, AccessResult, catalog, directory, from_json, now, requests, user_row,
    webhook_secret,
};
use crate::ssr::db::Db;
use crate::ssr::slack::crypto::Sealer;

/// How far back the subject's requests for the same app are shown to the decider.
const RECENT_REQUESTS_DAYS: i64 = 90;
/// Longest answer body read from a decider.
const MAX_ANSWER_BYTES: usize = 16 * 1024;

/// What one call came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CallResult {
    /// The decider answered; what it means for the step.
    Answered(DeciderOutcome),
    /// It may answer if asked again (no answer in time, unreachable, 5xx/429): why, in words.
    Retryable(String),
}

/// Claims and makes every due decider call (at most `limit`). Returns how many were made.
pub async fn run_due(
    db: &Db,
    sealer: &Sealer,
    client: &reqwest::Client,
    limit: i64,
) -> AccessResult<usize> {
    let claimed = decider_calls::claim_due(db, limit).await?;
    let mut made = 0;
    let mut secrets: Option<Vec<String>> = None;
    for call in claimed {
        let request = match requests::load(db, &call.request_id).await {
            Ok(r) => r,
            Err(AccessError::NotFound(_)) => {
                decider_calls::remove(db, &call.request_id).await?;
                continue;
            }
            Err(e) => return Err(e),
        };
        let step = match request.waiting_for_decider() {
            Some(step) if step == call.step => step,
            // Cancelled, expired, handed to a person, or escalated meanwhile: nothing to ask.
            _ => {
                decider_calls::remove(db, &call.request_id).await?;
                continue;
            }
        };
        let Some(decider) = request.policy.external_decider_step(step).cloned() else {
            decider_calls::remove(db, &call.request_id).await?;
            continue;
        };
        made += 1;
        let secrets = match &secrets {
            Some(loaded) => loaded,
            None => secrets.insert(webhook_secret::signing_secrets(db, sealer, now()).await?),
        };
        let outcome = async {
            let body = payload(db, &request, &decider, call.attempt)
                .await?
                .to_string();
            let result = call_decider(client, secrets, &decider, &call, &request, body).await;
            record(db, &request, &decider, &call, result).await
        }
        .await;
        if let Err(error) = outcome {
            tracing::error!(request = %request.number, %error, "external decider call failed to record");
        }
    }
    Ok(made)
}

/// Posts `body` to the decider, signed with every current signing secret, and reads its answer.
async fn call_decider(
    client: &reqwest::Client,
    secrets: &[String],
    decider: &ExternalDeciderStep,
    call: &DueCall,
    request: &Request,
    body: String,
) -> CallResult {
    let keys: Vec<&[u8]> = secrets.iter().map(|s| s.as_bytes()).collect();
    let timeout = Duration::from_secs(u64::from(decider.timeout_secs));
    let sent = client
        .post(&decider.url)
        .header("Content-Type", "application/json")
        .header(
            domain::webhook::SIGNATURE_HEADER,
            domain::webhook::signature_header_all(&keys, now(), body.as_bytes()),
        )
        .header(
            "Latch-Delivery",
            format!("{}:{}:{}", request.id, call.step, call.attempt),
        )
        .timeout(timeout)
        .body(body)
        .send()
        .await;
    let no_answer = || format!("the decider did not answer in {} s", decider.timeout_secs);
    let response = match sent {
        Ok(response) => response,
        Err(e) if e.is_timeout() => return CallResult::Retryable(no_answer()),
        Err(e) => {
            return CallResult::Retryable(format!(
                "the decider could not be reached ({})",
                if e.is_connect() {
                    "connection failed"
                } else {
                    "request failed"
                }
            ));
        }
    };
    let status = response.status();
    // The body is read within what is left of the timeout: a decider that sends headers and then
    // stalls is no better than a silent one.
    let text = match tokio::time::timeout(timeout, response.bytes()).await {
        Ok(Ok(bytes)) => {
            String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_ANSWER_BYTES)]).into_owned()
        }
        Ok(Err(_)) | Err(_) => return CallResult::Retryable(no_answer()),
    };
    if status.is_server_error() || status.as_u16() == 429 {
        return CallResult::Retryable(format!("the decider answered HTTP {}", status.as_u16()));
    }
    if !status.is_success() {
        return CallResult::Answered(DeciderOutcome::PassToHumans {
            why: format!("the decider answered HTTP {}", status.as_u16()),
        });
    }
    CallResult::Answered(match parse_decider_answer(&text) {
        Ok(DeciderAnswer::Approve(reason)) => DeciderOutcome::Approve { reason },
        Ok(DeciderAnswer::Deny(reason)) => DeciderOutcome::Deny { reason },
        Ok(DeciderAnswer::Abstain(reason)) => DeciderOutcome::PassToHumans {
            why: match reason {
                Some(r) => format!("the decider abstained: {r}"),
                None => "the decider abstained".into(),
            },
        },
        Err(why) => DeciderOutcome::PassToHumans {
            why: format!("the decider's answer could not be read ({why})"),
        },
    })
}

/// Records what the call came to: a retry later (with a `decider.failed` audit event), or, in one
/// transaction, the step decided or passed to people, the `decider.called` event, and the call
/// forgotten.
async fn record(
    db: &Db,
    called: &Request,
    decider: &ExternalDeciderStep,
    call: &DueCall,
    result: CallResult,
) -> AccessResult<()> {
    let at = now();
    let target = format!("request:{}", called.number);
    let outcome = match result {
        CallResult::Answered(outcome) => outcome,
        CallResult::Retryable(why) => {
            let retry_in = usize::try_from(call.attempt)
                .ok()
                .and_then(|n| DECIDER_RETRY_DELAYS_SECS.get(n.wrapping_sub(1)))
                .filter(|_| call.attempt < DECIDER_MAX_ATTEMPTS);
            let detail = json!({
                "step": call.step + 1,
                "decider": decider.name,
                "attempt": call.attempt,
                "error": why,
                "retry_in_secs": retry_in,
            });
            match retry_in {
                Some(secs) => {
                    let mut tx = db.begin().await?;
                    decider_calls::retry_later(
                        &mut tx,
                        call,
                        i64::try_from(secs.saturating_mul(1_000)).unwrap_or(i64::MAX),
                        &why,
                    )
                    .await?;
                    audit::append(
                        &mut tx,
                        at,
                        Entry::new(AuditActor::System, "decider.failed", target)
                            .after(Some(detail.to_string())),
                    )
                    .await?;
                    tx.commit().await?;
                    return Ok(());
                }
                None => DeciderOutcome::PassToHumans {
                    why: format!(
                        "{why} (after {} attempts)",
                        call.attempt.min(DECIDER_MAX_ATTEMPTS)
                    ),
                },
            }
        }
    };
    let mut tx = db.begin().await?;
    let request = requests::load(&mut tx, called.id.as_str()).await?;
    if request.waiting_for_decider() != Some(call.step) {
        // Decided meanwhile another way (cancelled, handed to a person): the answer is moot.
        decider_calls::remove(&mut tx, called.id.as_str()).await?;
        tx.commit().await?;
        return Ok(());
    }
    let dir = directory::snapshot(&mut tx).await?;
    let transition = request.decider_answered(call.step, &outcome, &dir, at)?;
    requests::persist(&mut tx, Some(request.version), &transition, None, at).await?;
    let detail = json!({
        "step": call.step + 1,
        "decider": decider.name,
        "attempt": call.attempt,
        "outcome": outcome,
    });
    audit::append(
        &mut tx,
        at,
        Entry::new(AuditActor::System, "decider.called", target).after(Some(detail.to_string())),
    )
    .await?;
    decider_calls::remove(&mut tx, called.id.as_str()).await?;
    tx.commit().await?;
    Ok(())
}

/// A person as the decider sees them: name, email, department, title and managers.
fn person(dir: &DirectorySnapshot, id: &UserId) -> Value {
    let Some(user) = dir.users.get(id) else {
        return json!({ "id": id.to_string() });
    };
    let managers: Vec<Value> = user
        .managers
        .iter()
        .filter_map(|m| dir.users.get(m))
        .map(|m| json!({ "name": m.display_name, "email": m.email.to_string() }))
        .collect();
    json!({
        "id": id.to_string(),
        "name": user.display_name,
        "email": user.email.to_string(),
        "department": user.department,
        "title": user.job_title,
        "managers": managers,
    })
}

/// What the decider is told (`docs/decider.md`): the request, the people, the access and its
/// risk, and the subject's recent history with this app. Nothing else.
async fn payload(
    db: &Db,
    request: &Request,
    decider: &ExternalDeciderStep,
    attempt: u32,
) -> AccessResult<Value> {
    let app = catalog::load_app(db, request.parties.app.as_str()).await?;
    let ent = catalog::load_entitlement(db, request.parties.entitlement.as_str()).await?;
    let dir = directory::snapshot(db).await?;
    let since = request
        .created_at
        .as_unix_millis()
        .saturating_sub(RECENT_REQUESTS_DAYS * 24 * 3_600 * 1_000);
    let subject_row = user_row(&request.parties.subject)?;
    let recent: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM requests WHERE subject_id = $1 AND app_id = $2 AND created_at >= $3 AND id <> $4 ORDER BY number DESC LIMIT 50",
    )
    .bind(subject_row)
    .bind(request.parties.app.as_str())
    .bind(since)
    .bind(request.id.as_str())
    .fetch_all(&db.pool)
    .await?;
    let mut recent_requests = Vec::with_capacity(recent.len());
    for body in recent {
        let r: Request = from_json(&body)?;
        let name = catalog::load_entitlement(db, r.parties.entitlement.as_str())
            .await
            .map(|e| e.display_name)
            .unwrap_or_default();
        recent_requests.push(json!({
            "number": r.number.to_string(),
            "entitlement": name,
            "created_at": r.created_at.to_string(),
            "status": r.state.status().as_str(),
            "outcome": r.state.outcome().map(|o| o.as_str()),
            "emergency": r.emergency,
            "length": r.length.to_string(),
        }));
    }
    let grants: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM grants WHERE subject_id = $1 AND app_id = $2 AND state = 'active' ORDER BY created_at DESC LIMIT 50",
    )
    .bind(subject_row)
    .bind(request.parties.app.as_str())
    .fetch_all(&db.pool)
    .await?;
    let mut active_grants = Vec::with_capacity(grants.len());
    for body in grants {
        let g: Grant = from_json(&body)?;
        let name = catalog::load_entitlement(db, g.entitlement.as_str())
            .await
            .map(|e| e.display_name)
            .unwrap_or_default();
        active_grants.push(json!({
            "entitlement": name,
            "granted_at": g.granted_at.to_string(),
            "expires_at": g.expires_at.map(|t| t.to_string()),
        }));
    }
    Ok(json!({
        "delivery": format!("{}:{}:{attempt}", request.id, request.waiting_for_decider().unwrap_or_default()),
        "decider": decider.name,
        "step": request.waiting_for_decider().map(|s| s + 1),
        "request": {
            "id": request.id.to_string(),
            "number": request.number.to_string(),
            "created_at": request.created_at.to_string(),
            "requested_length": request.requested_length.to_string(),
            "justification": request.justification,
            "emergency": request.emergency,
            "extension": request.extends_grant.is_some(),
            "origin": request.origin.as_str(),
        },
        "requester": person(&dir, &request.parties.requester),
        "subject": person(&dir, &request.parties.subject),
        "app": { "id": app.id.to_string(), "name": app.name },
        "entitlement": {
            "id": ent.id.to_string(),
            "name": ent.display_name,
            "alias": ent.alias.as_ref().map(ToString::to_string),
            "risk": ent.risk.as_str(),
            "max_length": ent.max_duration.to_string(),
        },
        "recent_requests": recent_requests,
        "active_grants": active_grants,
    }))
}
