//! Stand-in configuration.

use crate::ids;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// What `GET /oauth/v2/authorize` does once the request is valid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMode {
    /// Show the consent page and wait for a person to click Allow or Cancel.
    #[default]
    Interactive,
    /// Approve immediately (first matching workspace, its first admin, its first
    /// channel for `incoming-webhook`) and 302 back with `code` + `state`.
    AutoApprove,
    /// Like [`ConsentMode::AutoApprove`], but as an Enterprise Grid org-wide install.
    AutoApproveOrgWide,
    /// Deny immediately: 302 back with `error=access_denied&state=…`.
    AutoDeny,
}

/// Configuration for [`crate::SlackStandin::start`].
#[derive(Debug, Clone)]
pub struct StandinConfig {
    /// The Slack app's client id (`2141029472.691202649728`-shaped).
    pub client_id: String,
    /// The Slack app's client secret.
    pub client_secret: String,
    /// The Slack app's signing secret (used by the driver to sign requests).
    pub signing_secret: String,
    /// The app id (`A…`) put in tokens, payloads and `oauth.v2.access`.
    pub app_id: String,
    /// App name shown on the consent page and in `auth.test`.
    pub app_name: String,
    /// The app's configured Redirect URLs. A `redirect_uri` must equal one of
    /// them or be a sub-path of one. Empty = any `http(s)` URL is accepted.
    pub redirect_urls: Vec<String>,
    /// Address to bind (default `127.0.0.1:0`, an ephemeral port).
    pub bind: SocketAddr,
    /// Externally visible base URL (default `http://<bound address>`).
    pub public_url: Option<String>,
    /// The app's Event Subscriptions Request URL; `auth.revoke` sends signed
    /// `tokens_revoked` / `app_uninstalled` events here.
    pub events_url: Option<String>,
    /// What the authorize endpoint does.
    pub consent: ConsentMode,
    /// Enforce Slack's rate-limit tiers (429 + `Retry-After`).
    pub enforce_rate_limits: bool,
    /// OAuth code lifetime (Slack: 10 minutes).
    pub oauth_code_ttl: Duration,
    /// `trigger_id` lifetime (Slack: 3 seconds).
    pub trigger_ttl: Duration,
    /// `response_url` lifetime (Slack: 30 minutes).
    pub response_url_ttl: Duration,
    /// How long the app has to ack a request (Slack: 3 seconds).
    pub ack_timeout: Duration,
    /// Delays before each Events API retry. Slack retries 3 times, roughly
    /// immediately, after ~1 minute and after ~5 minutes; the default here is
    /// compressed to 0 s / 1 s / 2 s so tests stay fast.
    pub event_retry_delays: Vec<Duration>,
    /// Bot events the app subscribed to (Event Subscriptions). Message events
    /// (`message.im`, `message.channels`, `message.groups`) and
    /// `app_home_opened` are only delivered when listed here.
    pub event_subscriptions: Vec<String>,
    /// Where the stand-in keeps its state between runs (see [`crate::persist`]): read at start
    /// when the file exists, written while the state changes (at most once a second) and at
    /// stop. `None` keeps everything in memory only.
    pub state_file: Option<PathBuf>,
}

impl StandinConfig {
    /// A configuration with the given app credentials and defaults elsewhere.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        signing_secret: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            signing_secret: signing_secret.into(),
            ..Self::default()
        }
    }
}

impl Default for StandinConfig {
    fn default() -> Self {
        Self {
            client_id: format!("{}.{}", ids::digits(10), ids::digits(12)),
            client_secret: ids::hex_string(32),
            signing_secret: ids::hex_string(32),
            app_id: ids::object_id('A'),
            app_name: "Latch".to_owned(),
            redirect_urls: Vec::new(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            events_url: None,
            consent: ConsentMode::Interactive,
            enforce_rate_limits: true,
            oauth_code_ttl: Duration::from_secs(600),
            trigger_ttl: Duration::from_secs(3),
            response_url_ttl: Duration::from_secs(30 * 60),
            ack_timeout: Duration::from_secs(3),
            event_retry_delays: vec![
                Duration::ZERO,
                Duration::from_secs(1),
                Duration::from_secs(2),
            ],
            event_subscriptions: crate::state::DEFAULT_EVENT_SUBSCRIPTIONS
                .iter()
                .map(|e| (*e).to_owned())
                .collect(),
            state_file: None,
        }
    }
}
