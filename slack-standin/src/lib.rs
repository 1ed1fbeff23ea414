//! # slack-standin
//!
//! A faithful, stateful stand-in for Slack, held to Slack's published
//! contracts (see `README.md` and `/work/shared/reference/slack.md`):
//!
//! - OAuth v2 install flow (`/oauth/v2/authorize` consent page, `oauth.v2.access`),
//!   including Enterprise Grid org-wide installs;
//! - the Web API methods Latch uses under `/api/<method>` with Slack's transport
//!   rules, error codes, scopes, rate limits and Block Kit limits;
//! - incoming webhooks and `response_url`s;
//! - a driver that sends signed slash commands, interactions and events to the
//!   app under test;
//! - an inspection/control API (`/_standin/…` and methods on [`SlackStandin`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), slack_standin::StandinError> {
//! use slack_standin::{SlackStandin, StandinConfig, NewUser};
//! let slack = SlackStandin::start(StandinConfig::new("123.456", "client-secret", "signing-secret")).await?;
//! let team = slack.add_workspace("Acme", "acme")?;
//! let alice = slack.add_user(&team.id, NewUser::new("alice", "alice@acme.test"))?;
//! slack.add_channel(&team.id, "general", false, &[alice.id.as_str()])?;
//! println!("point the app at {}", slack.api_url());
//! # Ok(()) }
//! ```

pub mod blockkit;
pub mod config;
pub mod driver;
pub mod error;
pub mod faults;
pub mod hooks;
pub mod ids;
pub mod inspect;
pub mod limits;
pub mod oauth;
pub mod persist;
pub mod person;
pub mod rate_limit;
pub mod seed;
pub mod server;
pub mod signing;
pub mod simulator;
pub mod state;
pub mod web_api;

pub use blockkit::Input;
pub use config::{ConsentMode, StandinConfig};
pub use driver::{
    Ack, Act, ActOutcome, ButtonClick, OptionsLoad, OptionsOutcome, SlashCommand, Surface,
    TROUBLE_CONNECTING, ViewCloseOutcome, ViewSubmit, ViewSubmitOutcome,
};
pub use error::{Result, StandinError};
pub use oauth::Consent;
pub use person::Person;
pub use seed::{InstallTokens, NewUser};
pub use state::{
    ApiCall, Channel, Delivery, DeliveryAttempt, Enterprise, EphemeralMessage, HookPost,
    Installation, Message, MessageOrigin, MessageRevision, Pin, Team, Token, TokenKind, User, View,
};

