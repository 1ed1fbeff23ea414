//! Slack's HTTP entry points: the start of "Add to Slack", the OAuth callback, and the Events API
//! endpoint. The logic lives in `app::ssr::slack`; these adapters only deal with HTTP.
//!
//! `/slack/…` is public in the guard (Slack calls the events URL without a session), so the
//! install and callback handlers check for a signed-in Super Admin themselves.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use app::session::CurrentUser;
use app::ssr::AppState;
use app::ssr::slack::events::{self, EventReply};
use app::ssr::slack::oauth::{self, BeginError, CallbackFailure, CallbackParams};

use crate::http::guard::{error_page, urlencode};

/// Where every outcome of the install flow lands.
const SETTINGS_PAGE: &str = "/admin/settings/notifications";

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn back_to_settings(query: &str) -> Response {
    no_store(Redirect::to(&format!("{SETTINGS_PAGE}?{query}#slack")).into_response())
}

/// The signed-in Super Admin and their session id, or the response to send instead.
fn admin(
    user: Option<Extension<CurrentUser>>,
    session: &Session,
) -> Result<(CurrentUser, String), Box<Response>> {
    let Some(Extension(user)) = user else {
        let target = format!("/login?next={}", urlencode(SETTINGS_PAGE));
        return Err(Box::new(no_store(Redirect::to(&target).into_response())));
    };
    if !user.is_super_admin() {
        return Err(Box::new(error_page(StatusCode::FORBIDDEN)));
    }
    let Some(id) = session.id() else {
        return Err(Box::new(error_page(StatusCode::UNAUTHORIZED)));
    };
    Ok((user, id.to_string()))
}

#[derive(Debug, serde::Deserialize)]
pub struct InstallParams {
    team: Option<String>,
}

/// `GET /slack/install`: the Add to Slack button. Sends the browser to Slack's authorize URL.
pub async fn install(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    session: Session,
    Query(params): Query<InstallParams>,
) -> Response {
    let (user, session_id) = match admin(user, &session) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    match oauth::begin(&state, &user, &session_id, params.team.as_deref()).await {
        Ok(url) => no_store(Redirect::to(&url).into_response()),
        Err(BeginError::NotConfigured) => back_to_settings("slack_error=not_configured"),
        Err(BeginError::Db(error)) => {
            tracing::error!(%error, "could not start a Slack install");
            error_page(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// `GET /slack/oauth/callback`: Slack sends the admin back here with `code` (or `error`) and
/// `state`. Every outcome returns to Settings > Notifications with a message.
pub async fn callback(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    session: Session,
    Query(params): Query<CallbackParams>,
) -> Response {
    let (user, session_id) = match admin(user, &session) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    match oauth::complete(&state, &user, &session_id, &params).await {
        Ok(_) => back_to_settings("slack=connected"),
        Err(failure) => {
            tracing::info!(
                reason = failure.code(),
                user_id = user.id,
                "Slack install did not complete"
            );
            match &failure {
                CallbackFailure::Slack(code) => back_to_settings(&format!(
                    "slack_error={}&code={}",
                    failure.code(),
                    urlencode(code)
                )),
                _ => back_to_settings(&format!("slack_error={}", failure.code())),
            }
        }
    }
}

/// `POST /slack/events`: the Events API request URL.
pub async fn events(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let reply = events::handle(
        &state,
        header_str("x-slack-request-timestamp"),
        header_str("x-slack-signature"),
        &body,
        now,
    )
    .await;
    match reply {
        EventReply::Challenge(challenge) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            challenge,
        )
            .into_response(),
        EventReply::Ack => StatusCode::OK.into_response(),
        EventReply::Unauthorized(_) => {
            (StatusCode::UNAUTHORIZED, "invalid signature").into_response()
        }
        EventReply::BadRequest => (StatusCode::BAD_REQUEST, "bad request").into_response(),
        EventReply::Failed => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
