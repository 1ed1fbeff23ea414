//! The driver: requests from "Slack" to the app under test, signed with the
//! app's signing secret (slack.md §2): slash commands (form), interactivity
//! (form field `payload`), Events API (JSON) with Slack's retry semantics.
//!
//! Each delivery measures the ack (Slack requires a response within 3 s) and
//! is recorded for inspection. Events that are not acked with a 2xx in time
//! are retried with `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`, unless the
//! app answers with `X-Slack-No-Retry: 1`.

use crate::error::{Result, StandinError};
use crate::ids;
use crate::server::Core;
use crate::signing;
use crate::state::{
    Delivery, DeliveryAttempt, EphemeralMessage, Installation, Message, MessageOrigin, ResponseUrl,
    State,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const MAX_BODY: usize = 64 * 1024;

/// A slash command to send.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SlashCommand {
    /// Workspace (`T…`).
    pub team_id: String,
    /// Channel the command was typed in.
    pub channel_id: String,
    /// User who typed it.
    pub user_id: String,
    /// Command, e.g. `/c1`.
    pub command: String,
    /// Text after the command (may be empty).
    #[serde(default)]
    pub text: String,
}

/// How the app acked one driver request.
#[derive(Debug, Clone, Serialize)]
pub struct Ack {
    /// HTTP status (`None` on timeout or connection failure).
    pub status: Option<u16>,
    /// Response body.
    pub body: String,
    /// Response content type.
    pub content_type: Option<String>,
    /// Response time.
    pub latency: Duration,
    /// 2xx within the ack window.
    pub acked: bool,
    /// `response_url` minted for this request, if any.
    pub response_url: Option<String>,
    /// `trigger_id` minted for this request, if any.
    pub trigger_id: Option<String>,
}

impl Ack {
    /// The body parsed as JSON (`None` if empty or not JSON).
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// Click a button (or any block action element) on a stored message.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ButtonClick {
    /// Who clicks.
    pub user_id: String,
    /// Channel of the message.
    pub channel_id: String,
    /// Message `ts` (or an ephemeral `message_ts`).
    pub message_ts: String,
    /// `action_id` of the element.
    pub action_id: String,
}

/// Submit an open modal.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ViewSubmit {
    /// View id (`V…`).
    pub view_id: String,
    /// Who submits (default: the user the view was opened for).
    #[serde(default)]
    pub user_id: Option<String>,
    /// `state.values`: `{block_id: {action_id: {"type": …, "value": …}}}`.
    #[serde(default)]
    pub values: Value,
}

/// What the app answered to a view submission.
#[derive(Debug, Clone, Serialize)]
pub struct ViewSubmitOutcome {
    /// The raw ack.
    pub ack: Ack,
    /// `response_action` (`errors`, `update`, `push`, `clear`), or `None` for an empty 200 (close).
    pub response_action: Option<String>,
    /// `errors` for `response_action: errors`.
    pub errors: Option<Value>,
}

/// Ack window and retry policy.
fn retry_delays(core: &Core) -> &[Duration] {
    &core.config.event_retry_delays
}

