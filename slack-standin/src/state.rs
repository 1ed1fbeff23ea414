//! The stand-in's stateful model of Slack: enterprises, workspaces, users,
//! channels, messages, views, installations, tokens and the short-lived
//! credentials Slack hands out (OAuth codes, trigger ids, response URLs).
//!
//! Everything lives in one [`State`] behind a `std::sync::Mutex` ([`Shared`]);
//! the lock is never held across an `.await`.

use crate::config::ConsentMode;
use crate::faults::Faults;
use crate::ids::{self, TsClock};
use crate::rate_limit::RateLimiter;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Shared, lockable state.
#[derive(Debug, Clone, Default)]
pub struct Shared(Arc<SharedInner>);

#[derive(Debug, Default)]
struct SharedInner {
    state: Mutex<State>,
    /// How many times the lock was taken (counted while held): when it has not moved since the
    /// last save, nothing can have changed, and the saver skips serialising the model.
    locks: AtomicU64,
}

impl Shared {
    /// Shares `state`.
    pub fn new(state: State) -> Self {
        Self(Arc::new(SharedInner {
            state: Mutex::new(state),
            locks: AtomicU64::new(0),
        }))
    }

    /// Locks the state. A poisoned lock is recovered: the model stays usable
    /// even if a test thread panicked while holding it.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        let guard = self
            .0
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.0.locks.fetch_add(1, Ordering::SeqCst);
        guard
    }

    /// How many times the state was locked so far. Read while holding the lock, it counts every
    /// change made before it: later holders count themselves only once they hold the lock.
    pub fn lock_count(&self) -> u64 {
        self.0.locks.load(Ordering::SeqCst)
    }
}

/// An Enterprise Grid organisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Enterprise {
    /// `E…` id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Workspaces in the org.
    pub team_ids: Vec<String>,
}

/// A workspace (Slack "team").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Team {
    /// `T…` id.
    pub id: String,
    /// Display name, e.g. `Acme`.
    pub name: String,
    /// Subdomain, e.g. `acme` (→ `https://acme.slack.com/`).
    pub domain: String,
    /// Owning enterprise, for Grid workspaces.
    pub enterprise_id: Option<String>,
}

/// A user (human or bot).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// `U…` (or `W…` for org-level bots) id.
    pub id: String,
    /// Home workspace.
    pub team_id: String,
    /// Enterprise, for Grid users.
    pub enterprise_id: Option<String>,
    /// Handle, e.g. `alice`.
    pub name: String,
    /// Full name.
    pub real_name: String,
    /// Email address (absent for bots).
    pub email: Option<String>,
    /// Bot user.
    pub is_bot: bool,
    /// Workspace admin.
    pub is_admin: bool,
    /// Deactivated.
    pub deleted: bool,
    /// Bot id (`B…`) for bot users.
    pub bot_id: Option<String>,
}

/// A conversation's topic or purpose.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct TopicInfo {
    /// Text.
    pub value: String,
    /// Who set it.
    pub creator: String,
    /// When (unix seconds).
    pub last_set: i64,
}

/// A conversation: public/private channel or an app DM.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Channel {
    /// `C…`, `G…` or `D…` id.
    pub id: String,
    /// Workspace.
    pub team_id: String,
    /// Name (for DMs: the other user's id).
    pub name: String,
    /// Private channel.
    pub is_private: bool,
    /// Direct message between the app's bot and one user.
    pub is_im: bool,
    /// `#general`: cannot be archived.
    pub is_general: bool,
    /// Archived.
    pub is_archived: bool,
    /// Creation time (unix seconds).
    pub created: i64,
    /// Creator user id.
    pub creator: String,
    /// Member user ids (bots included).
    pub members: Vec<String>,
    /// Purpose.
    pub purpose: TopicInfo,
    /// Topic.
    pub topic: TopicInfo,
    /// For DMs, the human on the other side.
    pub im_user: Option<String>,
}

