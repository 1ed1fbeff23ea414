//! A request id on every request: made here (a random UUID v4), put on the request as
//! `x-request-id` before anything else runs, recorded in the request's tracing span, kept at hand
//! for the handler's task (an internal error logs it and shows it), and copied to the response.
//! A person who quotes the id from an error page or the response header leads an admin to the
//! log lines of that request.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::{MakeRequestId, RequestId};

pub use app::error::REQUEST_ID_HEADER;

/// A fresh random id per request.
#[derive(Clone, Copy, Default)]
pub struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
            .ok()
            .map(RequestId::new)
    }
}

/// Drops an `x-request-id` the client sent, so the id is always ours: a chosen id would let a
/// caller make its requests share an id with someone else's in the log, or put its own text on
/// our error page.
pub async fn drop_client_request_id(mut request: Request, next: Next) -> Response {
    request.headers_mut().remove(REQUEST_ID_HEADER);
    next.run(request).await
}

/// The request's id, once the id layer has set it.
pub fn of(request: &Request) -> &str {
    request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
}

/// Runs the rest of the request with its id at hand (`app::error::current_request_id`).
pub async fn keep_at_hand(request: Request, next: Next) -> Response {
    let id = of(&request).to_string();
    app::error::with_request_id(id, next.run(request)).await
}
