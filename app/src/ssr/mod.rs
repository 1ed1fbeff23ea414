//! Server-only code: storage, authentication and the state server functions read.
//! Compiled only with the `ssr` feature, so none of it reaches the browser bundle.

pub mod access;
pub mod api_tokens;
pub mod auth;
pub mod clock;
pub mod db;
pub mod flows;
pub mod lease;
pub mod markdown;
pub mod passwords;
pub mod read;
pub mod secret_key;
pub mod setup;
pub mod slack;
pub mod throttle;
pub mod users;

use leptos::config::LeptosOptions;
use leptos::prelude::*;

use crate::error::AppError;
pub use db::{Db, Engine};

/// Everything a request handler or server function needs, shared by the whole process.
#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    /// External base URL without a trailing slash, e.g. `https://latch.example.com`.
    pub public_url: PublicUrl,
    /// Slack settings, the secret sealer and the Web API client.
    pub slack: std::sync::Arc<slack::Slack>,
}

/// The external base URL, without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn new(url: &str) -> PublicUrl {
        PublicUrl(url.trim_end_matches('/').to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An absolute URL for a path of ours (`path` starts with `/`).
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.0, path)
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

/// The process state, from inside a server function or a page rendered on the server.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>()
        .ok_or_else(|| crate::error::internal_because("AppState missing from the Leptos context"))
}

/// Logs an unexpected failure with its cause chain and the request id, and returns the opaque
/// error the browser sees, carrying that id (`crate::error::internal`).
pub fn internal(err: impl std::error::Error) -> AppError {
    crate::error::internal(&err)
}
