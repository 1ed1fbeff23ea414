//! The Web API: `/api/<method>`, following Slack's transport rules (slack.md §3.1).
//!
//! - GET query, `application/x-www-form-urlencoded` and (where Slack accepts
//!   it) `application/json` bodies; query and body arguments are merged.
//! - Token from `Authorization: Bearer …` or a form body's `token` (JSON bodies
//!   must use the header: a `token` inside JSON is ignored, as on Slack; a
//!   query-string `token` is ignored, as for apps created after 2021-02-24).
//! - Always HTTP 200 with `{"ok":…}` envelopes, except rate limiting (429 +
//!   `Retry-After`) and injected 5xx faults (HTML body).
//! - `x-oauth-scopes` / `x-accepted-oauth-scopes` headers on every response.

mod auth;
mod chat;
mod conversations;
mod pins;
mod users;
pub mod views;

use crate::faults::Injected;
use crate::server::Core;
use crate::state::{ApiCall, Installation, State, Token, TokenKind};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Methods the stand-in implements.
pub const METHODS: &[&str] = &[
    "oauth.v2.access",
    "auth.test",
    "auth.revoke",
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "conversations.create",
    "conversations.join",
    "conversations.invite",
    "conversations.setPurpose",
    "conversations.info",
    "conversations.list",
    "conversations.archive",
    "conversations.open",
    "conversations.history",
    "conversations.replies",
    "pins.add",
    "users.lookupByEmail",
    "users.info",
    "views.open",
    "views.publish",
    "views.update",
    "views.push",
];

/// Methods whose docs list only `application/x-www-form-urlencoded`: JSON
/// bodies are not read (their arguments are ignored, as on Slack).
const FORM_ONLY: &[&str] = &[
    "oauth.v2.access",
    // DOCS-M auth.revoke: no `json_input_supported`, http GET (row 23 of the
    // fidelity reference): a JSON `test` flag must not be honoured.
    "auth.revoke",
    "conversations.info",
    "conversations.list",
    "users.info",
    "users.lookupByEmail",
];

/// A Slack error envelope: `{"ok":false,"error":code, …extra}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Error code.
    pub code: String,
    /// Extra top-level fields (`needed`, `provided`, `response_metadata`, …).
    pub extra: Map<String, Value>,
}

impl ApiError {
    /// A plain error code.
    pub fn new(code: &str) -> Self {
        Self {
            code: code.to_owned(),
            extra: Map::new(),
        }
    }

    /// An error with `response_metadata.messages`.
    pub fn with_messages(code: &str, messages: Vec<String>) -> Self {
        let mut e = Self::new(code);
        e.extra
            .insert("response_metadata".into(), json!({ "messages": messages }));
        e
    }

    /// `invalid_arguments` for a missing required argument.
    pub fn missing_arg(name: &str) -> Self {
        Self::with_messages(
            "invalid_arguments",
            vec![format!("[ERROR] missing required field: {name}")],
        )
    }

    fn into_json(self) -> Value {
        let mut obj = Map::new();
        obj.insert("ok".into(), json!(false));
        obj.insert("error".into(), json!(self.code));
        obj.extend(self.extra);
        Value::Object(obj)
    }
}

/// A handler's result: the success body (without `ok`) or an error.
pub type ApiResult = Result<Map<String, Value>, ApiError>;

/// A JSON-valued argument that is not valid JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidJson;

/// Merged call arguments.
#[derive(Debug, Default, Clone)]
pub struct Params(pub Map<String, Value>);

impl Params {
    /// A non-empty string argument (numbers and booleans are stringified).
    pub fn str(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A required string argument.
    pub fn required(&self, key: &str) -> Result<String, ApiError> {
        self.str(key).ok_or_else(|| ApiError::missing_arg(key))
    }

    /// A boolean argument (`true`, `1`).
    pub fn bool(&self, key: &str) -> bool {
        match self.0.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            Some(Value::String(s)) => s == "true" || s == "1",
            _ => false,
        }
    }

    /// A JSON argument: an object/array in JSON bodies, or a JSON-encoded string
    /// in form bodies. [`InvalidJson`] when the string does not parse.
    pub fn json(&self, key: &str) -> Result<Option<Value>, InvalidJson> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s).map(Some).map_err(|_| InvalidJson),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    /// A list argument: a JSON array or a comma-separated string.
    pub fn list(&self, key: &str) -> Vec<String> {
        match self.0.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .filter(|s| !s.is_empty())
                .collect(),
            Some(Value::String(s)) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token.
    pub token: Token,
    /// Its installation.
    pub install: Installation,
}

