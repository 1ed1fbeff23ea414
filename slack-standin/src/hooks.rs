//! Incoming webhooks (`/services/T…/B…/secret`) and `response_url`s
//! (`/commands/…`, `/actions/…`), slack.md §2.5.
//!
//! Both take JSON (no token) and answer with plain text: `ok` on success, a
//! short error code with a 4xx status otherwise. A response_url allows 5 POSTs
//! within 30 minutes; webhooks cannot use `replace_original` /
//! `delete_original` / `response_type`.

use crate::limits;
use crate::server::Core;
use crate::state::{EphemeralMessage, HookPost, Message, MessageOrigin, MessageRevision, State};
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

fn text(status: StatusCode, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html")],
        body.to_owned(),
    )
        .into_response()
}

/// Reads a JSON body, or a form body with a `payload` field (webhooks accept both).
fn read_payload(headers: &HeaderMap, body: &[u8]) -> Option<Value> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ctype.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        let payload = pairs.into_iter().find(|(k, _)| k == "payload")?.1;
        return serde_json::from_str::<Value>(&payload)
            .ok()
            .filter(Value::is_object);
    }
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
}

struct Content {
    text: String,
    blocks: Option<Value>,
    attachments: Option<Value>,
}

fn content(payload: &Value) -> Result<Content, (StatusCode, &'static str)> {
    let text = payload
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let blocks = match payload.get("blocks") {
        None | Some(Value::Null) => None,
        Some(Value::Array(b)) => {
            if limits::validate_message_blocks(b).is_err() {
                return Err((StatusCode::BAD_REQUEST, "invalid_blocks"));
            }
            let mut blocks = Value::Array(b.clone());
            crate::blockkit::normalize_blocks(&mut blocks);
            Some(blocks)
        }
        Some(_) => return Err((StatusCode::BAD_REQUEST, "invalid_blocks")),
    };
    let attachments = match payload.get("attachments") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) if a.len() > limits::MAX_ATTACHMENTS => {
            return Err((StatusCode::BAD_REQUEST, "too_many_attachments"));
        }
        Some(a) => Some(a.clone()),
    };
    if text.is_empty() && blocks.is_none() && attachments.is_none() {
        return Err((StatusCode::BAD_REQUEST, "no_text"));
    }
    Ok(Content {
        text,
        blocks,
        attachments,
    })
}

fn record(st: &mut State, path: &str, body: Value, status: StatusCode, response: &str) {
    st.hook_posts.push(HookPost {
        path: path.to_owned(),
        body,
        status: status.as_u16(),
        response: response.to_owned(),
    });
}

