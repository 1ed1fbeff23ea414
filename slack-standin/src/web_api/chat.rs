//! `chat.postMessage`, `chat.update`, `chat.postEphemeral`.

use super::{ApiError, ApiResult, Caller, Ctx, Params, resolve_channel, resolve_channel_or_name};
use crate::limits;
use crate::state::{Channel, EphemeralMessage, Message, MessageOrigin, MessageRevision, State};
use serde_json::{Map, Value, json};

/// Parsed message content.
pub struct Content {
    /// Text (may be empty when blocks are given).
    pub text: Option<String>,
    /// Blocks.
    pub blocks: Option<Value>,
    /// Attachments.
    pub attachments: Option<Value>,
}

/// Parses and validates `text` / `blocks` / `attachments` / `markdown_text`
/// against Block Kit limits. `text_max` is the method's text limit.
pub fn parse_content(params: &Params, text_max: usize) -> Result<Content, ApiError> {
    let blocks = match params.json("blocks") {
        Ok(Some(Value::Array(b))) => {
            limits::validate_message_blocks(&b).map_err(|v| {
                ApiError::with_messages(
                    "invalid_blocks",
                    v.iter().map(limits::Violation::to_slack_message).collect(),
                )
            })?;
            if b.is_empty() {
                None
            } else {
                let mut blocks = Value::Array(b);
                crate::blockkit::normalize_blocks(&mut blocks);
                Some(blocks)
            }
        }
        Ok(Some(_)) | Err(super::InvalidJson) => {
            return Err(ApiError::new("invalid_blocks_format"));
        }
        Ok(None) => None,
    };
    let attachments = match params.json("attachments") {
        Ok(Some(Value::Array(a))) => {
            if a.len() > limits::MAX_ATTACHMENTS {
                return Err(ApiError::new("too_many_attachments"));
            }
            if a.is_empty() {
                None
            } else {
                Some(Value::Array(a))
            }
        }
        Ok(Some(_)) | Err(super::InvalidJson) => return Err(ApiError::new("invalid_attachments")),
        Ok(None) => None,
    };
    let mut text = params.str("text");
    if let Some(md) = params.str("markdown_text") {
        if text.is_some() || blocks.is_some() {
            return Err(ApiError::new("markdown_text_conflict"));
        }
        if md.chars().count() > limits::MARKDOWN_TEXT_MAX {
            return Err(ApiError::new("msg_too_long"));
        }
        text = Some(md);
    }
    if text.is_none() && blocks.is_none() && attachments.is_none() {
        return Err(ApiError::new("no_text"));
    }
    if text.as_ref().is_some_and(|t| t.chars().count() > text_max) {
        return Err(ApiError::new("msg_too_long"));
    }
    Ok(Content {
        text,
        blocks,
        attachments,
    })
}

/// Parses `metadata` (an object in JSON bodies, a JSON string in forms;
/// DOCS-M chat.postMessage: "JSON object with event_type and event_payload
/// fields"). Not JSON or not an object → `invalid_metadata_format`; no string
/// `event_type` or a non-object `event_payload` → `invalid_metadata_schema`
/// (the stand-in's reading of the two documented codes); over
/// [`limits::METADATA_MAX_BYTES`] → `metadata_too_large`. An `event_type`
/// with characters other than letters, digits, `_` and `-` does not fail the
/// post: Slack posts the message and drops the metadata (bolt-python#863:
/// `slack.post-prompt` was dropped, `slack-post-prompt` kept; the metadata
/// guide allows alphanumerics and `_`).
pub fn parse_metadata(params: &Params) -> Result<Option<Value>, ApiError> {
    let metadata = match params.json("metadata") {
        Ok(None) => return Ok(None),
        Ok(Some(Value::Object(m))) => m,
        Ok(Some(_)) | Err(super::InvalidJson) => {
            return Err(ApiError::new("invalid_metadata_format"));
        }
    };
    let event_type = match metadata.get("event_type") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        _ => return Err(ApiError::new("invalid_metadata_schema")),
    };
    if !matches!(metadata.get("event_payload"), Some(Value::Object(_))) {
        return Err(ApiError::new("invalid_metadata_schema"));
    }
    let size = serde_json::to_string(&metadata).map_or(usize::MAX, |s| s.len());
    if size > limits::METADATA_MAX_BYTES {
        return Err(ApiError::new("metadata_too_large"));
    }
    let valid_type = event_type
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    Ok(valid_type.then_some(Value::Object(metadata)))
}