async fn post_once(
    core: &Core,
    url: &str,
    body: &str,
    content_type: &str,
    retry: Option<(u32, &str)>,
) -> (DeliveryAttempt, bool) {
    let ts = ids::unix_now();
    let signature = signing::sign(&core.config.signing_secret, ts, body.as_bytes());
    let mut req = core
        .http
        .post(url)
        .header("content-type", content_type)
        .header(signing::TIMESTAMP_HEADER, ts.to_string())
        .header(signing::SIGNATURE_HEADER, signature)
        .header("user-agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
        .timeout(core.config.ack_timeout)
        .body(body.to_owned());
    if let Some((num, reason)) = retry {
        req = req
            .header("x-slack-retry-num", num.to_string())
            .header("x-slack-retry-reason", reason);
    }
    let started = Instant::now();
    let result = req.send().await;
    let mut attempt = DeliveryAttempt {
        retry_num: retry.map_or(0, |r| r.0),
        retry_reason: retry.map(|r| r.1.to_owned()),
        status: None,
        body: String::new(),
        content_type: None,
        latency_ms: 0,
        acked: false,
        failure: None,
    };
    let mut no_retry = false;
    match result {
        Ok(resp) => {
            let status = resp.status();
            attempt.status = Some(status.as_u16());
            attempt.content_type = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            no_retry = resp
                .headers()
                .get("x-slack-no-retry")
                .is_some_and(|v| v.as_bytes() == b"1");
            match resp.text().await {
                Ok(mut text) => {
                    text.truncate(MAX_BODY);
                    attempt.body = text;
                    attempt.acked = status.is_success();
                    if !status.is_success() {
                        attempt.failure = Some("http_error".to_owned());
                    }
                }
                Err(e) => {
                    attempt.failure = Some(
                        if e.is_timeout() {
                            "http_timeout"
                        } else {
                            "http_error"
                        }
                        .to_owned(),
                    )
                }
            }
        }
        Err(e) => {
            attempt.failure = Some(
                if e.is_timeout() {
                    "http_timeout"
                } else {
                    "connection_failed"
                }
                .to_owned(),
            );
        }
    }
    attempt.latency_ms = started.elapsed().as_millis();
    (attempt, no_retry)
}

fn to_ack(a: &DeliveryAttempt, response_url: Option<String>, trigger_id: Option<String>) -> Ack {
    Ack {
        status: a.status,
        body: a.body.clone(),
        content_type: a.content_type.clone(),
        latency: Duration::from_millis(u64::try_from(a.latency_ms).unwrap_or(u64::MAX)),
        acked: a.acked,
        response_url,
        trigger_id,
    }
}

/// Sends one signed request (no retries) and records it.
async fn deliver_once(
    core: &Core,
    kind: &str,
    url: &str,
    body: String,
    content_type: &str,
) -> DeliveryAttempt {
    let (attempt, _) = post_once(core, url, &body, content_type, None).await;
    core.state.lock().deliveries.push(Delivery {
        kind: kind.to_owned(),
        url: url.to_owned(),
        body,
        attempts: vec![attempt.clone()],
    });
    attempt
}

/// Sends a JSON event with Slack's retry policy; records every attempt.
pub async fn deliver_with_retries(core: &Core, kind: &str, url: &str, body: String) -> Delivery {
    let mut attempts = Vec::new();
    let (first, mut stop) = post_once(core, url, &body, "application/json", None).await;
    let mut last_failure = first.failure.clone();
    let mut acked = first.acked;
    attempts.push(first);
    for (n, delay) in retry_delays(core).iter().enumerate() {
        if acked || stop {
            break;
        }
        tokio::time::sleep(*delay).await;
        let reason = last_failure
            .clone()
            .unwrap_or_else(|| "http_error".to_owned());
        let num = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let (attempt, no_retry) =
            post_once(core, url, &body, "application/json", Some((num, &reason))).await;
        last_failure = attempt.failure.clone();
        acked = attempt.acked;
        stop = no_retry;
        attempts.push(attempt);
    }
    let delivery = Delivery {
        kind: kind.to_owned(),
        url: url.to_owned(),
        body,
        attempts,
    };
    core.state.lock().deliveries.push(delivery.clone());
    delivery
}

/// The installation that covers `team_id` (workspace or org-wide), if any.
pub fn install_for_team(st: &State, team_id: &str) -> Option<Installation> {
    let enterprise = st.teams.get(team_id).and_then(|t| t.enterprise_id.clone());
    st.installs
        .values()
        .filter(|i| !i.uninstalled)
        .find(|i| i.team_id.as_deref() == Some(team_id))
        .or_else(|| {
            st.installs.values().filter(|i| !i.uninstalled).find(|i| {
                i.is_enterprise_install
                    && i.enterprise_id.is_some()
                    && i.enterprise_id == enterprise
            })
        })
        .cloned()
}

/// Wraps an inner event in Slack's `event_callback` envelope.
pub fn wrap_event(
    core: &Core,
    st: &State,
    install: &Installation,
    team_id: Option<&str>,
    mut event: Value,
) -> Value {
    if let Some(obj) = event.as_object_mut() {
        obj.entry("event_ts")
            .or_insert_with(|| json!(format!("{}.{:06}", ids::unix_now(), ids::digits(6))));
    }
    let team = team_id
        .map(str::to_owned)
        .or_else(|| install.team_id.clone())
        .or_else(|| install.enterprise_id.clone())
        .unwrap_or_default();
    let enterprise = install
        .enterprise_id
        .clone()
        .or_else(|| st.teams.get(&team).and_then(|t| t.enterprise_id.clone()));
    json!({
        "token": core.verification_token,
        "team_id": team,
        "enterprise_id": enterprise,
        "api_app_id": install.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": format!("Ev{}", &ids::object_id('0')[1..]),
        "event_time": ids::unix_now(),
        "authorizations": [{
            "enterprise_id": enterprise,
            "team_id": install.team_id,
            "user_id": install.bot_user_id,
            "is_bot": true,
            "is_enterprise_install": install.is_enterprise_install,
        }],
        "is_ext_shared_channel": false,
        "event_context": format!("4-{}", ids::secret(40)),
    })
}

/// Delivers `tokens_revoked` / `app_uninstalled` events to the configured events URL.
pub async fn deliver_lifecycle_events(core: &Core, events: Vec<Value>) {
    let url = core.state.lock().events_url.clone();
    let Some(url) = url else { return };
    for event in events {
        let body = event.to_string();
        deliver_with_retries(core, "event", &url, body).await;
    }
}

/// Where a minted response_url posts to.
struct UrlTarget<'a> {
    kind: &'a str,
    team_id: &'a str,
    channel_id: &'a str,
    user_id: &'a str,
    install_id: &'a str,
    /// Source message `ts` and whether it is ephemeral.
    source: Option<(String, bool)>,
}