impl Channel {
    /// Whether `user_id` is a member.
    pub fn has_member(&self, user_id: &str) -> bool {
        self.members.iter().any(|m| m == user_id)
    }

    /// Slack's conversation object as seen by `viewer` (sets `is_member`).
    pub fn to_json(&self, viewer: &str) -> Value {
        if self.is_im {
            return json!({
                "id": self.id, "created": self.created, "is_im": true, "is_org_shared": false,
                "user": self.im_user, "is_user_deleted": false, "priority": 0,
                "context_team_id": self.team_id,
            });
        }
        json!({
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "created": self.created,
            "creator": self.creator,
            "is_channel": !self.is_private,
            "is_group": self.is_private,
            "is_im": false,
            "is_mpim": false,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "is_shared": false,
            "is_ext_shared": false,
            "is_org_shared": false,
            "is_member": self.has_member(viewer),
            "unlinked": 0,
            "is_pending_ext_shared": false,
            "pending_shared": [],
            "topic": self.topic,
            "purpose": self.purpose,
            "previous_names": [],
            "num_members": self.members.len(),
            "context_team_id": self.team_id,
            "shared_team_ids": [self.team_id],
        })
    }
}

/// Where a stored message came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MessageOrigin {
    /// A Web API call (`chat.postMessage`) with this token.
    Api {
        /// Token used.
        token: String,
    },
    /// A POST to a `response_url`.
    ResponseUrl,
    /// A POST to an incoming webhook.
    Webhook,
    /// The app's synchronous reply to a slash command.
    CommandReply,
    /// Seeded by a test or a person using the control API.
    Seed,
}

/// An earlier version of an edited message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageRevision {
    /// Text before the edit.
    pub text: String,
    /// Blocks before the edit.
    pub blocks: Option<Value>,
    /// Attachments before the edit.
    pub attachments: Option<Value>,
    /// When the edit that replaced this version happened (unix micros).
    pub replaced_at_micros: u128,
}

/// A channel message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// Timestamp id (`"1503435956.000247"`).
    pub ts: String,
    /// Channel id.
    pub channel: String,
    /// Author user id (bot user for app posts).
    pub user: String,
    /// Author bot id for app posts.
    pub bot_id: Option<String>,
    /// App id for app posts.
    pub app_id: Option<String>,
    /// Current text.
    pub text: String,
    /// Current blocks.
    pub blocks: Option<Value>,
    /// Current attachments.
    pub attachments: Option<Value>,
    /// Parent thread, if a reply.
    pub thread_ts: Option<String>,
    /// Where it came from.
    pub origin: MessageOrigin,
    /// Previous versions, oldest first (each `chat.update` or `replace_original` adds one).
    pub edits: Vec<MessageRevision>,
    /// Removed via `delete_original`.
    pub deleted: bool,
    /// Message metadata the app posted, `{"event_type", "event_payload"}`.
    pub metadata: Option<Value>,
}

impl Message {
    /// Slack's message object.
    pub fn to_json(&self, team_id: &str) -> Value {
        let mut m = json!({
            "type": "message",
            "ts": self.ts,
            "user": self.user,
            "text": self.text,
            "team": team_id,
        });
        if let Some(obj) = m.as_object_mut() {
            if let Some(b) = &self.bot_id {
                obj.insert("bot_id".into(), json!(b));
            }
            if let Some(a) = &self.app_id {
                obj.insert("app_id".into(), json!(a));
            }
            if let Some(b) = &self.blocks {
                obj.insert("blocks".into(), b.clone());
            }
            if let Some(a) = &self.attachments {
                obj.insert("attachments".into(), a.clone());
            }
            if let Some(t) = &self.thread_ts {
                obj.insert("thread_ts".into(), json!(t));
            }
            if let Some(meta) = &self.metadata {
                obj.insert("metadata".into(), metadata_json(meta, false));
            }
            if let Some(last) = self.edits.last() {
                let secs = last.replaced_at_micros / 1_000_000;
                obj.insert(
                    "edited".into(),
                    json!({"user": self.user, "ts": format!("{secs}.000000")}),
                );
            }
        }
        m
    }
}

