//! The HTTP server: routes and shared runtime state.

use crate::config::StandinConfig;
use crate::state::Shared;
use axum::Router;
use axum::routing::{any, get, post};
use std::sync::Arc;

/// Everything request handlers need.
#[derive(Debug)]
pub struct Core {
    /// The model.
    pub state: Shared,
    /// Static configuration.
    pub config: StandinConfig,
    /// Externally visible base URL, no trailing slash.
    pub base_url: String,
    /// Deprecated verification token put in payloads (`token` field).
    pub verification_token: String,
    /// HTTP client for the driver.
    pub http: reqwest::Client,
}

/// The stand-in's full router.
pub fn router(core: Arc<Core>) -> Router {
    Router::new()
        .route(
            "/oauth/v2/authorize",
            get(crate::oauth::authorize_page).post(crate::oauth::authorize_decision),
        )
        .route("/api/{method}", any(crate::web_api::handle))
        .route(
            "/services/{team}/{bot}/{secret}",
            post(crate::hooks::webhook),
        )
        .route(
            "/commands/{team}/{id}/{secret}",
            post(crate::hooks::response_url),
        )
        .route(
            "/actions/{team}/{id}/{secret}",
            post(crate::hooks::response_url),
        )
        .merge(crate::inspect::router())
        .merge(crate::simulator::router())
        .with_state(core)
}
