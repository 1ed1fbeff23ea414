//! The one error type server functions return.
//!
//! Messages are written for the person in front of the console. Internal failures carry no
//! detail: the server logs the cause (see `ssr::internal`) and the browser sees a generic line.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

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
    #[error("{0}")]
    Conflict(String),
    /// 429: too many attempts; try again later.
    #[error("{0}")]
    TooManyAttempts(String),
    /// 500: something failed on the server. The cause is in the server log, never here.
    #[error("Something went wrong on our side. The details are in the server log.")]
    Internal,
    /// 400/500: the server-function transport itself failed (bad request encoding, network).
    #[error("{0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::NotAllowed(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Invalid(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::TooManyAttempts(_) => 429,
            AppError::Internal => 500,
            AppError::Transport(_) => 400,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
