//! `GET /api/v1/requests` and `POST /api/v1/requests`: list requests, and file one on behalf of
//! a named person. The filing runs as that person (`Actor::for_user` with their roles), through
//! the same flow as the console, so every rule applies as if they had asked: an entitlement they
//! may not see is not found, a duplicate open request is a conflict.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use app::domain::api_tokens::Endpoint;
use app::domain::{RequestOrigin, RequestStatus};
use app::shapes::{CreateInput, RequestSummary};
use app::ssr::AppState;
use app::ssr::access::{Actor, user_id};

use super::{ApiCaller, ApiError, ErrorBody, body, query};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// `pending_approval`, `provisioning` or `closed`; any if absent.
    pub status: Option<String>,
    /// Only requests for this person.
    pub subject_email: Option<String>,
    /// At most this many, newest first (1 to 500, default 100).
    pub limit: Option<i64>,
}

/// A request as the API lists it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiRequest {
    pub id: String,
    /// `REQ-<n>`.
    pub number: String,
    pub app: String,
    pub entitlement: String,
    /// Display names.
    pub requester: String,
    pub subject: String,
    /// `pending_approval`, `provisioning` or `closed`.
    pub status: String,
    /// Once closed: `granted`, `denied`, `cancelled`, `expired`…
    pub outcome: Option<String>,
    pub emergency: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    /// The length that will be granted, e.g. `1d` or `indefinite`.
    pub length: String,
}

impl From<RequestSummary> for ApiRequest {
    fn from(r: RequestSummary) -> ApiRequest {
        ApiRequest {
            id: r.id,
            number: r.number,
            app: r.app,
            entitlement: r.entitlement,
            requester: r.requester,
            subject: r.subject,
            status: r.status.as_str().to_string(),
            outcome: r.outcome.map(|o| o.as_str().to_string()),
            emergency: r.emergency,
            created_at: r.created_at,
            length: r.length,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RequestList {
    pub requests: Vec<ApiRequest>,
}

/// A request to file on someone's behalf.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewRequest {
    /// The person asking (email of a directory user): the request is theirs, checked against
    /// the rules as if they had filed it in the console.
    pub on_behalf_of: String,
    pub entitlement_id: String,
    /// Someone else the access is for (the person must be allowed to ask for others); absent:
    /// for `on_behalf_of`.
    #[serde(default)]
    pub subject_email: Option<String>,
    /// A preset (`1h`, `1d`…), a custom length (`10d 12h`) or `indefinite`; absent: the default.
    #[serde(default)]
    pub duration: Option<String>,
    pub justification: String,
    #[serde(default)]
    pub emergency: bool,
}

/// The filed request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedRequest {
    pub id: String,
    pub number: String,
    pub status: String,
}

/// Lists requests, newest first.
#[utoipa::path(
    get,
    path = "/requests",
    tag = "requests",
    params(RequestQuery),
    security(("bearer" = ["requests:read"])),
    responses(
        (status = 200, body = RequestList),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn list_requests(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<RequestQuery>, QueryRejection>,
) -> Result<Json<RequestList>, ApiError> {
    caller
        .authorize(&state, Endpoint::ListRequests, None)
        .await?;
    let q = query(params)?;
    let status = q.status.unwrap_or_default();
    if !status.is_empty() && status.parse::<RequestStatus>().is_err() {
        return Err(ApiError::invalid(
            "status is one of pending_approval, provisioning, closed.",
        ));
    }
    let limit = super::limit(q.limit)?;
    let requests = app::ssr::read::requests::all(
        &state.db,
        &status,
        q.subject_email.as_deref().unwrap_or(""),
        limit,
    )
    .await?;
    Ok(Json(RequestList {
        requests: requests.into_iter().map(ApiRequest::from).collect(),
    }))
}

/// Files a request on behalf of a named person.
#[utoipa::path(
    post,
    path = "/requests",
    tag = "requests",
    request_body = NewRequest,
    security(("bearer" = ["requests:write"])),
    responses(
        (status = 201, body = CreatedRequest),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn create_request(
    State(state): State<AppState>,
    caller: ApiCaller,
    payload: Result<Json<NewRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<CreatedRequest>), ApiError> {
    // The scope first: a token without it learns nothing about who exists.
    caller.require(Endpoint::CreateRequest)?;
    let new = body(payload)?;
    let person = app::ssr::users::find_by_email(&state.db, new.on_behalf_of.trim())
        .await
        .map_err(|e| ApiError::from(app::error::internal(&e)))?
        .filter(|account| account.active)
        .ok_or_else(|| {
            ApiError::from(app::error::AppError::NotFound(
                "The person named in on_behalf_of".into(),
            ))
        })?;
    let actor = Actor::for_user(user_id(person.user.id), person.user.roles());
    caller
        .authorize(&state, Endpoint::CreateRequest, Some(&actor.id))
        .await?;
    let input = CreateInput {
        entitlement_id: new.entitlement_id,
        subject_email: new.subject_email.unwrap_or_default(),
        duration: new.duration.unwrap_or_default(),
        justification: new.justification,
        emergency: new.emergency,
        extension: false,
    };
    let request =
        app::ssr::flows::access_loop::create(&state.db, &actor, input, RequestOrigin::Api).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedRequest {
            id: request.id.to_string(),
            number: request.number.to_string(),
            status: request.state.status().as_str().to_string(),
        }),
    ))
}
