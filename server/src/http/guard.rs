//! Per-request identity and access gate.
//!
//! Runs inside the session layer: it resolves the signed-in account once (a suspended or deleted
//! account is signed out on the spot), sends signed-out visitors of console pages to the login
//! page with a way back, answers 403 on admin pages for non-admins (the page itself renders the
//! explanation inside the layout), and refuses cross-site form posts.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use app::error::{AppError, OrInternal};
use app::session::CurrentUser;
use app::ssr::auth::SESSION_USER_KEY;
use app::ssr::{AppState, users};

/// Paths anyone may reach without signing in.
fn is_public(path: &str) -> bool {
    const EXACT: &[&str] = &["/login", "/setup", "/healthz", "/favicon.svg"];
    const PREFIXES: &[&str] = &["/auth/", "/pkg/", "/api/", "/slack/"];
    EXACT.contains(&path) || PREFIXES.iter().any(|p| path.starts_with(p))
}

pub async fn guard(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    // The automation API's only credential is its bearer token (`http::api_v1`): no session is
    // loaded there, so a browser's cookie authorises nothing and a cross-site post has nothing
    // to ride on.
    if is_api_v1(request.uri().path()) {
        return next.run(request).await;
    }
    if !same_origin(&request, state.public_url.as_str()) {
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }

    let user = match resolve_user(&state, &session).await {
        Ok(user) => user,
        // A server function's caller reads the error as JSON (the console shows its id).
        Err(error) if request.uri().path().starts_with("/api/") => {
            return server_fn_error(&error);
        }
        Err(error) => return error.into_response(),
    };
    if let Some(user) = &user {
        request.extensions_mut().insert(user.clone());
    }

    let path = request.uri().path().to_string();
    let is_page = matches!(*request.method(), Method::GET | Method::HEAD) && !is_public(&path);
    if is_page && user.is_none() {
        let back = request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        let target = if back == "/" {
            "/login".to_string()
        } else {
            format!("/login?next={}", urlencode(back))
        };
        return Redirect::to(&target).into_response();
    }
    if path == "/login" && user.is_some() && request.method() == Method::GET {
        return Redirect::to("/").into_response();
    }

    let forbidden =
        path.starts_with("/admin") && user.as_ref().is_some_and(|u| !u.is_super_admin());
    let mut response = next.run(request).await;
    if forbidden {
        *response.status_mut() = StatusCode::FORBIDDEN;
    }
    response
}

/// `/api/v1` and everything below it.
fn is_api_v1(path: &str) -> bool {
    path.strip_prefix(super::api_v1::PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

async fn resolve_user(
    state: &AppState,
    session: &Session,
) -> Result<Option<CurrentUser>, AppError> {
    const LOADING: &str = "could not load the signed-in account";
    let id: Option<i64> = session.get(SESSION_USER_KEY).await.or_internal(LOADING)?;
    let Some(id) = id else { return Ok(None) };
    match users::find_by_id(&state.db, id)
        .await
        .or_internal(LOADING)?
    {
        Some(account) if account.active => Ok(Some(account.user)),
        _ => {
            session.flush().await.or_internal(LOADING)?;
            Ok(None)
        }
    }
}

/// State-changing requests that carry an `Origin` must come from our own origin. Browsers send
/// it on cross-site form posts; SameSite=Lax cookies are the first line, this is the second.
fn same_origin(request: &Request, public_url: &str) -> bool {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return true;
    }
    let Some(origin) = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    else {
        return true;
    };
    if origin == public_url {
        return true;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        == Some(host)
}

pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// An error answered as a server function answers it: its status and its JSON.
fn server_fn_error(error: &AppError) -> Response {
    use leptos::server_fn::error::FromServerFnError;
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        error.ser(),
    )
        .into_response()
}

/// Turns a panic in a handler into the generic 500 page (with the request id to quote); the panic
/// message goes to the log only.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    app::error::internal_because(&format!("handler panicked: {detail}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_versioned_api_is_left_to_its_bearer_tokens() {
        for path in ["/api/v1", "/api/v1/requests", "/api/v1/openapi.json"] {
            assert!(is_api_v1(path), "{path}");
        }
        for path in [
            "/api/v10/x",
            "/api/requests/create",
            "/api/v",
            "/admin/api/v1",
        ] {
            assert!(!is_api_v1(path), "{path}");
        }
    }

    #[test]
    fn sign_in_assets_and_health_are_public_and_console_pages_are_not() {
        for path in [
            "/login",
            "/setup",
            "/healthz",
            "/pkg/latch.js",
            "/auth/login",
            "/api/x",
        ] {
            assert!(is_public(path), "{path}");
        }
        for path in [
            "/",
            "/requests",
            "/admin/settings",
            "/loginx",
            "/admin/settings/notifications",
        ] {
            assert!(!is_public(path), "{path}");
        }
    }
}
