//! The one error type server functions and plain axum handlers return.
//!
//! Messages are written for the person in front of the console. Internal failures carry no
//! detail, only the id of the request that failed: the server logs the cause under that id (see
//! [`internal`]), so whoever quotes the id from the page leads an admin to the log line. The id is
//! the `x-request-id` the response carries too.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::domain::RequestNumber;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    /// 401: no signed-in session.
    #[error("You need to sign in to do that.")]
    Unauthenticated,
    /// 403: signed in, but the role does not allow it.
    #[error("You don't have permission to do that.")]
    Forbidden,
    /// 403: signed in, but a rule forbids this action; the message states the rule ("only the
    /// requester can cancel this request"), so the person knows who can.
    #[error("{0}")]
    NotAllowed(String),
    /// 404: the named thing does not exist (or is not visible to the caller).
    #[error("{0} was not found.")]
    NotFound(String),
    /// 422: the input is wrong; the message says how to fix it.
    #[error("{0}")]
    Invalid(String),
    /// 409: the change conflicts with the current state (already decided, already exists…).
    /// `about` is the request the conflict is about when there is one (the open request a new one
    /// would duplicate, the request that is already closed), so a page can link to it; the
    /// message names it too, as `REQ-<n>`.
    #[error("{message}")]
    Conflict {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<RequestNumber>,
    },
    /// 429: too many attempts; try again later.
    #[error("{0}")]
    TooManyAttempts(String),
    /// 500: something failed on the server. The cause is in the server log, never here; `id` is
    /// the failed request's id, which that log line carries too (none outside a request).
    #[error("{}", internal_message(.id.as_deref()))]
    Internal {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// 400/500: the server-function transport itself failed (bad request encoding, network).
    #[error("{0}")]
    Transport(String),
}