/// A message's `metadata` as Slack returns it. Without `include_all_metadata`
/// only `event_type` comes back: payloads of event types the app did not
/// declare in its manifest (`metadata_subscriptions`; the stand-in models no
/// manifest) are stripped (python-slack-sdk#1501, where the poster's own
/// `chat.postMessage` answer and history lacked `event_payload` until
/// `conversations.history` was called with `include_all_metadata=true`).
pub fn metadata_json(metadata: &Value, include_all: bool) -> Value {
    if include_all {
        return metadata.clone();
    }
    json!({ "event_type": metadata.get("event_type").cloned().unwrap_or(Value::Null) })
}

/// A message only one user can see.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EphemeralMessage {
    /// `message_ts` Slack returned.
    pub message_ts: String,
    /// Channel it appeared in.
    pub channel: String,
    /// The only user who sees it.
    pub user: String,
    /// Text.
    pub text: String,
    /// Blocks.
    pub blocks: Option<Value>,
    /// Thread, if any.
    pub thread_ts: Option<String>,
    /// Where it came from.
    pub origin: MessageOrigin,
    /// Previous versions (`replace_original` from a response_url).
    pub edits: Vec<MessageRevision>,
    /// Removed via `delete_original`.
    pub deleted: bool,
}

/// A pinned message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pin {
    /// Channel id.
    pub channel: String,
    /// Message ts.
    pub ts: String,
    /// Who pinned it.
    pub pinned_by: String,
}

/// A modal or App Home view.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct View {
    /// `V…` id.
    pub id: String,
    /// Workspace.
    pub team_id: String,
    /// The user the view is shown to.
    pub user_id: String,
    /// `modal` or `home`.
    pub kind: String,
    /// The view definition as the app sent it.
    pub definition: Value,
    /// Current hash (changes on every update).
    pub hash: String,
    /// Root of the modal stack.
    pub root_view_id: Option<String>,
    /// View this one was pushed on top of.
    pub previous_view_id: Option<String>,
    /// Installation that owns it.
    pub install_id: String,
    /// Earlier definitions, oldest first.
    pub history: Vec<Value>,
    /// Closed (submitted, cleared or dismissed).
    pub closed: bool,
    /// `state.values` as Slack would send it now, `{block_id: {action_id: {type, value…}}}`:
    /// derived from the definition's initial values and what the person entered.
    pub state_values: Value,
    /// What the person entered, `block_id → action_id → value`. Survives an
    /// update for elements whose `block_id` and `action_id` stay the same.
    #[serde(default)]
    pub inputs: crate::blockkit::Inputs,
}

impl View {
    /// Recomputes [`View::state_values`] from the definition and the inputs.
    pub fn refresh_state(&mut self) {
        let blocks = self
            .definition
            .get("blocks")
            .cloned()
            .unwrap_or_else(|| json!([]));
        self.state_values = crate::blockkit::state_values(&blocks, &self.inputs);
    }

    /// Replaces the definition (keeping the old one in the history) and bumps the hash.
    pub fn replace_definition(&mut self, definition: Value) {
        let old = std::mem::replace(&mut self.definition, definition);
        self.history.push(old);
        self.hash = format!("{}.{}", ids::unix_now(), ids::digits(8));
        self.refresh_state();
    }
}

