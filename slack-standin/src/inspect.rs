//! Inspection and control API under `/_standin/…` (JSON). Not part of Slack:
//! it lets tests and people see what the app sent and steer the stand-in.
//! Every route has a matching method on [`crate::SlackStandin`].

use crate::config::ConsentMode;
use crate::driver::{self, Act, ButtonClick, OptionsLoad, SlashCommand, ViewSubmit};
use crate::error::StandinError;
use crate::faults::{LatencyFault, RateLimitFault, RateLimitStorm, ServerErrorFault};
use crate::seed::{self, NewUser};
use crate::server::Core;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

type Core_ = AxumState<Arc<Core>>;

fn error(e: &StandinError) -> Response {
    let status = match e {
        StandinError::NotFound(_) => StatusCode::NOT_FOUND,
        StandinError::Invalid(_) | StandinError::Json(_) => StatusCode::BAD_REQUEST,
        StandinError::Io(_) | StandinError::Http(_) => StatusCode::BAD_GATEWAY,
    };
    (status, Json(json!({"ok": false, "error": e.to_string()}))).into_response()
}

fn reply<T: serde::Serialize>(r: Result<T, StandinError>) -> Response {
    match r {
        Ok(v) => Json(json!({"ok": true, "result": v})).into_response(),
        Err(e) => error(&e),
    }
}

/// The `/_standin` routes.
pub fn router() -> Router<Arc<Core>> {
    Router::new()
        .route("/_standin", get(summary))
        .route("/_standin/reset", post(reset))
        .route("/_standin/api_calls", get(api_calls))
        .route("/_standin/messages", get(messages))
        .route("/_standin/ephemerals", get(ephemerals))
        .route("/_standin/views", get(views))
        .route("/_standin/pins", get(pins))
        .route("/_standin/channels", get(channels).post(create_channel))
        .route("/_standin/users", get(users).post(create_user))
        .route("/_standin/users/{id}/deactivate", post(deactivate_user))
        .route(
            "/_standin/workspaces",
            get(workspaces).post(create_workspace),
        )
        .route(
            "/_standin/enterprises",
            get(enterprises).post(create_enterprise),
        )
        .route("/_standin/installs", get(installs).post(create_install))
        .route("/_standin/tokens", get(tokens))
        .route("/_standin/tokens/revoke", post(revoke_token))
        .route("/_standin/hook_posts", get(hook_posts))
        .route("/_standin/deliveries", get(deliveries))
        .route("/_standin/faults", get(faults).delete(clear_faults))
        .route("/_standin/faults/rate_limit", post(fault_rate_limit))
        .route("/_standin/faults/server_error", post(fault_server_error))
        .route("/_standin/faults/latency", post(fault_latency))
        .route("/_standin/faults/rate_limit_storm", post(fault_storm))
        .route("/_standin/settings", post(settings))
        .route("/_standin/driver/slash_command", post(drive_command))
        .route("/_standin/driver/click_button", post(drive_click))
        .route("/_standin/driver/submit_view", post(drive_submit))
        .route("/_standin/driver/event", post(drive_event))
        .route("/_standin/driver/act", post(drive_act))
        .route("/_standin/driver/load_options", post(drive_load_options))
        .route("/_standin/driver/close_view", post(drive_close_view))
        .route("/_standin/driver/open_app_home", post(drive_open_app_home))
        .route("/_standin/driver/user_writes", post(drive_user_writes))
}

async fn summary(AxumState(core): Core_) -> Response {
    let st = core.state.lock();
    Json(json!({
        "ok": true,
        "base_url": core.base_url,
        "api_url": format!("{}/api", core.base_url),
        "authorize_url": format!("{}/oauth/v2/authorize", core.base_url),
        "client_id": core.config.client_id,
        "app_id": core.config.app_id,
        "consent": st.consent,
        "enforce_rate_limits": st.enforce_rate_limits,
        "events_url": st.events_url,
        "counts": {
            "workspaces": st.teams.len(), "users": st.users.len(), "channels": st.channels.len(),
            "installs": st.installs.len(), "api_calls": st.api_calls.len(), "deliveries": st.deliveries.len(),
        },
    }))
    .into_response()
}

async fn reset(AxumState(core): Core_) -> Response {
    core.state.lock().reset();
    reply(Ok(()))
}

#[derive(Deserialize)]
struct Filter {
    method: Option<String>,
    channel: Option<String>,
    user: Option<String>,
    team: Option<String>,
}

async fn api_calls(AxumState(core): Core_, Query(f): Query<Filter>) -> Response {
    let st = core.state.lock();
    let calls: Vec<_> = st
        .api_calls
        .iter()
        .filter(|c| f.method.as_ref().is_none_or(|m| *m == c.method))
        .cloned()
        .collect();
    reply(Ok(calls))
}

