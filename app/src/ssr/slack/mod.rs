//! The Slack connection: settings, the sealed secrets, the Web API client, the OAuth v2 install
//! flow, installations and the Events API. Plain axum handlers (`server::http::slack`) and the
//! server functions in `api::slack` both call into here.

pub mod api;
pub mod blocks;
pub mod campaign_channel;
pub mod commands;
pub mod conversation;
pub mod crypto;
pub mod decisions;
pub mod delivery;
pub mod events;
pub mod front_door;
pub mod home;
pub mod identity;
pub mod interactions;
pub mod live;
pub mod manage;
pub mod manifest;
pub mod oauth;
pub mod request_flow;
pub mod store;
pub mod view;

use std::time::Duration;

use secrecy::SecretString;

pub use api::{SlackApi, SlackError};
pub use crypto::Sealer;

/// The bot scopes every Latch feature needs. Installs granting fewer are flagged for Reinstall.
pub const BOT_SCOPES: &[&str] = &[
    "commands",
    "chat:write",
    "im:write",
    // conversations.history of Latch's own DMs: after a crash or a timed-out post, delivery
    // looks there for the message before posting it again (no duplicates).
    "im:history",
    "users:read",
    "users:read.email",
    "channels:read",
    "groups:read",
    "channels:manage",
    "groups:write",
    "channels:join",
    "pins:write",
    "incoming-webhook",
];

/// Default Slack endpoints (tests and the stand-in override them).
pub const DEFAULT_API_URL: &str = "https://slack.com/api";
pub const DEFAULT_AUTHORIZE_URL: &str = "https://slack.com/oauth/v2/authorize";
pub const DEFAULT_COMMAND: &str = "/c1";

/// Where Slack sends people and requests back to (paths under `LATCH_PUBLIC_URL`).
pub const OAUTH_CALLBACK_PATH: &str = "/slack/oauth/callback";
pub const INSTALL_PATH: &str = "/slack/install";
pub const EVENTS_PATH: &str = "/slack/events";
pub const COMMANDS_PATH: &str = "/slack/commands";
pub const INTERACTIVITY_PATH: &str = "/slack/interactivity";
pub const OPTIONS_PATH: &str = "/slack/options";

/// The Slack settings (`LATCH_SLACK_*`), validated by the server's config.
#[derive(Clone, Debug)]
pub struct SlackConfig {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub signing_secret: Option<SecretString>,
    /// Web API base, without a trailing slash.
    pub api_url: String,
    pub authorize_url: String,
    /// The slash command put in the manifest, with its leading `/`.
    pub command: String,
    /// Bound on every call to Slack, so a slow Slack cannot hold an admin's request.
    pub timeout: Duration,
}

impl Default for SlackConfig {
    fn default() -> Self {
        SlackConfig {
            client_id: None,
            client_secret: None,
            signing_secret: None,
            api_url: DEFAULT_API_URL.into(),
            authorize_url: DEFAULT_AUTHORIZE_URL.into(),
            command: DEFAULT_COMMAND.into(),
            timeout: Duration::from_secs(10),
        }
    }
}

impl SlackConfig {
    /// The settings still to set before an install can start (empty when ready).
    pub fn missing_for_install(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.client_id.is_none() {
            missing.push("LATCH_SLACK_CLIENT_ID");
        }
        if self.client_secret.is_none() {
            missing.push("LATCH_SLACK_CLIENT_SECRET");
        }
        missing
    }
}

/// Everything Slack-related the process shares: settings, the secret sealer and the client.
pub struct Slack {
    pub config: SlackConfig,
    pub sealer: Sealer,
    pub api: SlackApi,
    /// The front door's process-wide state: routing cache, bound on deferred work.
    pub front_door: front_door::FrontDoor,
    /// The process's Slack pacer (per method and per DM), shared by delivery, the `slack-live`
    /// job and the live messages' direct calls, so together they stay under Slack's limits.
    pub pacing: std::sync::Arc<delivery::Deliverer>,
}

impl std::fmt::Debug for Slack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slack")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Slack {
    /// `secret_key` is `LATCH_SECRET_KEY`; the sealing key is derived from it.
    pub fn new(config: SlackConfig, secret_key: &str) -> Result<Slack, SlackError> {
        let api = SlackApi::new(&config.api_url, config.timeout)?;
        Ok(Slack {
            sealer: Sealer::derive(secret_key),
            api,
            config,
            front_door: front_door::FrontDoor::default(),
            pacing: std::sync::Arc::new(delivery::Deliverer::default()),
        })
    }
}

/// The scopes Latch needs that `granted` (comma-separated) lacks.
pub fn missing_scopes(granted: &str) -> Vec<String> {
    let granted: Vec<&str> = granted
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    BOT_SCOPES
        .iter()
        .filter(|s| !granted.contains(s))
        .map(|s| s.to_string())
        .collect()
}
