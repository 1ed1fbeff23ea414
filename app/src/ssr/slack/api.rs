//! The one way Latch talks to Slack's Web API: a thin typed wrapper over slack-morphism's
//! `SlackClient`, one method per Web API method Latch calls, each taking and returning the
//! crate's models (or our own where the crate lacks a method or a field; ARCHITECTURE.md lists
//! those gaps).
//!
//! Every call is bounded by the configured timeout (hyper's client has none of its own), follows
//! no redirects (hyper never does; a 3xx is an HTTP error), maps `{"ok":false,"error":…}` to
//! [`SlackError::Api`] with Slack's code, surfaces a 429's `Retry-After` as
//! [`SlackError::RateLimited`] after retrying once when the wait is short, and never logs a token,
//! a webhook URL or a response body (slack-morphism's errors carry the body, so they are mapped to
//! [`SlackError`] and only that is logged).
//!
//! One connector type serves production and tests: rustls with Mozilla's roots, HTTPS or plain
//! HTTP (the stand-in listens on `http://127.0.0.1`), HTTP/1.1 and HTTP/2.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::{
    SlackApiChatPostEphemeralRequest, SlackApiChatPostMessageRequest,
    SlackApiChatPostMessageResponse, SlackApiChatUpdateRequest, SlackApiChatUpdateResponse,
    SlackApiConversationsCreateRequest, SlackApiConversationsCreateResponse,
    SlackApiConversationsJoinRequest, SlackApiConversationsJoinResponse,
    SlackApiConversationsListRequest, SlackApiConversationsListResponse,
    SlackApiConversationsOpenRequest, SlackApiConversationsOpenResponse,
    SlackApiConversationsSetPurposeRequest, SlackApiPinsAddRequest,
    SlackApiPostWebhookMessageRequest, SlackApiUsersInfoRequest, SlackApiUsersInfoResponse,
    SlackApiUsersLookupByEmailRequest, SlackApiUsersLookupByEmailResponse,
    SlackApiViewsOpenRequest, SlackApiViewsOpenResponse, SlackApiViewsPublishRequest,
    SlackApiViewsPublishResponse, SlackApiViewsUpdateRequest, SlackApiViewsUpdateResponse,
    SlackBasicChannelInfo, SlackClientHyperConnector, SlackClientHyperHttpsConnector,
    SlackMessageContent, SlackResponseUrl,
};
use slack_morphism::{SlackApiToken, SlackApiTokenValue, SlackClient, SlackTs};

/// The crate whose models the wrapper's methods take and return, for callers building requests.
pub use slack_morphism;

/// The longest `Retry-After` we wait out inside an admin's request before giving up.
const MAX_INLINE_RETRY_AFTER: Duration = Duration::from_secs(3);

/// What a 429 without a usable `Retry-After` is taken to ask for.
const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

/// The connector behind every Slack call, in production and in tests alike.
pub type SlackHttpsConnector = SlackClientHyperHttpsConnector;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// Slack answered `ok:false`; the code is Slack's (`invalid_code`, `channel_not_found`…).
    #[error("Slack answered with the error {0}")]
    Api(String),
    #[error("Slack did not answer in time")]
    Timeout,
    #[error("Slack could not be reached")]
    Unreachable,
    /// HTTP 429; the seconds are Slack's `Retry-After`.
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

/// Maps slack-morphism's error to ours. The crate's errors carry Slack's response body (an
/// `oauth.v2.access` body holds tokens), so they are never logged or kept.
fn from_client_error(error: &SlackClientError) -> SlackError {
    match error {
        SlackClientError::ApiError(api) => SlackError::Api(api.code.clone()),
        SlackClientError::RateLimitError(limit) => SlackError::RateLimited(
            limit
                .retry_after
                .map_or(DEFAULT_RETRY_AFTER_SECS, |wait| wait.as_secs()),
        ),
        SlackClientError::HttpError(http) => SlackError::Http(http.status_code.as_u16()),
        SlackClientError::ProtocolError(_) => SlackError::BadResponse,
        SlackClientError::HttpProtocolError(_)
        | SlackClientError::EndOfStream(_)
        | SlackClientError::SystemError(_)
        | SlackClientError::SocketModeProtocolError(_) => SlackError::Unreachable,
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

/// `auth.revoke`'s arguments (not modelled by slack-morphism). `test: None` revokes for real.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuthRevokeRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<bool>,
}

/// `auth.revoke`'s answer.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthRevokeResponse {
    #[serde(default)]
    pub revoked: bool,
}

