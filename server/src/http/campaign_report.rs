//! `GET /reports/access-review?campaign=…&format=csv|xlsx`: an access review campaign's report,
//! one row per reviewed grant (decision, reviewer, time, reason), for those who manage the
//! campaign. The campaign page shows each file's SHA-256 beside its link; the response carries it
//! too (`X-Content-SHA256`), so an auditor can check the file they keep.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use app::error::AppError;
use app::session::CurrentUser;
use app::ssr::AppState;
use app::ssr::access::Actor;
use app::ssr::read::campaigns::{report, sha256_hex};

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    format: String,
}

pub async fn download(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let Some(Extension(user)) = user else {
        return Err(AppError::Unauthenticated);
    };
    let actor = Actor::new(user);
    let (campaign, files) = report(&state.db, &actor, &q.campaign).await?;
    let (bytes, content_type, extension) = match q.format.as_str() {
        "xlsx" => (
            files.xlsx,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => (files.csv, "text/csv; charset=utf-8", "csv"),
    };
    let disposition = format!(
        "attachment; filename=\"access-review-{}.{extension}\"",
        campaign.id
    );
    let hash = sha256_hex(&bytes);
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::HeaderName::from_static("x-content-sha256"), hash),
        ],
        bytes,
    )
        .into_response())
}
