//! The Slack simulator: a small web client over the stand-in's state, at
//! `/simulator`. A person picks who they are, reads their DMs with the app,
//! the App Home and their channels, types slash commands and messages, and
//! clicks, picks, types and submits in the Block Kit the app sent.
//!
//! Everything the page does goes through the driver (`crate::driver`), the
//! same code the tests use, so the app gets exactly the signed requests Slack
//! would send; the simulator only draws state and tells the person what Slack
//! would tell them when the app fails, in Slack's words for each surface: a
//! slash command's `operation_timeout` / `dispatch_failed` ([`command_failed`]),
//! a warning icon beside an element whose request was not acknowledged, "We had
//! some trouble connecting. Try again?" on a modal whose submission failed, a
//! rejected view's errors under its inputs. The app's `ok: false` Web API
//! answers Slack tells the person nothing of; the page lists them aside, as a
//! developer reads them in the app's logs.
//!
//! The pickers list the person's workspace ([`render::Directory`]); Back, the
//! close button and × on a modal leave it as [`driver::Leaving`] says.
//!
//! Pages are rendered on the server ([`render`]); a little JavaScript
//! (`assets/simulator.js`) redraws the conversation and the modal every second
//! and posts what the person does to `/simulator/as/{user}/do`.

pub mod render;

use crate::blockkit::{Input, Inputs};
use crate::driver::{self, Act, Leaving, OptionsLoad, SlashCommand, Surface, ViewSubmit};
use crate::server::Core;
use crate::state::{Channel, State};
use axum::Router;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use render::esc;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

type Core_ = AxumState<Arc<Core>>;

const CSS: &str = include_str!("assets/simulator.css");
const JS: &str = include_str!("assets/simulator.js");
const APP_COOKIE: &str = "standin_simulator_app";

/// What Slack shows, as an ephemeral message from Slackbot, when a slash command's request fails:
/// `operation_timeout` when the app does not answer within 3 seconds (slackapi/bolt-js#1435:
/// 'Slack prints failed with the error "operation_timeout"'), `dispatch_failed` when the request
/// cannot be delivered or the app answers with an error status.
pub fn command_failed(command: &str, error: &str) -> String {
    format!("{command} failed with the error \"{error}\"")
}

/// The `/simulator` routes.
pub fn router() -> Router<Arc<Core>> {
    Router::new()
        .route("/simulator", get(pick_person))
        .route("/simulator/assets/simulator.css", get(css))
        .route("/simulator/assets/simulator.js", get(js))
        .route("/simulator/as/{user}", get(client))
        .route("/simulator/as/{user}/pane", get(pane))
        .route("/simulator/as/{user}/modal", get(modal))
        .route("/simulator/as/{user}/problems", get(problems))
        .route("/simulator/as/{user}/do", post(act_as))
}

/// Where the app listens, by Slack's three request URLs.
#[derive(Debug, Clone)]
struct AppUrls {
    commands: String,
    interactivity: String,
    options: String,
}

/// The app's URLs: `{app}/commands`, `{app}/interactivity`, `{app}/options`,
/// where `app` is what `/simulator?app=…` remembered, or else the events URL
/// without its last segment (`…/slack/events` → `…/slack`, as Latch lays them out).
fn app_urls(core: &Core, headers: &HeaderMap) -> Option<AppUrls> {
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == APP_COOKIE)
        .and_then(|(_, v)| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("a={v}"))
                .ok()
                .and_then(|mut p| p.pop())
                .map(|(_, v)| v)
        });
    let base = from_cookie.or_else(|| {
        let events = core.state.lock().events_url.clone()?;
        events
            .trim_end_matches('/')
            .rsplit_once('/')
            .map(|(base, _)| base.to_owned())
    })?;
    Some(AppUrls {
        commands: format!("{base}/commands"),
        interactivity: format!("{base}/interactivity"),
        options: format!("{base}/options"),
    })
}

/// Inline errors a view was rejected with (`response_action: errors`, or the
/// client's own checks), by view id and the view's hash: they stay until the
/// view changes, as in Slack.
/// View id → (the view's hash when rejected, errors by block id; `""` for the whole view).
type ViewErrors = HashMap<String, (String, BTreeMap<String, String>)>;

