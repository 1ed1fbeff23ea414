use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use app::ssr::AppState;

/// `GET /healthz`: 200 while the database answers, 503 otherwise. For load balancers.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if state.db.is_reachable(Duration::from_secs(2)).await {
        (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": "reachable" })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": "unreachable" })),
        )
    }
}
