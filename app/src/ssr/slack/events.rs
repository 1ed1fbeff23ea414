//! The Events API's logic: request signing (v0, 5-minute window, constant-time compare; the
//! server's `SlackSigned` extractor checks it for every Slack route before the body is parsed),
//! the payloads as types, and the lifecycle events that end an installation (`app_uninstalled`,
//! `tokens_revoked`), org-wide installs included. A `message` in a DM with the app that replies in
//! the thread of a request's message goes to [`conversation`](crate::ssr::slack::conversation)
//! (a comment on the request).

use serde::Deserialize;

use crate::ssr::AppState;
use crate::ssr::clock::now_ms;
use crate::ssr::slack::store;

/// Slack's replay window for signed requests.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// No signing secret is configured, so nothing can be trusted.
    NotConfigured,
    Missing,
    Stale,
    Mismatch,
}

/// Checks `X-Slack-Signature` over the raw body: the HMAC and its constant-time compare are
/// slack-morphism's [`SlackEventSignatureVerifier`]; the replay window is checked here first, on
/// `now_secs`, with checked arithmetic.
///
/// Why the pre-check stays: the crate parses the timestamp and computes `(now - ts).abs()`
/// unchecked, which overflows (a panic in debug builds) on a timestamp such as `i64::MIN`, and
/// the header is the sender's to choose. The crate checks the window again against its own
/// clock, after the signature matched; that second check is not the one that decides (the
/// server passes the real clock, so the two agree but for the boundary second, and tests pass a
/// fixed one), so a timestamp error from the crate, which it only reports for a matching
/// signature, is not a refusal once ours passed.
pub fn verify_signature(
    signing_secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    use slack_morphism::prelude::SlackSigningSecret;
    use slack_morphism::signature_verifier::{
        SlackEventSignatureVerifier, SlackEventSignatureVerifierError as CrateError,
    };

    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureError::Missing);
    };
    let timestamp = timestamp.trim();
    let ts: i64 = timestamp.parse().map_err(|_| SignatureError::Missing)?;
    // Checked arithmetic: the header is attacker-controlled, and `i64::MIN` would overflow.
    let skew = now_secs.checked_sub(ts).and_then(i64::checked_abs);
    if skew.is_none_or(|skew| skew > MAX_CLOCK_SKEW_SECS) {
        return Err(SignatureError::Stale);
    }
    if signing_secret.is_empty() {
        return Err(SignatureError::NotConfigured);
    }
    // Slack signs UTF-8 bodies (JSON or form-encoded); anything else is not Slack's.
    let Ok(body) = std::str::from_utf8(body) else {
        return Err(SignatureError::Mismatch);
    };
    let verifier =
        SlackEventSignatureVerifier::new(&SlackSigningSecret::new(signing_secret.to_string()));
    match verifier.verify(signature.trim(), body, timestamp) {
        Ok(()) | Err(CrateError::IncorrectOrExpiredTimestampError(_)) => Ok(()),
        Err(CrateError::CryptoInitError(_)) => Err(SignatureError::NotConfigured),
        Err(CrateError::AbsentSignatureError(_)) => Err(SignatureError::Missing),
        Err(CrateError::WrongSignatureError(_)) => Err(SignatureError::Mismatch),
    }
}

/// What Slack posts to the events URL, told apart by its `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventEnvelope {
    /// Slack checking the URL when it is saved: echo the challenge.
    UrlVerification {
        #[serde(default)]
        challenge: String,
    },
    /// An event the app subscribed to (or a lifecycle event, which every app gets).
    EventCallback(EventCallback),
    /// Anything else (`app_rate_limited`…): acknowledged, nothing to do.
    #[serde(other)]
    Other,
}

/// The outer part of an `event_callback`: who it is for and when, plus the event itself.
#[derive(Debug, Deserialize)]
pub struct EventCallback {
    /// The delivery's id: the same on Slack's retries, so an event is processed once.
    #[serde(default)]
    pub event_id: Option<String>,
    /// When the event happened (Unix seconds).
    #[serde(default)]
    pub event_time: Option<i64>,
    /// The workspace; absent or null for some events of org-wide installs.
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub enterprise_id: Option<String>,
    #[serde(default)]
    pub is_enterprise_install: Option<bool>,
    /// The installations the event is delivered for; the first is ours.
    #[serde(default)]
    pub authorizations: Option<Vec<Authorization>>,
    #[serde(default)]
    pub event: Event,
}