/// Whether the caller may post into `channel` (member, or public channel with `chat:write.public`).
fn can_post(caller: &Caller, channel: &Channel) -> bool {
    channel.has_member(caller.user_id())
        || (!channel.is_private && caller.has_scope("chat:write.public"))
}

/// Resolves `channel` for posting: ids, names, or a user id (the app's DM with that user).
fn resolve_post_target(
    st: &mut State,
    caller: &Caller,
    channel: &str,
) -> Result<Channel, ApiError> {
    if channel.starts_with(['U', 'W']) && !channel.contains('#') {
        let user = st
            .users
            .get(channel)
            .cloned()
            .ok_or_else(|| ApiError::new("channel_not_found"))?;
        let teams = st.install_teams(&caller.install);
        if !teams.contains(&user.team_id) {
            return Err(ApiError::new("channel_not_found"));
        }
        if user.deleted {
            return Err(ApiError::new("user_disabled"));
        }
        return Ok(st.im_channel(&user.team_id, caller.user_id(), &user.id));
    }
    resolve_channel_or_name(st, caller, channel)
}

fn bot_profile(ctx: &Ctx<'_>, caller: &Caller, team_id: &str) -> Value {
    json!({
        "id": caller.install.bot_id,
        "app_id": caller.install.app_id,
        "name": ctx.core.config.app_name,
        "deleted": false,
        "team_id": team_id,
        "icons": {"image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png"},
    })
}

/// `chat.postMessage` (scope `chat:write`).
pub fn post_message(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    caller.require_any(&["chat:write"])?;
    let channel_arg = ctx
        .params
        .str("channel")
        .ok_or_else(|| ApiError::new("channel_not_found"))?;
    let channel = resolve_post_target(ctx.st, &caller, &channel_arg)?;
    if channel.is_archived {
        return Err(ApiError::new("is_archived"));
    }
    if !can_post(&caller, &channel) {
        return Err(ApiError::new("not_in_channel"));
    }
    let mut content = parse_content(ctx.params, usize::MAX)?;
    let metadata = parse_metadata(ctx.params)?;
    let truncated = truncate_chars(&mut content.text, limits::POST_TEXT_MAX);
    let is_bot = caller.token.kind == crate::state::TokenKind::Bot;
    let message = ctx.st.push_message(Message {
        ts: String::new(),
        channel: channel.id.clone(),
        user: caller.user_id().to_owned(),
        bot_id: is_bot.then(|| caller.install.bot_id.clone()),
        app_id: is_bot.then(|| caller.install.app_id.clone()),
        text: content.text.unwrap_or_default(),
        blocks: content.blocks,
        attachments: content.attachments,
        thread_ts: ctx.params.str("thread_ts"),
        origin: MessageOrigin::Api {
            token: caller.token.token.clone(),
        },
        edits: Vec::new(),
        deleted: false,
        metadata,
    });
    if let Some(event) = crate::driver::message_event(ctx.core, ctx.st, &message) {
        ctx.outbox.push(event);
    }
    let mut msg = message.to_json(&channel.team_id);
    if is_bot && let Some(obj) = msg.as_object_mut() {
        obj.insert(
            "bot_profile".into(),
            bot_profile(ctx, &caller, &channel.team_id),
        );
    }
    let mut out = Map::new();
    out.insert("channel".into(), json!(channel.id));
    out.insert("ts".into(), json!(message.ts));
    out.insert("message".into(), msg);
    if truncated {
        super::add_warnings(&mut out, &["message_truncated"]);
    }
    Ok(out)
}

