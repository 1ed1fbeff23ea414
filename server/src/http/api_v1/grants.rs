//! `GET /api/v1/grants` and `POST /api/v1/grants/{id}/revoke`. Both act as the token's creator
//! (a Super Admin: the token stops working when they no longer are), so a revoke passes exactly
//! the rules of that admin's revoke in the console and the audit log names them, right after the
//! `api_token.used` event that names the token.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use app::domain::api_tokens::Endpoint;
use app::shapes::{GrantFilter, GrantRow};
use app::ssr::AppState;

use super::{ApiCaller, ApiError, ErrorBody, query};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrantQuery {
    pub app_id: Option<String>,
    pub entitlement_id: Option<String>,
    /// Only this person's grants.
    pub user_email: Option<String>,
    /// Only grants expiring within this many days.
    pub expiring_within_days: Option<i64>,
    /// Include removed grants (default false).
    pub include_removed: Option<bool>,
}

/// A grant as the API lists it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiGrant {
    pub id: String,
    /// The holder's display name and directory id.
    pub subject: String,
    pub subject_id: String,
    pub entitlement_id: String,
    pub app: String,
    pub entitlement: String,
    /// Unix milliseconds.
    pub granted_at: i64,
    pub expires_at: Option<i64>,
    /// `active`, `pending_removal`, `removal_overdue`, `removed`…
    pub status: String,
    /// `REQ-<n>` that issued it.
    pub source_request: String,
}

impl From<GrantRow> for ApiGrant {
    fn from(g: GrantRow) -> ApiGrant {
        ApiGrant {
            id: g.id,
            subject: g.subject,
            subject_id: g.subject_id,
            entitlement_id: g.entitlement_id,
            app: g.app,
            entitlement: g.entitlement,
            granted_at: g.granted_at,
            expires_at: g.expires_at,
            status: g.status.as_str().to_string(),
            source_request: g.source_request,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GrantList {
    pub grants: Vec<ApiGrant>,
}

/// Lists grants.
#[utoipa::path(
    get,
    path = "/grants",
    tag = "grants",
    params(GrantQuery),
    security(("bearer" = ["grants:revoke"])),
    responses(
        (status = 200, body = GrantList),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    )
)]
pub async fn list_grants(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<GrantQuery>, QueryRejection>,
) -> Result<Json<GrantList>, ApiError> {
    let actor = caller.authorize(&state, Endpoint::ListGrants, None).await?;
    let q = query(params)?;
    let filter = GrantFilter {
        app_id: q.app_id.unwrap_or_default(),
        entitlement_id: q.entitlement_id.unwrap_or_default(),
        user_email: q.user_email.unwrap_or_default(),
        expiring_within_days: q.expiring_within_days.unwrap_or(0),
        include_removed: q.include_removed.unwrap_or(false),
    };
    let grants = app::ssr::read::grants::list(&state.db, &actor, &filter, None).await?;
    Ok(Json(GrantList {
        grants: grants.into_iter().map(ApiGrant::from).collect(),
    }))
}

/// Revokes a grant (its removal starts at once, as from the console).
#[utoipa::path(
    post,
    path = "/grants/{id}/revoke",
    tag = "grants",
    params(("id" = String, Path, description = "The grant's id")),
    security(("bearer" = ["grants:revoke"])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    )
)]
pub async fn revoke_grant(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = caller
        .authorize(&state, Endpoint::RevokeGrant, None)
        .await?;
    app::ssr::flows::access_loop::revoke(&state.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
