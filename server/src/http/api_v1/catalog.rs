//! `GET /api/v1/catalog`: every app and entitlement, as configured (without webhook addresses,
//! secrets or provisioners' instructions).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use app::domain::CatalogViewer;
use app::domain::api_tokens::Endpoint;
use app::shapes::{AppListing, CatalogEntitlement, ProvisioningKind};
use app::ssr::AppState;

use super::{ApiCaller, ApiError, ErrorBody};

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