/// `POST /services/{team}/{bot}/{secret}`: incoming webhook.
pub async fn webhook(
    AxumState(core): AxumState<Arc<Core>>,
    Path((team, bot, secret)): Path<(String, String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let mut guard = core.state.lock();
    let st = &mut *guard;
    let payload = read_payload(&headers, &body);
    let logged = payload.clone().unwrap_or(Value::Null);
    let outcome = (|| {
        let hook = st
            .webhooks
            .get(&bot)
            .cloned()
            .ok_or((StatusCode::NOT_FOUND, "no_service"))?;
        if hook.team_id != team {
            return Err((StatusCode::NOT_FOUND, "no_team"));
        }
        if hook.revoked {
            return Err((StatusCode::NOT_FOUND, "no_service"));
        }
        if hook.secret != secret {
            return Err((StatusCode::FORBIDDEN, "invalid_token"));
        }
        let payload = payload.ok_or((StatusCode::BAD_REQUEST, "invalid_payload"))?;
        let content = content(&payload)?;
        let channel = st
            .channel(&hook.channel_id)
            .cloned()
            .ok_or((StatusCode::NOT_FOUND, "channel_not_found"))?;
        if channel.is_archived {
            return Err((StatusCode::GONE, "channel_is_archived"));
        }
        if st.enforce_rate_limits
            && st
                .limiter
                .check(
                    "chat.postMessage",
                    &format!("webhook:{}", hook.id),
                    Some(&channel.id),
                )
                .is_err()
        {
            return Err((StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
        }
        let install = st
            .installs
            .values()
            .find(|i| i.webhook_id.as_deref() == Some(hook.id.as_str()))
            .cloned();
        st.push_message(Message {
            ts: String::new(),
            channel: channel.id,
            user: install
                .as_ref()
                .map(|i| i.bot_user_id.clone())
                .unwrap_or_default(),
            bot_id: Some(hook.id.clone()),
            app_id: install.map(|i| i.app_id),
            text: content.text,
            blocks: content.blocks,
            attachments: content.attachments,
            thread_ts: payload
                .get("thread_ts")
                .and_then(Value::as_str)
                .map(str::to_owned),
            origin: MessageOrigin::Webhook,
            edits: Vec::new(),
            deleted: false,
            metadata: None,
        });
        Ok(())
    })();
    let (status, msg) = match outcome {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => e,
    };
    record(st, &path, logged, status, msg);
    let mut resp = text(status, msg);
    if status == StatusCode::TOO_MANY_REQUESTS {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    resp
}

/// `POST /commands/…` and `/actions/…`: a `response_url`.
pub async fn response_url(
    AxumState(core): AxumState<Arc<Core>>,
    Path((_team, id, secret)): Path<(String, String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let mut guard = core.state.lock();
    let st = &mut *guard;
    let payload = read_payload(&headers, &body);
    let logged = payload.clone().unwrap_or(Value::Null);
    let outcome = apply_response(st, &id, &secret, payload);
    let (status, msg) = match outcome {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => e,
    };
    record(st, &path, logged, status, msg);
    text(status, msg)
}

fn apply_response(
    st: &mut State,
    id: &str,
    secret: &str,
    payload: Option<Value>,
) -> Result<(), (StatusCode, &'static str)> {
    let timings = st.timings.clone();
    let url = st
        .response_urls
        .get_mut(id)
        .ok_or((StatusCode::NOT_FOUND, "no_service"))?;
    if url.secret != secret {
        return Err((StatusCode::FORBIDDEN, "invalid_token"));
    }
    if url
        .issued
        .is_some_and(|i| i.elapsed() > timings.response_url_ttl)
    {
        return Err((StatusCode::NOT_FOUND, "expired_url"));
    }
    if url.uses >= timings.response_url_max_uses {
        return Err((StatusCode::NOT_FOUND, "used_url"));
    }
    let payload = payload.ok_or((StatusCode::BAD_REQUEST, "invalid_payload"))?;
    url.uses += 1;
    let url = url.clone();
    let flag = |k: &str| payload.get(k).and_then(Value::as_bool).unwrap_or(false);
    let thread_ts = payload
        .get("thread_ts")
        .and_then(Value::as_str)
        .map(str::to_owned);

    if flag("delete_original") {
        let ts = url
            .source_ts
            .as_deref()
            .ok_or((StatusCode::NOT_FOUND, "message_not_found"))?;
        if url.source_is_ephemeral {
            let e = st
                .ephemerals
                .iter_mut()
                .find(|e| e.message_ts == ts && !e.deleted)
                .ok_or((StatusCode::NOT_FOUND, "message_not_found"))?;
            e.deleted = true;
        } else {
            let m = st
                .message_mut(&url.channel_id, ts)
                .ok_or((StatusCode::NOT_FOUND, "message_not_found"))?;
            m.deleted = true;
        }
        return Ok(());
    }
    let content = content(&payload)?;
    if flag("replace_original")
        && let Some(ts) = url.source_ts.as_deref()
    {
        let revision =
            |text: &str, blocks: &Option<Value>, attachments: &Option<Value>| MessageRevision {
                text: text.to_owned(),
                blocks: blocks.clone(),
                attachments: attachments.clone(),
                replaced_at_micros: crate::ids::unix_micros(),
            };
        if url.source_is_ephemeral {
            let e = st
                .ephemerals
                .iter_mut()
                .find(|e| e.message_ts == ts && !e.deleted)
                .ok_or((StatusCode::NOT_FOUND, "message_not_found"))?;
            e.edits.push(revision(&e.text, &e.blocks, &None));
            e.text = content.text;
            e.blocks = content.blocks;
        } else {
            let m = st
                .message_mut(&url.channel_id, ts)
                .ok_or((StatusCode::NOT_FOUND, "message_not_found"))?;
            m.edits.push(revision(&m.text, &m.blocks, &m.attachments));
            m.text = content.text;
            m.blocks = content.blocks;
            m.attachments = content.attachments;
        }
        return Ok(());
    }
    let install = st.installs.get(&url.install_id).cloned();
    let in_channel = payload.get("response_type").and_then(Value::as_str) == Some("in_channel");
    if in_channel {
        st.push_message(Message {
            ts: String::new(),
            channel: url.channel_id.clone(),
            user: install
                .as_ref()
                .map(|i| i.bot_user_id.clone())
                .unwrap_or_default(),
            bot_id: install.as_ref().map(|i| i.bot_id.clone()),
            app_id: install.map(|i| i.app_id),
            text: content.text,
            blocks: content.blocks,
            attachments: content.attachments,
            thread_ts,
            origin: MessageOrigin::ResponseUrl,
            edits: Vec::new(),
            deleted: false,
            metadata: None,
        });
    } else {
        let message_ts = st.clock.next_ts();
        st.ephemerals.push(EphemeralMessage {
            message_ts,
            channel: url.channel_id.clone(),
            user: url.user_id.clone(),
            text: content.text,
            blocks: content.blocks,
            thread_ts,
            origin: MessageOrigin::ResponseUrl,
            edits: Vec::new(),
            deleted: false,
        });
    }
    Ok(())
}
