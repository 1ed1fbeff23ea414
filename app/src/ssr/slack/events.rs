//! The Events API endpoint's logic: request signing (v0, 5-minute window, constant-time compare),
//! `url_verification`, and the lifecycle events that end an installation (`app_uninstalled`,
//! `tokens_revoked`).

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde_json::Value;
use sha2::Sha256;

use crate::ssr::AppState;
use crate::ssr::clock::now_ms;
use crate::ssr::slack::store;

/// Slack's replay window for signed requests.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// No signing secret is configured, so nothing can be trusted.
    NotConfigured,
    Missing,
    Stale,
    Mismatch,
}

/// Checks `X-Slack-Signature` over the raw body.
pub fn verify_signature(
    signing_secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureError::Missing);
    };
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::Missing)?;
    // Checked arithmetic: the header is attacker-controlled, and `i64::MIN` would overflow.
    let skew = now_secs.checked_sub(ts).and_then(i64::checked_abs);
    if skew.is_none_or(|skew| skew > MAX_CLOCK_SKEW_SECS) {
        return Err(SignatureError::Stale);
    }
    let Some(hex_sig) = signature.strip_prefix("v0=") else {
        return Err(SignatureError::Mismatch);
    };
    let expected = hex::decode(hex_sig).map_err(|_| SignatureError::Mismatch)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(signing_secret.as_bytes())
        .map_err(|_| SignatureError::Mismatch)?;
    mac.update(b"v0:");
    mac.update(timestamp.trim().as_bytes());
    mac.update(b":");
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// What the endpoint answers.
#[derive(Debug, PartialEq, Eq)]
pub enum EventReply {
    /// `url_verification`: echo the challenge as text/plain.
    Challenge(String),
    /// 200, nothing to say.
    Ack,
    /// 401: not signed by Slack with our secret.
    Unauthorized(SignatureError),
    /// 400: not JSON we understand.
    BadRequest,
    /// 500: our fault; Slack retries.
    Failed,
}