fn view_errors() -> &'static Mutex<ViewErrors> {
    static ERRORS: OnceLock<Mutex<ViewErrors>> = OnceLock::new();
    ERRORS.get_or_init(Mutex::default)
}

fn errors_for(view_id: &str, hash: &str) -> BTreeMap<String, String> {
    let map = view_errors().lock().unwrap_or_else(|e| e.into_inner());
    map.get(view_id)
        .filter(|(h, _)| h == hash)
        .map(|(_, e)| e.clone())
        .unwrap_or_default()
}

fn set_errors(view_id: &str, hash: &str, errors: BTreeMap<String, String>) {
    let mut map = view_errors().lock().unwrap_or_else(|e| e.into_inner());
    map.insert(view_id.to_owned(), (hash.to_owned(), errors));
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        JS,
    )
        .into_response()
}

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <link rel=\"stylesheet\" href=\"/simulator/assets/simulator.css\"></head><body>{body}</body></html>",
        esc(title)
    );
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'",
        )],
        Html(html),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct PickQuery {
    /// The app's base URL for commands, interactivity and options (remembered in a cookie).
    app: Option<String>,
}

/// Who are you? Every person in every workspace.
async fn pick_person(AxumState(core): Core_, Query(q): Query<PickQuery>) -> Response {
    let mut body = String::from("<main class=\"pick\"><h1>Slack simulator</h1><p>Who are you?</p>");
    {
        let st = core.state.lock();
        let mut teams: Vec<_> = st.teams.values().collect();
        teams.sort_by(|a, b| a.name.cmp(&b.name));
        for team in teams {
            let _ = write!(
                body,
                "<section><h2>{}</h2><ul class=\"people\">",
                esc(&team.name)
            );
            let mut users: Vec<_> = st
                .users
                .values()
                .filter(|u| u.team_id == team.id && !u.is_bot && !u.deleted)
                .collect();
            users.sort_by(|a, b| a.name.cmp(&b.name));
            for u in users {
                let _ = write!(
                    body,
                    "<li><a href=\"/simulator/as/{}\">{}</a> <small>@{}{}</small></li>",
                    esc(&u.id),
                    esc(display_name(&u.real_name, &u.name)),
                    esc(&u.name),
                    u.email
                        .as_deref()
                        .map(|e| format!(" · {}", esc(e)))
                        .unwrap_or_default()
                );
            }
            body.push_str("</ul></section>");
        }
    }
    body.push_str("</main>");
    let mut response = page("Slack simulator", &body);
    if let Some(app) = q
        .app
        .filter(|a| a.starts_with("http://") || a.starts_with("https://"))
    {
        let encoded =
            serde_urlencoded::to_string([("a", app.trim_end_matches('/'))]).unwrap_or_default();
        let value = format!(
            "{APP_COOKIE}={}; Path=/simulator; SameSite=Lax",
            encoded.trim_start_matches("a=")
        );
        if let Ok(v) = header::HeaderValue::from_str(&value) {
            response.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    response
}

fn display_name<'a>(real_name: &'a str, name: &'a str) -> &'a str {
    if real_name.is_empty() {
        name
    } else {
        real_name
    }
}

#[derive(Debug, Deserialize, Default)]
struct Where {
    /// Channel id, or `home` for the App Home.
    c: Option<String>,
    /// Thread parent `ts`.
    thread: Option<String>,
}

/// The app's bot user in the person's workspace, if the app is installed there.
fn bot_user(st: &State, team_id: &str) -> Option<String> {
    driver::install_for_team(st, team_id).map(|i| i.bot_user_id)
}

fn channel_label(st: &State, channel: &Channel, me: &str, app_name: &str) -> String {
    if channel.is_im {
        let other = channel
            .members
            .iter()
            .find(|m| m.as_str() != me)
            .cloned()
            .unwrap_or_default();
        if st.users.get(&other).is_some_and(|u| u.is_bot)
            || bot_user(st, &channel.team_id).as_deref() == Some(other.as_str())
        {
            app_name.to_owned()
        } else {
            st.users
                .get(&other)
                .map_or(other.clone(), |u| u.name.clone())
        }
    } else {
        format!(
            "{}{}",
            if channel.is_private { "🔒" } else { "#" },
            channel.name
        )
    }
}

/// The client: the sidebar, the open conversation (or App Home), the composer.
async fn client(
    AxumState(core): Core_,
    Path(user): Path<String>,
    Query(at): Query<Where>,
) -> Response {
    let app_name = core.config.app_name.clone();
    let (me, sidebar, title, since) = {
        let mut guard = core.state.lock();
        let st = &mut *guard;
        let Some(me) = st.users.get(&user).cloned() else {
            return (StatusCode::NOT_FOUND, "no such user").into_response();
        };
        // The app's DM is there once the app is installed, like in Slack's sidebar.
        if let Some(bot) = bot_user(st, &me.team_id) {
            st.im_channel(&me.team_id, &bot, &me.id);
        }
        let mut channels: Vec<Channel> = st
            .channels
            .iter()
            .filter(|c| c.team_id == me.team_id && c.has_member(&me.id) && !c.is_archived)
            .cloned()
            .collect();
        channels.sort_by_key(|c| (!c.is_im, c.name.clone()));
        let current = at.c.clone().unwrap_or_default();
        let mut sidebar = String::new();
        let _ = write!(
            sidebar,
            "<a class=\"nav{}\" href=\"/simulator/as/{}?c=home\" data-nav=\"home\">{} · Home</a>",
            if current == "home" { " current" } else { "" },
            esc(&me.id),
            esc(&app_name)
        );
        let mut title = if current == "home" {
            format!("{app_name} · Home")
        } else {
            String::new()
        };
        for c in &channels {
            let label = channel_label(st, c, &me.id, &app_name);
            if c.id == current {
                title.clone_from(&label);
            }
            let _ = write!(
                sidebar,
                "<a class=\"nav{}\" href=\"/simulator/as/{}?c={}\" data-nav=\"{}\">{}</a>",
                if c.id == current { " current" } else { "" },
                esc(&me.id),
                esc(&c.id),
                esc(&c.id),
                esc(&label)
            );
        }
        let since = st.api_calls.last().map_or(0, |c| c.seq + 1);
        (me, sidebar, title, since)
    };
    let c = at.c.clone().unwrap_or_default();
    let thread = at.thread.clone().unwrap_or_default();
    let composer = if c.is_empty() || c == "home" {
        String::new()
    } else {
        format!(
            "<form id=\"composer\"><input id=\"composer-text\" name=\"text\" autocomplete=\"off\" aria-label=\"Message\" placeholder=\"{}\"><button type=\"submit\">Send</button></form>",
            if thread.is_empty() {
                "Message, or a slash command like /c1 request"
            } else {
                "Reply in thread…"
            }
        )
    };
    let body = format!(
        "<div class=\"app\" data-user=\"{user}\" data-channel=\"{c}\" data-thread=\"{thread}\" data-since=\"{since}\">\
         <nav class=\"sidebar\"><div class=\"me\">{who} <a href=\"/simulator\">switch</a></div>{sidebar}</nav>\
         <main class=\"conversation\"><h1 id=\"title\">{title}</h1>\
         <div id=\"notice\" role=\"alert\" hidden></div>\
         <div id=\"pane\" aria-live=\"polite\"></div>{composer}<aside id=\"problems\"></aside></main></div>\
         <div id=\"modal\"></div><script src=\"/simulator/assets/simulator.js\"></script>",
        user = esc(&me.id),
        c = esc(&c),
        thread = esc(&thread),
        who = esc(display_name(&me.real_name, &me.name)),
        title = esc(if title.is_empty() {
            "Pick a conversation"
        } else {
            &title
        }),
    );
    page(&format!("{} · Slack simulator", me.name), &body)
}

fn author(st: &State, user: &str, bot_id: Option<&String>, app_name: &str) -> String {
    if bot_id.is_some() {
        return app_name.to_owned();
    }
    st.users.get(user).map_or_else(
        || user.to_owned(),
        |u| display_name(&u.real_name, &u.name).to_owned(),
    )
}

/// The open conversation (its messages, or one thread), or the App Home, as HTML.
async fn pane(
    AxumState(core): Core_,
    Path(user): Path<String>,
    Query(at): Query<Where>,
) -> Response {
    let st = core.state.lock();
    Html(pane_html(&st, &core.config.app_name, &user, &at)).into_response()
}

fn pane_html(st: &State, app_name: &str, user: &str, at: &Where) -> String {
    let c = at.c.clone().unwrap_or_default();
    let mut out = String::new();
    if c == "home" {
        let home = st
            .views
            .iter()
            .find(|v| v.kind == "home" && v.user_id == user);
        match home {
            Some(view) => {
                let no_errors = BTreeMap::new();
                let surface = json!({"type": "view", "view_id": view.id});
                out.push_str(&render::blocks(
                    &named(st, view.definition.get("blocks").unwrap_or(&Value::Null)),
                    &render::Surface {
                        warnings: &warnings_for(user, &surface),
                        surface,
                        inputs: &view.inputs,
                        errors: &no_errors,
                        directory: &directory(st, app_name, user),
                    },
                ));
            }
            None => out.push_str(
                "<p class=\"empty\">The app has not published a Home tab for you yet.</p>",
            ),
        }
        return out;
    }
    let Some(channel) = st.channel(&c) else {
        return "<p class=\"empty\">Pick a conversation on the left.</p>".to_owned();
    };
    if !channel.has_member(user) {
        return "<p class=\"empty\">You are not in this conversation.</p>".to_owned();
    }
    let messages = st.messages.get(&channel.id).cloned().unwrap_or_default();
    let thread = at.thread.clone().filter(|t| !t.is_empty());
    let dir = directory(st, app_name, user);
    if let Some(parent) = &thread {
        let _ = write!(
            out,
            "<p class=\"thread-back\"><a href=\"/simulator/as/{}?c={}\">← Back to the conversation</a> · Thread</p>",
            esc(user),
            esc(&channel.id)
        );
        for m in messages
            .iter()
            .filter(|m| !m.deleted && (m.ts == *parent || m.thread_ts.as_deref() == Some(parent)))
        {
            out.push_str(&message_html(st, app_name, user, &dir, channel, m, 0));
        }
    } else {
        for m in messages
            .iter()
            .filter(|m| !m.deleted && m.thread_ts.as_deref().is_none_or(|t| t == m.ts))
        {
            let replies = messages
                .iter()
                .filter(|r| !r.deleted && r.thread_ts.as_deref() == Some(&m.ts) && r.ts != m.ts)
                .count();
            out.push_str(&message_html(st, app_name, user, &dir, channel, m, replies));
        }
    }
    for e in st.ephemerals.iter().filter(|e| {
        e.channel == channel.id
            && e.user == user
            && !e.deleted
            && e.thread_ts.as_deref() == thread.as_deref()
    }) {
        let key = format!("{}|{}|{user}", channel.id, e.message_ts);
        let inputs = st.message_inputs.get(&key).cloned().unwrap_or_default();
        let _ = write!(
            out,
            "<article class=\"message ephemeral\" data-ts=\"{}\"><header><b>{}</b> <small>Only visible to you</small></header>{}</article>",
            esc(&e.message_ts),
            esc(app_name),
            body_html(
                st,
                (user, &dir),
                &e.text,
                e.blocks.as_ref(),
                json!({"type": "message", "channel_id": channel.id, "message_ts": e.message_ts}),
                &inputs
            )
        );
    }
    if out.is_empty() {
        out.push_str("<p class=\"empty\">No messages yet.</p>");
    }
    out
}

/// `<@U…>` mentions in `mrkdwn` text become `<@U…|name>`, so people read names, as in Slack.
fn with_names(st: &State, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('>') {
            Some(end) if !after[..end].contains('|') => {
                let id = &after[..end];
                match st.users.get(id) {
                    Some(u) => {
                        let _ = write!(out, "<@{id}|{}>", display_name(&u.real_name, &u.name));
                    }
                    None => {
                        let _ = write!(out, "<@{id}>");
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("<@");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every `mrkdwn` text object in `value`, with [`with_names`].
fn named(st: &State, value: &Value) -> Value {
    match value {
        Value::Object(o) => {
            let mut o = o.clone();
            let is_mrkdwn = o.get("type").and_then(Value::as_str) == Some("mrkdwn");
            for (k, v) in &mut o {
                if is_mrkdwn && k == "text" {
                    if let Some(t) = v.as_str() {
                        *v = Value::String(with_names(st, t));
                    }
                } else {
                    *v = named(st, v);
                }
            }
            Value::Object(o)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| named(st, v)).collect()),
        other => other.clone(),
    }
}

fn body_html(
    st: &State,
    (user, dir): (&str, &render::Directory),
    text: &str,
    blocks: Option<&Value>,
    surface: Value,
    inputs: &Inputs,
) -> String {
    match blocks.filter(|b| b.as_array().is_some_and(|a| !a.is_empty())) {
        Some(blocks) => {
            let blocks = &named(st, blocks);
            let no_errors = BTreeMap::new();
            render::blocks(
                blocks,
                &render::Surface {
                    warnings: &warnings_for(user, &surface),
                    surface,
                    inputs,
                    errors: &no_errors,
                    directory: dir,
                },
            )
        }
        None => format!(
            "<div class=\"text\">{}</div>",
            render::mrkdwn(&with_names(st, text))
        ),
    }
}

fn message_html(
    st: &State,
    app_name: &str,
    user: &str,
    dir: &render::Directory,
    channel: &Channel,
    m: &crate::state::Message,
    replies: usize,
) -> String {
    let key = format!("{}|{}|{user}", channel.id, m.ts);
    let inputs = st.message_inputs.get(&key).cloned().unwrap_or_default();
    let mut out = format!(
        "<article class=\"message\" data-ts=\"{}\"><header><b>{}</b>{}</header>",
        esc(&m.ts),
        esc(&author(st, &m.user, m.bot_id.as_ref(), app_name)),
        if m.edits.is_empty() {
            ""
        } else {
            " <small class=\"edited\">(edited)</small>"
        }
    );
    out.push_str(&body_html(
        st,
        (user, dir),
        &m.text,
        m.blocks.as_ref(),
        json!({"type": "message", "channel_id": channel.id, "message_ts": m.ts}),
        &inputs,
    ));
    if m.thread_ts.is_none() || m.thread_ts.as_deref() == Some(m.ts.as_str()) {
        let _ = write!(
            out,
            "<a class=\"thread-link\" href=\"/simulator/as/{}?c={}&amp;thread={}\">{}</a>",
            esc(user),
            esc(&channel.id),
            esc(&m.ts),
            match replies {
                0 => "Reply in thread".to_owned(),
                1 => "1 reply".to_owned(),
                n => format!("{n} replies"),
            }
        );
    }
    out.push_str("</article>");
    out
}

#[derive(Debug, Deserialize)]
struct Since {
    /// Web API calls before this sequence number were made before the page opened.
    #[serde(default)]
    since: u64,
}

/// The app's Web API calls Slack answered `ok: false` since the page opened,
/// newest first (at most five): what a developer sees in Slack's app logs.
async fn problems(AxumState(core): Core_, Query(q): Query<Since>) -> Response {
    let st = core.state.lock();
    Html(problems_html(&st, q.since)).into_response()
}

fn problems_html(st: &State, since: u64) -> String {
    let failed: Vec<_> = st
        .api_calls
        .iter()
        .rev()
        .filter(|c| c.seq >= since && c.response.get("ok") == Some(&Value::Bool(false)))
        .take(5)
        .collect();
    if failed.is_empty() {
        return String::new();
    }
    let mut out = String::from("<h2>The app's failed Slack calls</h2><ul>");
    for c in failed {
        let _ = write!(
            out,
            "<li><code>{}</code> answered <code>ok: false</code>, error <code>{}</code></li>",
            esc(&c.method),
            esc(c
                .response
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown"))
        );
    }
    out.push_str("</ul>");
    out
}

/// The person's open modal (top of the stack), with its inline errors, or nothing.
async fn modal(AxumState(core): Core_, Path(user): Path<String>) -> Response {
    let st = core.state.lock();
    Html(modal_html(&st, &core.config.app_name, &user)).into_response()
}

fn modal_html(st: &State, app_name: &str, user: &str) -> String {
    let Some(view) = st
        .views
        .iter()
        .rev()
        .find(|v| v.kind == "modal" && v.user_id == user && !v.closed)
    else {
        return String::new();
    };
    let d = &view.definition;
    let errors = errors_for(&view.id, &view.hash);
    let title = render::text_object(d.get("title"));
    let submit = d
        .get("submit")
        .map(|s| render::text_object(Some(s)))
        .filter(|s| !s.is_empty());
    // The close button shows the view's `close` text, "Cancel" when it has none, on every view of
    // the stack; a pushed view also gets a back arrow (docs.slack.dev/surfaces/modals: "When a
    // user submits or cancels the current view, they'll return to the previous view on the
    // stack"), and every view the × that exits the whole modal.
    let close = d
        .get("close")
        .map(|s| render::text_object(Some(s)))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Cancel".to_owned());
    let pushed = view
        .previous_view_id
        .as_ref()
        .is_some_and(|p| st.views.iter().any(|v| v.id == *p && !v.closed));
    let mut out = format!(
        "<div class=\"overlay\"><div class=\"modal\" role=\"dialog\" aria-modal=\"true\" aria-labelledby=\"modal-title\" data-view=\"{}\" data-hash=\"{}\"><header class=\"modal-head\">{}<h2 id=\"modal-title\">{title}</h2><button type=\"button\" class=\"modal-x\" data-dismiss aria-label=\"Close\">×</button></header>",
        esc(&view.id),
        esc(&view.hash),
        if pushed {
            "<button type=\"button\" class=\"modal-back\" data-back aria-label=\"Back\">‹</button>"
        } else {
            ""
        }
    );
    if let Some(general) = errors.get("") {
        let _ = write!(
            out,
            "<div class=\"modal-error\" role=\"alert\">{}</div>",
            esc(general)
        );
    }
    let surface = json!({"type": "view", "view_id": view.id});
    out.push_str(&render::blocks(
        &named(st, d.get("blocks").unwrap_or(&Value::Null)),
        &render::Surface {
            warnings: &warnings_for(user, &surface),
            surface,
            inputs: &view.inputs,
            errors: &errors,
            directory: &directory(st, app_name, user),
        },
    ));
    let _ = write!(
        out,
        "<footer><button type=\"button\" class=\"btn btn-default\" data-close>{close}</button>"
    );
    if let Some(submit) = submit {
        let _ = write!(
            out,
            "<button type=\"button\" class=\"btn btn-primary\" data-submit>{submit}</button>"
        );
    }
    out.push_str("</footer></div></div>");
    out
}

/// What the person's pickers list (see [`render::Directory`]).
fn directory(st: &State, app_name: &str, user: &str) -> render::Directory {
    let Some(me) = st.users.get(user) else {
        return render::Directory::default();
    };
    let mut people: Vec<render::Pickable> = st
        .users
        .values()
        .filter(|u| u.team_id == me.team_id && !u.deleted)
        .map(|u| render::Pickable {
            id: u.id.clone(),
            label: display_name(&u.real_name, &u.name).to_owned(),
        })
        .collect();
    people.sort_by(|a, b| a.label.cmp(&b.label).then_with(|| a.id.cmp(&b.id)));
    let bot = bot_user(st, &me.team_id);
    let mut conversations: Vec<render::PickableConversation> = st
        .channels
        .iter()
        .filter(|c| {
            c.team_id == me.team_id
                && !c.is_archived
                && ((!c.is_im && !c.is_private) || c.has_member(&me.id))
        })
        .map(|c| render::PickableConversation {
            id: c.id.clone(),
            label: channel_label(st, c, &me.id, app_name),
            kind: if c.is_im {
                "im"
            } else if c.is_private {
                "private"
            } else {
                "public"
            },
            with_bot: c.is_im
                && c.members.iter().any(|m| {
                    m != &me.id
                        && (st.users.get(m).is_some_and(|u| u.is_bot)
                            || bot.as_deref() == Some(m.as_str()))
                }),
        })
        .collect();
    conversations.sort_by(|a, b| (a.kind == "im", &a.label).cmp(&(b.kind == "im", &b.label)));
    render::Directory {
        people,
        conversations,
    }
}

/// Elements whose request the app did not acknowledge, by person and surface (the surface as
/// JSON): Slack shows a warning icon beside them until the person acts on them again.
type Warnings = HashMap<String, BTreeSet<(String, String)>>;

fn warnings() -> &'static Mutex<Warnings> {
    static WARNINGS: OnceLock<Mutex<Warnings>> = OnceLock::new();
    WARNINGS.get_or_init(Mutex::default)
}

fn warnings_key(user: &str, surface: &Value) -> String {
    format!("{user}|{surface}")
}

fn warnings_for(user: &str, surface: &Value) -> BTreeSet<(String, String)> {
    let map = warnings().lock().unwrap_or_else(|e| e.into_inner());
    map.get(&warnings_key(user, surface))
        .cloned()
        .unwrap_or_default()
}

/// Marks (`failed`) or clears the warning beside an element the person acted on.
fn set_warning(user: &str, surface: &Surface, block_id: &str, action_id: &str, failed: bool) {
    let Ok(surface) = serde_json::to_value(surface) else {
        return;
    };
    let mut map = warnings().lock().unwrap_or_else(|e| e.into_inner());
    let set = map.entry(warnings_key(user, &surface)).or_default();
    let element = (block_id.to_owned(), action_id.to_owned());
    if failed {
        set.insert(element);
    } else {
        set.remove(&element);
    }
}

/// What the person does, as the page posts it.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Doing {
    /// Types a slash command (`/c1 request`) in a channel.
    Command { channel_id: String, text: String },
    /// Writes a message, optionally in a thread.
    Write {
        channel_id: String,
        text: String,
        #[serde(default)]
        thread_ts: Option<String>,
    },
    /// Acts on an element.
    Act {
        surface: Surface,
        block_id: Option<String>,
        action_id: String,
        input: Input,
    },
    /// Types into an external select.
    Options {
        surface: Surface,
        block_id: Option<String>,
        action_id: String,
        value: String,
    },
    /// Submits a modal.
    Submit { view_id: String },
    /// Clicks a modal's close button (its `close` text, "Cancel" by default).
    Close { view_id: String },
    /// Clicks the back arrow of a pushed view.
    Back { view_id: String },
    /// Clicks the × in a modal's corner.
    Dismiss { view_id: String },
    /// Opens the App Home.
    Home,
}

fn answer(notice: Option<String>, extra: Value) -> Response {
    let mut body = json!({"notice": notice});
    if let (Some(obj), Value::Object(more)) = (body.as_object_mut(), extra) {
        obj.extend(more);
    }
    axum::Json(body).into_response()
}

/// What Slack's client does to what a person types before it is a message's `text`:
/// `&`, `<` and `>` become entities, so typed angle brackets are never markup.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The person does something: it goes through the driver, as in the tests.
async fn act_as(
    AxumState(core): Core_,
    Path(user): Path<String>,
    headers: HeaderMap,
    axum::Json(doing): axum::Json<Doing>,
) -> Response {
    let Some(urls) = app_urls(&core, &headers) else {
        return answer(
            Some("The simulator does not know the app's URLs: open /simulator?app=<the app's Slack base URL>.".to_owned()),
            json!({}),
        );
    };
    let failed = |e: crate::StandinError| answer(Some(e.to_string()), json!({}));
    match doing {
        Doing::Command { channel_id, text } => {
            let team_id = core
                .state
                .lock()
                .users
                .get(&user)
                .map(|u| u.team_id.clone())
                .unwrap_or_default();
            let trimmed = text.trim();
            let (command, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
            let cmd = SlashCommand {
                team_id,
                channel_id,
                user_id: user,
                command: command.to_owned(),
                text: rest.trim().to_owned(),
            };
            match driver::send_slash_command(&core, &urls.commands, &cmd).await {
                Ok(ack) if ack.acked => answer(None, json!({})),
                Ok(ack) => answer(
                    Some(command_failed(
                        &cmd.command,
                        if ack.status.is_none() && ack.latency >= core.config.ack_timeout {
                            "operation_timeout"
                        } else {
                            "dispatch_failed"
                        },
                    )),
                    json!({}),
                ),
                Err(e) => failed(e),
            }
        }
        Doing::Write {
            channel_id,
            text,
            thread_ts,
        } => {
            match driver::user_writes(
                &core,
                &channel_id,
                &user,
                &slack_escape(&text),
                thread_ts.as_deref(),
            )
            .await
            {
                Ok(_) => answer(None, json!({})),
                Err(e) => failed(e),
            }
        }
        Doing::Act {
            surface,
            block_id,
            action_id,
            input,
        } => {
            let act = Act {
                user_id: user,
                surface,
                block_id,
                action_id,
                input,
            };
            match driver::act(&core, &urls.interactivity, &act).await {
                Ok(outcome) => {
                    if let Some(ack) = &outcome.dispatched {
                        set_warning(
                            &act.user_id,
                            &act.surface,
                            act.block_id.as_deref().unwrap_or_default(),
                            &act.action_id,
                            !ack.acked,
                        );
                    }
                    answer(None, json!({}))
                }
                Err(e) => failed(e),
            }
        }
        Doing::Options {
            surface,
            block_id,
            action_id,
            value,
        } => {
            let load = OptionsLoad {
                user_id: user,
                surface,
                block_id,
                action_id,
                value,
            };
            match driver::load_options(&core, &urls.options, &load).await {
                Ok(outcome) => {
                    let options: Vec<Value> = outcome
                        .options
                        .iter()
                        .map(|o| {
                            json!({
                                "value": o.get("value"),
                                "text": o.get("text").and_then(|t| t.get("text")),
                            })
                        })
                        .collect();
                    // A failed options load shows the person an empty menu, nothing more.
                    answer(
                        None,
                        json!({"options": options, "problems": outcome.problems}),
                    )
                }
                Err(e) => failed(e),
            }
        }
        Doing::Submit { view_id } => {
            let submit = ViewSubmit {
                view_id: view_id.clone(),
                user_id: Some(user),
                values: Value::Null,
            };
            match driver::submit_view(&core, &urls.interactivity, &submit).await {
                Ok(outcome) => {
                    let hash = core
                        .state
                        .lock()
                        .views
                        .iter()
                        .find(|v| v.id == view_id)
                        .map(|v| v.hash.clone())
                        .unwrap_or_default();
                    let mut errors = outcome.client_errors.clone();
                    if outcome.response_action.as_deref() == Some("errors")
                        && outcome.problems.is_empty()
                        && let Some(map) = outcome.errors.as_ref().and_then(Value::as_object)
                    {
                        for (k, v) in map {
                            errors.insert(k.clone(), v.as_str().unwrap_or_default().to_owned());
                        }
                    }
                    if let Some(e) = &outcome.slack_error {
                        errors.insert(String::new(), e.clone());
                    }
                    set_errors(&view_id, &hash, errors);
                    answer(None, json!({}))
                }
                Err(e) => failed(e),
            }
        }
        Doing::Close { view_id } => leave(&core, &urls, &view_id, &user, Leaving::Cancel).await,
        Doing::Back { view_id } => leave(&core, &urls, &view_id, &user, Leaving::Back).await,
        Doing::Dismiss { view_id } => leave(&core, &urls, &view_id, &user, Leaving::Dismiss).await,
        // `app_home_opened` is an event: whether the app acks it or not, Slack shows the Home
        // tab as last published and tells the person nothing.
        Doing::Home => match driver::open_app_home(&core, &user, "home").await {
            Ok(_) => answer(None, json!({})),
            Err(e) => failed(e),
        },
    }
}

/// The person leaves a modal view (see [`Leaving`]).
async fn leave(core: &Core, urls: &AppUrls, view_id: &str, user: &str, how: Leaving) -> Response {
    match driver::leave_view(core, &urls.interactivity, view_id, Some(user), how).await {
        Ok(_) => answer(None, json!({})),
        Err(e) => answer(Some(e.to_string()), json!({})),
    }
}
