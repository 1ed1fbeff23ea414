//! What an admin does to an existing installation: disconnect it, send a test message.

use slack_morphism::prelude::{SlackApiChatPostMessageRequest, SlackMessageContent};

use crate::ssr::AppState;
use crate::ssr::slack::SlackError;
use crate::ssr::slack::api::AuthRevokeRequest;
use crate::ssr::slack::store::{self, Installation};

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("not found")]
    NotFound,
    #[error("not connected")]
    NotConnected,
    #[error(transparent)]
    Slack(#[from] SlackError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Storage(#[from] crate::ssr::access::AccessError),
    #[error(transparent)]
    Seal(#[from] crate::ssr::slack::crypto::SealError),
}

async fn connected(state: &AppState, id: i64) -> Result<(Installation, String), ManageError> {
    let install = store::find(&state.db, id)
        .await?
        .ok_or(ManageError::NotFound)?;
    let token = install
        .bot_token(&state.slack.sealer)?
        .ok_or(ManageError::NotConnected)?;
    Ok((install, token))
}

/// Marks the installation disconnected (dropping its secrets, auditing the admin's action), then
/// revokes the bot token at Slack with the copy in hand. Disconnecting first matters: Slack
/// answers a revoke with a `tokens_revoked` event, which must find the installation already
/// disconnected by the admin rather than record Slack as the one who did it. A token Slack already
/// considers dead counts as revoked; if Slack can't be reached the installation stays
/// disconnected here and the error is returned so the admin is told.
pub async fn disconnect(
    state: &AppState,
    id: i64,
    user_id: i64,
) -> Result<Option<SlackError>, ManageError> {
    let (install, token) = connected(state, id).await?;
    let actor = crate::domain::AuditActor::User(crate::ssr::access::user_id(user_id));
    if !store::disconnect(
        &state.db,
        &install.install_key,
        "disconnected_by_admin",
        actor,
    )
    .await?
    {
        return Err(ManageError::NotConnected);
    }
    let revoke = match state
        .slack
        .api
        .auth_revoke(&token, &AuthRevokeRequest::default())
        .await
    {
        Ok(_) => None,
        Err(SlackError::Api(code))
            if matches!(
                code.as_str(),
                "token_revoked" | "invalid_auth" | "account_inactive"
            ) =>
        {
            None
        }
        Err(error) => Some(error),
    };
    tracing::info!(installation_id = id, install_key = %install.install_key, user_id, revoked = revoke.is_none(), "Slack disconnected by an admin");
    Ok(revoke)
}

/// Posts a test message to the installation's chosen channel.
pub async fn send_test_message(
    state: &AppState,
    id: i64,
    user_name: &str,
) -> Result<String, ManageError> {
    let (install, token) = connected(state, id).await?;
    let Some(channel) = install.channel_id.as_deref() else {
        return Err(SlackError::Api("channel_not_found".into()).into());
    };
    let text = format!("Test message from Latch, sent by {user_name}. Latch will post here.");
    let message = SlackApiChatPostMessageRequest::new(
        channel.to_string().into(),
        SlackMessageContent::new().with_text(text),
    );
    state.slack.api.chat_post_message(&token, &message).await?;
    tracing::info!(installation_id = id, "Slack test message sent");
    Ok(install.channel_name.unwrap_or_else(|| channel.to_string()))
}