use crate::faults::{LatencyFault, RateLimitFault, ServerErrorFault};
use crate::server::Core;
use crate::state::{Shared, State, Timings};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running stand-in. Dropping it shuts the server down (and, with a state file, saves
/// the state once more if the runtime is still running).
#[derive(Debug)]
pub struct SlackStandin {
    core: Arc<Core>,
    addr: SocketAddr,
    restored: bool,
    /// The clocks' pairing this run saves issue times with.
    anchor: persist::Anchor,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    saver: Option<Saver>,
}

/// The task that keeps the state file up to date, and the switch that makes it save a last
/// time and end.
#[derive(Debug)]
struct Saver {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl SlackStandin {
    /// Binds `config.bind` (default `127.0.0.1:0`) and serves in the background. With a
    /// `state_file` that exists, the state is read from it first (a file that cannot be used
    /// is an error naming it, and nothing is bound).
    pub async fn start(mut config: StandinConfig) -> Result<Self> {
        let mut model = State {
            timings: Timings {
                oauth_code_ttl: config.oauth_code_ttl,
                trigger_ttl: config.trigger_ttl,
                response_url_ttl: config.response_url_ttl,
                ..Timings::default()
            },
            enforce_rate_limits: config.enforce_rate_limits,
            events_url: config.events_url.clone(),
            consent: config.consent,
            event_subscriptions: config.event_subscriptions.clone(),
            ..State::default()
        };
        let mut verification_token = ids::secret(24);
        let mut restored = false;
        if let Some(path) = &config.state_file
            && let Some(kept) = persist::load(path, &config.client_id, &mut model)?
        {
            if kept.app_id != config.app_id {
                tracing::info!(app_id = %kept.app_id, "the state file's app id is kept");
            }
            config.app_id = kept.app_id;
            verification_token = kept.verification_token;
            restored = true;
            tracing::info!(path = %path.display(), "slack stand-in state restored");
        }
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let base_url = config
            .public_url
            .clone()
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{addr}"));
        let state = Shared::new(model);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::limited(2))
            .build()?;
        let core = Arc::new(Core {
            state,
            config,
            base_url,
            verification_token,
            http,
        });
        let anchor = persist::Anchor::now();
        let saver = core
            .config
            .state_file
            .clone()
            .map(|path| start_saver(Arc::clone(&core), path, anchor));
        let app = server::router(Arc::clone(&core));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "slack stand-in server stopped");
            }
        });
        tracing::info!(%addr, "slack stand-in listening");
        Ok(Self {
            core,
            addr,
            restored,
            anchor,
            shutdown: Some(tx),
            task: Some(task),
            saver,
        })
    }

    /// Stops the server and waits for it to finish; with a state file, then saves the state.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(saver) = self.saver.take() {
            let _ = saver.stop.send(());
            let _ = saver.task.await;
        }
    }

    /// Waits until the server stops (for the binary).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(saver) = self.saver.take() {
            let _ = saver.stop.send(());
            let _ = saver.task.await;
        }
    }

    /// Whether this start read its state from [`StandinConfig::state_file`] (false when there
    /// was no file yet, or none configured).
    pub fn restored(&self) -> bool {
        self.restored
    }

    /// Writes the state file now (no-op without a state file). The stand-in also does this by
    /// itself while the state changes, at most once a second, and when it stops.
    pub async fn save_state(&self) -> Result<()> {
        match &self.core.config.state_file {
            Some(path) => {
                save_if_changed(&self.core, path, self.anchor, &SaveMemo::default()).await
            }
            None => Ok(()),
        }
    }

    // ----- URLs -------------------------------------------------------------

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.core.base_url
    }

    /// Web API base (`{base}/api`), for `with_slack_api_url` and friends.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.core.base_url)
    }

    /// The authorize endpoint (`{base}/oauth/v2/authorize`).
    pub fn authorize_url(&self) -> String {
        format!("{}/oauth/v2/authorize", self.core.base_url)
    }

    /// The configuration the stand-in runs with.
    pub fn config(&self) -> &StandinConfig {
        &self.core.config
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.core.state.lock())
    }

    // ----- Seeding ----------------------------------------------------------

    /// Adds an Enterprise Grid organisation.
    pub fn add_enterprise(&self, name: &str) -> Enterprise {
        self.with_state(|st| seed::add_enterprise(st, name))
    }

    /// Adds a standalone workspace.
    pub fn add_workspace(&self, name: &str, domain: &str) -> Result<Team> {
        self.with_state(|st| seed::add_workspace(st, name, Some(domain), None))
    }

    /// Adds a workspace inside an enterprise.
    pub fn add_workspace_in(&self, enterprise_id: &str, name: &str, domain: &str) -> Result<Team> {
        self.with_state(|st| seed::add_workspace(st, name, Some(domain), Some(enterprise_id)))
    }

    /// Adds a user to a workspace.
    pub fn add_user(&self, team_id: &str, user: NewUser) -> Result<User> {
        self.with_state(|st| seed::add_user(st, team_id, &user))
    }

    /// Adds a channel; the first member is its creator.
    pub fn add_channel(
        &self,
        team_id: &str,
        name: &str,
        is_private: bool,
        members: &[&str],
    ) -> Result<Channel> {
        let members: Vec<String> = members.iter().map(|m| (*m).to_owned()).collect();
        self.with_state(|st| seed::add_channel(st, team_id, name, is_private, &members))
    }

    /// Deactivates a user.
    pub fn deactivate_user(&self, user_id: &str) -> Result<()> {
        self.with_state(|st| seed::deactivate_user(st, user_id))
    }

    /// Seeds the demo workspace (Acme; alice, bob, carol, dave; #general,
    /// #security-alerts, #it-access).
    pub fn seed_demo(&self) -> Result<Team> {
        self.with_state(seed::demo)
    }

    /// Installs the app into a workspace without the OAuth round trip.
    pub fn install(&self, team_id: &str, scopes: &[&str]) -> Result<InstallTokens> {
        let (app_id, app_name) = (
            self.core.config.app_id.clone(),
            self.core.config.app_name.clone(),
        );
        self.with_state(|st| seed::install_directly(st, &app_id, &app_name, team_id, scopes))
    }

    /// Stores a message as a user without any event (seeding history). To
    /// model a person writing, with the events Slack sends, use [`Self::user_writes`].
    pub fn post_as_user(&self, channel_id: &str, user_id: &str, text: &str) -> Result<Message> {
        self.with_state(|st| {
            if st.channel(channel_id).is_none() {
                return Err(StandinError::NotFound(format!("channel {channel_id}")));
            }
            Ok(st.push_message(Message {
                ts: String::new(),
                channel: channel_id.to_owned(),
                user: user_id.to_owned(),
                bot_id: None,
                app_id: None,
                text: text.to_owned(),
                blocks: None,
                attachments: None,
                thread_ts: None,
                origin: MessageOrigin::Seed,
                edits: Vec::new(),
                deleted: false,
                metadata: None,
            }))
        })
    }

    // ----- OAuth as a browser would do it -------------------------------------

    /// Does what a person clicking **Allow** on the consent page does for the
    /// app's authorize URL (any URL whose query carries the authorize
    /// parameters). Returns the callback URL (`redirect_uri?code=…&state=…`).
    pub fn approve_install(&self, authorize_url: &str, consent: Consent) -> Result<String> {
        let params = authorize_params(authorize_url)?;
        oauth::approve(&self.core, &params, &consent)
            .map_err(|e| StandinError::Invalid(format!("{}: {}", e.code, e.message)))
    }

    /// Like clicking **Cancel**: returns `redirect_uri?error=access_denied&state=…`.
    pub fn deny_install(&self, authorize_url: &str) -> Result<String> {
        let params = authorize_params(authorize_url)?;
        oauth::deny(&self.core, &params)
            .map_err(|e| StandinError::Invalid(format!("{}: {}", e.code, e.message)))
    }

    // ----- Driver -----------------------------------------------------------

    /// Sends a signed slash command to `app_url`.
    pub async fn send_slash_command(&self, app_url: &str, command: SlashCommand) -> Result<Ack> {
        driver::send_slash_command(&self.core, app_url, &command).await
    }

    /// Sends a signed raw interactivity payload (`payload=<json>`) to `app_url`.
    pub async fn send_interaction(&self, app_url: &str, payload: Value) -> Result<Ack> {
        driver::send_interaction(&self.core, app_url, &payload).await
    }

    /// Clicks an element on a stored message (`block_actions`).
    pub async fn click_button(&self, app_url: &str, click: ButtonClick) -> Result<Ack> {
        driver::click_button(&self.core, app_url, &click).await
    }

    /// Submits an open modal (`view_submission`) and applies the response action.
    pub async fn submit_view(
        &self,
        app_url: &str,
        submit: ViewSubmit,
    ) -> Result<ViewSubmitOutcome> {
        driver::submit_view(&self.core, app_url, &submit).await
    }

    /// A person in Slack: fills inputs, picks options, users and dates, clicks,
    /// submits and closes views, writes messages, opens the App Home. Their
    /// interactions go to `app_url` (the app's Interactivity Request URL; also
    /// its options load URL unless [`Person::with_options_url`] says otherwise).
    pub fn person(&self, user_id: &str, app_url: &str) -> Person<'_> {
        Person::new(self, user_id, app_url)
    }

    /// A person acts on an element (see [`Act`]): the element's state changes
    /// and, if it dispatches, the app gets `block_actions`.
    pub async fn act(&self, app_url: &str, act: Act) -> Result<ActOutcome> {
        driver::act(&self.core, app_url, &act).await
    }

    /// A person types into an `external_select`: `block_suggestion` to
    /// `options_url`, answer checked like Slack does.
    pub async fn load_options(
        &self,
        options_url: &str,
        load: OptionsLoad,
    ) -> Result<OptionsOutcome> {
        driver::load_options(&self.core, options_url, &load).await
    }

    /// A person closes a modal (`view_closed` if it asked for `notify_on_close`).
    pub async fn close_view(
        &self,
        app_url: &str,
        view_id: &str,
        user_id: Option<&str>,
    ) -> Result<ViewCloseOutcome> {
        driver::close_view(&self.core, app_url, view_id, user_id).await
    }

    /// A person opens the app's Home or Messages tab (`app_home_opened` to the events URL).
    pub async fn open_app_home(&self, user_id: &str, tab: &str) -> Result<Delivery> {
        driver::open_app_home(&self.core, user_id, tab).await
    }

    /// A person writes a message; the app gets the `message` event it
    /// subscribed to (e.g. `message.im`) at the events URL.
    pub async fn user_writes(
        &self,
        channel_id: &str,
        user_id: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Result<(Message, Option<Delivery>)> {
        driver::user_writes(&self.core, channel_id, user_id, text, thread_ts).await
    }

    /// Sets the bot events the app subscribed to (e.g. `["message.im", "app_home_opened"]`).
    pub fn set_event_subscriptions(&self, events: &[&str]) {
        self.with_state(|st| {
            st.event_subscriptions = events.iter().map(|e| (*e).to_owned()).collect();
        });
    }

    /// The DM channel between the app's bot and a user (created on first use).
    pub fn app_dm(&self, user_id: &str) -> Result<Channel> {
        self.with_state(|st| {
            let user = st
                .users
                .get(user_id)
                .cloned()
                .ok_or_else(|| StandinError::NotFound(format!("user {user_id}")))?;
            let install = driver::install_for_team(st, &user.team_id).ok_or_else(|| {
                StandinError::Invalid(format!("the app is not installed in {}", user.team_id))
            })?;
            Ok(st.im_channel(&user.team_id, &install.bot_user_id, &user.id))
        })
    }

    /// A view by id.
    pub fn view(&self, view_id: &str) -> Option<View> {
        self.with_state(|st| st.views.iter().find(|v| v.id == view_id).cloned())
    }

    /// The user's open modal on top of the stack, if any.
    pub fn top_modal(&self, user_id: &str) -> Option<View> {
        self.with_state(|st| {
            st.views
                .iter()
                .rev()
                .find(|v| v.kind == "modal" && v.user_id == user_id && !v.closed)
                .cloned()
        })
    }

    /// Sends an Events API `event_callback` (with retries) for the app installed in `team_id`.
    pub async fn send_event(&self, app_url: &str, team_id: &str, event: Value) -> Result<Delivery> {
        driver::send_event(&self.core, app_url, team_id, event).await
    }

    /// Sends a signed raw JSON body to an events URL (with retries), e.g. a
    /// hand-built `event_callback`.
    pub async fn send_raw_event(&self, app_url: &str, body: &Value) -> Delivery {
        driver::deliver_with_retries(&self.core, "event", app_url, body.to_string()).await
    }

    /// Sends `url_verification`; `true` if the app echoed the challenge.
    pub async fn verify_events_url(&self, app_url: &str) -> Result<bool> {
        driver::verify_events_url(&self.core, app_url).await
    }

    /// Issues a `trigger_id` for a user (3 s lifetime, single use).
    pub fn issue_trigger_id(&self, team_id: &str, user_id: &str) -> String {
        self.with_state(|st| st.issue_trigger(team_id, user_id))
    }

    /// Sets the app's events URL (receives `tokens_revoked` / `app_uninstalled`).
    pub fn set_events_url(&self, url: Option<&str>) {
        self.with_state(|st| st.events_url = url.map(str::to_owned));
    }

    // ----- Inspection -------------------------------------------------------

    /// Every Web API call received, in order.
    pub fn api_calls(&self) -> Vec<ApiCall> {
        self.with_state(|st| st.api_calls.clone())
    }

    /// Web API calls of one method.
    pub fn api_calls_to(&self, method: &str) -> Vec<ApiCall> {
        self.with_state(|st| {
            st.api_calls
                .iter()
                .filter(|c| c.method == method)
                .cloned()
                .collect()
        })
    }

    /// Messages in a channel (by id), oldest first, with edit history.
    pub fn messages(&self, channel_id: &str) -> Vec<Message> {
        self.with_state(|st| st.messages.get(channel_id).cloned().unwrap_or_default())
    }

    /// Ephemeral messages, oldest first.
    pub fn ephemerals(&self) -> Vec<EphemeralMessage> {
        self.with_state(|st| st.ephemerals.clone())
    }

    /// All views (modals and App Homes).
    pub fn views(&self) -> Vec<View> {
        self.with_state(|st| st.views.clone())
    }

    /// A user's published App Home view.
    pub fn home_view(&self, user_id: &str) -> Option<View> {
        self.with_state(|st| {
            st.views
                .iter()
                .find(|v| v.kind == "home" && v.user_id == user_id)
                .cloned()
        })
    }

    /// All channels.
    pub fn channels(&self) -> Vec<Channel> {
        self.with_state(|st| st.channels.clone())
    }

    /// Channel by id.
    pub fn channel(&self, channel_id: &str) -> Option<Channel> {
        self.with_state(|st| st.channel(channel_id).cloned())
    }

    /// Channel by name in a workspace.
    pub fn channel_by_name(&self, team_id: &str, name: &str) -> Option<Channel> {
        self.with_state(|st| st.channel_by_name(team_id, name).cloned())
    }

    /// All workspaces.
    pub fn workspaces(&self) -> Vec<Team> {
        self.with_state(|st| st.teams.values().cloned().collect())
    }

    /// All users.
    pub fn users(&self) -> Vec<User> {
        self.with_state(|st| st.users.values().cloned().collect())
    }

    /// All installations.
    pub fn installs(&self) -> Vec<Installation> {
        self.with_state(|st| st.installs.values().cloned().collect())
    }

    /// All tokens.
    pub fn tokens(&self) -> Vec<Token> {
        self.with_state(|st| st.tokens.values().cloned().collect())
    }

    /// All pins.
    pub fn pins(&self) -> Vec<Pin> {
        self.with_state(|st| st.pins.clone())
    }

    /// Every response_url / webhook POST.
    pub fn hook_posts(&self) -> Vec<HookPost> {
        self.with_state(|st| st.hook_posts.clone())
    }

    /// Every delivery the driver made to the app.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.with_state(|st| st.deliveries.clone())
    }

    // ----- Faults and settings ----------------------------------------------

    /// The next `count` calls (of `method`, or any) get 429 with `Retry-After`.
    pub fn fail_with_rate_limit(&self, method: Option<&str>, count: u32, retry_after_secs: u64) {
        let fault = RateLimitFault {
            method: method.map(str::to_owned),
            count,
            retry_after_secs,
        };
        self.with_state(|st| st.faults.rate_limits.push(fault));
    }

    /// The next `count` calls (of `method`, or any) get a 5xx with an HTML body.
    pub fn fail_with_server_error(&self, method: Option<&str>, count: u32, status: u16) {
        let fault = ServerErrorFault {
            method: method.map(str::to_owned),
            count,
            status,
        };
        self.with_state(|st| st.faults.server_errors.push(fault));
    }

    /// Delays calls (of `method`, or any) by `delay`, for `count` calls or until cleared.
    pub fn add_latency(&self, method: Option<&str>, delay: Duration, count: Option<u32>) {
        let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        let fault = LatencyFault {
            method: method.map(str::to_owned),
            delay_ms,
            count,
            after_effect: false,
        };
        self.with_state(|st| st.faults.latencies.push(fault));
    }

    /// Answers calls (of `method`, or any) `delay` late, for `count` calls or
    /// until cleared, *after* they took effect: a message is posted even when
    /// the client's timeout gives up first (the crash-between-sent-and-marked case).
    pub fn add_late_answers(&self, method: Option<&str>, delay: Duration, count: Option<u32>) {
        let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        let fault = LatencyFault {
            method: method.map(str::to_owned),
            delay_ms,
            count,
            after_effect: true,
        };
        self.with_state(|st| st.faults.latencies.push(fault));
    }

    /// A 429 storm: every call (of `method`, or any) answers 429 with
    /// `Retry-After` = the seconds left, for `duration`.
    pub fn start_rate_limit_storm(&self, method: Option<&str>, duration: Duration) {
        let storm = faults::RateLimitStorm {
            method: method.map(str::to_owned),
            duration_secs: duration.as_secs().max(1),
            started: Some(std::time::Instant::now()),
        };
        self.with_state(|st| st.faults.storms.push(storm));
    }

    /// Removes all fault switches.
    pub fn clear_faults(&self) {
        self.with_state(|st| st.faults = faults::Faults::default());
    }

    /// Revokes a token silently (calls then fail with `token_revoked`).
    pub fn revoke_token(&self, token: &str) -> Result<()> {
        self.with_state(|st| seed::revoke_token(st, token))
    }

    /// Sets what the authorize endpoint does.
    pub fn set_consent_mode(&self, mode: ConsentMode) {
        self.with_state(|st| st.consent = mode);
    }

    /// Lets workspace `team_id` create only private channels (`restricted` true): a public
    /// `conversations.create` there answers `restricted_action`, as in a workspace whose admins
    /// restricted channel creation.
    pub fn restrict_public_channels(&self, team_id: &str, restricted: bool) {
        self.with_state(|st| {
            if restricted {
                st.public_channels_restricted.insert(team_id.to_owned());
            } else {
                st.public_channels_restricted.remove(team_id);
            }
        });
    }

    /// Turns Slack's rate-limit tiers on or off.
    pub fn set_rate_limits(&self, enforce: bool) {
        self.with_state(|st| st.enforce_rate_limits = enforce);
    }

    /// Forgets all state (workspaces, installs, calls, faults).
    pub fn reset(&self) {
        self.with_state(State::reset);
    }
}

