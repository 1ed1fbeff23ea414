//! `GET /api/v1/catalog`: every app and entitlement, as configured (without webhook addresses,
//! secrets or provisioners' instructions). `POST /api/v1/catalog/apply`: the catalog-as-code
//! engine of `latch apply` (`ssr::flows::apply`), with the tree as JSON, as the token's creator.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use app::domain::CatalogViewer;
use app::domain::api_tokens::Endpoint;
use app::domain::catalog_code::CatalogTree;
use app::shapes::{AppListing, CatalogEntitlement, ProvisioningKind};
use app::ssr::AppState;
use app::ssr::flows::apply::{self, ApplyActor, ApplyError, ApplyOptions};

use super::{ApiCaller, ApiError, ErrorBody, body};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiEntitlement {
    pub id: String,
    pub slug: String,
    pub display_name: String,
    pub description: String,
    pub alias: Option<String>,
    /// `low`, `medium`, `high`…
    pub risk: String,
    /// The longest grant, e.g. `30d` or `indefinite`.
    pub max_duration: String,
    /// `manual` or `webhook`.
    pub provisioning: String,
}

impl From<CatalogEntitlement> for ApiEntitlement {
    fn from(e: CatalogEntitlement) -> ApiEntitlement {
        ApiEntitlement {
            id: e.id.to_string(),
            slug: e.slug.to_string(),
            display_name: e.display_name,
            description: e.description,
            alias: e.alias.map(|a| a.to_string()),
            risk: e.risk.as_str().to_string(),
            max_duration: e.max_duration.to_string(),
            provisioning: match e.provisioning {
                ProvisioningKind::Manual { .. } => "manual",
                ProvisioningKind::Webhook => "webhook",
            }
            .to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiApp {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub entitlements: Vec<ApiEntitlement>,
}

impl From<AppListing> for ApiApp {
    fn from(listing: AppListing) -> ApiApp {
        ApiApp {
            id: listing.app.id.to_string(),
            slug: listing.app.slug.to_string(),
            name: listing.app.name,
            entitlements: listing
                .entitlements
                .into_iter()
                .map(ApiEntitlement::from)
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Catalog {
    pub apps: Vec<ApiApp>,
}

/// Reads the catalog.
#[utoipa::path(
    get,
    path = "/catalog",
    tag = "catalog",
    security(("bearer" = ["catalog:read"])),
    responses(
        (status = 200, body = Catalog),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    )
)]
pub async fn read_catalog(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Catalog>, ApiError> {
    caller
        .authorize(&state, Endpoint::ReadCatalog, None)
        .await?;
    let apps = app::ssr::read::catalog::apps_for(&state.db, CatalogViewer::Admin).await?;
    Ok(Json(Catalog {
        apps: apps.into_iter().map(ApiApp::from).collect(),
    }))
}

/// A tree to apply, as `latch apply` reads it from files.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ApplyRequest {
    /// `{"files": [{"path": "apps/prod-db.yaml", "apps": [...], "policies": [...],
    /// "groups": [...]}]}`: the files of a catalog tree, each as its YAML would parse.
    #[schema(value_type = Object)]
    pub tree: CatalogTree,
    /// Only compute the plan; change nothing.
    #[serde(default)]
    pub plan: bool,
    /// Delete objects managed in code that the tree no longer has.
    #[serde(default)]
    pub prune: bool,
    /// Recorded on every audit event and changed object (e.g. a commit id).
    #[serde(default)]
    pub source_ref: Option<String>,
}

/// What an apply did, or with `plan`, would do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplyResult {
    /// Whether changes were written (false for a plan or when nothing differed).
    pub applied: bool,
    /// The plan, change by change.
    #[schema(value_type = Object)]
    pub plan: serde_json::Value,
    /// The plan in words, as `latch apply` prints it.
    pub summary: String,
}

/// Applies a catalog tree (all or nothing).
#[utoipa::path(
    post,
    path = "/catalog/apply",
    tag = "catalog",
    request_body = ApplyRequest,
    security(("bearer" = ["catalog:write"])),
    responses(
        (status = 200, body = ApplyResult),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "The tree has problems, each on a line"),
    )
)]
pub async fn apply_catalog(
    State(state): State<AppState>,
    caller: ApiCaller,
    payload: Result<Json<ApplyRequest>, JsonRejection>,
) -> Result<Json<ApplyResult>, ApiError> {
    let actor = caller
        .authorize(&state, Endpoint::ApplyCatalog, None)
        .await?;
    let request = body(payload)?;
    let options = ApplyOptions {
        plan_only: request.plan,
        prune: request.prune,
        source_ref: request.source_ref,
    };
    let report = apply::apply(&state.db, request.tree, options, ApplyActor::User(actor))
        .await
        .map_err(|e| match e {
            invalid @ ApplyError::Invalid(_) => ApiError::invalid(invalid.to_string()),
            ApplyError::Access(access) => ApiError::from(access),
        })?;
    Ok(Json(ApplyResult {
        applied: report.applied,
        plan: serde_json::to_value(&report.plan)
            .map_err(|e| ApiError::from(app::error::internal(&e)))?,
        summary: report.to_string(),
    }))
}