/// An app installation (workspace or org-wide).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Installation {
    /// Internal id.
    pub id: String,
    /// Workspace, or `None` for an org-wide install.
    pub team_id: Option<String>,
    /// Enterprise, for Grid installs.
    pub enterprise_id: Option<String>,
    /// Org-wide install.
    pub is_enterprise_install: bool,
    /// App id.
    pub app_id: String,
    /// Bot user id.
    pub bot_user_id: String,
    /// Bot id.
    pub bot_id: String,
    /// Installing user.
    pub authed_user_id: String,
    /// Granted bot scopes.
    pub scopes: Vec<String>,
    /// Granted user scopes.
    pub user_scopes: Vec<String>,
    /// Incoming webhook id, if the `incoming-webhook` scope was granted.
    pub webhook_id: Option<String>,
    /// All tokens revoked.
    pub uninstalled: bool,
}

/// Kind of OAuth token.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// `xoxb-` bot token.
    Bot,
    /// `xoxp-` user token.
    User,
}

/// An access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    /// The token string.
    pub token: String,
    /// Bot or user.
    pub kind: TokenKind,
    /// Installation.
    pub install_id: String,
    /// Acting user id (bot user id for bot tokens).
    pub user_id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Revoked.
    pub revoked: bool,
}

/// A pending authorization code.
#[derive(Debug, Clone)]
pub struct OAuthCode {
    /// Code string.
    pub code: String,
    /// Client id it was issued to.
    pub client_id: String,
    /// `redirect_uri` sent to /oauth/v2/authorize, if any.
    pub redirect_uri: Option<String>,
    /// Installation it unlocks.
    pub install_id: String,
    /// Issue time.
    pub issued: Instant,
    /// Already exchanged.
    pub used: bool,
}

/// A trigger id handed to the app.
#[derive(Debug, Clone)]
pub struct Trigger {
    /// Workspace.
    pub team_id: String,
    /// User who triggered.
    pub user_id: String,
    /// Issue time.
    pub issued: Instant,
    /// Exchanged for a view.
    pub used: bool,
}

/// A `response_url` handed to the app.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseUrl {
    /// Path component id.
    pub id: String,
    /// Secret path segment.
    #[serde(skip)]
    pub secret: String,
    /// `commands` or `actions`.
    pub kind: String,
    /// Workspace.
    pub team_id: String,
    /// Channel the response goes to.
    pub channel_id: String,
    /// User who triggered it.
    pub user_id: String,
    /// Message the interaction came from (`replace_original` / `delete_original` target).
    pub source_ts: Option<String>,
    /// The source message is ephemeral.
    pub source_is_ephemeral: bool,
    /// Installation whose bot posts the responses.
    pub install_id: String,
    /// POSTs so far.
    pub uses: u32,
    /// Issue time.
    #[serde(skip)]
    pub issued: Option<Instant>,
}

/// An incoming webhook.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Webhook {
    /// `B…` id.
    pub id: String,
    /// Workspace.
    pub team_id: String,
    /// Channel it posts to.
    pub channel_id: String,
    /// Secret path segment.
    pub secret: String,
    /// Revoked with the install.
    pub revoked: bool,
}

/// One Web API call the stand-in received.
#[derive(Debug, Clone, Serialize)]
pub struct ApiCall {
    /// Sequence number (0-based).
    pub seq: u64,
    /// Method name, e.g. `chat.postMessage`.
    pub method: String,
    /// HTTP method.
    pub http_method: String,
    /// Content type of the body, if any.
    pub content_type: Option<String>,
    /// Token presented (header or param).
    pub token: Option<String>,
    /// Arguments (query + body), token removed.
    pub params: Value,
    /// HTTP status returned.
    pub status: u16,
    /// Response body returned (JSON, or `null` for HTML 5xx faults).
    pub response: Value,
}

/// One POST to a response_url or incoming webhook.
#[derive(Debug, Clone, Serialize)]
pub struct HookPost {
    /// Request path.
    pub path: String,
    /// Body received.
    pub body: Value,
    /// Status returned.
    pub status: u16,
    /// Response text returned.
    pub response: String,
}