async fn messages(AxumState(core): Core_, Query(f): Query<Filter>) -> Response {
    let st = core.state.lock();
    let mut out: HashMap<String, Vec<crate::state::Message>> = HashMap::new();
    for (channel, msgs) in &st.messages {
        let name = st
            .channel(channel)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        if f.channel.as_ref().is_none_or(|want| {
            want == channel || *want == name || want.trim_start_matches('#') == name
        }) {
            out.insert(channel.clone(), msgs.clone());
        }
    }
    reply(Ok(out))
}

async fn ephemerals(AxumState(core): Core_, Query(f): Query<Filter>) -> Response {
    let st = core.state.lock();
    let list: Vec<_> = st
        .ephemerals
        .iter()
        .filter(|e| {
            f.user.as_ref().is_none_or(|u| *u == e.user)
                && f.channel.as_ref().is_none_or(|c| *c == e.channel)
        })
        .cloned()
        .collect();
    reply(Ok(list))
}

async fn views(AxumState(core): Core_, Query(f): Query<Filter>) -> Response {
    let st = core.state.lock();
    let list: Vec<_> = st
        .views
        .iter()
        .filter(|v| f.user.as_ref().is_none_or(|u| *u == v.user_id))
        .cloned()
        .collect();
    reply(Ok(list))
}

async fn pins(AxumState(core): Core_) -> Response {
    reply(Ok(core.state.lock().pins.clone()))
}

async fn channels(AxumState(core): Core_, Query(f): Query<Filter>) -> Response {
    let st = core.state.lock();
    let list: Vec<_> = st
        .channels
        .iter()
        .filter(|c| f.team.as_ref().is_none_or(|t| *t == c.team_id))
        .cloned()
        .collect();
    reply(Ok(list))
}

async fn users(AxumState(core): Core_, Query(f): Query<Filter>) -> Response {
    let st = core.state.lock();
    let list: Vec<_> = st
        .users
        .values()
        .filter(|u| f.team.as_ref().is_none_or(|t| *t == u.team_id))
        .cloned()
        .collect();
    reply(Ok(list))
}

async fn workspaces(AxumState(core): Core_) -> Response {
    reply(Ok(core
        .state
        .lock()
        .teams
        .values()
        .cloned()
        .collect::<Vec<_>>()))
}

async fn enterprises(AxumState(core): Core_) -> Response {
    reply(Ok(core
        .state
        .lock()
        .enterprises
        .values()
        .cloned()
        .collect::<Vec<_>>()))
}

async fn installs(AxumState(core): Core_) -> Response {
    reply(Ok(core
        .state
        .lock()
        .installs
        .values()
        .cloned()
        .collect::<Vec<_>>()))
}

async fn tokens(AxumState(core): Core_) -> Response {
    reply(Ok(core
        .state
        .lock()
        .tokens
        .values()
        .cloned()
        .collect::<Vec<_>>()))
}

async fn hook_posts(AxumState(core): Core_) -> Response {
    reply(Ok(core.state.lock().hook_posts.clone()))
}

async fn deliveries(AxumState(core): Core_) -> Response {
    reply(Ok(core.state.lock().deliveries.clone()))
}

async fn faults(AxumState(core): Core_) -> Response {
    reply(Ok(core.state.lock().faults.clone()))
}

async fn clear_faults(AxumState(core): Core_) -> Response {
    core.state.lock().faults = crate::faults::Faults::default();
    reply(Ok(()))
}

async fn fault_rate_limit(AxumState(core): Core_, Json(f): Json<RateLimitFault>) -> Response {
    core.state.lock().faults.rate_limits.push(f);
    reply(Ok(()))
}

async fn fault_server_error(AxumState(core): Core_, Json(f): Json<ServerErrorFault>) -> Response {
    core.state.lock().faults.server_errors.push(f);
    reply(Ok(()))
}

async fn fault_storm(AxumState(core): Core_, Json(mut f): Json<RateLimitStorm>) -> Response {
    f.started = Some(std::time::Instant::now());
    core.state.lock().faults.storms.push(f);
    reply(Ok(()))
}

