//! `GET /api/v1/audit`: the audit log, newest first, a page at a time (`before` the last `seq`
//! seen), with the hash chain fields so a copy can be verified.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use app::domain::api_tokens::Endpoint;
use app::shapes::{AuditFilter, AuditRow};
use app::ssr::AppState;
use app::ssr::access::audit;

use super::{ApiCaller, ApiError, ErrorBody, query};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Prefix of the action, e.g. `request.` or `api_token.used`.
    pub action: Option<String>,
    /// Substring of the target, e.g. `REQ-12`.
    pub target: Option<String>,
    /// Exact actor, e.g. `user:3` or `system`.
    pub actor: Option<String>,
    /// Only events with a smaller `seq` (the previous page's `next_before`).
    pub before: Option<i64>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
}

/// One audit event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiAuditEvent {
    pub seq: i64,
    pub id: String,
    /// Unix milliseconds.
    pub at: i64,
    /// `user:<id>` or `system`.
    pub actor: String,
    pub action: String,
    pub target: String,
    /// JSON text of the object before / after, when relevant.
    pub before: Option<String>,
    pub after: Option<String>,
    pub rule: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditRow> for ApiAuditEvent {
    fn from(r: AuditRow) -> ApiAuditEvent {
        ApiAuditEvent {
            seq: r.seq,
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target: r.target,
            before: r.before,
            after: r.after,
            rule: r.rule,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub events: Vec<ApiAuditEvent>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// Reads the audit log.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    params(AuditQuery),
    security(("bearer" = ["audit:read"])),
    responses(
        (status = 200, body = AuditPage),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn read_audit(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditPage>, ApiError> {
    caller.authorize(&state, Endpoint::ReadAudit, None).await?;
    let q = query(params)?;
    let limit = super::limit(q.limit)?;
    let filter = AuditFilter {
        action: q.action.unwrap_or_default(),
        target: q.target.unwrap_or_default(),
        actor: q.actor.unwrap_or_default(),
    };
    let rows = audit::list_before(&state.db, &filter, q.before, limit).await?;
    let full_page = i64::try_from(rows.len()).is_ok_and(|n| n == limit);
    let next_before = full_page.then(|| rows.last().map(|r| r.seq)).flatten();
    Ok(Json(AuditPage {
        events: rows.into_iter().map(ApiAuditEvent::from).collect(),
        next_before,
    }))
}