/// What the stand-in's driver sent to the app, and how the app acked.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// `slash_command`, `interaction`, `event`, `url_verification`.
    pub kind: String,
    /// Target URL.
    pub url: String,
    /// Body sent.
    pub body: String,
    /// Attempts (events may retry).
    pub attempts: Vec<DeliveryAttempt>,
}

/// One HTTP attempt of a delivery.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryAttempt {
    /// `X-Slack-Retry-Num` sent (0 = first try).
    pub retry_num: u32,
    /// `X-Slack-Retry-Reason` sent.
    pub retry_reason: Option<String>,
    /// HTTP status, or `None` on timeout / connection failure.
    pub status: Option<u16>,
    /// Response body (truncated at 64 kB).
    pub body: String,
    /// Response content type.
    pub content_type: Option<String>,
    /// Time until the response (ms).
    pub latency_ms: u128,
    /// Acked with 2xx within the ack window.
    pub acked: bool,
    /// Failure description (`http_timeout`, `connection_failed`, `http_error`).
    pub failure: Option<String>,
}

/// Timing knobs.
#[derive(Debug, Clone)]
pub struct Timings {
    /// OAuth code lifetime (Slack: 10 minutes).
    pub oauth_code_ttl: Duration,
    /// trigger_id lifetime (Slack: 3 seconds).
    pub trigger_ttl: Duration,
    /// response_url lifetime (Slack: 30 minutes).
    pub response_url_ttl: Duration,
    /// response_url use limit (Slack: 5).
    pub response_url_max_uses: u32,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            oauth_code_ttl: Duration::from_secs(600),
            trigger_ttl: Duration::from_secs(3),
            response_url_ttl: Duration::from_secs(30 * 60),
            response_url_max_uses: 5,
        }
    }
}

/// The whole model.
#[derive(Debug, Default)]
pub struct State {
    /// Enterprises by id.
    pub enterprises: BTreeMap<String, Enterprise>,
    /// Workspaces by id.
    pub teams: BTreeMap<String, Team>,
    /// Users by id.
    pub users: BTreeMap<String, User>,
    /// Channels by id, in creation order.
    pub channels: Vec<Channel>,
    /// Messages by channel id, in ts order.
    pub messages: HashMap<String, Vec<Message>>,
    /// Ephemeral messages in order.
    pub ephemerals: Vec<EphemeralMessage>,
    /// Pins.
    pub pins: Vec<Pin>,
    /// Views by id, in creation order.
    pub views: Vec<View>,
    /// Installations by id.
    pub installs: BTreeMap<String, Installation>,
    /// Tokens by token string.
    pub tokens: HashMap<String, Token>,
    /// OAuth codes by code.
    pub codes: HashMap<String, OAuthCode>,
    /// Triggers by id.
    pub triggers: HashMap<String, Trigger>,
    /// response_urls by id.
    pub response_urls: HashMap<String, ResponseUrl>,
    /// Webhooks by id.
    pub webhooks: BTreeMap<String, Webhook>,
    /// Every Web API call.
    pub api_calls: Vec<ApiCall>,
    /// Every response_url / webhook POST.
    pub hook_posts: Vec<HookPost>,
    /// Every driver delivery.
    pub deliveries: Vec<Delivery>,
    /// Fault switches.
    pub faults: Faults,
    /// Rate limiter.
    pub limiter: RateLimiter,
    /// Message timestamp clock.
    pub clock: TsClock,
    /// Timing knobs.
    pub timings: Timings,
    /// Slack's published rate limits are enforced.
    pub enforce_rate_limits: bool,
    /// The app's Event Subscriptions request URL (for `tokens_revoked` / `app_uninstalled`).
    pub events_url: Option<String>,
    /// What `/oauth/v2/authorize` does.
    pub consent: ConsentMode,
    /// What people entered in messages: `"{channel}|{ts}|{user}"` → inputs
    /// (message state is per viewer, like a Slack client's).
    pub message_inputs: HashMap<String, crate::blockkit::Inputs>,
    /// Options an `external_select` last showed a person:
    /// `"{surface}|{block_id}|{action_id}|{user}"` → options.
    pub shown_options: HashMap<String, Vec<Value>>,
    /// Event types the app subscribed to (Event Subscriptions), e.g. `message.im`.
    pub event_subscriptions: Vec<String>,
    /// Workspaces whose admins allow only private channels to be created by apps
    /// (`conversations.create` without `is_private` → `restricted_action`).
    pub public_channels_restricted: std::collections::BTreeSet<String>,
}

