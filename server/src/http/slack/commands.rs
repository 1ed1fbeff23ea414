//! `POST /slack/commands`: the slash command. The signature is checked by [`SlackSigned`]
//! before anything is parsed; the answer (ephemeral JSON, or an empty 200 when it comes later or
//! is the modal) is `app::ssr::slack::commands`' and always within Slack's 3 seconds.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use app::ssr::AppState;
use app::ssr::slack::commands;

use super::SlackSigned;

pub async fn commands(State(state): State<AppState>, signed: SlackSigned) -> Response {
    let (event, grid) = match commands::parse(&signed.body) {
        Ok(parsed) => parsed,
        Err(error) => {
            tracing::warn!(%error, "Slack command not understood");
            return (StatusCode::BAD_REQUEST, "bad request").into_response();
        }
    };
    match commands::on_command(&state, event, grid).await {
        Some(answer) => Json(answer).into_response(),
        None => StatusCode::OK.into_response(),
    }
}
