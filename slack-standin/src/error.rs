//! Errors returned by the stand-in's Rust API (not Slack API errors: those are
//! `{"ok":false,"error":"…"}` envelopes served over HTTP).

use std::io;

/// An error from the stand-in's library API.
#[derive(Debug, thiserror::Error)]
pub enum StandinError {
    /// Binding or serving the HTTP listener failed.
    #[error("stand-in server I/O error: {0}")]
    Io(#[from] io::Error),
    /// An HTTP request from the driver to the app under test failed before any response.
    #[error("request to the app failed: {0}")]
    Http(#[from] reqwest::Error),
    /// A seeding or driver call referenced something the stand-in does not know.
    #[error("not found: {0}")]
    NotFound(String),
    /// A seeding or driver call was invalid (duplicate name, malformed URL, …).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// JSON encoding or decoding failed.
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}

/// Convenience alias for results of the stand-in's library API.
pub type Result<T, E = StandinError> = std::result::Result<T, E>;
