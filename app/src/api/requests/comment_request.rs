use leptos::prelude::*;

use crate::error::AppError;

/// Adds a comment to a request.
#[server(endpoint = "requests/comment")]
pub async fn comment_request(id: String, body: String) -> Result<String, AppError> {
    use crate::api::server::{respond, signed_in};
    respond(async move {
        let (db, actor) = signed_in()?;
        let r = crate::ssr::flows::access_loop::comment(&db, &actor, &id, &body).await?;
        let number = r.number.to_string();
        // Into the request's Slack threads, without waiting for Slack.
        if let Ok(state) = crate::ssr::state() {
            crate::ssr::slack::conversation::share_console_comment(state, r);
        }
        Ok(number)
    })
    .await
}