impl Caller {
    /// The acting user id (bot user for bot tokens).
    pub fn user_id(&self) -> &str {
        &self.token.user_id
    }

    /// Whether the token has `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.token.scopes.iter().any(|s| s == scope)
    }

    /// `missing_scope` unless the token has at least one of `accepted`.
    pub fn require_any(&self, accepted: &[&str]) -> Result<(), ApiError> {
        if accepted.iter().any(|s| self.has_scope(s)) {
            return Ok(());
        }
        let mut e = ApiError::new("missing_scope");
        e.extra.insert("needed".into(), json!(accepted.join(",")));
        e.extra
            .insert("provided".into(), json!(self.token.scopes.join(",")));
        Err(e)
    }

    /// Whether this is an org-wide (Enterprise Grid) token.
    pub fn is_org(&self) -> bool {
        self.install.is_enterprise_install
    }

    /// The workspace a call acts on: the install's team, or for org tokens the
    /// `team_id` argument (`missing_argument` when absent, as Slack does).
    pub fn acting_team(&self, st: &State, params: &Params) -> Result<String, ApiError> {
        if let Some(team) = &self.install.team_id {
            return Ok(team.clone());
        }
        let team_id = params
            .str("team_id")
            .ok_or_else(|| ApiError::new("missing_argument"))?;
        if st.install_teams(&self.install).contains(&team_id) {
            Ok(team_id)
        } else {
            Err(ApiError::new("team_not_found"))
        }
    }
}

/// Per-call context handed to method handlers.
pub struct Ctx<'a> {
    /// The model.
    pub st: &'a mut State,
    /// Arguments.
    pub params: &'a Params,
    /// Authenticated caller (`None` only for `oauth.v2.access`).
    pub caller: Option<Caller>,
    /// Client credentials from HTTP Basic auth (for `oauth.v2.access`).
    pub basic: Option<(String, String)>,
    /// Static configuration.
    pub core: &'a Core,
    /// Event callbacks to deliver to the app after the response (`auth.revoke`).
    pub outbox: Vec<Value>,
}

impl Ctx<'_> {
    /// The caller; only `oauth.v2.access` runs without one.
    pub fn caller(&self) -> Result<Caller, ApiError> {
        self.caller
            .clone()
            .ok_or_else(|| ApiError::new("not_authed"))
    }
}

fn dispatch(method: &str, ctx: &mut Ctx<'_>) -> ApiResult {
    match method {
        "oauth.v2.access" => crate::oauth::access(ctx),
        "auth.test" => auth::test(ctx),
        "auth.revoke" => auth::revoke(ctx),
        "chat.postMessage" => chat::post_message(ctx),
        "chat.update" => chat::update(ctx),
        "chat.postEphemeral" => chat::post_ephemeral(ctx),
        "conversations.create" => conversations::create(ctx),
        "conversations.join" => conversations::join(ctx),
        "conversations.invite" => conversations::invite(ctx),
        "conversations.setPurpose" => conversations::set_purpose(ctx),
        "conversations.info" => conversations::info(ctx),
        "conversations.list" => conversations::list(ctx),
        "conversations.archive" => conversations::archive(ctx),
        "conversations.open" => conversations::open(ctx),
        "conversations.history" => conversations::history(ctx),
        "conversations.replies" => conversations::replies(ctx),
        "pins.add" => pins::add(ctx),
        "users.lookupByEmail" => users::lookup_by_email(ctx),
        "users.info" => users::info(ctx),
        "views.open" => views::open(ctx),
        "views.publish" => views::publish(ctx),
        "views.update" => views::update(ctx),
        "views.push" => views::push(ctx),
        _ => Err(ApiError::new("unknown_method")),
    }
}