/// One installation an event is delivered for.
#[derive(Debug, Deserialize)]
pub struct Authorization {
    #[serde(default)]
    pub enterprise_id: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub is_enterprise_install: Option<bool>,
}

/// The inner event, by its `type`: the ones that end an installation, a person opening the
/// App Home, and messages (`message.im`: what people write in their DM with the app).
#[derive(Debug, Default, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A person opened the app's Home (`tab: "home"`) or Messages tab.
    AppHomeOpened {
        /// The Slack user who opened it.
        #[serde(default)]
        user: String,
        #[serde(default)]
        tab: String,
    },
    AppUninstalled,
    TokensRevoked {
        #[serde(default)]
        tokens: RevokedTokens,
    },
    /// A message posted, edited or deleted in a conversation the app is in (for Latch: its DMs).
    Message(Box<MessageEvent>),
    #[default]
    #[serde(other)]
    Other,
}

/// The user ids whose tokens Slack revoked, by kind of token.
#[derive(Debug, Default, Deserialize)]
pub struct RevokedTokens {
    #[serde(default)]
    pub oauth: Vec<String>,
    #[serde(default)]
    pub bot: Vec<String>,
}

/// A `message` event as Slack sends it (`message.im`, `message.channels`…). Every field may be
/// absent: an edit (`subtype: "message_changed"`) carries no top-level `user` or `text`, a
/// deletion (`message_deleted`) neither, and a bot's post has `bot_id`.
#[derive(Debug, Default, Deserialize)]
pub struct MessageEvent {
    /// `None` for a message a person wrote; `bot_message`, `message_changed`,
    /// `message_deleted`, `thread_broadcast`, `file_share`, `channel_join`… otherwise.
    #[serde(default)]
    pub subtype: Option<String>,
    #[serde(default)]
    pub channel: String,
    /// `im` for a DM with the app (`message.im`).
    #[serde(default)]
    pub channel_type: Option<String>,
    /// The author (for a bot's post, the bot user).
    #[serde(default)]
    pub user: Option<String>,
    /// Set on every post made by a bot or app, Latch's own included.
    #[serde(default)]
    pub bot_id: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    /// The message's own id in its channel.
    #[serde(default)]
    pub ts: String,
    /// The thread's parent message (its `ts`) when this is a reply; equal to `ts` on the parent.
    #[serde(default)]
    pub thread_ts: Option<String>,
    /// Who posted the thread's parent (Latch's bot user for replies to Latch's messages).
    #[serde(default)]
    pub parent_user_id: Option<String>,
}

/// A person's reply in a thread of their DM with the app: what may become a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadReply<'a> {
    /// The DM.
    pub channel: &'a str,
    /// The thread's parent message, which Latch posted.
    pub thread_ts: &'a str,
    /// The reply itself.
    pub ts: &'a str,
    /// The Slack user who wrote it.
    pub user: &'a str,
    /// What they wrote, as Slack sent it (mrkdwn-escaped).
    pub text: &'a str,
}

impl MessageEvent {
    /// This message as a person's reply in a DM thread, or `None` for anything else: a message
    /// outside a DM or outside a thread, a bot's post (Latch's own thread posts come back as
    /// `message.im` events too: answering them would loop), an edit or a deletion (a comment is
    /// part of the request's history, recorded once: editing or deleting the Slack reply later
    /// leaves the comment as written), a file share and other subtypes, or an empty message.
    /// `thread_broadcast` (a reply also sent to the conversation) is still a reply.
    pub fn thread_reply(&self) -> Option<ThreadReply<'_>> {
        if self.channel_type.as_deref() != Some("im") || self.bot_id.is_some() {
            return None;
        }
        if !matches!(self.subtype.as_deref(), None | Some("thread_broadcast")) {
            return None;
        }
        let thread_ts = self.thread_ts.as_deref().filter(|t| *t != self.ts)?;
        let user = self.user.as_deref().filter(|u| !u.is_empty())?;
        let text = self.text.as_deref().filter(|t| !t.trim().is_empty())?;
        if self.channel.is_empty() || self.ts.is_empty() || thread_ts.is_empty() {
            return None;
        }
        Some(ThreadReply {
            channel: &self.channel,
            thread_ts,
            ts: &self.ts,
            user,
            text,
        })
    }
}