/// `chat.postEphemeral`'s answer: slack-morphism's response type is empty and drops `message_ts`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatPostEphemeralResponse {
    pub message_ts: SlackTs,
}

/// `conversations.history`'s answer, as far as delivery reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct ConversationsHistory {
    #[serde(default)]
    pub messages: Vec<HistoryMessage>,
    #[serde(default)]
    pub has_more: bool,
    pub response_metadata: Option<HistoryPaging>,
}

/// One message of a history page: its `ts` and its metadata, if any.
#[derive(Debug, Clone, Deserialize)]
pub struct HistoryMessage {
    pub ts: String,
    pub metadata: Option<HistoryMetadata>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HistoryMetadata {
    #[serde(default)]
    pub event_type: String,
    pub event_payload: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HistoryPaging {
    #[serde(default)]
    pub next_cursor: String,
}

/// `conversations.invite` with `force`: `users` is Slack's comma-separated list (at most 100).
#[derive(Debug, Clone, Serialize)]
pub struct ConversationsInviteRequest {
    pub channel: String,
    pub users: String,
    pub force: bool,
}

/// `conversations.invite`'s answer: the people skipped under `force`, with Slack's reason each.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConversationsInviteResponse {
    #[serde(default)]
    pub errors: Vec<InviteFailure>,
}

/// One person `conversations.invite` skipped (`already_in_channel`, `cant_invite`…).
#[derive(Debug, Clone, Deserialize)]
pub struct InviteFailure {
    pub user: String,
    pub error: String,
}

#[derive(Clone)]
pub struct SlackApi {
    client: Arc<SlackClient<SlackHttpsConnector>>,
    /// Only for `oauth.v2.access` (see [`SlackApi::oauth_v2_access`]).
    oauth_http: reqwest::Client,
    base: String,
    timeout: Duration,
}

impl std::fmt::Debug for SlackApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackApi")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// rustls on ring (named, so no process-wide provider is guessed), Mozilla's roots, `https://` or
/// plain `http://`, HTTP/1.1 or HTTP/2 as the server offers.
fn connector(base: &str) -> Result<SlackHttpsConnector, SlackError> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))
        .map_err(|_| SlackError::Unreachable)?
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    Ok(SlackClientHyperConnector::with_connector(https).with_slack_api_url(base))
}