/// Scopes a method accepts (for `x-accepted-oauth-scopes`).
fn accepted_scopes(method: &str) -> &'static str {
    match method {
        "chat.postMessage" | "chat.update" | "chat.postEphemeral" => "chat:write",
        "conversations.create" | "conversations.archive" => {
            "channels:manage,groups:write,im:write,mpim:write"
        }
        "conversations.invite" => {
            "channels:manage,channels:write.invites,groups:write,groups:write.invites,im:write,mpim:write"
        }
        "conversations.setPurpose" => {
            "channels:manage,channels:write.topic,groups:write,groups:write.topic,im:write,im:write.topic,mpim:write,mpim:write.topic"
        }
        "conversations.join" => "channels:join",
        "conversations.open" => "channels:manage,groups:write,im:write,mpim:write",
        "conversations.history" | "conversations.replies" => {
            "channels:history,groups:history,im:history,mpim:history"
        }
        "conversations.info" | "conversations.list" => {
            "channels:read,groups:read,im:read,mpim:read"
        }
        "pins.add" => "pins:write",
        "users.lookupByEmail" => "users:read.email",
        "users.info" => "users:read",
        _ => "",
    }
}

struct Parsed {
    params: Params,
    token: Option<String>,
    basic: Option<(String, String)>,
    warnings: Vec<&'static str>,
}

fn pairs_to_map(pairs: Vec<(String, String)>, into: &mut Map<String, Value>) {
    for (k, v) in pairs {
        into.insert(k, Value::String(v));
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    // RFC 6749 §2.3.1 clients (the oauth2 crate) form-urlencode id and secret first.
    let unescape = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
            .ok()
            .and_then(|v| v.into_iter().next().map(|(_, v)| v))
            .unwrap_or_else(|| s.to_owned())
    };
    Some((unescape(id), unescape(secret)))
}

