//! HTTP adapters: the router, plain axum handlers (sign-in forms, health) and middleware.
//! Console pages and server functions come from the `app` crate through leptos_axum.

pub mod audit_export;
pub mod auth;
pub mod client_address;
pub mod guard;
pub mod health;
pub mod slack;

use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::{middleware, Extension, Router};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use app::ssr::AppState;
use app::{shell, App};

use crate::sessions::SessionStoreKind;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "latch_session";

/// What the HTTP edge takes from the settings.
#[derive(Clone, Debug, Default)]
pub struct EdgeSettings {
    /// The public URL is https: cookies are Secure and browsers are told to stay on https.
    pub https: bool,
    /// `LATCH_TRUSTED_PROXIES`, for the client address the sign-in throttle counts against.
    pub trusted_proxies: client_address::TrustedProxies,
}

pub fn router(state: AppState, sessions: SessionStoreKind, edge: EdgeSettings) -> Router {
    let secure_cookies = edge.https;
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();

    let session_layer = SessionManagerLayer::new(sessions)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::days(7)));

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/setup", post(auth::setup))
        .route("/admin/audit/export", get(audit_export::export))
        .route("/slack/install", get(slack::install))
        .route("/slack/oauth/callback", get(slack::callback))
        .route("/slack/events", post(slack::events))
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        .layer(Extension(std::sync::Arc::new(edge.trusted_proxies)))
        .layer(session_layer)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(CatchPanicLayer::custom(guard::panic_response))
        // Spans carry the path only: query strings hold one-time secrets (setup tokens, OAuth
        // codes and states) that must not reach the logs.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
        }))
        .with_state(state)
}