impl SlackApi {
    /// `base` is the Web API root (`https://slack.com/api`, or the stand-in's).
    pub fn new(base: &str, timeout: Duration) -> Result<SlackApi, SlackError> {
        let base = base.trim_end_matches('/').to_string();
        let oauth_http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| SlackError::Unreachable)?;
        Ok(SlackApi {
            client: Arc::new(SlackClient::new(connector(&base)?)),
            oauth_http,
            base,
            timeout,
        })
    }

    /// Exchanges an OAuth code: a form POST with the client credentials in HTTP Basic, as Slack
    /// prefers. Not through slack-morphism: its typed `oauth2_access` requires `team` and a
    /// top-level `access_token` (org-wide installs have `team: null`), and its generic
    /// client-secret call is a GET carrying the code in a URL the crate logs at debug level.
    pub async fn oauth_v2_access(
        &self,
        client_id: &str,
        client_secret: &str,
        code: &str,
        redirect_uri: &str,
    ) -> Result<OAuthAccess, SlackError> {
        let request = self
            .oauth_http
            .post(format!("{}/oauth.v2.access", self.base))
            .basic_auth(client_id, Some(client_secret))
            .form(&[
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("grant_type", "authorization_code"),
            ]);
        let body = self.send_form("oauth.v2.access", request).await?;
        serde_json::from_value(body).map_err(|_| SlackError::BadResponse)
    }

    /// `auth.revoke` (not in slack-morphism: through its generic POST).
    pub async fn auth_revoke(
        &self,
        token: &str,
        request: &AuthRevokeRequest,
    ) -> Result<AuthRevokeResponse, SlackError> {
        let token = api_token(token);
        self.call("auth.revoke", || async {
            self.client
                .open_session(&token)
                .http_session_api
                .http_post("auth.revoke", request, None)
                .await
        })
        .await
    }

    /// `chat.postMessage`.
    pub async fn chat_post_message(
        &self,
        token: &str,
        request: &SlackApiChatPostMessageRequest,
    ) -> Result<SlackApiChatPostMessageResponse, SlackError> {
        let token = api_token(token);
        self.call("chat.postMessage", || async {
            self.client
                .open_session(&token)
                .chat_post_message(request)
                .await
        })
        .await
    }

    /// `chat.update`.
    pub async fn chat_update(
        &self,
        token: &str,
        request: &SlackApiChatUpdateRequest,
    ) -> Result<SlackApiChatUpdateResponse, SlackError> {
        let token = api_token(token);
        self.call("chat.update", || async {
            self.client.open_session(&token).chat_update(request).await
        })
        .await
    }

    /// `chat.postEphemeral`, through the generic POST for the `message_ts` the crate drops.
    pub async fn chat_post_ephemeral(
        &self,
        token: &str,
        request: &SlackApiChatPostEphemeralRequest,
    ) -> Result<ChatPostEphemeralResponse, SlackError> {
        let token = api_token(token);
        self.call("chat.postEphemeral", || async {
            self.client
                .open_session(&token)
                .http_session_api
                .http_post("chat.postEphemeral", request, None)
                .await
        })
        .await
    }

    /// Answers through a `response_url` (slash commands, message actions): slack-morphism's
    /// `respond_to_event`, under the same timeout. The URL authorises posting by itself, so it is
    /// never logged (the crate marks it sensitive too); a URL that does not parse is
    /// `BadResponse`.
    pub async fn respond(
        &self,
        response_url: &str,
        request: &SlackApiPostWebhookMessageRequest,
    ) -> Result<(), SlackError> {
        let url = url::Url::parse(response_url).map_err(|_| SlackError::BadResponse)?;
        let url = SlackResponseUrl::new(url);
        self.call("response_url", || async {
            self.client.respond_to_event(&url, request).await
        })
        .await
        .map(|_| ())
    }

    /// A plain-text answer through a `response_url` (ephemeral: Slack's default).
    pub async fn respond_text(&self, response_url: &str, text: &str) -> Result<(), SlackError> {
        let content = SlackMessageContent::new().with_text(text.to_owned());
        self.respond(
            response_url,
            &SlackApiPostWebhookMessageRequest::new(content),
        )
        .await
    }

    /// `views.open`.
    pub async fn views_open(
        &self,
        token: &str,
        request: &SlackApiViewsOpenRequest,
    ) -> Result<SlackApiViewsOpenResponse, SlackError> {
        let token = api_token(token);
        // Never retried: the trigger is dead by the time a 429's wait is over.
        self.call_with("views.open", false, || async {
            self.client.open_session(&token).views_open(request).await
        })
        .await
    }

    /// `views.update`; pass the view's last `hash` so a concurrent change answers `hash_conflict`.
    pub async fn views_update(
        &self,
        token: &str,
        request: &SlackApiViewsUpdateRequest,
    ) -> Result<SlackApiViewsUpdateResponse, SlackError> {
        let token = api_token(token);
        self.call("views.update", || async {
            self.client.open_session(&token).views_update(request).await
        })
        .await
    }

    /// `views.publish` (a person's App Home).
    pub async fn views_publish(
        &self,
        token: &str,
        request: &SlackApiViewsPublishRequest,
    ) -> Result<SlackApiViewsPublishResponse, SlackError> {
        let token = api_token(token);
        self.call("views.publish", || async {
            self.client
                .open_session(&token)
                .views_publish(request)
                .await
        })
        .await
    }

    /// `users.lookupByEmail`; an unknown address is `Api("users_not_found")`.
    pub async fn users_lookup_by_email(
        &self,
        token: &str,
        request: &SlackApiUsersLookupByEmailRequest,
    ) -> Result<SlackApiUsersLookupByEmailResponse, SlackError> {
        let token = api_token(token);
        self.call("users.lookupByEmail", || async {
            self.client
                .open_session(&token)
                .users_lookup_by_email(request)
                .await
        })
        .await
    }

    /// `users.info`.
    pub async fn users_info(
        &self,
        token: &str,
        request: &SlackApiUsersInfoRequest,
    ) -> Result<SlackApiUsersInfoResponse, SlackError> {
        let token = api_token(token);
        self.call("users.info", || async {
            self.client.open_session(&token).users_info(request).await
        })
        .await
    }

    /// `conversations.open` (a DM with one person, or a group DM).
    pub async fn conversations_open(
        &self,
        token: &str,
        request: &SlackApiConversationsOpenRequest,
    ) -> Result<SlackApiConversationsOpenResponse<SlackBasicChannelInfo>, SlackError> {
        let token = api_token(token);
        self.call("conversations.open", || async {
            self.client
                .open_session(&token)
                .conversations_open(request)
                .await
        })
        .await
    }

    /// `conversations.history` of one conversation, with every message's metadata
    /// (`include_all_metadata`); `oldest` bounds it (exclusive), `cursor` pages. Through the
    /// generic GET with our own answer type: only `ts` and `metadata` are read, so a message
    /// shape slack-morphism's strict `SlackHistoryMessage` does not know cannot fail the call.
    pub async fn conversations_history(
        &self,
        token: &str,
        channel: &str,
        oldest: Option<&str>,
        cursor: Option<&str>,
        limit: u16,
    ) -> Result<ConversationsHistory, SlackError> {
        let token = api_token(token);
        let limit = limit.to_string();
        let params = vec![
            ("channel", Some(channel)),
            ("oldest", oldest),
            ("cursor", cursor),
            ("limit", Some(limit.as_str())),
            ("include_all_metadata", Some("true")),
        ];
        self.call("conversations.history", || async {
            self.client
                .open_session(&token)
                .http_session_api
                .http_get("conversations.history", &params, None)
                .await
        })
        .await
    }

    /// `conversations.replies` of the thread of message `ts` in `channel` (its parent first, then
    /// the replies), with every message's metadata (`include_all_metadata`); `oldest` bounds the
    /// replies (exclusive), `cursor` pages. Answered in the same shape as
    /// [`SlackApi::conversations_history`] (only `ts` and `metadata` are read).
    pub async fn conversations_replies(
        &self,
        token: &str,
        channel: &str,
        ts: &str,
        oldest: Option<&str>,
        cursor: Option<&str>,
        limit: u16,
    ) -> Result<ConversationsHistory, SlackError> {
        let token = api_token(token);
        let limit = limit.to_string();
        let params = vec![
            ("channel", Some(channel)),
            ("ts", Some(ts)),
            ("oldest", oldest),
            ("cursor", cursor),
            ("limit", Some(limit.as_str())),
            ("include_all_metadata", Some("true")),
        ];
        self.call("conversations.replies", || async {
            self.client
                .open_session(&token)
                .http_session_api
                .http_get("conversations.replies", &params, None)
                .await
        })
        .await
    }

    /// `conversations.list`, one page (`cursor` from the previous page's
    /// `response_metadata.next_cursor`).
    pub async fn conversations_list(
        &self,
        token: &str,
        request: &SlackApiConversationsListRequest,
    ) -> Result<SlackApiConversationsListResponse, SlackError> {
        let token = api_token(token);
        self.call("conversations.list", || async {
            self.client
                .open_session(&token)
                .conversations_list(request)
                .await
        })
        .await
    }

    /// `conversations.create` (a private channel with `is_private`).
    pub async fn conversations_create(
        &self,
        token: &str,
        request: &SlackApiConversationsCreateRequest,
    ) -> Result<SlackApiConversationsCreateResponse, SlackError> {
        let token = api_token(token);
        self.call("conversations.create", || async {
            self.client
                .open_session(&token)
                .conversations_create(request)
                .await
        })
        .await
    }

    /// `conversations.join` (public channels only: Slack answers
    /// `method_not_supported_for_channel_type` for a private one).
    pub async fn conversations_join(
        &self,
        token: &str,
        request: &SlackApiConversationsJoinRequest,
    ) -> Result<SlackApiConversationsJoinResponse, SlackError> {
        let token = api_token(token);
        self.call("conversations.join", || async {
            self.client
                .open_session(&token)
                .conversations_join(request)
                .await
        })
        .await
    }

    /// `conversations.setPurpose` (at most 250 characters, else `too_long`).
    pub async fn conversations_set_purpose(
        &self,
        token: &str,
        request: &SlackApiConversationsSetPurposeRequest,
    ) -> Result<(), SlackError> {
        let token = api_token(token);
        self.call("conversations.setPurpose", || async {
            self.client
                .open_session(&token)
                .conversations_set_purpose(request)
                .await
                .map(|_| ())
        })
        .await
    }

    /// `conversations.invite` with `force` (the valid people are invited, the others come back in
    /// `errors`): through the generic POST, since slack-morphism's request has no `force` and its
    /// answer drops `errors`. Every person failing is `Api` with the first one's code.
    pub async fn conversations_invite(
        &self,
        token: &str,
        request: &ConversationsInviteRequest,
    ) -> Result<ConversationsInviteResponse, SlackError> {
        let token = api_token(token);
        self.call("conversations.invite", || async {
            self.client
                .open_session(&token)
                .http_session_api
                .http_post("conversations.invite", request, None)
                .await
        })
        .await
    }

    /// `pins.add` (`already_pinned` when it is).
    pub async fn pins_add(
        &self,
        token: &str,
        request: &SlackApiPinsAddRequest,
    ) -> Result<(), SlackError> {
        let token = api_token(token);
        self.call("pins.add", || async {
            self.client
                .open_session(&token)
                .pins_add(request)
                .await
                .map(|_| ())
        })
        .await
    }

    /// Runs one Web API call under the timeout, retrying once after a 429 whose `Retry-After` is
    /// short enough to wait out inline. Logs the method and our error code, nothing more.
    async fn call<T, Attempt, Fut>(
        &self,
        method: &'static str,
        attempt: Attempt,
    ) -> Result<T, SlackError>
    where
        Attempt: Fn() -> Fut,
        Fut: Future<Output = Result<T, SlackClientError>>,
    {
        self.call_with(method, true, attempt).await
    }

    /// [`Self::call`], retrying a short 429 only when `retry_rate_limited`.
    async fn call_with<T, Attempt, Fut>(
        &self,
        method: &'static str,
        retry_rate_limited: bool,
        attempt: Attempt,
    ) -> Result<T, SlackError>
    where
        Attempt: Fn() -> Fut,
        Fut: Future<Output = Result<T, SlackClientError>>,
    {
        let mut retried = !retry_rate_limited;
        loop {
            let error = match tokio::time::timeout(self.timeout, attempt()).await {
                Ok(Ok(answer)) => return Ok(answer),
                Ok(Err(error)) => from_client_error(&error),
                Err(_) => SlackError::Timeout,
            };
            match error {
                SlackError::RateLimited(secs)
                    if !retried && Duration::from_secs(secs) <= MAX_INLINE_RETRY_AFTER =>
                {
                    retried = true;
                    tokio::time::sleep(Duration::from_secs(secs)).await;
                }
                error => {
                    log_failure(method, &error);
                    return Err(error);
                }
            }
        }
    }

    /// Sends the `oauth.v2.access` form, retrying once after a short 429, and returns the
    /// `ok:true` body.
    async fn send_form(
        &self,
        method: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, SlackError> {
        let retry = request.try_clone();
        let response = request.send().await.map_err(|e| failed(method, &e))?;
        let response = match (response.status().as_u16(), retry) {
            (429, Some(retry)) => {
                let wait = retry_after(&response);
                if wait > MAX_INLINE_RETRY_AFTER {
                    let error = SlackError::RateLimited(wait.as_secs());
                    log_failure(method, &error);
                    return Err(error);
                }
                tokio::time::sleep(wait).await;
                retry.send().await.map_err(|e| failed(method, &e))?
            }
            _ => response,
        };
        let status = response.status().as_u16();
        if status == 429 {
            let error = SlackError::RateLimited(retry_after(&response).as_secs());
            log_failure(method, &error);
            return Err(error);
        }
        if status != 200 {
            let error = SlackError::Http(status);
            log_failure(method, &error);
            return Err(error);
        }
        let body: Value = response.json().await.map_err(|e| failed(method, &e))?;
        if body.get("ok").and_then(Value::as_bool) == Some(true) {
            Ok(body)
        } else {
            let code = body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown_error")
                .to_string();
            let error = SlackError::Api(code);
            log_failure(method, &error);
            Err(error)
        }
    }
}

/// A bot token as slack-morphism carries it (its `Debug` redacts the value).
fn api_token(token: &str) -> SlackApiToken {
    SlackApiToken::new(SlackApiTokenValue::new(token.to_string()))
}

fn log_failure(method: &str, error: &SlackError) {
    match error {
        SlackError::Api(code) => tracing::info!(method, error = %code, "Slack answered ok:false"),
        SlackError::RateLimited(secs) => {
            tracing::warn!(method, retry_after_s = secs, "Slack is rate limiting")
        }
        other => tracing::warn!(method, error = %other, "calling Slack failed"),
    }
}

fn failed(method: &str, error: &reqwest::Error) -> SlackError {
    let mapped = from_reqwest(error);
    // The reqwest error itself is not logged: its text can carry a URL with secrets in it.
    log_failure(method, &mapped);
    mapped
}

fn retry_after(response: &reqwest::Response) -> Duration {
    let secs = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_RETRY_AFTER_SECS);
    Duration::from_secs(secs)
}
