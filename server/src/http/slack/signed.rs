//! [`SlackSigned`]: the one way a Slack route reads its request. The body is read within
//! [`SLACK_BODY_LIMIT_BYTES`] and its v0 signature checked (`app::ssr::slack::events::
//! verify_signature`: signing secret, 5-minute window, constant-time compare) before any of it is
//! parsed; a request Slack did not sign is refused with 401, and nothing in it is read, stored or
//! answered. The Events API (JSON) takes it, and so will slash commands, interactivity and
//! options (form-encoded), which is why it yields the raw bytes and the retry headers rather than
//! a parsed payload.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;

use app::ssr::AppState;
use app::ssr::slack::events::{SignatureError, verify_signature};

/// The most a Slack request may carry. Slack's payloads are a few kilobytes; a modal submission
/// with many blocks stays well under this.
pub const SLACK_BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// A request Slack signed with our signing secret, its signature already checked.
#[derive(Debug, Clone)]
pub struct SlackSigned {
    /// The body exactly as signed: JSON for events, form-encoded for commands, interactivity
    /// and options.
    pub body: Bytes,
    /// `X-Slack-Retry-Num`: how many times Slack has retried this delivery (0 on the first).
    pub retry_num: u32,
    /// `X-Slack-Retry-Reason` on a retry (`http_timeout`, `http_error`…).
    pub retry_reason: Option<String>,
}

impl SlackSigned {
    /// The body as JSON of type `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_slice(&self.body)
    }
}

/// Why a request is not taken as Slack's.
#[derive(Debug)]
pub enum SlackRejection {
    /// 413: over [`SLACK_BODY_LIMIT_BYTES`] (checked before the signature).
    TooLarge,
    /// 400: the body could not be read.
    Unreadable,
    /// 401: not signed by Slack with our secret (or no secret is configured).
    Unsigned(SignatureError),
}

impl IntoResponse for SlackRejection {
    fn into_response(self) -> Response {
        match self {
            SlackRejection::TooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.").into_response()
            }
            SlackRejection::Unreadable => (
                StatusCode::BAD_REQUEST,
                "The request body could not be read.",
            )
                .into_response(),
            SlackRejection::Unsigned(_) => {
                (StatusCode::UNAUTHORIZED, "invalid signature").into_response()
            }
        }
    }
}

impl<S> FromRequest<S> for SlackSigned
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = SlackRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let (parts, body) = request.into_parts();
        if declared_length(&parts.headers).is_some_and(|n| n > SLACK_BODY_LIMIT_BYTES as u64) {
            return Err(SlackRejection::TooLarge);
        }
        let body = axum::body::to_bytes(body, SLACK_BODY_LIMIT_BYTES)
            .await
            .map_err(|error| {
                if is_length_limit(&error) {
                    SlackRejection::TooLarge
                } else {
                    tracing::debug!(%error, "could not read a Slack request body");
                    SlackRejection::Unreadable
                }
            })?;

        let Some(secret) = state.slack.config.signing_secret.as_ref() else {
            tracing::warn!("Slack request refused: LATCH_SLACK_SIGNING_SECRET is not set");
            return Err(SlackRejection::Unsigned(SignatureError::NotConfigured));
        };
        let header_text = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let now_secs = time::OffsetDateTime::now_utc().unix_timestamp();
        verify_signature(
            secret.expose_secret(),
            header_text("x-slack-request-timestamp"),
            header_text("x-slack-signature"),
            &body,
            now_secs,
        )
        .map_err(|error| {
            tracing::warn!(?error, "Slack request refused: bad signature");
            SlackRejection::Unsigned(error)
        })?;

        Ok(SlackSigned {
            body,
            retry_num: header_text("x-slack-retry-num")
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0),
            retry_reason: header_text("x-slack-retry-reason").map(str::to_string),
        })
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = cause.source();
    }
    false
}