pub async fn handle(
    state: &AppState,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> EventReply {
    let Some(secret) = state.slack.config.signing_secret.as_ref() else {
        tracing::warn!("Slack event refused: LATCH_SLACK_SIGNING_SECRET is not set");
        return EventReply::Unauthorized(SignatureError::NotConfigured);
    };
    if let Err(error) =
        verify_signature(secret.expose_secret(), timestamp, signature, body, now_secs)
    {
        tracing::warn!(?error, "Slack event refused: bad signature");
        return EventReply::Unauthorized(error);
    }
    let Ok(payload) = serde_json::from_slice::<Value>(body) else {
        return EventReply::BadRequest;
    };
    match payload.get("type").and_then(Value::as_str) {
        Some("url_verification") => {
            let challenge = payload
                .get("challenge")
                .and_then(Value::as_str)
                .unwrap_or_default();
            EventReply::Challenge(challenge.to_string())
        }
        Some("event_callback") => match on_event(state, &payload).await {
            Ok(()) => EventReply::Ack,
            Err(error) => {
                tracing::error!(%error, "handling a Slack event failed");
                EventReply::Failed
            }
        },
        _ => EventReply::Ack,
    }
}

/// The installation key an event is for: the org for org-wide installs, else the workspace.
fn event_install_key(payload: &Value) -> Option<String> {
    let str_at = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let auth = payload
        .get("authorizations")
        .and_then(Value::as_array)
        .and_then(|a| a.first());
    let org_wide = auth
        .and_then(|a| a.get("is_enterprise_install"))
        .and_then(Value::as_bool)
        .or_else(|| {
            payload
                .get("is_enterprise_install")
                .and_then(Value::as_bool)
        })
        .unwrap_or(false);
    let enterprise =
        str_at(payload, "enterprise_id").or_else(|| auth.and_then(|a| str_at(a, "enterprise_id")));
    let team = str_at(payload, "team_id");
    store::install_key(team.as_deref(), enterprise.as_deref(), org_wide)
}

/// How long a processed `event_id` is remembered: Slack retries for minutes, not days.
const RECEIPT_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// True when the delivery `event_id` was already processed (Slack retries what it thinks failed).
async fn already_processed(state: &AppState, event_id: &str) -> Result<bool, sqlx::Error> {
    let seen = sqlx::query("SELECT 1 AS seen FROM slack_event_receipts WHERE event_id = $1")
        .bind(event_id)
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(seen.is_some())
}

/// Records `event_id` as processed (after it took effect, so a failed attempt is retried), and
/// forgets receipts too old for Slack to retry.
async fn record_processed(state: &AppState, event_id: &str) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query("INSERT INTO slack_event_receipts (event_id, received_at) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING")
        .bind(event_id)
        .bind(now)
        .execute(&state.db.pool)
        .await?;
    sqlx::query("DELETE FROM slack_event_receipts WHERE received_at < $1")
        .bind(now - RECEIPT_TTL_MS)
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

async fn on_event(
    state: &AppState,
    payload: &Value,
) -> Result<(), crate::ssr::access::AccessError> {
    let event_id = payload
        .get("event_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty());
    if let Some(event_id) = event_id
        && already_processed(state, event_id).await?
    {
        tracing::debug!(event_id, "Slack event already processed; retry ignored");
        return Ok(());
    }
    apply_event(state, payload).await?;
    if let Some(event_id) = event_id {
        record_processed(state, event_id).await?;
    }
    Ok(())
}

async fn apply_event(
    state: &AppState,
    payload: &Value,
) -> Result<(), crate::ssr::access::AccessError> {
    let event = payload.get("event").cloned().unwrap_or(Value::Null);
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let reason = match kind {
        "app_uninstalled" => "app_uninstalled",
        "tokens_revoked" => "tokens_revoked",
        _ => return Ok(()),
    };
    let Some(key) = event_install_key(payload) else {
        return Ok(());
    };
    let installs = store::list(&state.db).await?;
    let Some(install) = installs
        .iter()
        .find(|i| i.install_key == key && i.connected)
    else {
        return Ok(());
    };
    // An event that happened before this installation was made is about an earlier one: a late
    // retry of an old uninstall must not disconnect a fresh reinstall.
    let event_time_ms = payload
        .get("event_time")
        .and_then(Value::as_i64)
        .and_then(|secs| secs.checked_mul(1000));
    if let Some(event_time_ms) = event_time_ms
        && event_time_ms < install.installed_at - install.installed_at.rem_euclid(1000)
    {
        tracing::info!(install_key = %key, kind, "Slack event older than the installation; ignored");
        return Ok(());
    }
    if kind == "tokens_revoked" {
        // Only the bot token matters to Latch; revoked user tokens leave the install working.
        let bots: Vec<&str> = event
            .pointer("/tokens/bot")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !bots.contains(&install.bot_user_id.as_str()) {
            return Ok(());
        }
    }
    if store::disconnect(&state.db, &key, reason, crate::domain::AuditActor::System).await? {
        tracing::info!(install_key = %key, reason, "Slack installation disconnected by Slack");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn slacks_published_test_vector_verifies() {
        let ok = verify_signature(
            "fa2c05deeef5a4077494e89f54394de0",
            Some("1531420618"),
            Some("v0=baa91ef62d346e56607bbdd278a8acd570b91226854f15a382f43d33be42f666"),
            b"test-body",
            1531420618 + 10,
        );
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn stale_tampered_or_missing_signatures_are_refused() {
        let sig = Some("v0=baa91ef62d346e56607bbdd278a8acd570b91226854f15a382f43d33be42f666");
        let secret = "fa2c05deeef5a4077494e89f54394de0";
        assert_eq!(
            verify_signature(
                secret,
                Some("1531420618"),
                sig,
                b"test-body",
                1531420618 + 301
            ),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_signature(secret, Some("1531420618"), sig, b"test-bodx", 1531420618),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(secret, None, sig, b"test-body", 1531420618),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_signature(
                secret,
                Some("1531420618"),
                Some("v1=00"),
                b"test-body",
                1531420618
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        let sig = Some("v0=00");
        for ts in ["-9223372036854775808", "9223372036854775807", "-1"] {
            assert_eq!(
                verify_signature("s", Some(ts), sig, b"", 1531420618),
                Err(SignatureError::Stale),
                "{ts}"
            );
        }
        assert_eq!(
            verify_signature("s", Some("0"), sig, b"", i64::MIN),
            Err(SignatureError::Stale)
        );
    }
}
