//! The driver: requests from "Slack" to the app under test, signed with the
//! app's signing secret (slack.md §2): slash commands (form), interactivity
//! (form field `payload`), Events API (JSON) with Slack's retry semantics.
//!
//! Each delivery measures the ack (Slack requires a response within 3 s) and
//! is recorded for inspection. Events that are not acked with a 2xx in time
//! are retried with `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`, unless the
//! app answers with `X-Slack-No-Retry: 1`.

use crate::blockkit::{self, Input, Inputs};
use crate::error::{Result, StandinError};
use crate::ids;
use crate::server::Core;
use crate::signing;
use crate::state::{
    Delivery, DeliveryAttempt, EphemeralMessage, Installation, Message, MessageOrigin, ResponseUrl,
    State,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
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
    /// Optional shorthand for filling inputs before submitting:
    /// `{block_id: {action_id: {"type": …, "value"/"selected_*": …}}}`. Every
    /// entry must name an element of the view with its type and state key;
    /// it is applied like a person entering it. `state.values` is then derived
    /// from the view, never copied from here. Prefer [`Act`] / `Person`.
    #[serde(default)]
    pub values: Value,
}

/// What the person saw after submitting, and what the app answered.
#[derive(Debug, Clone, Serialize)]
pub struct ViewSubmitOutcome {
    /// The app's ack; `None` when Slack's client refused to submit (see `client_errors`).
    pub ack: Option<Ack>,
    /// `response_action` (`errors`, `update`, `push`, `clear`), or `None` for an empty 200 (close).
    pub response_action: Option<String>,
    /// `errors` for `response_action: errors`.
    pub errors: Option<Value>,
    /// Required inputs left empty (or under `min_length`), by block id, with
    /// the message Slack's client shows. Nothing was sent to the app.
    pub client_errors: BTreeMap<String, String>,
    /// What Slack shows when it cannot use the app's answer ("We had some
    /// trouble connecting. Try again?"): a late or non-2xx ack, or a
    /// `response_action` Slack cannot apply. The app is not told.
    pub slack_error: Option<String>,
    /// Why the answer could not be applied (view violations, stack limit, …),
    /// for the test's eyes only.
    pub problems: Vec<String>,
}

/// Slack's message when it cannot use an app's answer to a submission
/// (slackapi/bolt-python#241, soxtoby/SlackNet#102).
pub const TROUBLE_CONNECTING: &str = "We had some trouble connecting. Try again?";

/// Where an element lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Surface {
    /// A modal or an App Home view.
    View {
        /// View id (`V…`).
        view_id: String,
    },
    /// A channel message, or an ephemeral message the person sees (found by `message_ts`).
    Message {
        /// Channel id.
        channel_id: String,
        /// Message `ts` (or an ephemeral `message_ts`).
        message_ts: String,
    },
}

impl Surface {
    /// A modal or App Home view.
    pub fn view(view_id: impl Into<String>) -> Self {
        Self::View {
            view_id: view_id.into(),
        }
    }

    /// A message (or ephemeral message) in a channel.
    pub fn message(channel_id: impl Into<String>, message_ts: impl Into<String>) -> Self {
        Self::Message {
            channel_id: channel_id.into(),
            message_ts: message_ts.into(),
        }
    }
}

/// A person doing something to one element.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Act {
    /// Who acts.
    pub user_id: String,
    /// Where the element is.
    pub surface: Surface,
    /// The element's block (omit to find the element by `action_id` alone,
    /// e.g. when Slack assigned the block id).
    #[serde(default)]
    pub block_id: Option<String>,
    /// The element's `action_id`.
    pub action_id: String,
    /// What the person does.
    pub input: Input,
}

/// What happened after a person acted.
#[derive(Debug, Clone, Serialize)]
pub struct ActOutcome {
    /// The app's ack of the `block_actions` request, when the element
    /// dispatches (buttons and elements outside input blocks always; inside
    /// input blocks only with `dispatch_action: true`).
    pub dispatched: Option<Ack>,
    /// The surface's `state.values` after the action, as the person sees it.
    pub state: Value,
}

/// A person typing into an `external_select` / `multi_external_select`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OptionsLoad {
    /// Who types.
    pub user_id: String,
    /// Where the select is.
    pub surface: Surface,
    /// The select's block (omit to find it by `action_id`).
    #[serde(default)]
    pub block_id: Option<String>,
    /// The select's `action_id`.
    pub action_id: String,
    /// What the person typed.
    #[serde(default)]
    pub value: String,
}

/// What the select showed after an options load.
#[derive(Debug, Clone, Serialize)]
pub struct OptionsOutcome {
    /// The app's answer; `None` when nothing was sent (typed text shorter than
    /// `min_query_length`, default 3: TYPES block-elements.ts `ExternalSelect`).
    pub ack: Option<Ack>,
    /// The options the person sees (groups flattened); empty on a bad answer.
    pub options: Vec<Value>,
    /// Why Slack would show no options for this answer (the app is not told).
    pub problems: Vec<String>,
}

/// What happened when a person closed a modal.
#[derive(Debug, Clone, Serialize)]
pub struct ViewCloseOutcome {
    /// The app's ack of `view_closed`, sent only with `notify_on_close: true`.
    pub ack: Option<Ack>,
    /// Whether the whole stack was closed (`clear_on_close: true`, `is_cleared`).
    pub is_cleared: bool,
}