impl Drop for SlackStandin {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(saver) = self.saver.take() {
            let _ = saver.stop.send(());
        }
    }
}

/// What the saver last wrote: the lock count it saw and the bytes, so an untouched or
/// unchanged state is not written again.
#[derive(Debug, Default)]
struct SaveMemo {
    last: std::sync::Mutex<Option<(u64, Vec<u8>)>>,
}

/// How often, at most, the state file is written while the state changes.
const SAVE_INTERVAL: Duration = Duration::from_secs(1);

fn start_saver(core: Arc<Core>, path: std::path::PathBuf, anchor: persist::Anchor) -> Saver {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let memo = SaveMemo::default();
        let mut tick = tokio::time::interval(SAVE_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let last = tokio::select! {
                _ = tick.tick() => false,
                _ = &mut stopped => true,
            };
            if let Err(error) = save_if_changed(&core, &path, anchor, &memo).await {
                tracing::error!(%error, path = %path.display(), "slack stand-in: saving the state failed");
            }
            if last {
                break;
            }
        }
    });
    Saver { stop, task }
}

/// Serialises the kept state (unless nobody took the lock since the last save) and writes it
/// if its bytes changed.
async fn save_if_changed(
    core: &Core,
    path: &std::path::Path,
    anchor: persist::Anchor,
    memo: &SaveMemo,
) -> Result<()> {
    let identity = persist::AppIdentity {
        client_id: core.config.client_id.clone(),
        app_id: core.config.app_id.clone(),
        verification_token: core.verification_token.clone(),
    };
    let (locks, bytes) = {
        let st = core.state.lock();
        let locks = core.state.lock_count();
        let seen = memo
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(|(count, _)| *count);
        if seen == Some(locks.saturating_sub(1)) {
            // Only this lock since the last save: nothing changed.
            drop(st);
            memo.set_count(locks);
            return Ok(());
        }
        (locks, persist::to_bytes(&st, &identity, anchor)?)
    };
    if memo.same_bytes(&bytes) {
        memo.set_count(locks);
        return Ok(());
    }
    let target = path.to_path_buf();
    let written = bytes.clone();
    tokio::task::spawn_blocking(move || persist::write_atomically(&target, &written))
        .await
        .map_err(|e| StandinError::Invalid(format!("saving the state: {e}")))?
        .map_err(|e| {
            StandinError::Invalid(format!(
                "writing the stand-in's state file {}: {e}",
                path.display()
            ))
        })?;
    *memo
        .last
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((locks, bytes));
    Ok(())
}

impl SaveMemo {
    fn set_count(&self, count: u64) {
        if let Some((seen, _)) = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_mut()
        {
            *seen = count;
        }
    }

    fn same_bytes(&self, bytes: &[u8]) -> bool {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .is_some_and(|(_, last)| last == bytes)
    }
}

fn authorize_params(url: &str) -> Result<oauth::AuthorizeParams> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or("");
    serde_urlencoded::from_str(query)
        .map_err(|e| StandinError::Invalid(format!("authorize URL query: {e}")))
}