async fn fault_latency(AxumState(core): Core_, Json(f): Json<LatencyFault>) -> Response {
    core.state.lock().faults.latencies.push(f);
    reply(Ok(()))
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

async fn revoke_token(AxumState(core): Core_, Json(b): Json<TokenBody>) -> Response {
    reply(seed::revoke_token(&mut core.state.lock(), &b.token))
}

#[derive(Deserialize)]
struct SettingsBody {
    consent: Option<ConsentMode>,
    enforce_rate_limits: Option<bool>,
    events_url: Option<String>,
    event_subscriptions: Option<Vec<String>>,
}

async fn settings(AxumState(core): Core_, Json(b): Json<SettingsBody>) -> Response {
    let mut st = core.state.lock();
    if let Some(c) = b.consent {
        st.consent = c;
    }
    if let Some(e) = b.enforce_rate_limits {
        st.enforce_rate_limits = e;
    }
    if let Some(e) = b.event_subscriptions {
        st.event_subscriptions = e;
    }
    if let Some(u) = b.events_url {
        st.events_url = if u.is_empty() { None } else { Some(u) };
    }
    reply(Ok(()))
}

#[derive(Deserialize)]
struct WorkspaceBody {
    name: String,
    domain: Option<String>,
    enterprise_id: Option<String>,
}

async fn create_workspace(AxumState(core): Core_, Json(b): Json<WorkspaceBody>) -> Response {
    reply(seed::add_workspace(
        &mut core.state.lock(),
        &b.name,
        b.domain.as_deref(),
        b.enterprise_id.as_deref(),
    ))
}

#[derive(Deserialize)]
struct NameBody {
    name: String,
}

async fn create_enterprise(AxumState(core): Core_, Json(b): Json<NameBody>) -> Response {
    reply(Ok(seed::add_enterprise(&mut core.state.lock(), &b.name)))
}

#[derive(Deserialize)]
struct UserBody {
    team_id: String,
    #[serde(flatten)]
    user: NewUser,
}

async fn create_user(AxumState(core): Core_, Json(b): Json<UserBody>) -> Response {
    reply(seed::add_user(&mut core.state.lock(), &b.team_id, &b.user))
}

async fn deactivate_user(AxumState(core): Core_, Path(id): Path<String>) -> Response {
    reply(seed::deactivate_user(&mut core.state.lock(), &id))
}

#[derive(Deserialize)]
struct ChannelBody {
    team_id: String,
    name: String,
    #[serde(default)]
    is_private: bool,
    #[serde(default)]
    members: Vec<String>,
}

async fn create_channel(AxumState(core): Core_, Json(b): Json<ChannelBody>) -> Response {
    reply(seed::add_channel(
        &mut core.state.lock(),
        &b.team_id,
        &b.name,
        b.is_private,
        &b.members,
    ))
}

#[derive(Deserialize)]
struct InstallBody {
    team_id: String,
    scopes: Vec<String>,
}

async fn create_install(AxumState(core): Core_, Json(b): Json<InstallBody>) -> Response {
    let scopes: Vec<&str> = b.scopes.iter().map(String::as_str).collect();
    let r = seed::install_directly(
        &mut core.state.lock(),
        &core.config.app_id,
        &core.config.app_name,
        &b.team_id,
        &scopes,
    );
    reply(r)
}

#[derive(Deserialize)]
struct Drive<T> {
    app_url: String,
    #[serde(flatten)]
    body: T,
}

async fn drive_command(AxumState(core): Core_, Json(b): Json<Drive<SlashCommand>>) -> Response {
    reply(driver::send_slash_command(&core, &b.app_url, &b.body).await)
}

async fn drive_click(AxumState(core): Core_, Json(b): Json<Drive<ButtonClick>>) -> Response {
    reply(driver::click_button(&core, &b.app_url, &b.body).await)
}

async fn drive_submit(AxumState(core): Core_, Json(b): Json<Drive<ViewSubmit>>) -> Response {
    reply(driver::submit_view(&core, &b.app_url, &b.body).await)
}

#[derive(Deserialize)]
struct EventBody {
    team_id: String,
    event: Value,
}

async fn drive_event(AxumState(core): Core_, Json(b): Json<Drive<EventBody>>) -> Response {
    reply(driver::send_event(&core, &b.app_url, &b.body.team_id, b.body.event).await)
}

async fn drive_act(AxumState(core): Core_, Json(b): Json<Drive<Act>>) -> Response {
    reply(driver::act(&core, &b.app_url, &b.body).await)
}

async fn drive_load_options(AxumState(core): Core_, Json(b): Json<Drive<OptionsLoad>>) -> Response {
    reply(driver::load_options(&core, &b.app_url, &b.body).await)
}

#[derive(Deserialize)]
struct CloseBody {
    view_id: String,
    user_id: Option<String>,
}

async fn drive_close_view(AxumState(core): Core_, Json(b): Json<Drive<CloseBody>>) -> Response {
    reply(
        driver::close_view(
            &core,
            &b.app_url,
            &b.body.view_id,
            b.body.user_id.as_deref(),
        )
        .await,
    )
}

#[derive(Deserialize)]
struct HomeBody {
    user_id: String,
    #[serde(default = "home_tab")]
    tab: String,
}

fn home_tab() -> String {
    "home".to_owned()
}

async fn drive_open_app_home(AxumState(core): Core_, Json(b): Json<HomeBody>) -> Response {
    reply(driver::open_app_home(&core, &b.user_id, &b.tab).await)
}

#[derive(Deserialize)]
struct WriteBody {
    channel_id: String,
    user_id: String,
    text: String,
    thread_ts: Option<String>,
}

async fn drive_user_writes(AxumState(core): Core_, Json(b): Json<WriteBody>) -> Response {
    reply(
        driver::user_writes(
            &core,
            &b.channel_id,
            &b.user_id,
            &b.text,
            b.thread_ts.as_deref(),
        )
        .await
        .map(|(message, delivery)| json!({"message": message, "delivery": delivery})),
    )
}
