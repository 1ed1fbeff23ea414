//! `POST /slack/interactivity`: `block_actions`, `view_submission`, `view_closed` (and
//! `block_suggestion`, should Slack send it here). The signature is checked by [`SlackSigned`]
//! before the payload is parsed; `app::ssr::slack::interactions` answers within Slack's 3
//! seconds.

use axum::extract::State;
use axum::response::Response;

use app::ssr::AppState;
use app::ssr::slack::interactions;

use super::SlackSigned;

pub async fn interactivity(State(state): State<AppState>, signed: SlackSigned) -> Response {
    match interactions::parse(&signed.body) {
        Ok(interaction) => {
            super::options::answer(interactions::on_interaction(&state, interaction).await)
        }
        Err(error) => super::options::not_understood(&error),
    }
}
