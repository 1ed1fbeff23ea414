//! HTTP adapters: the router, plain axum handlers (sign-in forms, health) and middleware.
//! Console pages and server functions come from the `app` crate through leptos_axum.

pub mod api_v1;
pub mod audit_export;
pub mod auth;
pub mod campaign_report;
pub mod client_address;
pub mod guard;
pub mod health;
pub mod request_id;
pub mod slack;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router, middleware};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use app::ssr::AppState;
use app::{App, shell};

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
        .route("/reports/access-review", get(campaign_report::download))
        .route("/slack/install", get(slack::install))
        .route("/slack/oauth/callback", get(slack::callback))
        .route("/slack/events", post(slack::events))
        .route("/slack/commands", post(slack::commands::commands))
        .route(
            "/slack/interactivity",
            post(slack::interactivity::interactivity),
        )
        .route("/slack/options", post(slack::options::options))
        .nest(api_v1::PREFIX, api_v1::router())
        .leptos_routes(&state, routes, move || {
            set_page_policy();
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            |options| {
                set_page_policy();
                shell(options)
            },
        ))
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
        // Outside the panic handler, so its 500 page carries them too. Pages set their own
        // policy, with the nonce of their inline scripts; everything else gets this one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&content_security_policy(None))
                .unwrap_or(HeaderValue::from_static("default-src 'none'")),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &Response| edge.https.then(|| HeaderValue::from_static(HSTS)),
        ))
        .layer(middleware::from_fn(limit_body))
        .layer(middleware::from_fn(request_id::keep_at_hand))
        // Spans carry the path only: query strings hold one-time secrets (setup tokens, OAuth
        // codes and states) that must not reach the logs.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
                tracing::info_span!(
                    "request",
                    request_id = %request_id::of(request),
                    method = %request.method(),
                    path = %request.uri().path()
                )
            }),
        )
        // Outside everything else, so every response, even a 413 or a panic's 500, carries the
        // request's id; a client's own `x-request-id` is dropped before ours is set.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(request_id::RandomRequestId))
        .layer(middleware::from_fn(request_id::drop_client_request_id))
        .with_state(state)
}

/// `Strict-Transport-Security` when the public URL is https: a year, this host only (Latch cannot
/// know whether every subdomain serves https).
const HSTS: &str = "max-age=31536000";

/// The Content-Security-Policy. Scripts come only from this origin, plus the inline ones carrying
/// `nonce` (Leptos puts the response's nonce on its hydration script and on the serialised data
/// it inlines); `'wasm-unsafe-eval'` lets the console's WebAssembly half compile, without allowing
/// JavaScript `eval`. No inline styles (the console uses none), no plugins, no `<base>` rewrites,
/// no framing, forms post only here. Images may also come over https (app instructions are
/// Markdown that may show a picture).
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(nonce) => format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_string(),
    };
    format!(
        "default-src 'self'; {scripts}; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// Sets the page's policy with this response's nonce, from inside a Leptos render (leptos_axum
/// provides a fresh nonce and the response options to every render).
fn set_page_policy() {
    use leptos::prelude::use_context;
    let nonce = leptos::nonce::use_nonce();
    let policy = content_security_policy(nonce.as_deref());
    if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&policy),
    ) {
        options.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The most a request body may carry: axum's default for the plain handlers' extractors, now for
/// everything.
pub const BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// Reads request bodies within [`BODY_LIMIT_BYTES`] before any handler runs. Server functions
/// read their whole body themselves, without a limit, and a failure there is an opaque 500; here
/// an oversized body is refused as what it is, 413, whether its length was declared or not.
async fn limit_body(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT_BYTES as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    match http_body_util::BodyExt::collect(http_body_util::Limited::new(body, BODY_LIMIT_BYTES))
        .await
    {
        Ok(collected) => {
            next.run(Request::from_parts(parts, Body::from(collected.to_bytes())))
                .await
        }
        Err(error) if error.is::<http_body_util::LengthLimitError>() => too_large(),
        Err(error) => {
            tracing::debug!(%error, "could not read a request body");
            (
                StatusCode::BAD_REQUEST,
                "The request body could not be read.",
            )
                .into_response()
        }
    }
}

fn too_large() -> Response {
    (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.").into_response()
}