fn mint_response_url(st: &mut State, core: &Core, target: UrlTarget<'_>) -> String {
    let UrlTarget {
        kind,
        team_id,
        channel_id,
        user_id,
        install_id,
        source,
    } = target;
    let id = ids::digits(13);
    let secret = ids::secret(24);
    let (source_ts, source_is_ephemeral) = match source {
        Some((ts, eph)) => (Some(ts), eph),
        None => (None, false),
    };
    st.response_urls.insert(
        id.clone(),
        ResponseUrl {
            id: id.clone(),
            secret: secret.clone(),
            kind: kind.to_owned(),
            team_id: team_id.to_owned(),
            channel_id: channel_id.to_owned(),
            user_id: user_id.to_owned(),
            source_ts,
            source_is_ephemeral,
            install_id: install_id.to_owned(),
            uses: 0,
            issued: Some(Instant::now()),
        },
    );
    format!("{}/{kind}/{team_id}/{id}/{secret}", core.base_url)
}

fn user_and_team(
    st: &State,
    user_id: &str,
    team_id: &str,
) -> Result<(crate::state::User, crate::state::Team)> {
    let team = st
        .teams
        .get(team_id)
        .cloned()
        .ok_or_else(|| StandinError::NotFound(format!("team {team_id}")))?;
    let user = st
        .users
        .get(user_id)
        .cloned()
        .ok_or_else(|| StandinError::NotFound(format!("user {user_id}")))?;
    Ok((user, team))
}

/// Sends a slash command and applies the app's synchronous reply (JSON with
/// `response_type` / `text` / `blocks`, or plain text) like Slack would.
pub async fn send_slash_command(core: &Core, app_url: &str, cmd: &SlashCommand) -> Result<Ack> {
    let (form, response_url, trigger_id, install) = {
        let mut guard = core.state.lock();
        let st = &mut *guard;
        let (user, team) = user_and_team(st, &cmd.user_id, &cmd.team_id)?;
        let install = install_for_team(st, &cmd.team_id).ok_or_else(|| {
            StandinError::Invalid(format!("the app is not installed in {}", cmd.team_id))
        })?;
        let channel = st
            .channel(&cmd.channel_id)
            .cloned()
            .ok_or_else(|| StandinError::NotFound(format!("channel {}", cmd.channel_id)))?;
        let response_url = mint_response_url(
            st,
            core,
            UrlTarget {
                kind: "commands",
                team_id: &team.id,
                channel_id: &channel.id,
                user_id: &user.id,
                install_id: &install.id,
                source: None,
            },
        );
        let trigger_id = st.issue_trigger(&team.id, &user.id);
        let enterprise = team
            .enterprise_id
            .as_ref()
            .and_then(|e| st.enterprises.get(e))
            .cloned();
        let channel_name = if channel.is_im {
            "directmessage".to_owned()
        } else {
            channel.name.clone()
        };
        let mut pairs: Vec<(&str, String)> = vec![
            ("token", core.verification_token.clone()),
            ("team_id", team.id.clone()),
            ("team_domain", team.domain.clone()),
        ];
        if let Some(e) = &enterprise {
            pairs.push(("enterprise_id", e.id.clone()));
            pairs.push(("enterprise_name", e.name.clone()));
        }
        pairs.extend([
            ("channel_id", channel.id.clone()),
            ("channel_name", channel_name),
            ("user_id", user.id.clone()),
            ("user_name", user.name.clone()),
            ("command", cmd.command.clone()),
            ("text", cmd.text.clone()),
            ("api_app_id", install.app_id.clone()),
            (
                "is_enterprise_install",
                install.is_enterprise_install.to_string(),
            ),
            ("response_url", response_url.clone()),
            ("trigger_id", trigger_id.clone()),
        ]);
        let form = serde_urlencoded::to_string(&pairs)
            .map_err(|e| StandinError::Invalid(e.to_string()))?;
        (form, response_url, trigger_id, install)
    };
    let attempt = deliver_once(
        core,
        "slash_command",
        app_url,
        form,
        "application/x-www-form-urlencoded",
    )
    .await;
    if attempt.acked && !attempt.body.trim().is_empty() {
        let mut st = core.state.lock();
        apply_command_reply(&mut st, &install, cmd, &attempt);
    }
    Ok(to_ack(&attempt, Some(response_url), Some(trigger_id)))
}

