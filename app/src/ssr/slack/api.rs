//! The one way Latch talks to Slack's Web API. Every call is bounded by a timeout, follows no
//! redirects, maps `{"ok":false,"error":…}` to [`SlackError::Api`] with Slack's code, retries once
//! after a short `429 Retry-After`, and never logs a token, a webhook URL or a response body.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// The longest `Retry-After` we wait out inside an admin's request before giving up.
const MAX_INLINE_RETRY_AFTER: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// Slack answered `ok:false`; the code is Slack's (`invalid_code`, `channel_not_found`…).
    #[error("Slack answered with the error {0}")]
    Api(String),
    #[error("Slack did not answer in time")]
    Timeout,
    #[error("Slack could not be reached")]
    Unreachable,
    #[error("Slack is rate limiting Latch; try again in {0} seconds")]
    RateLimited(u64),
    #[error("Slack answered with HTTP status {0}")]
    Http(u16),
    #[error("Slack's answer could not be read")]
    BadResponse,
}

impl SlackError {
    /// A short, stable code for redirects and logs (Slack's own code for `Api`).
    pub fn code(&self) -> String {
        match self {
            SlackError::Api(code) => code.clone(),
            SlackError::Timeout => "timeout".into(),
            SlackError::Unreachable => "unreachable".into(),
            SlackError::RateLimited(_) => "ratelimited".into(),
            SlackError::Http(status) => format!("http_{status}"),
            SlackError::BadResponse => "bad_response".into(),
        }
    }
}

fn from_reqwest(error: &reqwest::Error) -> SlackError {
    if error.is_timeout() {
        SlackError::Timeout
    } else if error.is_decode() || error.is_body() {
        SlackError::BadResponse
    } else {
        SlackError::Unreachable
    }
}

/// `oauth.v2.access`'s answer, with the fields Latch keeps (Grid installs have `team: null`).
#[derive(Debug, Clone, Deserialize)]
pub struct OAuthAccess {
    pub access_token: Option<String>,
    #[serde(default)]
    pub scope: String,
    pub bot_user_id: Option<String>,
    #[serde(default)]
    pub app_id: String,
    pub team: Option<NamedId>,
    pub enterprise: Option<NamedId>,
    #[serde(default)]
    pub is_enterprise_install: bool,
    pub authed_user: Option<AuthedUser>,
    pub incoming_webhook: Option<IncomingWebhook>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NamedId {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthedUser {
    pub id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IncomingWebhook {
    #[serde(default)]
    pub channel: String,
    pub channel_id: Option<String>,
    pub url: String,
}

#[derive(Clone)]
pub struct SlackApi {
    http: reqwest::Client,
    base: String,
}

impl SlackApi {
    pub fn new(base: &str, timeout: Duration) -> Result<SlackApi, SlackError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| SlackError::Unreachable)?;
        Ok(SlackApi {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    fn url(&self, method: &str) -> String {
        format!("{}/{method}", self.base)
    }

    /// Exchanges an OAuth code (client credentials in HTTP Basic, as Slack prefers).
    pub async fn oauth_v2_access(
        &self,
        client_id: &str,
        client_secret: &str,
        code: &str,
        redirect_uri: &str,
    ) -> Result<OAuthAccess, SlackError> {
        let request = self
            .http
            .post(self.url("oauth.v2.access"))
            .basic_auth(client_id, Some(client_secret))
            .form(&[
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("grant_type", "authorization_code"),
            ]);
        let body = self.send("oauth.v2.access", request).await?;
        serde_json::from_value(body).map_err(|_| SlackError::BadResponse)
    }

    /// `auth.revoke` for a bot token.
    pub async fn auth_revoke(&self, token: &str) -> Result<(), SlackError> {
        let request = self
            .http
            .post(self.url("auth.revoke"))
            .bearer_auth(token)
            .form(&[("test", "false")]);
        self.send("auth.revoke", request).await.map(|_| ())
    }

    /// `chat.postMessage` with a plain text body; returns the message `ts`.
    pub async fn post_message(
        &self,
        token: &str,
        channel: &str,
        text: &str,
    ) -> Result<String, SlackError> {
        let body = serde_json::json!({ "channel": channel, "text": text });
        let request = self
            .http
            .post(self.url("chat.postMessage"))
            .bearer_auth(token)
            .json(&body);
        let answer = self.send("chat.postMessage", request).await?;
        Ok(answer
            .get("ts")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }

    /// Sends a request, retrying once after a short 429, and returns the `ok:true` body.
    async fn send(
        &self,
        method: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, SlackError> {
        let retry = request.try_clone();
        let response = request.send().await.map_err(|e| self.failed(method, &e))?;
        let response = match (response.status().as_u16(), retry) {
            (429, Some(retry)) => {
                let wait = retry_after(&response);
                if wait > MAX_INLINE_RETRY_AFTER {
                    tracing::warn!(
                        method,
                        retry_after_s = wait.as_secs(),
                        "Slack is rate limiting"
                    );
                    return Err(SlackError::RateLimited(wait.as_secs()));
                }
                tokio::time::sleep(wait).await;
                retry.send().await.map_err(|e| self.failed(method, &e))?
            }
            _ => response,
        };
        let status = response.status().as_u16();
        if status == 429 {
            return Err(SlackError::RateLimited(retry_after(&response).as_secs()));
        }
        if status != 200 {
            tracing::warn!(method, status, "Slack answered with an HTTP error");
            return Err(SlackError::Http(status));
        }
        let body: Value = response.json().await.map_err(|e| self.failed(method, &e))?;
        if body.get("ok").and_then(Value::as_bool) == Some(true) {
            Ok(body)
        } else {
            let code = body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown_error")
                .to_string();
            tracing::info!(method, error = %code, "Slack answered ok:false");
            Err(SlackError::Api(code))
        }
    }

    fn failed(&self, method: &str, error: &reqwest::Error) -> SlackError {
        let mapped = from_reqwest(error);
        // The reqwest error itself is not logged: its text can carry a URL with secrets in it.
        tracing::warn!(method, error = %mapped, "calling Slack failed");
        mapped
    }
}

fn retry_after(response: &reqwest::Response) -> Duration {
    let secs = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(secs)
}
