//! The API's errors: JSON with a stable code, the message and the request id, from the one
//! `AppError` the rest of Latch returns.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use app::error::AppError;
use app::ssr::access::AccessError;

/// `{"error": {...}}`: every answer other than a success.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable: `unauthorized`, `forbidden`, `not_found`, `invalid`, `conflict`,
    /// `too_many_requests`, `internal`.
    pub code: String,
    /// For people; may change.
    pub message: String,
    /// The `x-request-id` of the call, to quote (the server log carries it).
    pub request_id: Option<String>,
}

/// A failed call, answered as [`ErrorBody`].
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// 401: no usable token.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: message.into(),
        }
    }

    /// 403: the token may not do this.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: message.into(),
        }
    }

    /// 404 for a path the API does not have.
    pub fn no_such_endpoint() -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: "There is no such endpoint in /api/v1 (see /api/v1/openapi.json).".into(),
        }
    }

    /// 422: the input is wrong; the message says how.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::from(AppError::Invalid(message.into()))
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> ApiError {
        let (status, code) = match &error {
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden | AppError::NotAllowed(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            AppError::Transport(_) => (StatusCode::BAD_REQUEST, "invalid"),
            AppError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            AppError::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            AppError::Internal { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        ApiError {
            status,
            code,
            message: error.to_string(),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(error: AccessError) -> ApiError {
        ApiError::from(AppError::from(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                request_id: app::error::current_request_id(),
            },
        };
        (self.status, Json(body)).into_response()
    }
}
