//! `/api/v1`: the versioned JSON API for automation. Every call carries an API token
//! (`Authorization: Bearer latch_pat_…`, Admin > API tokens) and each endpoint needs one scope
//! (`domain::api_tokens::Endpoint::scope`); a session cookie is no credential here. Errors are
//! [`ErrorBody`] JSON with a stable code. Handlers are registered only through utoipa-axum's
//! `routes!`, so each route is in the OpenAPI document served at `/api/v1/openapi.json` (public:
//! it describes the API, nothing of the data).
//!
//! The leptos server functions live under `/api/<area>/<name>` too; none of their areas is `v1`,
//! and this router is nested at [`PREFIX`] before them.

mod audit;
mod caller;
mod catalog;
mod error;
mod grants;
mod requests;

use axum::Json;
use axum::Router;
use axum::extract::Query;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use app::ssr::AppState;

pub use caller::ApiCaller;
pub use error::{ApiError, ErrorBody, ErrorDetail};

/// Where the API is mounted.
pub const PREFIX: &str = "/api/v1";

/// The one route outside the document: the document itself.
pub const OPENAPI_PATH: &str = "/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Latch API",
        version = "1",
        description = "Automation for Latch: the catalog, access requests, grants and the audit log. \
                       Every call needs an API token (Admin > API tokens) with the scope the \
                       operation names."
    ),
    modifiers(&BearerToken),
    components(schemas(ErrorBody, ErrorDetail))
)]
struct ApiDoc;

/// The `bearer` security scheme the operations name.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("latch_pat_<id>_<secret>")
                    .build(),
            ),
        );
    }
}

/// The routes (relative to [`PREFIX`]) and their document (paths with the prefix).
fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(catalog::read_catalog))
        .routes(routes!(catalog::apply_catalog))
        .routes(routes!(requests::list_requests, requests::create_request))
        .routes(routes!(grants::list_grants))
        .routes(routes!(grants::revoke_grant))
        .routes(routes!(audit::read_audit))
        .split_for_parts();
    let paths = std::mem::take(&mut document.paths.paths);
    document.paths.paths = paths
        .into_iter()
        .map(|(path, item)| (format!("{PREFIX}{path}"), item))
        .collect();
    (router, document)
}

/// The OpenAPI document of `/api/v1`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().1
}

/// The router to nest at [`PREFIX`]: the documented routes, the document, and a JSON 404 for
/// anything else below the prefix.
pub fn router() -> Router<AppState> {
    let (router, document) = documented();
    let document = std::sync::Arc::new(document);
    router
        .route(
            OPENAPI_PATH,
            get(move || {
                let document = document.clone();
                async move {
                    (
                        [(header::CACHE_CONTROL, "no-cache")],
                        Json(document.as_ref().clone()),
                    )
                        .into_response()
                }
            }),
        )
        .fallback(|| async { ApiError::no_such_endpoint() })
}

/// A query string as the handler's type, else 422 `invalid`.
fn query<T>(params: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    params
        .map(|Query(q)| q)
        .map_err(|rejection| ApiError::invalid(rejection.body_text()))
}

/// A JSON body as the handler's type, else 422 `invalid`.
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    payload
        .map(|Json(b)| b)
        .map_err(|rejection| ApiError::invalid(rejection.body_text()))
}

/// A page size: 1 to 500, 100 when absent.
fn limit(asked: Option<i64>) -> Result<i64, ApiError> {
    match asked {
        None => Ok(100),
        Some(n) if (1..=500).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid("limit is 1 to 500.")),
    }
}