/// Cuts `text` to `max` characters; `true` if it was longer.
fn truncate_chars(text: &mut Option<String>, max: usize) -> bool {
    match text {
        Some(t) if t.chars().count() > max => {
            *t = t.chars().take(max).collect();
            true
        }
        _ => false,
    }
}

/// `chat.update` (scope `chat:write`): edits a message the caller posted,
/// keeping the previous version in the message's edit history. Omitted
/// `blocks` / `attachments` / `metadata` keep their previous value, as on Slack.
pub fn update(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    caller.require_any(&["chat:write"])?;
    let channel_arg = ctx
        .params
        .str("channel")
        .ok_or_else(|| ApiError::new("channel_not_found"))?;
    let channel = resolve_channel(ctx.st, &caller, &channel_arg)?;
    let ts = ctx
        .params
        .str("ts")
        .ok_or_else(|| ApiError::new("message_not_found"))?;
    let content = parse_content(ctx.params, limits::UPDATE_TEXT_MAX)?;
    let metadata = parse_metadata(ctx.params)?;
    if channel.is_archived {
        return Err(ApiError::new("is_inactive"));
    }
    let team_id = channel.team_id.clone();
    let message = ctx
        .st
        .message_mut(&channel.id, &ts)
        .ok_or_else(|| ApiError::new("message_not_found"))?;
    let ours = match &message.bot_id {
        Some(bot) => {
            *bot == caller.install.bot_id && caller.token.kind == crate::state::TokenKind::Bot
        }
        None => message.user == caller.token.user_id,
    };
    if !ours {
        return Err(ApiError::new("cant_update_message"));
    }
    message.edits.push(MessageRevision {
        text: message.text.clone(),
        blocks: message.blocks.clone(),
        attachments: message.attachments.clone(),
        replaced_at_micros: crate::ids::unix_micros(),
    });
    message.text = content.text.unwrap_or_default();
    if content.blocks.is_some() || ctx.params.0.contains_key("blocks") {
        message.blocks = content.blocks;
    }
    if content.attachments.is_some() || ctx.params.0.contains_key("attachments") {
        message.attachments = content.attachments;
    }
    // New metadata replaces the old (DOCS-M chat.update `metadata`); without
    // the argument the message keeps what it was posted with.
    if metadata.is_some() {
        message.metadata = metadata;
    }
    let snapshot = message.clone();
    let mut out = Map::new();
    out.insert("channel".into(), json!(channel.id));
    out.insert("ts".into(), json!(snapshot.ts));
    out.insert("text".into(), json!(snapshot.text));
    out.insert("message".into(), snapshot.to_json(&team_id));
    Ok(out)
}

/// `chat.postEphemeral` (scope `chat:write`): a message only `user` sees.
pub fn post_ephemeral(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    caller.require_any(&["chat:write"])?;
    let channel_arg = ctx
        .params
        .str("channel")
        .ok_or_else(|| ApiError::new("channel_not_found"))?;
    let user = ctx.params.required("user")?;
    let channel = resolve_post_target(ctx.st, &caller, &channel_arg)?;
    if channel.is_archived {
        return Err(ApiError::new("is_archived"));
    }
    if !can_post(&caller, &channel) {
        return Err(ApiError::new("not_in_channel"));
    }
    if !channel.has_member(&user) {
        return Err(ApiError::new("user_not_in_channel"));
    }
    let content = parse_content(ctx.params, limits::POST_TEXT_MAX)?;
    let message_ts = ctx.st.clock.next_ts();
    ctx.st.ephemerals.push(EphemeralMessage {
        message_ts: message_ts.clone(),
        channel: channel.id,
        user,
        text: content.text.unwrap_or_default(),
        blocks: content.blocks,
        thread_ts: ctx.params.str("thread_ts"),
        origin: MessageOrigin::Api {
            token: caller.token.token.clone(),
        },
        edits: Vec::new(),
        deleted: false,
    });
    let mut out = Map::new();
    out.insert("message_ts".into(), json!(message_ts));
    Ok(out)
}