fn parse_request(
    method: &str,
    http_method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Parsed, ApiError> {
    let mut map = Map::new();
    if let Some(q) = query {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(q).map_err(|_| ApiError::new("invalid_form_data"))?;
        pairs_to_map(pairs, &mut map);
    }
    let mut warnings = Vec::new();
    let mut form_token: Option<String> = None;
    if *http_method == Method::POST && !body.is_empty() {
        let ctype = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mime = ctype
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let has_charset = ctype.to_ascii_lowercase().contains("charset=");
        match mime.as_str() {
            "application/x-www-form-urlencoded" => {
                let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
                    .map_err(|_| ApiError::new("invalid_form_data"))?;
                form_token = pairs
                    .iter()
                    .find(|(k, _)| k == "token")
                    .map(|(_, v)| v.clone());
                pairs_to_map(pairs, &mut map);
            }
            "application/json" => {
                if !has_charset {
                    warnings.push("missing_charset");
                }
                if !FORM_ONLY.contains(&method) {
                    let value: Value =
                        serde_json::from_slice(body).map_err(|_| ApiError::new("invalid_json"))?;
                    let Value::Object(obj) = value else {
                        return Err(ApiError::new("json_not_object"));
                    };
                    for (k, v) in obj {
                        if k != "token" {
                            map.insert(k, v);
                        }
                    }
                }
            }
            "" => return Err(ApiError::new("missing_post_type")),
            "multipart/form-data" => {}
            _ => return Err(ApiError::new("invalid_post_type")),
        }
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    // Only a form body's `token` counts: apps created after 2021-02-24 may not
    // send tokens in the query string (docs.slack.dev changelog
    // 2020-11-no-more-tokens-in-querystrings-for-newly-created-apps), and a
    // `token` inside JSON is ignored.
    let param_token = form_token;
    map.remove("token");
    Ok(Parsed {
        params: Params(map),
        token: bearer.or(param_token).filter(|t| !t.is_empty()),
        basic: basic_credentials(headers),
        warnings,
    })
}

fn authenticate(st: &State, token: Option<&str>) -> Result<Caller, ApiError> {
    let token = token.ok_or_else(|| ApiError::new("not_authed"))?;
    let record = st
        .tokens
        .get(token)
        .ok_or_else(|| ApiError::new("invalid_auth"))?;
    if record.revoked {
        return Err(ApiError::new("token_revoked"));
    }
    let install = st
        .installs
        .get(&record.install_id)
        .ok_or_else(|| ApiError::new("invalid_auth"))?;
    if record.kind == TokenKind::User && st.users.get(&record.user_id).is_some_and(|u| u.deleted) {
        return Err(ApiError::new("account_inactive"));
    }
    Ok(Caller {
        token: record.clone(),
        install: install.clone(),
    })
}

fn json_response(
    status: StatusCode,
    body: &Value,
    scopes: Option<&str>,
    accepted: &str,
) -> Response {
    let mut resp = (status, axum::Json(body.clone())).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(scopes.unwrap_or("")) {
        h.insert("x-oauth-scopes", v);
    }
    if let Ok(v) = HeaderValue::from_str(accepted) {
        h.insert("x-accepted-oauth-scopes", v);
    }
    resp
}

/// `GET|POST /api/{method}`.
pub async fn handle(
    AxumState(core): AxumState<Arc<Core>>,
    Path(method): Path<String>,
    http_method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let parsed = parse_request(&method, &http_method, &headers, query.as_deref(), &body);
    let (params_json, token) = match &parsed {
        Ok(p) => (Value::Object(p.params.0.clone()), p.token.clone()),
        Err(_) => (Value::Null, None),
    };
    let record = |st: &mut State, status: StatusCode, response: Value| {
        let seq = u64::try_from(st.api_calls.len()).unwrap_or(u64::MAX);
        st.api_calls.push(ApiCall {
            seq,
            method: method.clone(),
            http_method: http_method.to_string(),
            content_type: content_type.clone(),
            token: token.clone(),
            params: params_json.clone(),
            status: status.as_u16(),
            response,
        });
    };

    // Faults first: they model Slack's edge failing before the method runs.
    let latency = core.state.lock().faults.take_latency(&method);
    let late_answer = match latency {
        Some(delay) if delay.after_effect => Some(delay.duration),
        Some(delay) => {
            tokio::time::sleep(delay.duration).await;
            None
        }
        None => None,
    };
    let mut outbox = Vec::new();
    let response = {
        let mut guard = core.state.lock();
        let st = &mut *guard;
        if let Some(fault) = st.faults.take_failure(&method) {
            match fault {
                Injected::RateLimited(secs) => {
                    let body = json!({"ok": false, "error": "ratelimited"});
                    record(st, StatusCode::TOO_MANY_REQUESTS, body.clone());
                    return rate_limited(&body, secs);
                }
                Injected::ServerError(status) => {
                    let status =
                        StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                    record(st, status, Value::Null);
                    return server_error(status);
                }
            }
        }
        let accepted = accepted_scopes(&method);
        if !METHODS.contains(&method.as_str()) {
            let body = ApiError::new("unknown_method").into_json();
            record(st, StatusCode::OK, body.clone());
            return json_response(StatusCode::OK, &body, None, accepted);
        }
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => {
                let body = e.into_json();
                record(st, StatusCode::OK, body.clone());
                return json_response(StatusCode::OK, &body, None, accepted);
            }
        };
        let caller = if method == "oauth.v2.access" {
            None
        } else {
            match authenticate(st, parsed.token.as_deref()) {
                Ok(c) => Some(c),
                Err(e) => {
                    let body = e.into_json();
                    record(st, StatusCode::OK, body.clone());
                    return json_response(StatusCode::OK, &body, None, accepted);
                }
            }
        };
        let scopes = caller.as_ref().map(|c| c.token.scopes.join(","));
        if let Some(c) = &caller
            && st.enforce_rate_limits
        {
            let channel = parsed.params.str("channel");
            if let Err(secs) = st.limiter.check(&method, &c.install.id, channel.as_deref()) {
                let body = json!({"ok": false, "error": "ratelimited"});
                record(st, StatusCode::TOO_MANY_REQUESTS, body.clone());
                return rate_limited(&body, secs);
            }
        }
        let mut ctx = Ctx {
            st,
            params: &parsed.params,
            caller,
            basic: parsed.basic.clone(),
            core: &core,
            outbox: Vec::new(),
        };
        let result = dispatch(&method, &mut ctx);
        outbox.append(&mut ctx.outbox);
        let body = match result {
            Ok(mut obj) => {
                let mut full = Map::new();
                full.insert("ok".into(), json!(true));
                if !parsed.warnings.is_empty() {
                    add_warnings(&mut obj, &parsed.warnings);
                }
                full.extend(obj);
                Value::Object(full)
            }
            Err(e) => e.into_json(),
        };
        record(st, StatusCode::OK, body.clone());
        json_response(StatusCode::OK, &body, scopes.as_deref(), accepted)
    };
    if !outbox.is_empty() {
        let core = Arc::clone(&core);
        tokio::spawn(async move {
            crate::driver::deliver_lifecycle_events(&core, outbox).await;
        });
    }
    // The call has taken effect; a client that stops waiting now does not undo it.
    if let Some(delay) = late_answer {
        tokio::time::sleep(delay).await;
    }
    response
}

/// Adds `warning` and `response_metadata.warnings` the way Slack does.
pub fn add_warnings(obj: &mut Map<String, Value>, warnings: &[&str]) {
    let existing = obj
        .get("warning")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut all: Vec<String> = existing
        .into_iter()
        .flat_map(|w| w.split(',').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    all.extend(warnings.iter().map(|w| (*w).to_owned()));
    obj.insert("warning".into(), json!(all.join(",")));
    let meta = obj.entry("response_metadata").or_insert_with(|| json!({}));
    if let Some(meta) = meta.as_object_mut() {
        meta.insert("warnings".into(), json!(all));
    }
}

fn rate_limited(body: &Value, retry_after: u64) -> Response {
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body.clone())).into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn server_error(status: StatusCode) -> Response {
    let html = format!(
        "<!DOCTYPE html><html><head><title>Slack is having trouble</title></head>\
         <body><h1>{} {}</h1><p>Slack is experiencing issues. Please try again.</p></body></html>",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Server Error")
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// Resolves a `channel` argument that must be a conversation id (chat.update,
/// conversations.*, pins.add document "ID of conversation": DOCS-M
/// `args.channel`; a name → `channel_not_found`, slack-ruby/slack-ruby-client#270).
/// Private channels the caller is not in are invisible (`channel_not_found`).
pub fn resolve_channel(
    st: &State,
    caller: &Caller,
    channel: &str,
) -> Result<crate::state::Channel, ApiError> {
    let teams = st.install_teams(&caller.install);
    let found = st
        .channel(channel)
        .filter(|c| teams.contains(&c.team_id))
        .cloned()
        .ok_or_else(|| ApiError::new("channel_not_found"))?;
    if found.is_private && !found.has_member(caller.user_id()) {
        return Err(ApiError::new("channel_not_found"));
    }
    Ok(found)
}

/// Resolves a `channel` argument that may also be a name (`general`,
/// `#general`): only chat.postMessage ("An encoded ID or channel name") and
/// chat.postEphemeral ("Can be an encoded ID, or a name") document names (DOCS-M).
pub fn resolve_channel_or_name(
    st: &State,
    caller: &Caller,
    channel: &str,
) -> Result<crate::state::Channel, ApiError> {
    let teams = st.install_teams(&caller.install);
    let by_id = st
        .channel(channel)
        .filter(|c| teams.contains(&c.team_id))
        .cloned();
    let found = match by_id {
        Some(c) => c,
        None => {
            let is_id = channel.len() > 1
                && channel.starts_with(['C', 'G', 'D'])
                && channel
                    .chars()
                    .skip(1)
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if is_id {
                return Err(ApiError::new("channel_not_found"));
            }
            let name = channel.trim_start_matches('#');
            let Some(team) = &caller.install.team_id else {
                return Err(ApiError::new("team_not_found"));
            };
            st.channel_by_name(team, name)
                .cloned()
                .ok_or_else(|| ApiError::new("channel_not_found"))?
        }
    };
    if found.is_private && !found.has_member(caller.user_id()) {
        return Err(ApiError::new("channel_not_found"));
    }
    Ok(found)
}

/// What a channel write needs a scope for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelWrite {
    /// Archive and other management.
    Manage,
    /// `conversations.invite`: also the granular `*:write.invites` (SK `scopes.bot`).
    Invite,
    /// `conversations.setPurpose` / topic: also the granular `*:write.topic` (SK `scopes.bot`).
    Topic,
}

/// Scopes any one of which allows a write to a channel of this type.
pub fn manage_scopes(
    channel: &crate::state::Channel,
    write: ChannelWrite,
) -> &'static [&'static str] {
    match (write, channel.is_im, channel.is_private) {
        (ChannelWrite::Topic, true, _) => &["im:write", "im:write.topic"],
        (_, true, _) => &["im:write"],
        (ChannelWrite::Manage, false, true) => &["groups:write"],
        (ChannelWrite::Invite, false, true) => &["groups:write", "groups:write.invites"],
        (ChannelWrite::Topic, false, true) => &["groups:write", "groups:write.topic"],
        (ChannelWrite::Manage, false, false) => &["channels:manage"],
        (ChannelWrite::Invite, false, false) => &["channels:manage", "channels:write.invites"],
        (ChannelWrite::Topic, false, false) => &["channels:manage", "channels:write.topic"],
    }
}