fn internal_message(id: Option<&str>) -> String {
    const GENERIC: &str = "Something went wrong on our side. The details are in the server log.";
    match id {
        Some(id) => format!("{GENERIC} If you report it, quote this id: {id}"),
        None => GENERIC.to_string(),
    }
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::NotAllowed(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Invalid(_) => 422,
            AppError::Conflict { .. } => 409,
            AppError::TooManyAttempts(_) => 429,
            AppError::Internal { .. } => 500,
            AppError::Transport(_) => 400,
        }
    }

    /// A 409 that is about no particular request.
    pub fn conflict(message: impl Into<String>) -> AppError {
        AppError::Conflict {
            message: message.into(),
            about: None,
        }
    }

    /// The request a 409 is about ("there is already an open request REQ-7"), for a link to it.
    pub fn about_request(&self) -> Option<RequestNumber> {
        match self {
            AppError::Conflict { about, .. } => *about,
            _ => None,
        }
    }

    /// The request id to quote for an internal error (the one in the server log).
    pub fn internal_id(&self) -> Option<&str> {
        match self {
            AppError::Internal { id } => id.as_deref(),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
pub use edge::*;

/// The server's side of the error edge: request ids, logging internal failures, and the response
/// a plain axum handler's `Err(AppError)` becomes.
#[cfg(feature = "ssr")]
mod edge {
    use std::future::Future;

    use axum::http::StatusCode;
    use axum::response::{Html, IntoResponse, Response};

    use super::AppError;

    /// The header carrying the request id, on the request (set by the server's outermost layer)
    /// and on the response.
    pub const REQUEST_ID_HEADER: &str = "x-request-id";

    tokio::task_local! {
        static REQUEST_ID: String;
    }

    /// Runs a request's handling with its id at hand, so an internal failure in a plain handler
    /// can log it and put it on the page.
    pub async fn with_request_id<F: Future>(id: String, work: F) -> F::Output {
        REQUEST_ID.scope(id, work).await
    }

    /// The id of the request being handled: from the request's task, or, inside a Leptos render
    /// or server function (page resources run on tasks of their own), from the request headers
    /// leptos_axum provides.
    pub fn current_request_id() -> Option<String> {
        REQUEST_ID.try_with(Clone::clone).ok().or_else(|| {
            leptos::prelude::use_context::<http::request::Parts>().and_then(|parts| {
                parts
                    .headers
                    .get(REQUEST_ID_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            })
        })
    }

    /// An error's text followed by each of its causes, on one line.
    pub fn cause_chain(error: &dyn std::error::Error) -> String {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            // `#[error("…: {0}")]` wrappers already end with their cause's text.
            if !text.ends_with(&cause_text) {
                text.push_str("; caused by: ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        text
    }

    /// Logs an unexpected failure with its cause chain and the request id, and returns the
    /// opaque error the person sees, carrying the same id.
    pub fn internal(error: &dyn std::error::Error) -> AppError {
        logged("internal error", &cause_chain(error))
    }

    /// As [`internal`], for a failure that is no error value (state that should be there is not).
    pub fn internal_because(what: &str) -> AppError {
        logged("internal error", what)
    }

    fn logged(doing: &str, detail: &str) -> AppError {
        let id = current_request_id();
        // The id is a field of the line itself, not only of the request's span: page resources
        // run outside that span.
        tracing::error!(request_id = id.as_deref().unwrap_or("-"), error = %detail, "{doing}");
        AppError::Internal { id }
    }

    /// `?` for plain handlers on errors that are never the caller's fault: logs what was being
    /// done and why it failed, and gives the opaque [`AppError::Internal`].
    pub trait OrInternal<T> {
        fn or_internal(self, doing: &str) -> Result<T, AppError>;
    }

    impl<T, E: std::error::Error> OrInternal<T> for Result<T, E> {
        fn or_internal(self, doing: &str) -> Result<T, AppError> {
            self.map_err(|error| logged(doing, &cause_chain(&error)))
        }
    }

    /// A plain handler's failure: the status of the error and a minimal page (the console's layout
    /// can't be rendered below Leptos). The text is the error's own, written for people; an
    /// internal error shows only the id to quote.
    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status =
                StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Html(error_page(&self))).into_response()
        }
    }

    /// The HTML of the minimal error page.
    pub fn error_page(error: &AppError) -> String {
        let (heading, explanation) = match error {
            AppError::Internal { id } => (
                "Something went wrong",
                format!(
                    "Latch could not complete this request. The details are in the server log; \
                     try again in a moment.{}",
                    id.as_deref()
                        .map(|id| format!(
                            "</p><p>If it keeps happening, quote this id: \
                             <code class=\"request-id\">{}</code>",
                            escape(id)
                        ))
                        .unwrap_or_default()
                ),
            ),
            AppError::Unauthenticated => ("Sign in needed", escape(&error.to_string())),
            AppError::Forbidden | AppError::NotAllowed(_) => {
                ("Not allowed", escape(&error.to_string()))
            }
            AppError::NotFound(_) => ("Not found", escape(&error.to_string())),
            _ => ("That didn't work", escape(&error.to_string())),
        };
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{heading} · Latch</title>\
             <link rel=\"stylesheet\" href=\"/pkg/latch.css\"></head><body><main class=\"status-page\" \
             data-status=\"{status}\"><h1>{heading}</h1><p>{explanation}</p>\
             <p><a href=\"/\">Go to the start page</a></p></main></body></html>",
            status = error.status()
        )
    }

    fn escape(text: &str) -> String {
        let mut escaped = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '&' => escaped.push_str("&amp;"),
                '<' => escaped.push_str("&lt;"),
                '>' => escaped.push_str("&gt;"),
                '"' => escaped.push_str("&quot;"),
                '\'' => escaped.push_str("&#39;"),
                c => escaped.push(c),
            }
        }
        escaped
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_about_a_request_and_an_internal_error_with_its_id_survive_the_server_function_wire()
     {
        for error in [
            AppError::Conflict {
                message: "There is already an open request REQ-7 for this access".into(),
                about: Some(RequestNumber::new(7)),
            },
            AppError::conflict("Someone else changed this at the same time."),
            AppError::Internal {
                id: Some("6f0c2a2e-4d1b-4bb4-9a55-8d3f0e1c2b3a".into()),
            },
            AppError::Internal { id: None },
            AppError::Unauthenticated,
        ] {
            assert_eq!(AppError::de(error.ser()), error);
        }
    }

    #[test]
    fn an_internal_error_says_only_which_id_to_quote() {
        let error = AppError::Internal {
            id: Some("abc-123".into()),
        };
        assert_eq!(error.status(), 500);
        assert_eq!(error.internal_id(), Some("abc-123"));
        assert!(error.to_string().ends_with("quote this id: abc-123"));
        assert!(
            !AppError::Internal { id: None }
                .to_string()
                .contains("quote")
        );
    }

    #[test]
    fn only_a_conflict_names_the_request_it_is_about() {
        let about = AppError::Conflict {
            message: "Request REQ-3 is already closed (approved)".into(),
            about: Some(RequestNumber::new(3)),
        };
        assert_eq!(about.about_request(), Some(RequestNumber::new(3)));
        assert_eq!(
            about.to_string(),
            "Request REQ-3 is already closed (approved)"
        );
        assert_eq!(AppError::conflict("x").about_request(), None);
        assert_eq!(AppError::NotFound("REQ-3".into()).about_request(), None);
    }
}

#[cfg(all(test, feature = "ssr"))]
#[allow(clippy::unwrap_used)]
mod edge_tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("could not save the request")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("database is locked")]
    struct Inner;

    #[test]
    fn the_log_gets_the_whole_cause_chain() {
        assert_eq!(
            cause_chain(&Outer(Inner)),
            "could not save the request; caused by: database is locked"
        );
    }

    #[tokio::test]
    async fn an_internal_error_carries_the_id_of_the_request_it_happened_in() {
        let error = with_request_id("req-42".into(), async { internal(&Outer(Inner)) }).await;
        assert_eq!(error.internal_id(), Some("req-42"));
        assert_eq!(internal_because("outside any request").internal_id(), None);
    }

    #[test]
    fn the_error_page_escapes_messages_and_shows_the_id_to_quote() {
        let page = error_page(&AppError::Invalid("<script>alert(1)</script>".into()));
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
        let page = error_page(&AppError::Internal {
            id: Some("req-42".into()),
        });
        assert!(page.contains("quote this id: <code class=\"request-id\">req-42</code>"));
    }
}
