//! The OAuth v2 install flow ("Add to Slack").
//!
//! `begin` mints a random `state`, keeps only its SHA-256 bound to the admin and their session,
//! and builds Slack's authorize URL. `complete` runs on the callback: it consumes the state
//! atomically (a `DELETE … RETURNING`, so of several callbacks carrying the same state exactly one
//! proceeds), exchanges the code with `oauth.v2.access` and stores the installation. Every failure
//! stores nothing and comes back as a [`CallbackFailure`] the page can explain.

use rand::RngCore;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::session::CurrentUser;
use crate::ssr::AppState;
use crate::ssr::clock::now_ms;
use crate::ssr::slack::api::OAuthAccess;
use crate::ssr::slack::store::{self, NewInstallation};
use crate::ssr::slack::{BOT_SCOPES, OAUTH_CALLBACK_PATH, SlackError};

/// How long an admin has between clicking Add to Slack and coming back.
pub const STATE_TTL_MS: i64 = 10 * 60 * 1000;

fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// What binds a state to the browser session that started the flow (a hash of the session id).
pub fn session_binding(session_id: &str) -> String {
    sha256_hex(&format!("slack-oauth-session:{session_id}"))
}

#[derive(Debug, thiserror::Error)]
pub enum BeginError {
    #[error("Slack is not configured")]
    NotConfigured,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The redirect URI Slack sends the admin back to.
pub fn redirect_uri(state: &AppState) -> String {
    state.public_url.join(OAUTH_CALLBACK_PATH)
}

/// Starts an install: returns the Slack authorize URL to send the browser to. `team` pre-selects
/// a workspace (Reinstall).
pub async fn begin(
    state: &AppState,
    user: &CurrentUser,
    session_id: &str,
    team: Option<&str>,
) -> Result<String, BeginError> {
    let config = &state.slack.config;
    let Some(client_id) = config.client_id.as_deref() else {
        return Err(BeginError::NotConfigured);
    };
    if config.client_secret.is_none() {
        return Err(BeginError::NotConfigured);
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let oauth_state = hex::encode(bytes);
    let now = now_ms();
    // Expired states are useless; clear them whenever a new one is minted.
    sqlx::query("DELETE FROM slack_oauth_states WHERE expires_at < $1")
        .bind(now)
        .execute(&state.db.pool)
        .await?;
    sqlx::query(
        "INSERT INTO slack_oauth_states (state_hash, user_id, session_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(sha256_hex(&oauth_state))
    .bind(user.id)
    .bind(session_binding(session_id))
    .bind(now)
    .bind(now + STATE_TTL_MS)
    .execute(&state.db.pool)
    .await?;

    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("client_id", client_id)
        // Slack wants scopes comma-separated.
        .append_pair("scope", &BOT_SCOPES.join(","))
        .append_pair("redirect_uri", &redirect_uri(state))
        .append_pair("state", &oauth_state);
    if let Some(team) = team.filter(|t| is_slack_id(t)) {
        query.append_pair("team", team);
    }
    let sep = if config.authorize_url.contains('?') {
        '&'
    } else {
        '?'
    };
    tracing::info!(user_id = user.id, "Slack install started");
    Ok(format!("{}{sep}{}", config.authorize_url, query.finish()))
}

/// A Slack id such as `T0123ABC`: upper-case letters and digits only.
pub fn is_slack_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 32
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Query of `GET /slack/oauth/callback`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Why a callback did not connect anything. `code()` goes into the redirect back to the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackFailure {
    Cancelled,
    StateMissing,
    /// Unknown: forged, or already used (a replay).
    StateInvalid,
    StateExpired,
    /// Valid, but started by another person or in another browser session.
    StateOtherSession,
    NotConfigured,
    /// `ok:false` from Slack, with its code.
    Slack(String),
    SlackTimeout,
    SlackUnreachable,
    /// Slack answered, but not in a way we can use (HTTP error, garbled body, no bot token).
    SlackBadResponse,
    Internal,
}

impl CallbackFailure {
    pub fn code(&self) -> &str {
        match self {
            CallbackFailure::Cancelled => "cancelled",
            CallbackFailure::StateMissing => "state_missing",
            CallbackFailure::StateInvalid => "state_invalid",
            CallbackFailure::StateExpired => "state_expired",
            CallbackFailure::StateOtherSession => "state_other_session",
            CallbackFailure::NotConfigured => "not_configured",
            CallbackFailure::Slack(_) => "slack_error",
            CallbackFailure::SlackTimeout => "slack_timeout",
            CallbackFailure::SlackUnreachable => "slack_unreachable",
            CallbackFailure::SlackBadResponse => "slack_bad_response",
            CallbackFailure::Internal => "internal",
        }
    }
}

impl From<SlackError> for CallbackFailure {
    fn from(error: SlackError) -> Self {
        match error {
            SlackError::Api(code) => CallbackFailure::Slack(code),
            SlackError::Timeout => CallbackFailure::SlackTimeout,
            SlackError::Unreachable => CallbackFailure::SlackUnreachable,
            SlackError::RateLimited(_) => CallbackFailure::Slack("ratelimited".into()),
            SlackError::Http(_) | SlackError::BadResponse => CallbackFailure::SlackBadResponse,
        }
    }
}

fn internal(error: impl std::fmt::Display) -> CallbackFailure {
    tracing::error!(%error, "Slack install failed");
    CallbackFailure::Internal
}

/// Consumes a state: true for exactly one caller, and only if it was minted for this admin in
/// this session and has not expired.
async fn consume_state(
    state: &AppState,
    user: &CurrentUser,
    session_id: &str,
    oauth_state: &str,
) -> Result<(), CallbackFailure> {
    let row = sqlx::query("DELETE FROM slack_oauth_states WHERE state_hash = $1 RETURNING user_id, session_hash, expires_at")
        .bind(sha256_hex(oauth_state))
        .fetch_optional(&state.db.pool)
        .await
        .map_err(internal)?;
    let Some(row) = row else {
        return Err(CallbackFailure::StateInvalid);
    };
    let user_id: i64 = row.try_get("user_id").map_err(internal)?;
    let session_hash: String = row.try_get("session_hash").map_err(internal)?;
    let expires_at: i64 = row.try_get("expires_at").map_err(internal)?;
    if expires_at < now_ms() {
        return Err(CallbackFailure::StateExpired);
    }
    if user_id != user.id || session_hash != session_binding(session_id) {
        return Err(CallbackFailure::StateOtherSession);
    }
    Ok(())
}

/// A connected installation, for the success message.
#[derive(Debug, Clone)]
pub struct Connected {
    pub installation_id: i64,
    pub label: String,
}

/// Handles Slack's redirect back to us.
pub async fn complete(
    state: &AppState,
    user: &CurrentUser,
    session_id: &str,
    params: &CallbackParams,
) -> Result<Connected, CallbackFailure> {
    let Some(oauth_state) = params.state.as_deref().filter(|s| !s.is_empty()) else {
        return Err(CallbackFailure::StateMissing);
    };
    // Consume the state even on Cancel, so the link can't be reused later.
    consume_state(state, user, session_id, oauth_state).await?;
    if let Some(error) = params.error.as_deref() {
        return Err(if error == "access_denied" {
            CallbackFailure::Cancelled
        } else {
            CallbackFailure::Slack(error.to_string())
        });
    }
    let Some(code) = params.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(CallbackFailure::Slack("missing_code".into()));
    };
    let config = &state.slack.config;
    let (Some(client_id), Some(client_secret)) =
        (config.client_id.as_deref(), config.client_secret.as_ref())
    else {
        return Err(CallbackFailure::NotConfigured);
    };
    let access = state
        .slack
        .api
        .oauth_v2_access(
            client_id,
            client_secret.expose_secret(),
            code,
            &redirect_uri(state),
        )
        .await?;
    store_installation(state, user, &access).await
}

async fn store_installation(
    state: &AppState,
    user: &CurrentUser,
    access: &OAuthAccess,
) -> Result<Connected, CallbackFailure> {
    let (Some(token), Some(bot_user_id)) = (
        access.access_token.as_deref(),
        access.bot_user_id.as_deref(),
    ) else {
        tracing::warn!("oauth.v2.access returned no bot token");
        return Err(CallbackFailure::SlackBadResponse);
    };
    let team = access.team.as_ref();
    let enterprise = access.enterprise.as_ref();
    let Some(key) = store::install_key(
        team.map(|t| t.id.as_str()),
        enterprise.map(|e| e.id.as_str()),
        access.is_enterprise_install,
    ) else {
        tracing::warn!("oauth.v2.access named neither a workspace nor an org");
        return Err(CallbackFailure::SlackBadResponse);
    };
    let sealer = &state.slack.sealer;
    let token_sealed = sealer
        .seal(token, &store::seal_context(&key, "bot_token"))
        .map_err(internal)?;
    let webhook = access.incoming_webhook.as_ref();
    let webhook_sealed = webhook
        .map(|w| sealer.seal(&w.url, &store::seal_context(&key, "webhook_url")))
        .transpose()
        .map_err(internal)?;
    let channel_name = webhook.map(|w| w.channel.trim_start_matches('#').to_string());
    let id = store::upsert(
        &state.db,
        &NewInstallation {
            install_key: &key,
            team_id: team.map(|t| t.id.as_str()),
            team_name: team.map(|t| t.name.as_str()),
            enterprise_id: enterprise.map(|e| e.id.as_str()),
            enterprise_name: enterprise.map(|e| e.name.as_str()),
            is_enterprise_install: access.is_enterprise_install,
            app_id: &access.app_id,
            bot_user_id,
            scopes: &access.scope,
            bot_token_sealed: &token_sealed,
            webhook_url_sealed: webhook_sealed.as_deref(),
            channel_id: webhook.and_then(|w| w.channel_id.as_deref()),
            channel_name: channel_name.as_deref(),
            installed_by: user.id,
            installed_by_slack_user: access.authed_user.as_ref().map(|u| u.id.as_str()),
        },
        crate::domain::AuditActor::User(crate::ssr::access::user_id(user.id)),
    )
    .await
    .map_err(internal)?;
    let label = if access.is_enterprise_install {
        enterprise.map(|e| e.name.clone()).unwrap_or_default()
    } else {
        team.map(|t| t.name.clone()).unwrap_or_default()
    };
    tracing::info!(
        installation_id = id,
        install_key = %key,
        user_id = user.id,
        scopes = %access.scope,
        "Slack connected"
    );
    Ok(Connected {
        installation_id: id,
        label,
    })
}