impl EventCallback {
    /// Where a person's event comes from, for the front door's routing: the event's workspace
    /// and org (from the first authorization when the envelope names none).
    pub fn origin(&self, slack_user_id: &str) -> crate::ssr::slack::front_door::Origin {
        let auth = self.authorizations.as_deref().and_then(<[_]>::first);
        crate::ssr::slack::front_door::Origin {
            team_id: self
                .team_id
                .clone()
                .or_else(|| auth.and_then(|a| a.team_id.clone())),
            enterprise_id: self
                .enterprise_id
                .clone()
                .or_else(|| auth.and_then(|a| a.enterprise_id.clone())),
            slack_user_id: slack_user_id.to_owned(),
        }
    }

    /// The installation key the event is for: the org for org-wide installs, else the workspace.
    pub fn install_key(&self) -> Option<String> {
        let auth = self.authorizations.as_deref().and_then(<[_]>::first);
        let org_wide = auth
            .and_then(|a| a.is_enterprise_install)
            .or(self.is_enterprise_install)
            .unwrap_or(false);
        let enterprise = self
            .enterprise_id
            .as_deref()
            .or_else(|| auth.and_then(|a| a.enterprise_id.as_deref()));
        store::install_key(self.team_id.as_deref(), enterprise, org_wide)
    }
}

/// How long a processed `event_id` is remembered: Slack retries for minutes, not days.
const RECEIPT_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// True when the delivery `event_id` was already processed (Slack retries what it thinks failed).
async fn already_processed(state: &AppState, event_id: &str) -> Result<bool, sqlx::Error> {
    let seen = sqlx::query("SELECT 1 AS seen FROM slack_event_receipts WHERE event_id = $1")
        .bind(event_id)
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(seen.is_some())
}

/// Records `event_id` as processed (after it took effect, so a failed attempt is retried), and
/// forgets receipts too old for Slack to retry.
async fn record_processed(state: &AppState, event_id: &str) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query("INSERT INTO slack_event_receipts (event_id, received_at) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING")
        .bind(event_id)
        .bind(now)
        .execute(&state.db.pool)
        .await?;
    sqlx::query("DELETE FROM slack_event_receipts WHERE received_at < $1")
        .bind(now - RECEIPT_TTL_MS)
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

/// Processes an `event_callback` once per `event_id`.
pub async fn on_event(
    state: &AppState,
    callback: &EventCallback,
) -> Result<(), crate::ssr::access::AccessError> {
    let event_id = callback.event_id.as_deref().filter(|id| !id.is_empty());
    if let Some(event_id) = event_id
        && already_processed(state, event_id).await?
    {
        tracing::debug!(event_id, "Slack event already processed; retry ignored");
        return Ok(());
    }
    apply_event(state, callback).await?;
    if let Some(event_id) = event_id {
        record_processed(state, event_id).await?;
    }
    Ok(())
}

