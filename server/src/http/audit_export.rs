//! `GET /admin/audit/export?format=csv|json&action=…&target=…&actor=…`: the audit log as a file,
//! with the hash chain fields so an export can be verified on its own.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use app::error::{AppError, OrInternal};
use app::session::CurrentUser;
use app::shapes::{AuditFilter, AuditRow};
use app::ssr::AppState;
use app::ssr::access::audit;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    actor: String,
}

/// Most rows one export carries; narrower filters get the rest.
const MAX_ROWS: i64 = 100_000;

pub async fn export(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    // The guard marks /admin responses 403 for non-admins but still runs the handler, so the
    // data itself is withheld here.
    if !user.is_some_and(|Extension(u)| u.is_super_admin()) {
        return Err(AppError::NotAllowed(
            "Only Super Admins can export the audit log.".into(),
        ));
    }
    let filter = AuditFilter {
        action: q.action,
        target: q.target,
        actor: q.actor,
    };
    let rows = audit::list(&state.db, &filter, MAX_ROWS)
        .await
        .or_internal("audit export failed")?;
    if q.format == "json" {
        return Ok((
            [
                (header::CONTENT_TYPE, "application/json"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"latch-audit.json\"",
                ),
            ],
            serde_json::to_string(&rows).or_internal("audit export failed")?,
        )
            .into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"latch-audit.csv\"",
            ),
        ],
        to_csv(&rows),
    )
        .into_response())
}

fn cell(value: &str) -> String {
    // Quote everything; also defuse spreadsheet formulas (a leading = + - @).
    let v = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    format!("\"{}\"", v.replace('"', "\"\""))
}

fn to_csv(rows: &[AuditRow]) -> String {
    let mut out = String::from("seq,id,at,actor,action,target,before,after,rule,prev_hash,hash\n");
    for r in rows {
        let fields = [
            r.seq.to_string(),
            r.id.clone(),
            r.at.to_string(),
            r.actor.clone(),
            r.action.clone(),
            r.target.clone(),
            r.before.clone().unwrap_or_default(),
            r.after.clone().unwrap_or_default(),
            r.rule.clone().unwrap_or_default(),
            r.prev_hash.clone(),
            r.hash.clone(),
        ];
        out.push_str(&fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}