/// The bot events the stand-in delivers unless told otherwise: what Latch subscribes to.
pub const DEFAULT_EVENT_SUBSCRIPTIONS: &[&str] = &[
    "app_home_opened",
    "message.im",
    "app_uninstalled",
    "tokens_revoked",
];

impl State {
    /// Forgets everything (config-derived settings are kept).
    pub fn reset(&mut self) {
        let timings = self.timings.clone();
        let enforce = self.enforce_rate_limits;
        let events_url = self.events_url.take();
        let consent = self.consent;
        let event_subscriptions = std::mem::take(&mut self.event_subscriptions);
        *self = State {
            timings,
            enforce_rate_limits: enforce,
            events_url,
            consent,
            event_subscriptions,
            ..State::default()
        };
    }

    /// Whether the app subscribed to an event type (`message.im`, `app_home_opened`, …).
    pub fn subscribed(&self, event_type: &str) -> bool {
        self.event_subscriptions.iter().any(|e| e == event_type)
    }

    /// Channel by id.
    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }

    /// Mutable channel by id.
    pub fn channel_mut(&mut self, id: &str) -> Option<&mut Channel> {
        self.channels.iter_mut().find(|c| c.id == id)
    }

    /// Channel by name in a workspace.
    pub fn channel_by_name(&self, team_id: &str, name: &str) -> Option<&Channel> {
        self.channels
            .iter()
            .find(|c| c.team_id == team_id && !c.is_im && c.name == name)
    }

    /// Teams an installation covers (one, or all workspaces of the org).
    pub fn install_teams(&self, install: &Installation) -> Vec<String> {
        match (&install.team_id, &install.enterprise_id) {
            (Some(t), _) => vec![t.clone()],
            (None, Some(e)) => self
                .enterprises
                .get(e)
                .map(|e| e.team_ids.clone())
                .unwrap_or_default(),
            (None, None) => Vec::new(),
        }
    }

    /// Adds a workspace.
    pub fn add_team(&mut self, name: &str, domain: &str, enterprise_id: Option<&str>) -> Team {
        let team = Team {
            id: ids::object_id('T'),
            name: name.to_owned(),
            domain: domain.to_owned(),
            enterprise_id: enterprise_id.map(str::to_owned),
        };
        if let Some(e) = enterprise_id.and_then(|e| self.enterprises.get_mut(e)) {
            e.team_ids.push(team.id.clone());
        }
        self.teams.insert(team.id.clone(), team.clone());
        team
    }

    /// Adds a user.
    pub fn add_user(&mut self, user: User) -> User {
        self.users.insert(user.id.clone(), user.clone());
        user
    }

    /// Adds a channel, with `creator` as its first member.
    pub fn add_channel(
        &mut self,
        team_id: &str,
        name: &str,
        is_private: bool,
        creator: &str,
    ) -> Channel {
        // New channels get `C…` ids whether private or not: channels made
        // private keep their C id and shared private channels change G→C, so
        // an app must read `is_private`, never the prefix (docs.slack.dev
        // using-the-conversations-api; changelog 2018/09).
        let id = ids::object_id('C');
        let channel = Channel {
            id,
            team_id: team_id.to_owned(),
            name: name.to_owned(),
            is_private,
            is_im: false,
            is_general: name == "general",
            is_archived: false,
            created: ids::unix_now(),
            creator: creator.to_owned(),
            members: if creator.is_empty() {
                Vec::new()
            } else {
                vec![creator.to_owned()]
            },
            purpose: TopicInfo::default(),
            topic: TopicInfo::default(),
            im_user: None,
        };
        self.channels.push(channel.clone());
        channel
    }

    /// The DM between `bot_user` and `user`, if one was opened.
    pub fn find_im(&self, bot_user: &str, user: &str) -> Option<&Channel> {
        self.channels
            .iter()
            .find(|c| c.is_im && c.im_user.as_deref() == Some(user) && c.has_member(bot_user))
    }

    /// The app DM between `bot_user` and `user` in `team_id`, created on first use.
    pub fn im_channel(&mut self, team_id: &str, bot_user: &str, user: &str) -> Channel {
        if let Some(c) = self.find_im(bot_user, user) {
            return c.clone();
        }
        let channel = Channel {
            id: ids::object_id('D'),
            team_id: team_id.to_owned(),
            name: user.to_owned(),
            is_private: true,
            is_im: true,
            is_general: false,
            is_archived: false,
            created: ids::unix_now(),
            creator: bot_user.to_owned(),
            members: vec![bot_user.to_owned(), user.to_owned()],
            purpose: TopicInfo::default(),
            topic: TopicInfo::default(),
            im_user: Some(user.to_owned()),
        };
        self.channels.push(channel.clone());
        channel
    }

    /// Stores a new channel message and returns it.
    pub fn push_message(&mut self, mut message: Message) -> Message {
        message.ts = self.clock.next_ts();
        self.messages
            .entry(message.channel.clone())
            .or_default()
            .push(message.clone());
        message
    }

    /// Message by channel and ts.
    pub fn message_mut(&mut self, channel: &str, ts: &str) -> Option<&mut Message> {
        self.messages
            .get_mut(channel)?
            .iter_mut()
            .find(|m| m.ts == ts && !m.deleted)
    }

    /// Issues a trigger id for `user_id`.
    pub fn issue_trigger(&mut self, team_id: &str, user_id: &str) -> String {
        let id = ids::trigger_id();
        self.triggers.insert(
            id.clone(),
            Trigger {
                team_id: team_id.to_owned(),
                user_id: user_id.to_owned(),
                issued: Instant::now(),
                used: false,
            },
        );
        id
    }

    /// Slack's user object.
    pub fn user_json(&self, user: &User) -> Value {
        let team = self.teams.get(&user.team_id);
        let mut v = json!({
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "color": "9f69e7",
            "real_name": user.real_name,
            "tz": "Europe/London",
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "is_admin": user.is_admin,
            "is_owner": false,
            "is_primary_owner": false,
            "is_restricted": false,
            "is_ultra_restricted": false,
            "is_bot": user.is_bot,
            "is_app_user": false,
            "updated": ids::unix_now(),
            "profile": {
                "real_name": user.real_name,
                "real_name_normalized": user.real_name,
                "display_name": user.name,
                "display_name_normalized": user.name,
                "email": user.email,
                "image_24": "https://a.slack-edge.com/80588/img/avatars/user_shapes/ava_0001-24.png",
                "image_72": "https://a.slack-edge.com/80588/img/avatars/user_shapes/ava_0001-72.png",
                "team": user.team_id,
                "bot_id": user.bot_id,
            },
        });
        if let (Some(obj), Some(e)) = (v.as_object_mut(), &user.enterprise_id) {
            obj.insert(
                "enterprise_user".into(),
                json!({"id": user.id, "enterprise_id": e,
                       "enterprise_name": self.enterprises.get(e).map(|e| e.name.clone()),
                       "is_admin": user.is_admin, "is_owner": false, "teams": team.map(|t| vec![t.id.clone()])}),
            );
        }
        v
    }
}
