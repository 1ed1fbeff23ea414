//! The Events API endpoint's logic: request signing (v0, 5-minute window, constant-time compare),
//! `url_verification`, and the lifecycle events that end an installation (`app_uninstalled`,
//! `tokens_revoked`).

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde_json::Value;
use sha2::Sha256;

use crate::ssr::slack::store;
use crate::ssr::AppState;

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
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else { return Err(SignatureError::Missing) };
    let ts: i64 = timestamp.trim().parse().map_err(|_| SignatureError::Missing)?;
    if (now_secs - ts).abs() > MAX_CLOCK_SKEW_SECS {
        return Err(SignatureError::Stale);
    }
    let Some(hex_sig) = signature.strip_prefix("v0=") else { return Err(SignatureError::Mismatch) };
    let expected = hex::decode(hex_sig).map_err(|_| SignatureError::Mismatch)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(signing_secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
    mac.update(b"v0:");
    mac.update(timestamp.trim().as_bytes());
    mac.update(b":");
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected).map_err(|_| SignatureError::Mismatch)
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
    if let Err(error) = verify_signature(secret.expose_secret(), timestamp, signature, body, now_secs) {
        tracing::warn!(?error, "Slack event refused: bad signature");
        return EventReply::Unauthorized(error);
    }
    let Ok(payload) = serde_json::from_slice::<Value>(body) else { return EventReply::BadRequest };
    match payload.get("type").and_then(Value::as_str) {
        Some("url_verification") => {
            let challenge = payload.get("challenge").and_then(Value::as_str).unwrap_or_default();
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
    let auth = payload.get("authorizations").and_then(Value::as_array).and_then(|a| a.first());
    let org_wide = auth
        .and_then(|a| a.get("is_enterprise_install"))
        .and_then(Value::as_bool)
        .or_else(|| payload.get("is_enterprise_install").and_then(Value::as_bool))
        .unwrap_or(false);
    let enterprise = str_at(payload, "enterprise_id").or_else(|| auth.and_then(|a| str_at(a, "enterprise_id")));
    let team = str_at(payload, "team_id");
    store::install_key(team.as_deref(), enterprise.as_deref(), org_wide)
}

async fn on_event(state: &AppState, payload: &Value) -> Result<(), crate::ssr::access::AccessError> {
    let event = payload.get("event").cloned().unwrap_or(Value::Null);
    let kind = event.get("type").and_then(Value::as_str).unwrap_or_default();
    let reason = match kind {
        "app_uninstalled" => "app_uninstalled",
        "tokens_revoked" => "tokens_revoked",
        _ => return Ok(()),
    };
    let Some(key) = event_install_key(payload) else { return Ok(()) };
    if kind == "tokens_revoked" {
        // Only the bot token matters to Latch; revoked user tokens leave the install working.
        let bots: Vec<&str> = event
            .pointer("/tokens/bot")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let installs = store::list(&state.db).await?;
        let ours = installs.iter().any(|i| i.install_key == key && i.connected && bots.contains(&i.bot_user_id.as_str()));
        if !ours {
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
        assert_eq!(verify_signature(secret, Some("1531420618"), sig, b"test-body", 1531420618 + 301), Err(SignatureError::Stale));
        assert_eq!(verify_signature(secret, Some("1531420618"), sig, b"test-bodx", 1531420618), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(secret, None, sig, b"test-body", 1531420618), Err(SignatureError::Missing));
        assert_eq!(verify_signature(secret, Some("1531420618"), Some("v1=00"), b"test-body", 1531420618), Err(SignatureError::Mismatch));
    }
}