async fn apply_event(
    state: &AppState,
    callback: &EventCallback,
) -> Result<(), crate::ssr::access::AccessError> {
    let reason = match &callback.event {
        Event::AppHomeOpened { user, tab } => {
            if tab == "home" && !user.is_empty() {
                crate::ssr::slack::home::on_app_home_opened(state, callback.origin(user)).await;
            }
            return Ok(());
        }
        Event::Message(message) => {
            if let Some(reply) = message.thread_reply() {
                crate::ssr::slack::conversation::on_thread_reply(state, callback, &reply).await?;
            }
            return Ok(());
        }
        Event::AppUninstalled => "app_uninstalled",
        Event::TokensRevoked { .. } => "tokens_revoked",
        Event::Other => return Ok(()),
    };
    let Some(key) = callback.install_key() else {
        return Ok(());
    };
    let installs = store::list(&state.db).await?;
    let Some(install) = installs
        .iter()
        .find(|i| i.install_key == key && i.connected)
    else {
        return Ok(());
    };
    // An event that happened before this installation was made is about an earlier one: a late
    // retry of an old uninstall must not disconnect a fresh reinstall.
    let event_time_ms = callback.event_time.and_then(|secs| secs.checked_mul(1000));
    if let Some(event_time_ms) = event_time_ms
        && event_time_ms < install.installed_at - install.installed_at.rem_euclid(1000)
    {
        tracing::info!(install_key = %key, kind = reason, "Slack event older than the installation; ignored");
        return Ok(());
    }
    if let Event::TokensRevoked { tokens } = &callback.event
        // Only the bot token matters to Latch; revoked user tokens leave the install working.
        && !tokens.bot.contains(&install.bot_user_id)
    {
        return Ok(());
    }
    if store::disconnect(&state.db, &key, reason, crate::domain::AuditActor::System).await? {
        tracing::info!(install_key = %key, reason, "Slack installation disconnected by Slack");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn slacks_published_test_vector_verifies() {
        let ok = verify_signature(
            "fa2c05deeef5a4077494e89f54394de0",
            Some("1531420618"),
            Some("v0=baa91ef62d346e56607bbdd278a8acd570b91226854f15a382f43d33be42f666"),
            b"test-body",
            1531420618 + 10,
        );
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn stale_tampered_or_missing_signatures_are_refused() {
        let sig = Some("v0=baa91ef62d346e56607bbdd278a8acd570b91226854f15a382f43d33be42f666");
        let secret = "fa2c05deeef5a4077494e89f54394de0";
        assert_eq!(
            verify_signature(
                secret,
                Some("1531420618"),
                sig,
                b"test-body",
                1531420618 + 301
            ),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_signature(secret, Some("1531420618"), sig, b"test-bodx", 1531420618),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(secret, None, sig, b"test-body", 1531420618),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_signature(
                secret,
                Some("1531420618"),
                Some("v1=00"),
                b"test-body",
                1531420618
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        let sig = Some("v0=00");
        for ts in ["-9223372036854775808", "9223372036854775807", "-1"] {
            assert_eq!(
                verify_signature("s", Some(ts), sig, b"", 1531420618),
                Err(SignatureError::Stale),
                "{ts}"
            );
        }
        assert_eq!(
            verify_signature("s", Some("0"), sig, b"", i64::MIN),
            Err(SignatureError::Stale)
        );
    }

    fn parse(json: &str) -> EventEnvelope {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn url_verification_carries_its_challenge_and_unknown_envelopes_are_other() {
        assert!(matches!(
            parse(r#"{"type":"url_verification","token":"t","challenge":"abc"}"#),
            EventEnvelope::UrlVerification { challenge } if challenge == "abc"
        ));
        assert!(matches!(
            parse(r#"{"type":"app_rate_limited","minute_rate_limited":1}"#),
            EventEnvelope::Other
        ));
    }

    #[test]
    fn a_workspace_uninstall_is_for_the_workspace_key() {
        let EventEnvelope::EventCallback(callback) = parse(
            r#"{"type":"event_callback","team_id":"T1","event_id":"Ev1","event_time":1700000000,
                "event":{"type":"app_uninstalled"},
                "authorizations":[{"team_id":"T1","is_enterprise_install":false}]}"#,
        ) else {
            panic!("not an event_callback");
        };
        assert!(matches!(callback.event, Event::AppUninstalled));
        assert_eq!(callback.event_id.as_deref(), Some("Ev1"));
        assert_eq!(callback.event_time, Some(1_700_000_000));
        assert_eq!(callback.install_key().as_deref(), Some("team:T1"));
    }

    #[test]
    fn an_org_wide_event_without_a_team_is_for_the_org_key() {
        for json in [
            // The org and the flag on the authorization, no team at all.
            r#"{"type":"event_callback","team_id":null,"enterprise_id":null,
                "event":{"type":"tokens_revoked","tokens":{"oauth":[],"bot":["UBOT"]}},
                "authorizations":[{"enterprise_id":"E1","team_id":null,"is_enterprise_install":true}]}"#,
            // The org and the flag on the envelope, no authorizations.
            r#"{"type":"event_callback","enterprise_id":"E1","is_enterprise_install":true,
                "event":{"type":"tokens_revoked","tokens":{"bot":["UBOT"]}}}"#,
        ] {
            let EventEnvelope::EventCallback(callback) = parse(json) else {
                panic!("not an event_callback: {json}");
            };
            assert_eq!(
                callback.install_key().as_deref(),
                Some("enterprise:E1"),
                "{json}"
            );
            let Event::TokensRevoked { tokens } = &callback.event else {
                panic!("not tokens_revoked: {json}");
            };
            assert_eq!(tokens.bot, ["UBOT"]);
        }
    }

    #[test]
    fn app_home_opened_carries_the_user_and_tab_and_routes_by_its_workspace() {
        let EventEnvelope::EventCallback(callback) = parse(
            r#"{"type":"event_callback","team_id":"T1","enterprise_id":"E1","event_id":"Ev9",
                "event":{"type":"app_home_opened","user":"U1","channel":"D1","tab":"home",
                         "event_ts":"1700000000.000100"}}"#,
        ) else {
            panic!("not an event_callback");
        };
        let Event::AppHomeOpened { user, tab } = &callback.event else {
            panic!("not app_home_opened: {:?}", callback.event);
        };
        assert_eq!((user.as_str(), tab.as_str()), ("U1", "home"));
        let origin = callback.origin(user);
        assert_eq!(origin.team_id.as_deref(), Some("T1"));
        assert_eq!(origin.enterprise_id.as_deref(), Some("E1"));
        assert_eq!(origin.slack_user_id, "U1");
    }

    /// The inner event of `json` (an `event_callback`).
    fn message(json: &str) -> MessageEvent {
        let EventEnvelope::EventCallback(callback) = parse(json) else {
            panic!("not an event_callback: {json}");
        };
        match callback.event {
            Event::Message(message) => *message,
            other => panic!("not a message: {other:?}"),
        }
    }

    #[test]
    fn a_persons_reply_in_a_dm_thread_is_a_thread_reply() {
        let reply = message(
            r#"{"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"message",
                "channel":"D1","user":"U1","text":"why admin?","ts":"2.000200","thread_ts":"1.000100",
                "parent_user_id":"UBOT","channel_type":"im","client_msg_id":"x"}}"#,
        );
        assert_eq!(
            reply.thread_reply(),
            Some(ThreadReply {
                channel: "D1",
                thread_ts: "1.000100",
                ts: "2.000200",
                user: "U1",
                text: "why admin?",
            })
        );
        assert_eq!(reply.parent_user_id.as_deref(), Some("UBOT"));
        let broadcast = message(
            r#"{"type":"event_callback","event":{"type":"message","subtype":"thread_broadcast",
                "channel":"D1","user":"U1","text":"also here","ts":"2.1","thread_ts":"1.1","channel_type":"im"}}"#,
        );
        assert!(broadcast.thread_reply().is_some());
    }

    #[test]
    fn bots_edits_deletions_top_level_and_channel_messages_are_not_thread_replies() {
        for json in [
            // Latch's own post in a thread (or any bot's).
            r#"{"type":"message","channel":"D1","user":"UBOT","bot_id":"B1","text":"x","ts":"2.1","thread_ts":"1.1","channel_type":"im"}"#,
            r#"{"type":"message","subtype":"bot_message","channel":"D1","bot_id":"B1","text":"x","ts":"2.1","thread_ts":"1.1","channel_type":"im"}"#,
            // An edit and a deletion: no top-level user or text, the message nested.
            r#"{"type":"message","subtype":"message_changed","hidden":true,"channel":"D1","ts":"3.1","channel_type":"im",
                "message":{"type":"message","user":"U1","text":"edited","ts":"2.1","thread_ts":"1.1"},
                "previous_message":{"type":"message","user":"U1","text":"first","ts":"2.1","thread_ts":"1.1"}}"#,
            r#"{"type":"message","subtype":"message_deleted","hidden":true,"channel":"D1","ts":"3.1","deleted_ts":"2.1","channel_type":"im"}"#,
            // Not in a thread, or the thread's parent itself.
            r#"{"type":"message","channel":"D1","user":"U1","text":"hello","ts":"2.1","channel_type":"im"}"#,
            r#"{"type":"message","channel":"D1","user":"U1","text":"hello","ts":"1.1","thread_ts":"1.1","channel_type":"im"}"#,
            // A channel, not a DM; an empty reply; a file share.
            r#"{"type":"message","channel":"C1","user":"U1","text":"x","ts":"2.1","thread_ts":"1.1","channel_type":"channel"}"#,
            r#"{"type":"message","channel":"D1","user":"U1","text":"  ","ts":"2.1","thread_ts":"1.1","channel_type":"im"}"#,
            r#"{"type":"message","subtype":"file_share","channel":"D1","user":"U1","text":"x","ts":"2.1","thread_ts":"1.1","channel_type":"im"}"#,
        ] {
            let envelope = format!(r#"{{"type":"event_callback","team_id":"T1","event":{json}}}"#);
            assert_eq!(message(&envelope).thread_reply(), None, "{json}");
        }
    }

    #[test]
    fn other_inner_events_and_a_missing_event_are_other() {
        for json in [
            r#"{"type":"event_callback","team_id":"T1","event":{"type":"member_joined_channel","user":"U1"}}"#,
            r#"{"type":"event_callback","team_id":"T1"}"#,
        ] {
            let EventEnvelope::EventCallback(callback) = parse(json) else {
                panic!("not an event_callback: {json}");
            };
            assert!(matches!(callback.event, Event::Other), "{json}");
        }
    }
}