fn apply_command_reply(
    st: &mut State,
    install: &Installation,
    cmd: &SlashCommand,
    attempt: &DeliveryAttempt,
) {
    let is_json = attempt
        .content_type
        .as_deref()
        .is_some_and(|c| c.contains("json"));
    let (text, blocks, in_channel) = match serde_json::from_str::<Value>(&attempt.body) {
        Ok(v) if is_json && v.is_object() => (
            v.get("text")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            v.get("blocks").cloned().filter(Value::is_array),
            v.get("response_type").and_then(Value::as_str) == Some("in_channel"),
        ),
        _ => (attempt.body.clone(), None, false),
    };
    if in_channel {
        st.push_message(Message {
            ts: String::new(),
            channel: cmd.channel_id.clone(),
            user: install.bot_user_id.clone(),
            bot_id: Some(install.bot_id.clone()),
            app_id: Some(install.app_id.clone()),
            text,
            blocks,
            attachments: None,
            thread_ts: None,
            origin: MessageOrigin::CommandReply,
            edits: Vec::new(),
            deleted: false,
        });
    } else {
        let message_ts = st.clock.next_ts();
        st.ephemerals.push(EphemeralMessage {
            message_ts,
            channel: cmd.channel_id.clone(),
            user: cmd.user_id.clone(),
            text,
            blocks,
            thread_ts: None,
            origin: MessageOrigin::CommandReply,
            edits: Vec::new(),
            deleted: false,
        });
    }
}

/// Sends a raw interactivity payload (`payload=<json>`, signed).
pub async fn send_interaction(core: &Core, app_url: &str, payload: &Value) -> Result<Ack> {
    let form = serde_urlencoded::to_string([("payload", payload.to_string())])
        .map_err(|e| StandinError::Invalid(e.to_string()))?;
    let attempt = deliver_once(
        core,
        "interaction",
        app_url,
        form,
        "application/x-www-form-urlencoded",
    )
    .await;
    Ok(to_ack(&attempt, None, None))
}

