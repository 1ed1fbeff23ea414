//! Slack's HTTP entry points: the start of "Add to Slack", the OAuth callback, and the Events API
//! endpoint. The logic lives in `app::ssr::slack`; these adapters only deal with HTTP.
//!
//! `/slack/…` is public in the guard (Slack calls the events URL without a session), so the
//! install and callback handlers check for a signed-in Super Admin themselves. Every route Slack
//! calls takes [`SlackSigned`], so its signature is checked before anything in it is read; the
//! OAuth callback is the browser coming back, not Slack calling, and is bound to the admin's
//! session instead.

pub mod commands;
pub mod interactivity;
pub mod options;
pub mod signed;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use app::error::{AppError, OrInternal};
use app::session::CurrentUser;
use app::ssr::AppState;
use app::ssr::slack::events::{self, EventEnvelope};
use app::ssr::slack::oauth::{self, BeginError, CallbackFailure, CallbackParams};

use crate::http::guard::urlencode;
pub use signed::SlackSigned;

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

/// The signed-in Super Admin and their session id; `None` when signed out (they sign in first,
/// see [`to_sign_in`]); 403 for anyone else.
fn admin(
    user: Option<Extension<CurrentUser>>,
    session: &Session,
) -> Result<Option<(CurrentUser, String)>, AppError> {
    let Some(Extension(user)) = user else {
        return Ok(None);
    };
    if !user.is_super_admin() {
        return Err(AppError::Forbidden);
    }
    let Some(id) = session.id() else {
        return Err(AppError::Unauthenticated);
    };
    Ok(Some((user, id.to_string())))
}

/// To the sign-in page, and back to the settings page afterwards.
fn to_sign_in() -> Response {
    let target = format!("/login?next={}", urlencode(SETTINGS_PAGE));
    no_store(Redirect::to(&target).into_response())
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
) -> Result<Response, AppError> {
    let Some((user, session_id)) = admin(user, &session)? else {
        return Ok(to_sign_in());
    };
    match oauth::begin(&state, &user, &session_id, params.team.as_deref()).await {
        Ok(url) => Ok(no_store(Redirect::to(&url).into_response())),
        Err(BeginError::NotConfigured) => Ok(back_to_settings("slack_error=not_configured")),
        Err(BeginError::Db(error)) => Err(error).or_internal("could not start a Slack install"),
    }
}

/// `GET /slack/oauth/callback`: Slack sends the admin back here with `code` (or `error`) and
/// `state`. Every outcome returns to Settings > Notifications with a message.
pub async fn callback(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    session: Session,
    Query(params): Query<CallbackParams>,
) -> Result<Response, AppError> {
    let Some((user, session_id)) = admin(user, &session)? else {
        return Ok(to_sign_in());
    };
    Ok(
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
        },
    )
}

/// `POST /slack/events`: the Events API request URL. The envelope is parsed only once the
/// signature checked out; a failure on our side is a 5xx, so Slack retries the delivery.
pub async fn events(
    State(state): State<AppState>,
    signed: SlackSigned,
) -> Result<Response, AppError> {
    let envelope = match signed.json::<EventEnvelope>() {
        Ok(envelope) => envelope,
        Err(error) => {
            tracing::warn!(%error, "Slack event not understood");
            return Ok((StatusCode::BAD_REQUEST, "bad request").into_response());
        }
    };
    match envelope {
        EventEnvelope::UrlVerification { challenge } => Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            challenge,
        )
            .into_response()),
        EventEnvelope::EventCallback(callback) => {
            events::on_event(&state, &callback).await?;
            Ok(StatusCode::OK.into_response())
        }
        EventEnvelope::Other => Ok(StatusCode::OK.into_response()),
    }
}
