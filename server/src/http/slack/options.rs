//! `POST /slack/options`: the options load URL (`block_suggestion` for external selects: the
//! request modal's app search). Signed like every Slack route ([`SlackSigned`]); answered within
//! Slack's 3 seconds by `app::ssr::slack::interactions`. Also the one place an interaction's
//! answer becomes HTTP.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use app::ssr::AppState;
use app::ssr::slack::api::slack_morphism::prelude::SlackInteractionResponse;
use app::ssr::slack::interactions::{self, PayloadError};

use super::SlackSigned;

pub async fn options(State(state): State<AppState>, signed: SlackSigned) -> Response {
    match interactions::parse(&signed.body) {
        Ok(interaction) => answer(interactions::on_interaction(&state, interaction).await),
        Err(error) => not_understood(&error),
    }
}

/// An interaction's answer as HTTP: an empty 200, or the JSON Slack reads.
pub(super) fn answer(response: SlackInteractionResponse) -> Response {
    match response {
        SlackInteractionResponse::Empty => StatusCode::OK.into_response(),
        SlackInteractionResponse::ViewSubmission(r) => Json(r).into_response(),
        SlackInteractionResponse::BlockSuggestion(r) => Json(r).into_response(),
    }
}

/// A signed body that is not an interaction: 400 (Slack does not retry interactions).
pub(super) fn not_understood(error: &PayloadError) -> Response {
    tracing::warn!(%error, "Slack interaction not understood");
    (StatusCode::BAD_REQUEST, "bad request").into_response()
}