fn find_action(blocks: &Value, action_id: &str) -> Option<(String, Value)> {
    for block in blocks.as_array()? {
        let block_id = block
            .get("block_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut candidates: Vec<&Value> = block
            .get("elements")
            .and_then(Value::as_array)
            .map(|e| e.iter().collect())
            .unwrap_or_default();
        candidates.extend(block.get("accessory"));
        candidates.extend(block.get("element"));
        if let Some(el) = candidates
            .into_iter()
            .find(|e| e.get("action_id").and_then(Value::as_str) == Some(action_id))
        {
            return Some((block_id, el.clone()));
        }
    }
    None
}

/// Clicks an element of a stored message and sends the `block_actions` payload.
pub async fn click_button(core: &Core, app_url: &str, click: &ButtonClick) -> Result<Ack> {
    let (payload, response_url, trigger_id) = {
        let mut guard = core.state.lock();
        let st = &mut *guard;
        let channel = st
            .channel(&click.channel_id)
            .cloned()
            .ok_or_else(|| StandinError::NotFound(format!("channel {}", click.channel_id)))?;
        let (user, team) = user_and_team(st, &click.user_id, &channel.team_id)?;
        let install = install_for_team(st, &team.id).ok_or_else(|| {
            StandinError::Invalid(format!("the app is not installed in {}", team.id))
        })?;
        let (message_json, blocks, is_ephemeral) = if let Some(m) = st
            .messages
            .get(&channel.id)
            .and_then(|ms| ms.iter().find(|m| m.ts == click.message_ts && !m.deleted))
        {
            (
                m.to_json(&team.id),
                m.blocks.clone().unwrap_or(Value::Null),
                false,
            )
        } else if let Some(e) = st
            .ephemerals
            .iter()
            .find(|e| e.message_ts == click.message_ts && e.user == user.id && !e.deleted)
        {
            let m =
                json!({"type": "message", "ts": e.message_ts, "text": e.text, "blocks": e.blocks});
            (m, e.blocks.clone().unwrap_or(Value::Null), true)
        } else {
            return Err(StandinError::NotFound(format!(
                "message {} in {}",
                click.message_ts, channel.id
            )));
        };
        let (block_id, element) = find_action(&blocks, &click.action_id).ok_or_else(|| {
            StandinError::NotFound(format!(
                "action_id {} in message {}",
                click.action_id, click.message_ts
            ))
        })?;
        let response_url = mint_response_url(
            st,
            core,
            UrlTarget {
                kind: "actions",
                team_id: &team.id,
                channel_id: &channel.id,
                user_id: &user.id,
                install_id: &install.id,
                source: Some((click.message_ts.clone(), is_ephemeral)),
            },
        );
        let trigger_id = st.issue_trigger(&team.id, &user.id);
        let mut action = json!({
            "type": element.get("type").cloned().unwrap_or_else(|| json!("button")),
            "action_id": click.action_id,
            "block_id": block_id,
            "action_ts": format!("{}.{:06}", ids::unix_now(), ids::digits(6)),
        });
        if let Some(obj) = action.as_object_mut() {
            for key in ["text", "value", "style"] {
                if let Some(v) = element.get(key) {
                    obj.insert(key.to_owned(), v.clone());
                }
            }
        }
        let enterprise = team
            .enterprise_id
            .as_ref()
            .and_then(|e| st.enterprises.get(e))
            .map(|e| json!({"id": e.id, "name": e.name}));
        let payload = json!({
            "type": "block_actions",
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": team.id},
            "api_app_id": install.app_id,
            "token": core.verification_token,
            "container": {"type": "message", "message_ts": click.message_ts, "channel_id": channel.id, "is_ephemeral": is_ephemeral},
            "trigger_id": trigger_id,
            "team": {"id": team.id, "domain": team.domain},
            "enterprise": enterprise,
            "is_enterprise_install": install.is_enterprise_install,
            "channel": {"id": channel.id, "name": channel.name},
            "message": message_json,
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [action],
        });
        (payload, response_url, trigger_id)
    };
    let mut ack = send_interaction(core, app_url, &payload).await?;
    ack.response_url = Some(response_url);
    ack.trigger_id = Some(trigger_id);
    Ok(ack)
}

/// Submits a stored modal (`view_submission`) and applies the app's
/// `response_action` (close, `errors`, `update`, `push`, `clear`).
pub async fn submit_view(
    core: &Core,
    app_url: &str,
    submit: &ViewSubmit,
) -> Result<ViewSubmitOutcome> {
    let (payload, view_id) = {
        let mut guard = core.state.lock();
        let st = &mut *guard;
        let view = st
            .views
            .iter()
            .find(|v| v.id == submit.view_id && !v.closed)
            .cloned()
            .ok_or_else(|| StandinError::NotFound(format!("open view {}", submit.view_id)))?;
        let user_id = submit
            .user_id
            .clone()
            .unwrap_or_else(|| view.user_id.clone());
        let (user, team) = user_and_team(st, &user_id, &view.team_id)?;
        let install = st
            .installs
            .get(&view.install_id)
            .cloned()
            .ok_or_else(|| StandinError::NotFound("installation".into()))?;
        let values = if submit.values.is_null() {
            json!({})
        } else {
            submit.values.clone()
        };
        if let Some(v) = st.views.iter_mut().find(|v| v.id == view.id) {
            v.state_values = values;
        }
        let stored = st
            .views
            .iter()
            .find(|v| v.id == view.id)
            .cloned()
            .unwrap_or(view);
        let view_json = crate::web_api::views::view_json(st, &stored);
        let trigger_id = st.issue_trigger(&team.id, &user.id);
        let enterprise = team
            .enterprise_id
            .as_ref()
            .and_then(|e| st.enterprises.get(e))
            .map(|e| json!({"id": e.id, "name": e.name}));
        let team_json = if install.is_enterprise_install {
            Value::Null
        } else {
            json!({"id": team.id, "domain": team.domain})
        };
        let payload = json!({
            "type": "view_submission",
            "team": team_json,
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": team.id},
            "api_app_id": install.app_id,
            "token": core.verification_token,
            "trigger_id": trigger_id,
            "view": view_json,
            "response_urls": [],
            "enterprise": enterprise,
            "is_enterprise_install": install.is_enterprise_install,
        });
        (payload, stored.id)
    };
    let ack = send_interaction(core, app_url, &payload).await?;
    let reply = ack.json();
    let action = reply
        .as_ref()
        .and_then(|r| r.get("response_action"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let errors = reply.as_ref().and_then(|r| r.get("errors")).cloned();
    if ack.acked {
        let mut st = core.state.lock();
        apply_view_response(&mut st, &view_id, action.as_deref(), reply.as_ref());
    }
    Ok(ViewSubmitOutcome {
        ack,
        response_action: action,
        errors,
    })
}

fn apply_view_response(st: &mut State, view_id: &str, action: Option<&str>, reply: Option<&Value>) {
    let new_view = reply.and_then(|r| r.get("view")).cloned();
    match action {
        None => {
            if let Some(v) = st.views.iter_mut().find(|v| v.id == view_id) {
                v.closed = true;
            }
        }
        Some("update") => {
            if let (Some(v), Some(def)) = (st.views.iter_mut().find(|v| v.id == view_id), new_view)
            {
                let old = std::mem::replace(&mut v.definition, def);
                v.history.push(old);
                v.hash = format!("{}.{}", ids::unix_now(), ids::digits(8));
            }
        }
        Some("push") => {
            let Some(base) = st.views.iter().find(|v| v.id == view_id).cloned() else {
                return;
            };
            if let Some(def) = new_view {
                let mut pushed = base.clone();
                pushed.id = ids::object_id('V');
                pushed.definition = def;
                pushed.hash = format!("{}.{}", ids::unix_now(), ids::digits(8));
                pushed.previous_view_id = Some(base.id.clone());
                pushed.root_view_id = base.root_view_id.clone().or(Some(base.id));
                pushed.history = Vec::new();
                pushed.state_values = json!({});
                st.views.push(pushed);
            }
        }
        Some("clear") => {
            let root = st
                .views
                .iter()
                .find(|v| v.id == view_id)
                .and_then(|v| v.root_view_id.clone())
                .unwrap_or_else(|| view_id.to_owned());
            for v in st
                .views
                .iter_mut()
                .filter(|v| v.id == root || v.root_view_id.as_deref() == Some(root.as_str()))
            {
                v.closed = true;
            }
        }
        Some(_) => {}
    }
}

/// Sends an Events API `event_callback` wrapping `event` for the app installed
/// in `team_id`, with retries.
pub async fn send_event(
    core: &Core,
    app_url: &str,
    team_id: &str,
    event: Value,
) -> Result<Delivery> {
    let body = {
        let st = core.state.lock();
        let install = install_for_team(&st, team_id).ok_or_else(|| {
            StandinError::Invalid(format!("the app is not installed in {team_id}"))
        })?;
        wrap_event(core, &st, &install, Some(team_id), event).to_string()
    };
    Ok(deliver_with_retries(core, "event", app_url, body).await)
}

/// Sends a signed `url_verification` and checks the app echoes the challenge
/// (as `text/plain`, form `challenge=…` or JSON `{"challenge": …}`).
pub async fn verify_events_url(core: &Core, app_url: &str) -> Result<bool> {
    let challenge = ids::secret(48);
    let body = json!({"token": core.verification_token, "challenge": challenge, "type": "url_verification"}).to_string();
    let attempt = deliver_once(core, "url_verification", app_url, body, "application/json").await;
    if !attempt.acked {
        return Ok(false);
    }
    let text = attempt.body.trim();
    if text == challenge {
        return Ok(true);
    }
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Ok(v.get("challenge").and_then(Value::as_str) == Some(challenge.as_str()));
    }
    let form: Vec<(String, String)> = serde_urlencoded::from_str(text).unwrap_or_default();
    Ok(form
        .iter()
        .any(|(k, v)| k == "challenge" && *v == challenge))
}