/// The conversation the person was viewing when each trigger was issued (a slash command's
/// channel, an acted-on message's, the one a modal was opened from), and when each modal was
/// opened: what `default_to_current_conversation` pre-selects ("the conversation that the user
/// was viewing when they opened the modal, if available", DOCS conversations select element).
/// Keys: [`trigger_key`] / [`view_key`].
fn viewed_conversations() -> &'static std::sync::Mutex<std::collections::HashMap<String, String>> {
    static VIEWED: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, String>>,
    > = std::sync::OnceLock::new();
    VIEWED.get_or_init(Default::default)
}

/// The key of a trigger id in [`conversation_of`].
pub(crate) fn trigger_key(trigger_id: &str) -> String {
    format!("trigger:{trigger_id}")
}

/// The key of a view id in [`conversation_of`].
pub(crate) fn view_key(view_id: &str) -> String {
    format!("view:{view_id}")
}

/// Remembers that `key` (a trigger, a view) belongs to conversation `channel_id`.
pub(crate) fn note_conversation(key: &str, channel_id: &str) {
    viewed_conversations()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(key.to_owned(), channel_id.to_owned());
}

/// The conversation `key` (a trigger, a view) belongs to, if known.
pub(crate) fn conversation_of(key: &str) -> Option<String> {
    viewed_conversations()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(key)
        .cloned()
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

/// Delivers events a Web API call caused (`tokens_revoked` / `app_uninstalled`,
/// `message` events for the app's own posts) to the configured events URL.
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
        note_conversation(&trigger_key(&trigger_id), &channel.id);
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
            v.get("blocks")
                .cloned()
                .filter(Value::is_array)
                .map(|mut b| {
                    blockkit::normalize_blocks(&mut b);
                    b
                }),
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
            metadata: None,
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

/// A surface found in the model, with what the driver needs from it.
enum Located {
    View(crate::state::View),
    Message {
        channel: crate::state::Channel,
        message: Message,
    },
    Ephemeral {
        channel: crate::state::Channel,
        ephemeral: EphemeralMessage,
    },
}

impl Located {
    fn blocks(&self) -> Value {
        let blocks = match self {
            Self::View(v) => v.definition.get("blocks").cloned(),
            Self::Message { message, .. } => message.blocks.clone(),
            Self::Ephemeral { ephemeral, .. } => ephemeral.blocks.clone(),
        };
        blocks.unwrap_or_else(|| json!([]))
    }

    /// Key of the per-person state of a message (`channel|ts|user`).
    fn message_key(&self, user_id: &str) -> Option<String> {
        match self {
            Self::View(_) => None,
            Self::Message { channel, message } => {
                Some(format!("{}|{}|{user_id}", channel.id, message.ts))
            }
            Self::Ephemeral { channel, ephemeral } => {
                Some(format!("{}|{}|{user_id}", channel.id, ephemeral.message_ts))
            }
        }
    }

    fn surface_key(&self, user_id: &str) -> String {
        match self {
            Self::View(v) => format!("{}|{user_id}", v.id),
            _ => self.message_key(user_id).unwrap_or_default(),
        }
    }

    fn inputs(&self, st: &State, user_id: &str) -> Inputs {
        match self {
            Self::View(v) => v.inputs.clone(),
            _ => self
                .message_key(user_id)
                .and_then(|k| st.message_inputs.get(&k).cloned())
                .unwrap_or_default(),
        }
    }
}

fn locate(st: &State, surface: &Surface, user_id: &str) -> Result<Located> {
    match surface {
        Surface::View { view_id } => {
            let view = st
                .views
                .iter()
                .find(|v| v.id == *view_id && !v.closed)
                .cloned()
                .ok_or_else(|| StandinError::NotFound(format!("open view {view_id}")))?;
            if view.user_id != user_id {
                return Err(StandinError::Invalid(format!(
                    "view {view_id} is shown to {}, not to {user_id}",
                    view.user_id
                )));
            }
            Ok(Located::View(view))
        }
        Surface::Message {
            channel_id,
            message_ts,
        } => {
            let channel = st
                .channel(channel_id)
                .cloned()
                .ok_or_else(|| StandinError::NotFound(format!("channel {channel_id}")))?;
            if let Some(m) = st
                .messages
                .get(&channel.id)
                .and_then(|ms| ms.iter().find(|m| m.ts == *message_ts && !m.deleted))
            {
                return Ok(Located::Message {
                    channel,
                    message: m.clone(),
                });
            }
            if let Some(e) = st.ephemerals.iter().find(|e| {
                e.message_ts == *message_ts
                    && e.channel == channel.id
                    && e.user == user_id
                    && !e.deleted
            }) {
                return Ok(Located::Ephemeral {
                    channel,
                    ephemeral: e.clone(),
                });
            }
            Err(StandinError::NotFound(format!(
                "message {message_ts} in {channel_id} (ephemeral messages only for the user who sees them)"
            )))
        }
    }
}

/// The person, their workspace and the installation a surface belongs to.
struct Who {
    user: crate::state::User,
    team: crate::state::Team,
    install: Installation,
}

fn who(st: &State, located: &Located, user_id: &str) -> Result<Who> {
    let (team_id, install) = match located {
        Located::View(v) => (
            v.team_id.clone(),
            st.installs
                .get(&v.install_id)
                .cloned()
                .ok_or_else(|| StandinError::NotFound("installation".into()))?,
        ),
        Located::Message { channel, .. } | Located::Ephemeral { channel, .. } => {
            let install = install_for_team(st, &channel.team_id).ok_or_else(|| {
                StandinError::Invalid(format!("the app is not installed in {}", channel.team_id))
            })?;
            (channel.team_id.clone(), install)
        }
    };
    let (user, team) = user_and_team(st, user_id, &team_id)?;
    Ok(Who {
        user,
        team,
        install,
    })
}

impl Who {
    fn user_json(&self) -> Value {
        json!({"id": self.user.id, "username": self.user.name, "name": self.user.name, "team_id": self.team.id})
    }

    /// `team`: `null` for org-wide installs (BOLTPY-REQ), else `{id, domain}`
    /// (plus `enterprise_id` / `enterprise_name` in a Grid workspace, BOLTPY-SUG).
    fn team_json(&self, st: &State) -> Value {
        if self.install.is_enterprise_install {
            return Value::Null;
        }
        let mut team = json!({"id": self.team.id, "domain": self.team.domain});
        if let (Some(obj), Some(e)) = (
            team.as_object_mut(),
            self.team
                .enterprise_id
                .as_ref()
                .and_then(|e| st.enterprises.get(e)),
        ) {
            obj.insert("enterprise_id".into(), json!(e.id));
            obj.insert("enterprise_name".into(), json!(e.name));
        }
        team
    }

    fn enterprise_json(&self, st: &State) -> Value {
        self.team
            .enterprise_id
            .as_ref()
            .and_then(|e| st.enterprises.get(e))
            .map_or(Value::Null, |e| json!({"id": e.id, "name": e.name}))
    }

    /// The fields every interactivity payload carries.
    fn envelope(&self, core: &Core, st: &State, kind: &str) -> Map<String, Value> {
        let mut p = Map::new();
        p.insert("type".into(), json!(kind));
        p.insert("user".into(), self.user_json());
        p.insert("api_app_id".into(), json!(self.install.app_id));
        p.insert("token".into(), json!(core.verification_token));
        p.insert("team".into(), self.team_json(st));
        p.insert("enterprise".into(), self.enterprise_json(st));
        p.insert(
            "is_enterprise_install".into(),
            json!(self.install.is_enterprise_install),
        );
        p
    }
}

/// `channel` in payloads: DMs are named `directmessage` (JAVA-BAP).
fn channel_ref(channel: &crate::state::Channel) -> Value {
    let name = if channel.is_im {
        "directmessage"
    } else {
        channel.name.as_str()
    };
    json!({"id": channel.id, "name": name})
}

/// Adds the surface-specific parts of a `block_actions` / `block_suggestion` payload.
/// Messages: `container{type:message,…}`, `channel`, `message` (not for
/// ephemerals: JAVA-BAP `jsonWithState`), `state`, `response_url` (block_actions only).
/// Views: `container{type:view,view_id}` and `view` with its state; no
/// `channel`, `message` or `response_url` (BOLTJS-BA, BOLTPY-SUG).
fn add_surface(
    core: &Core,
    st: &mut State,
    payload: &mut Map<String, Value>,
    located: &Located,
    who: &Who,
    with_response_url: bool,
) {
    match located {
        Located::View(v) => {
            payload.insert("container".into(), json!({"type": "view", "view_id": v.id}));
            let view = st
                .views
                .iter()
                .find(|sv| sv.id == v.id)
                .cloned()
                .unwrap_or_else(|| v.clone());
            payload.insert("view".into(), crate::web_api::views::view_json(st, &view));
        }
        Located::Message { channel, .. } | Located::Ephemeral { channel, .. } => {
            let (ts, is_ephemeral) = match located {
                Located::Ephemeral { ephemeral, .. } => (ephemeral.message_ts.clone(), true),
                Located::Message { message, .. } => (message.ts.clone(), false),
                Located::View(_) => (String::new(), false),
            };
            payload.insert(
                "container".into(),
                json!({"type": "message", "message_ts": ts, "channel_id": channel.id, "is_ephemeral": is_ephemeral}),
            );
            payload.insert("channel".into(), channel_ref(channel));
            if let Located::Message { message, .. } = located {
                payload.insert("message".into(), message.to_json(&channel.team_id));
            }
            let inputs = located.inputs(st, &who.user.id);
            payload.insert(
                "state".into(),
                json!({"values": blockkit::state_values(&located.blocks(), &inputs)}),
            );
            if with_response_url {
                let url = mint_response_url(
                    st,
                    core,
                    UrlTarget {
                        kind: "actions",
                        team_id: &who.team.id,
                        channel_id: &channel.id,
                        user_id: &who.user.id,
                        install_id: &who.install.id,
                        source: Some((ts, is_ephemeral)),
                    },
                );
                payload.insert("response_url".into(), json!(url));
            }
        }
    }
}

/// Clicks an element of a stored message and sends the `block_actions` payload
/// (kept for existing callers: the same as [`act`] with [`Input::Click`]).
pub async fn click_button(core: &Core, app_url: &str, click: &ButtonClick) -> Result<Ack> {
    let outcome = act(
        core,
        app_url,
        &Act {
            user_id: click.user_id.clone(),
            surface: Surface::message(&click.channel_id, &click.message_ts),
            block_id: None,
            action_id: click.action_id.clone(),
            input: Input::Click,
        },
    )
    .await?;
    outcome
        .dispatched
        .ok_or_else(|| StandinError::Invalid("the element did not dispatch".into()))
}

/// A person acts on an element of a message, ephemeral message, modal or App
/// Home: the element's state changes as in Slack's client and, when the
/// element dispatches, the app gets a Slack-shaped `block_actions` request.
pub async fn act(core: &Core, app_url: &str, act: &Act) -> Result<ActOutcome> {
    let prepared = {
        let mut guard = core.state.lock();
        let st = &mut *guard;
        let located = locate(st, &act.surface, &act.user_id)?;
        let who = who(st, &located, &act.user_id)?;
        let blocks = located.blocks();
        let (block_id, in_input, dispatch_action, element) =
            blockkit::find_element(&blocks, act.block_id.as_deref(), &act.action_id).ok_or_else(
                || {
                    StandinError::NotFound(format!(
                        "action_id {} (block {:?}) on {:?}",
                        act.action_id, act.block_id, act.surface
                    ))
                },
            )?;
        let shown_key = format!(
            "{}|{block_id}|{}",
            located.surface_key(&act.user_id),
            act.action_id
        );
        let mut shown = st
            .shown_options
            .get(&shown_key)
            .cloned()
            .unwrap_or_default();
        // A multi_external_select keeps what was picked from earlier searches: those options stay
        // pickable (as chips) though the last search did not show them.
        if let Some(Value::Array(picked)) = located
            .inputs(st, &act.user_id)
            .get(&block_id)
            .and_then(|m| m.get(&act.action_id))
        {
            shown.extend(picked.iter().filter(|o| o.is_object()).cloned());
        }
        let applied =
            blockkit::apply_input(&element, &act.input, &shown).map_err(StandinError::Invalid)?;
        check_picked_ids(st, &who, &element, &applied.picked_ids)?;
        let kind = element
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some(value) = applied.state.clone() {
            store_input(st, &located, &act.user_id, &block_id, &act.action_id, value);
        }
        let located = locate(st, &act.surface, &act.user_id)?;
        let state = match &located {
            Located::View(v) => v.state_values.clone(),
            _ => blockkit::state_values(&located.blocks(), &located.inputs(st, &act.user_id)),
        };
        let dispatches = !in_input || dispatch_action;
        if dispatches {
            let trigger_id = st.issue_trigger(&who.team.id, &who.user.id);
            let viewing = match &located {
                Located::View(v) => conversation_of(&view_key(&v.id)),
                Located::Message { channel, .. } | Located::Ephemeral { channel, .. } => {
                    Some(channel.id.clone())
                }
            };
            if let Some(c) = viewing {
                note_conversation(&trigger_key(&trigger_id), &c);
            }
            let mut action = Map::new();
            action.insert("type".into(), json!(kind));
            action.insert("action_id".into(), json!(act.action_id));
            action.insert("block_id".into(), json!(block_id));
            action.extend(applied.action);
            if let Some(p) = element.get("placeholder") {
                action.insert("placeholder".into(), p.clone());
            }
            action.insert(
                "action_ts".into(),
                json!(format!("{}.{:06}", ids::unix_now(), ids::digits(6))),
            );
            let mut payload = who.envelope(core, st, "block_actions");
            payload.insert("trigger_id".into(), json!(trigger_id));
            add_surface(core, st, &mut payload, &located, &who, true);
            payload.insert("actions".into(), json!([Value::Object(action)]));
            Some((Value::Object(payload), trigger_id, state))
        } else {
            return Ok(ActOutcome {
                dispatched: None,
                state,
            });
        }
    };
    let Some((payload, trigger_id, state)) = prepared else {
        return Err(StandinError::Invalid("nothing to send".into()));
    };
    let response_url = payload
        .get("response_url")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut ack = send_interaction(core, app_url, &payload).await?;
    ack.response_url = response_url;
    ack.trigger_id = Some(trigger_id);
    Ok(ActOutcome {
        dispatched: Some(ack),
        state,
    })
}

/// A person can only pick users, conversations and channels that exist in
/// their workspace (Slack's pickers list nothing else).
fn check_picked_ids(st: &State, who: &Who, element: &Value, picked: &[String]) -> Result<()> {
    let kind = element
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    for id in picked {
        let known = if kind.contains("users") {
            st.users
                .get(id)
                .is_some_and(|u| u.team_id == who.team.id && !u.deleted)
        } else {
            st.channel(id).is_some_and(|c| c.team_id == who.team.id)
        };
        if !known {
            return Err(StandinError::Invalid(format!(
                "a {kind} in {} does not list {id}",
                who.team.id
            )));
        }
    }
    Ok(())
}

fn store_input(
    st: &mut State,
    located: &Located,
    user_id: &str,
    block_id: &str,
    action_id: &str,
    value: Value,
) {
    match located {
        Located::View(v) => {
            if let Some(view) = st.views.iter_mut().find(|sv| sv.id == v.id) {
                view.inputs
                    .entry(block_id.to_owned())
                    .or_default()
                    .insert(action_id.to_owned(), value);
                view.refresh_state();
            }
        }
        _ => {
            if let Some(key) = located.message_key(user_id) {
                st.message_inputs
                    .entry(key)
                    .or_default()
                    .entry(block_id.to_owned())
                    .or_default()
                    .insert(action_id.to_owned(), value);
            }
        }
    }
}

/// A person types into an `external_select`: Slack sends `block_suggestion`
/// to the app's options load URL (once `min_query_length`, default 3, is
/// reached) and shows the options of a valid answer. A bad answer shows
/// nothing and the app is not told.
pub async fn load_options(
    core: &Core,
    options_url: &str,
    load: &OptionsLoad,
) -> Result<OptionsOutcome> {
    let (payload, shown_key) = {
        let mut guard = core.state.lock();
        let st = &mut *guard;
        let located = locate(st, &load.surface, &load.user_id)?;
        let who = who(st, &located, &load.user_id)?;
        let (block_id, _, _, element) =
            blockkit::find_element(&located.blocks(), load.block_id.as_deref(), &load.action_id)
                .ok_or_else(|| {
                    StandinError::NotFound(format!(
                        "action_id {} on {:?}",
                        load.action_id, load.surface
                    ))
                })?;
        let kind = element
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !matches!(kind, "external_select" | "multi_external_select") {
            return Err(StandinError::Invalid(format!(
                "a {kind} does not load options from the app"
            )));
        }
        let min = element
            .get("min_query_length")
            .and_then(Value::as_u64)
            .unwrap_or(3);
        if u64::try_from(load.value.chars().count()).unwrap_or(u64::MAX) < min {
            return Ok(OptionsOutcome {
                ack: None,
                options: Vec::new(),
                problems: vec![format!(
                    "typed {} characters; Slack waits for min_query_length {min}",
                    load.value.chars().count()
                )],
            });
        }
        let mut payload = who.envelope(core, st, "block_suggestion");
        payload.insert("action_id".into(), json!(load.action_id));
        payload.insert("block_id".into(), json!(block_id));
        payload.insert("value".into(), json!(load.value));
        add_surface(core, st, &mut payload, &located, &who, false);
        let shown_key = format!(
            "{}|{block_id}|{}",
            located.surface_key(&load.user_id),
            load.action_id
        );
        (Value::Object(payload), shown_key)
    };
    let ack = send_interaction(core, options_url, &payload).await?;
    let checked = if !ack.acked {
        Err(vec![format!(
            "no 2xx within the ack window (status {:?})",
            ack.status
        )])
    } else {
        match ack.json() {
            Some(answer) => blockkit::check_options_answer(&answer),
            None => Err(vec!["the answer is not JSON".to_owned()]),
        }
    };
    let (options, problems) = match checked {
        Ok(options) => (options, Vec::new()),
        Err(problems) => (Vec::new(), problems),
    };
    core.state
        .lock()
        .shown_options
        .insert(shown_key, options.clone());
    Ok(OptionsOutcome {
        ack: Some(ack),
        options,
        problems,
    })
}

/// Submits a stored modal (`view_submission`) like a person clicking its
/// submit button, and applies the app's `response_action` the way Slack does.
pub async fn submit_view(
    core: &Core,
    app_url: &str,
    submit: &ViewSubmit,
) -> Result<ViewSubmitOutcome> {
    let payload = {
        let mut guard = core.state.lock();
        let st = &mut *guard;
        let view = st
            .views
            .iter()
            .find(|v| v.id == submit.view_id && !v.closed)
            .cloned()
            .ok_or_else(|| StandinError::NotFound(format!("open view {}", submit.view_id)))?;
        if view.kind != "modal" {
            return Err(StandinError::Invalid(format!(
                "view {} is a {} view; only modals are submitted",
                view.id, view.kind
            )));
        }
        let user_id = submit
            .user_id
            .clone()
            .unwrap_or_else(|| view.user_id.clone());
        let located = locate(st, &Surface::view(&view.id), &user_id)?;
        let who = who(st, &located, &user_id)?;
        apply_submitted_values(st, &located, &user_id, &submit.values)?;
        let stored = st
            .views
            .iter()
            .find(|v| v.id == view.id)
            .cloned()
            .unwrap_or(view);
        let blocks = stored
            .definition
            .get("blocks")
            .cloned()
            .unwrap_or_else(|| json!([]));
        let client_errors = blockkit::client_side_errors(&blocks, &stored.inputs);
        if !client_errors.is_empty() {
            return Ok(ViewSubmitOutcome {
                ack: None,
                response_action: None,
                errors: None,
                client_errors,
                slack_error: None,
                problems: Vec::new(),
            });
        }
        let trigger_id = st.issue_trigger(&who.team.id, &who.user.id);
        if let Some(c) = conversation_of(&view_key(&stored.id)) {
            note_conversation(&trigger_key(&trigger_id), &c);
        }
        let mut payload = who.envelope(core, st, "view_submission");
        payload.insert("trigger_id".into(), json!(trigger_id));
        payload.insert("view".into(), crate::web_api::views::view_json(st, &stored));
        payload.insert("response_urls".into(), json!([]));
        Value::Object(payload)
    };
    let ack = send_interaction(core, app_url, &payload).await?;
    let reply = ack.json();
    let action = reply
        .as_ref()
        .and_then(|r| r.get("response_action"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let errors = reply.as_ref().and_then(|r| r.get("errors")).cloned();
    let problems = if ack.acked {
        let mut st = core.state.lock();
        apply_view_response(&mut st, &submit.view_id, action.as_deref(), reply.as_ref())
    } else {
        vec![format!(
            "no 2xx within the ack window (status {:?})",
            ack.status
        )]
    };
    Ok(ViewSubmitOutcome {
        ack: Some(ack),
        response_action: action,
        errors,
        client_errors: BTreeMap::new(),
        slack_error: (!problems.is_empty()).then(|| TROUBLE_CONNECTING.to_owned()),
        problems,
    })
}

/// Applies [`ViewSubmit::values`] as if a person entered each value.
fn apply_submitted_values(
    st: &mut State,
    located: &Located,
    user_id: &str,
    values: &Value,
) -> Result<()> {
    let Some(blocks_map) = values.as_object() else {
        return if values.is_null() {
            Ok(())
        } else {
            Err(StandinError::Invalid("values must be an object".into()))
        };
    };
    let blocks = located.blocks();
    for (block_id, actions) in blocks_map {
        let Some(actions) = actions.as_object() else {
            return Err(StandinError::Invalid(format!(
                "values.{block_id} must be an object"
            )));
        };
        for (action_id, state) in actions {
            let (_, _, _, element) = blockkit::find_element(&blocks, Some(block_id), action_id)
                .ok_or_else(|| {
                    StandinError::Invalid(format!(
                        "the view has no element {block_id}/{action_id}: Slack could never send it"
                    ))
                })?;
            let kind = element
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let key = blockkit::state_key(kind).ok_or_else(|| {
                StandinError::Invalid(format!(
                    "{block_id}/{action_id} is a {kind}, which has no state"
                ))
            })?;
            if state.get("type").and_then(Value::as_str) != Some(kind) {
                return Err(StandinError::Invalid(format!(
                    "{block_id}/{action_id} is a {kind}; its state has type {kind}"
                )));
            }
            let value = state
                .get(key)
                .cloned()
                .ok_or_else(|| StandinError::Invalid(format!("a {kind}'s state carries {key}")))?;
            store_input(st, located, user_id, block_id, action_id, value);
        }
    }
    Ok(())
}

/// Applies a `view_submission` answer. Returns why Slack could not apply it
/// (empty when it could); in that case nothing changes and the person sees
/// [`TROUBLE_CONNECTING`].
fn apply_view_response(
    st: &mut State,
    view_id: &str,
    action: Option<&str>,
    reply: Option<&Value>,
) -> Vec<String> {
    let new_view = reply.and_then(|r| r.get("view")).cloned();
    let checked_view = |expected: &str| -> Result<Value, Vec<String>> {
        let Some(mut def) = new_view.clone() else {
            return Err(vec![format!("response_action {expected} without a view")]);
        };
        match crate::limits::validate_view(&def, Some("modal")) {
            Ok(()) => {
                blockkit::normalize_view(&mut def);
                Ok(def)
            }
            Err(crate::limits::ViewError::TooLarge) => Err(vec!["view_too_large".to_owned()]),
            Err(crate::limits::ViewError::Invalid(v)) => Err(v
                .iter()
                .map(crate::limits::Violation::to_slack_message)
                .collect()),
        }
    };
    match action {
        None => {
            if let Some(v) = st.views.iter_mut().find(|v| v.id == view_id) {
                v.closed = true;
            }
        }
        Some("errors") => {
            let Some(errors) = reply
                .and_then(|r| r.get("errors"))
                .and_then(Value::as_object)
            else {
                return vec!["response_action errors needs an errors object".to_owned()];
            };
            // Slack shows an error under an input block; naming anything else makes the whole
            // answer unusable (bolt-js#554, slack-go/slack#1013).
            let inputs = input_block_ids(st, view_id);
            let strays: Vec<String> = errors
                .keys()
                .filter(|k| !inputs.contains(k.as_str()))
                .map(|k| format!("errors names {k:?}, which is not an input block of the view"))
                .collect();
            if !strays.is_empty() {
                return strays;
            }
        }
        Some("update") => {
            let def = match checked_view("update") {
                Ok(d) => d,
                Err(p) => return p,
            };
            if let Some(v) = st.views.iter_mut().find(|v| v.id == view_id) {
                v.replace_definition(def);
            }
        }
        Some("push") => {
            let def = match checked_view("push") {
                Ok(d) => d,
                Err(p) => return p,
            };
            let Some(base) = st.views.iter().find(|v| v.id == view_id).cloned() else {
                return vec![format!("view {view_id} is gone")];
            };
            let root = base.root_view_id.clone().unwrap_or_else(|| base.id.clone());
            let depth = st
                .views
                .iter()
                .filter(|v| !v.closed && (v.id == root || v.root_view_id.as_deref() == Some(&root)))
                .count();
            if depth >= crate::web_api::views::MAX_STACK {
                return vec![format!(
                    "push_limit_reached: the stack already holds {depth} views (limit 3, DOCS-M views.push)"
                )];
            }
            let mut pushed = base.clone();
            pushed.id = ids::object_id('V');
            pushed.definition = def;
            pushed.hash = format!("{}.{}", ids::unix_now(), ids::digits(8));
            pushed.previous_view_id = Some(base.id.clone());
            pushed.root_view_id = Some(root);
            pushed.history = Vec::new();
            pushed.inputs = Inputs::new();
            pushed.refresh_state();
            st.views.push(pushed);
        }
        Some("clear") => close_stack(st, view_id),
        Some(other) => return vec![format!("unknown response_action {other:?}")],
    }
    Vec::new()
}

/// The `block_id`s of the input blocks of view `view_id`.
fn input_block_ids(st: &State, view_id: &str) -> std::collections::BTreeSet<String> {
    st.views
        .iter()
        .find(|v| v.id == view_id)
        .and_then(|v| v.definition.get("blocks"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("input"))
        .filter_map(|b| b.get("block_id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

fn close_stack(st: &mut State, view_id: &str) {
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

/// How a person leaves a modal view (docs.slack.dev/surfaces/modals, "Handling and responding to
/// interactions": "If a user closes a specific view in a modal using the Cancel button, you will
/// receive a `view_closed` event with the corresponding view's `id`. [...] if the user exits the
/// modal with the x button in the top-right corner, you'll receive a `view_closed` event with the
/// initial modal view's `id` and the `is_cleared` flag set to `true`").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leaving {
    /// The close button (the view's `close` text, "Cancel" by default): closes this view and shows
    /// the one beneath, or the whole stack with `clear_on_close: true`.
    Cancel,
    /// The back arrow of a pushed view: closes this one view and shows the one beneath with its
    /// state intact, whatever `clear_on_close` says; told to the app like Cancel on this view.
    Back,
    /// The × in the top-right corner: exits the modal, every view of the stack.
    Dismiss,
}

/// A person clicks a modal's close button: see [`Leaving::Cancel`].
pub async fn close_view(
    core: &Core,
    app_url: &str,
    view_id: &str,
    user_id: Option<&str>,
) -> Result<ViewCloseOutcome> {
    leave_view(core, app_url, view_id, user_id, Leaving::Cancel).await
}

/// A person leaves modal view `view_id` the way [`Leaving`] says. With `notify_on_close: true`
/// (on the view closed; on the initial view for [`Leaving::Dismiss`]) the app gets
/// `view_closed` with `is_cleared`.
pub async fn leave_view(
    core: &Core,
    app_url: &str,
    view_id: &str,
    user_id: Option<&str>,
    how: Leaving,
) -> Result<ViewCloseOutcome> {
    let (payload, is_cleared) = {
        let mut guard = core.state.lock();
        let st = &mut *guard;
        let view = st
            .views
            .iter()
            .find(|v| v.id == view_id && !v.closed && v.kind == "modal")
            .cloned()
            .ok_or_else(|| StandinError::NotFound(format!("open modal {view_id}")))?;
        let user_id = user_id.map_or_else(|| view.user_id.clone(), str::to_owned);
        let located = locate(st, &Surface::view(view_id), &user_id)?;
        let who = who(st, &located, &user_id)?;
        let beneath_is_open = view
            .previous_view_id
            .as_ref()
            .is_some_and(|p| st.views.iter().any(|v| v.id == *p && !v.closed));
        if how == Leaving::Back && !beneath_is_open {
            return Err(StandinError::Invalid(format!(
                "view {view_id} was not pushed on another view: Slack shows it no back arrow"
            )));
        }
        let flag = |v: &crate::state::View, k: &str| {
            v.definition
                .get(k)
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        let (told, is_cleared) = match how {
            Leaving::Cancel => (view.clone(), flag(&view, "clear_on_close")),
            Leaving::Back => (view.clone(), false),
            Leaving::Dismiss => {
                let root = view.root_view_id.clone().unwrap_or_else(|| view.id.clone());
                let initial = st
                    .views
                    .iter()
                    .find(|v| v.id == root)
                    .cloned()
                    .unwrap_or_else(|| view.clone());
                (initial, true)
            }
        };
        let payload = flag(&told, "notify_on_close").then(|| {
            let mut p = who.envelope(core, st, "view_closed");
            p.insert("view".into(), crate::web_api::views::view_json(st, &told));
            p.insert("is_cleared".into(), json!(is_cleared));
            Value::Object(p)
        });
        if is_cleared {
            close_stack(st, view_id);
        } else if let Some(v) = st.views.iter_mut().find(|v| v.id == view_id) {
            v.closed = true;
        }
        (payload, is_cleared)
    };
    let ack = match payload {
        Some(p) => Some(send_interaction(core, app_url, &p).await?),
        None => None,
    };
    Ok(ViewCloseOutcome { ack, is_cleared })
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

/// The Events API subscription a message in `channel` falls under, and the
/// event's `channel_type`.
fn message_subscription(channel: &crate::state::Channel) -> (&'static str, &'static str) {
    if channel.is_im {
        ("message.im", "im")
    } else if channel.is_private {
        ("message.groups", "group")
    } else {
        ("message.channels", "channel")
    }
}

/// The `event_callback` Slack delivers for a new message, when the app
/// subscribed to that channel type and its bot can see the channel. Slack
/// also delivers the app's own posts (Bolt drops them with `ignoreSelf`:
/// BOLTJS-MW), so a handler that answers every `message.im` loops.
pub fn message_event(core: &Core, st: &State, message: &Message) -> Option<Value> {
    let channel = st.channel(&message.channel)?;
    let (subscription, channel_type) = message_subscription(channel);
    if !st.subscribed(subscription) {
        return None;
    }
    let install = install_for_team(st, &channel.team_id)?;
    if !channel.has_member(&install.bot_user_id) {
        return None;
    }
    let mut event = json!({
        "type": "message",
        "channel": channel.id,
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "event_ts": message.ts,
        "channel_type": channel_type,
        "team": channel.team_id,
    });
    if let Some(obj) = event.as_object_mut() {
        if let Some(b) = &message.blocks {
            obj.insert("blocks".into(), b.clone());
        }
        if let Some(t) = &message.thread_ts {
            obj.insert("thread_ts".into(), json!(t));
            // A reply names who posted the thread's parent (Slack's `parent_user_id`).
            let parent = st
                .messages
                .get(&message.channel)
                .and_then(|m| m.iter().find(|p| p.ts == *t && p.ts != message.ts));
            if let Some(parent) = parent {
                obj.insert("parent_user_id".into(), json!(parent.user));
            }
        }
        match (&message.bot_id, &message.app_id) {
            (Some(bot), app) => {
                obj.insert("bot_id".into(), json!(bot));
                obj.insert("app_id".into(), json!(app));
            }
            (None, _) => {
                obj.insert("client_msg_id".into(), json!(ids::secret(32)));
            }
        }
    }
    Some(wrap_event(
        core,
        st,
        &install,
        Some(&channel.team_id),
        event,
    ))
}

/// A person writes a message (optionally in a thread): it is stored and, if
/// the app subscribed (e.g. `message.im` for its DM), delivered to the events URL.
pub async fn user_writes(
    core: &Core,
    channel_id: &str,
    user_id: &str,
    text: &str,
    thread_ts: Option<&str>,
) -> Result<(Message, Option<Delivery>)> {
    let (message, body, url) = {
        let mut st = core.state.lock();
        let channel = st
            .channel(channel_id)
            .cloned()
            .ok_or_else(|| StandinError::NotFound(format!("channel {channel_id}")))?;
        if !channel.has_member(user_id) {
            return Err(StandinError::Invalid(format!(
                "{user_id} is not a member of {channel_id}"
            )));
        }
        let message = st.push_message(Message {
            ts: String::new(),
            channel: channel.id.clone(),
            user: user_id.to_owned(),
            bot_id: None,
            app_id: None,
            text: text.to_owned(),
            blocks: None,
            attachments: None,
            thread_ts: thread_ts.map(str::to_owned),
            origin: MessageOrigin::Seed,
            edits: Vec::new(),
            deleted: false,
            metadata: None,
        });
        let body = message_event(core, &st, &message);
        (message, body, st.events_url.clone())
    };
    let delivery = match (body, url) {
        (Some(body), Some(url)) => {
            Some(deliver_with_retries(core, "event", &url, body.to_string()).await)
        }
        _ => None,
    };
    Ok((message, delivery))
}

/// A person opens the app's Home (`tab: home`) or Messages tab: Slack sends
/// `app_home_opened` with `user`, `channel` (the app DM), `tab`, `event_ts`
/// and, once one was published, `view` (TYPES events/app.ts).
pub async fn open_app_home(core: &Core, user_id: &str, tab: &str) -> Result<Delivery> {
    let (body, url) = {
        let mut guard = core.state.lock();
        let st = &mut *guard;
        let url = st.events_url.clone().ok_or_else(|| {
            StandinError::Invalid("no events URL configured (set_events_url)".into())
        })?;
        if !st.subscribed("app_home_opened") {
            return Err(StandinError::Invalid(
                "the app did not subscribe to app_home_opened".into(),
            ));
        }
        let user = st
            .users
            .get(user_id)
            .cloned()
            .ok_or_else(|| StandinError::NotFound(format!("user {user_id}")))?;
        let install = install_for_team(st, &user.team_id).ok_or_else(|| {
            StandinError::Invalid(format!("the app is not installed in {}", user.team_id))
        })?;
        let dm = st.im_channel(&user.team_id, &install.bot_user_id, &user.id);
        let mut event = json!({
            "type": "app_home_opened",
            "user": user.id,
            "channel": dm.id,
            "tab": tab,
            "event_ts": format!("{}.{:06}", ids::unix_now(), ids::digits(6)),
        });
        if let Some(view) = st
            .views
            .iter()
            .find(|v| v.kind == "home" && v.user_id == user.id && v.install_id == install.id)
            .cloned()
            && let Some(obj) = event.as_object_mut()
        {
            obj.insert("view".into(), crate::web_api::views::view_json(st, &view));
        }
        let body = wrap_event(core, st, &install, Some(&user.team_id), event).to_string();
        (body, url)
    };
    Ok(deliver_with_retries(core, "event", &url, body).await)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn state_with_modal() -> State {
        let mut st = State::default();
        st.views.push(crate::state::View {
            id: "V1".into(),
            team_id: "T1".into(),
            user_id: "U1".into(),
            kind: "modal".into(),
            definition: json!({"type": "modal", "blocks": [
                {"type": "input", "block_id": "why", "label": {"type": "plain_text", "text": "Why"},
                 "element": {"type": "plain_text_input", "action_id": "reason"}},
                {"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "Hi"}},
            ]}),
            hash: "h".into(),
            root_view_id: None,
            previous_view_id: None,
            install_id: "I1".into(),
            history: Vec::new(),
            closed: false,
            state_values: json!({}),
            inputs: Inputs::new(),
        });
        st
    }

    #[test]
    fn errors_on_input_blocks_are_shown_and_errors_on_anything_else_are_refused() {
        let mut st = state_with_modal();
        let ok = json!({"response_action": "errors", "errors": {"why": "Say why"}});
        assert!(apply_view_response(&mut st, "V1", Some("errors"), Some(&ok)).is_empty());
        for stray in ["intro", "nowhere"] {
            let reply = json!({"response_action": "errors", "errors": {"why": "x", stray: "y"}});
            let problems = apply_view_response(&mut st, "V1", Some("errors"), Some(&reply));
            assert_eq!(problems.len(), 1, "{stray}: {problems:?}");
            assert!(problems[0].contains(stray), "{problems:?}");
        }
    }
}
