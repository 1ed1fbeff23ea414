//! Delivering the outbox to Slack (`app::ssr::slack::delivery`), through the real server and its
//! `slack-delivery` job, against the stand-in: every kind reaches the right person's DM once, the
//! requester's message follows the request in place, Slack's 429s and 5xx are waited out without
//! duplicates or a tight loop, refusals are recorded and shown to admins, suppressed kinds are
//! dropped, a post whose answer came too late is not posted again, two app instances on one
//! database send each message once, and a `kill -9` mid-drain sends nothing twice.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use app::api::requests::cancel_request::CancelRequest;
use app::api::slack::{
    FailedDeliveries, RetryDelivery, SetNotificationKind, SetNotificationsEnabled,
};
use app::domain::Role;
use app::shapes::FailedDelivery;
use slack_standin::{Message, NewUser, SlackStandin};
use sqlx::Row;

use app::ssr::Db;
use app::ssr::slack::SlackConfig;
use secrecy::SecretString;
use slack_standin::StandinConfig;
use tokio::net::TcpListener;

use crate::access_fixtures::*;
use crate::helpers::{
    SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET, TEST_SECRET_KEY, TestApp,
    fresh_database_url, spawn_app_with_slack, spawn_on_listener,
};
use crate::slack_connect::{connect, workspace};

/// Latch with the JIT loop's cast (Alice requests, Bob approves first, Carol approves second
/// and provisions), connected to a stand-in workspace where those in `in_slack` have accounts.
pub(crate) struct World {
    pub app: TestApp,
    pub slack: SlackStandin,
    pub team: String,
    pub l: Loop,
    /// Slack user id by first name.
    pub ids: BTreeMap<&'static str, String>,
}

const CAST: [(&str, &str); 3] = [
    ("alice", "alice@example.com"),
    ("bob", "bob@example.com"),
    ("carol", "carol@example.com"),
];

pub(crate) async fn world_with(in_slack: &[&'static str]) -> World {
    let (world, channel) = world_not_connected(in_slack).await;
    connect(&world.app, &world.slack, &world.team, &channel).await;
    world
}

/// The same, before Slack is connected; the channel to connect with.
async fn world_not_connected(in_slack: &[&'static str]) -> (World, String) {
    let (app, slack) = spawn_app_with_slack().await;
    let l = jit_loop(&app).await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    let mut world = World {
        app,
        slack,
        team,
        l,
        ids: BTreeMap::new(),
    };
    for who in in_slack {
        world.join_slack(who);
    }
    (world, channel)
}

async fn world() -> World {
    world_with(&["alice", "bob", "carol"]).await
}

impl World {
    /// Gives `who` (of the cast) a Slack account with their Latch email.
    pub fn join_slack(&mut self, who: &'static str) {
        let email = CAST
            .iter()
            .find(|(name, _)| *name == who)
            .map(|(_, email)| *email)
            .unwrap();
        let user = self
            .slack
            .add_user(&self.team, NewUser::new(who, email))
            .unwrap();
        self.ids.insert(who, user.id);
    }

    /// The messages in Latch's DM with `who`, oldest first.
    pub fn dm(&self, who: &str) -> Vec<Message> {
        dm_messages(&self.slack, &self.ids[who])
    }

    /// Waits until no notification is pending or being sent.
    pub async fn settled(&self) {
        settled(&self.app, Duration::from_secs(60)).await;
    }

    /// Calls to `method`; for chat.postMessage, the notifications' posts only (not the lines
    /// the `slack-live` job posts in their threads).
    fn calls(&self, method: &str) -> usize {
        notification_calls(&self.slack, method).count()
    }

    fn ok_calls(&self, method: &str) -> usize {
        notification_calls(&self.slack, method)
            .filter(|c| c.status == 200 && c.response["ok"] == true)
            .count()
    }
}

/// Calls to `method`, leaving out posts in threads (history lines of `slack::live`).
fn notification_calls(
    slack: &SlackStandin,
    method: &str,
) -> impl Iterator<Item = slack_standin::ApiCall> {
    slack
        .api_calls_to(method)
        .into_iter()
        .filter(|c| c.params.get("thread_ts").is_none_or(|t| t.is_null()))
}

/// The notifications in Latch's DM with `slack_user` (thread replies left out), oldest first.
pub(crate) fn dm_messages(slack: &SlackStandin, slack_user: &str) -> Vec<Message> {
    let channel = slack.app_dm(slack_user).unwrap();
    let mut messages: Vec<Message> = slack
        .messages(&channel.id)
        .into_iter()
        .filter(|m| m.thread_ts.as_deref().is_none_or(|t| t == m.ts))
        .collect();
    messages.sort_by(|a, b| a.ts.cmp(&b.ts));
    messages
}

/// The outbox row a message was posted for (its `latch_notification` metadata).
pub(crate) fn outbox_id(message: &Message) -> Option<i64> {
    let meta = message.metadata.as_ref()?;
    assert_eq!(meta["event_type"], "latch_notification");
    meta["event_payload"]["outbox_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
}

/// Waits until no outbox row is pending or sending (or fails after `limit`).
pub(crate) async fn settled(app: &TestApp, limit: Duration) {
    let start = Instant::now();
    loop {
        let open = scalar(
            app,
            "SELECT COUNT(*) FROM outbox WHERE delivery_state IN ('pending', 'sending')",
        )
        .await;
        if open == 0 {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "{open} notifications still undelivered after {limit:?}: {:?}",
            outbox(app).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An outbox row as these tests look at it.
#[derive(Debug, Clone)]
pub(crate) struct OutboxEntry {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub state: String,
    pub attempts: i64,
    pub ts: Option<String>,
}

pub(crate) async fn outbox(app: &TestApp) -> Vec<OutboxEntry> {
    sqlx::query(
        "SELECT o.id, o.kind, u.email, o.delivery_state, o.attempts, o.slack_ts \
         FROM outbox o JOIN users u ON u.id = o.recipient_id ORDER BY o.id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| OutboxEntry {
        id: r.get("id"),
        kind: r.get("kind"),
        recipient: r.get("email"),
        state: r.get("delivery_state"),
        attempts: r.get("attempts"),
        ts: r.get("slack_ts"),
    })
    .collect()
}

/// Every message in these DMs names a distinct outbox row, and every delivered row of each
/// person is one of their messages: nobody sees a notification twice.
pub(crate) async fn assert_each_once(app: &TestApp, slack: &SlackStandin, people: &[(&str, &str)]) {
    let rows = outbox(app).await;
    let mut seen = BTreeSet::new();
    for (email, slack_user) in people {
        let messages = dm_messages(slack, slack_user);
        for m in &messages {
            let id = outbox_id(m).unwrap_or_else(|| panic!("a message without metadata: {m:?}"));
            assert!(seen.insert(id), "outbox row {id} was posted twice");
            assert!(
                rows.iter().any(|r| r.id == id),
                "a message for no row: {id}"
            );
        }
        let theirs: BTreeSet<&str> = rows
            .iter()
            .filter(|r| r.recipient == *email && r.state == "delivered")
            .filter_map(|r| r.ts.as_deref())
            .collect();
        let shown: BTreeSet<&str> = messages.iter().map(|m| m.ts.as_str()).collect();
        assert_eq!(theirs, shown, "{email}: delivered rows and messages differ");
    }
}

fn kinds_to(rows: &[OutboxEntry], email: &str) -> Vec<String> {
    rows.iter()
        .filter(|r| r.recipient == email)
        .map(|r| r.kind.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_notification_of_the_access_loop_reaches_the_right_dm_once_and_the_request_message_follows_the_request()
 {
    let w = world().await;
    let grant_id = w.l.granted(&w.app).await;
    w.settled().await;

    let rows = outbox(&w.app).await;
    assert!(rows.iter().all(|r| r.state == "delivered"), "{rows:?}");
    assert_eq!(
        kinds_to(&rows, "alice@example.com"),
        ["request_created", "request_decided", "access_granted"]
    );
    assert_eq!(kinds_to(&rows, "bob@example.com"), ["approval_needed"]);
    assert_eq!(
        kinds_to(&rows, "carol@example.com"),
        ["approval_needed", "provisioning_assigned"]
    );

    // Alice's one message shows the request as it is now (posted late, it may never have needed
    // an edit: every message is rendered from the request's current state).
    let alice = w.dm("alice");
    assert_eq!(alice.len(), 1, "{alice:?}");
    assert!(
        alice[0]
            .text
            .starts_with("You have created a new access request"),
        "{}",
        alice[0].text
    );
    assert!(alice[0].text.contains("Granted until"), "{}", alice[0].text);

    let bob = w.dm("bob");
    assert_eq!(bob.len(), 1);
    assert!(bob[0].text.starts_with("Your approval is required"));
    let carol = w.dm("carol");
    assert_eq!(carol.len(), 2);
    assert!(carol[0].text.starts_with("Your approval is required"));
    assert!(
        carol[1]
            .text
            .starts_with("You have a new provisioning assignment")
    );
    assert_eq!(w.ok_calls("chat.postMessage"), 4);
    // One DM opened per person, once.
    assert_eq!(w.calls("conversations.open"), 3);

    // Expiry: Alice hears her access expired (a new message), Carol gets the removal task.
    backdate_grant(&w.app, &grant_id).await;
    let start = Instant::now();
    while scalar(
        &w.app,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'deprovisioning_assigned'",
    )
    .await
        == 0
    {
        assert!(start.elapsed() < Duration::from_secs(20), "no expiry");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    w.settled().await;
    let alice = w.dm("alice");
    assert_eq!(alice.len(), 2);
    assert!(alice[1].text.contains("has expired"), "{}", alice[1].text);
    let carol = w.dm("carol");
    assert_eq!(carol.len(), 3);
    assert!(
        carol[2]
            .text
            .starts_with("You have a new deprovisioning assignment")
    );
    let people: Vec<(&str, &str)> = CAST
        .iter()
        .map(|(who, email)| (*email, w.ids[who].as_str()))
        .collect();
    assert_each_once(&w.app, &w.slack, &people).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_or_cancelled_request_updates_the_requesters_message_without_a_second_post() {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    w.settled().await;
    w.l.bob
        .ok(
            &w.app,
            DecideRequest {
                reason: Some("Not this week".into()),
                ..decision(&id, 1, Verdict::Denied)
            },
        )
        .await;
    w.settled().await;
    let alice = w.dm("alice");
    assert_eq!(alice.len(), 1);
    assert!(alice[0].text.contains("Denied by"), "{}", alice[0].text);

    let (id, _) = w.l.request_admin(&w.app).await;
    w.l.alice
        .ok(
            &w.app,
            CancelRequest {
                id,
                reason: Some("Fixed it myself".into()),
            },
        )
        .await;
    w.settled().await;
    let alice = w.dm("alice");
    assert_eq!(alice.len(), 2, "one message per request");
    assert!(alice[1].text.contains("Cancelled"), "{}", alice[1].text);
    assert_eq!(w.ok_calls("chat.postMessage"), 4, "2 to Alice, 2 to Bob");
    assert!(w.ok_calls("chat.update") >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_is_waited_out_and_every_notification_arrives_once_without_a_tight_loop() {
    let w = world().await;
    w.slack
        .start_rate_limit_storm(Some("chat.postMessage"), Duration::from_secs(3));
    let (id, _) = w.l.request_admin(&w.app).await;
    w.l.alice
        .ok(&w.app, CancelRequest { id, reason: None })
        .await;
    w.l.request_admin(&w.app).await;
    w.settled().await;

    let people = [
        ("alice@example.com", w.ids["alice"].as_str()),
        ("bob@example.com", w.ids["bob"].as_str()),
    ];
    assert_each_once(&w.app, &w.slack, &people).await;
    assert_eq!(w.dm("alice").len(), 2);
    assert_eq!(w.dm("bob").len(), 2);
    let posts = w.calls("chat.postMessage");
    let refused = posts - w.ok_calls("chat.postMessage");
    assert!(refused >= 1, "the storm refused something");
    // Each 429 paused chat.postMessage for its Retry-After: a handful of calls, not a loop.
    assert!(posts <= 12, "{posts} chat.postMessage calls for 4 messages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_with_backoff_and_each_notification_is_posted_once() {
    let w = world().await;
    w.slack
        .fail_with_server_error(Some("chat.postMessage"), 2, 503);
    let start = Instant::now();
    w.l.request_admin(&w.app).await;
    w.settled().await;

    // Both first posts got 503s; after the backoff each was looked for in its DM (not there),
    // then posted once.
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "backoff honoured"
    );
    let rows = outbox(&w.app).await;
    assert!(rows.iter().all(|r| r.attempts == 2), "{rows:?}");
    assert_eq!(w.calls("chat.postMessage"), 4);
    assert!(w.calls("conversations.history") >= 2);
    assert_eq!(w.dm("alice").len(), 1);
    assert_eq!(w.dm("bob").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_slack_carried_out_but_answered_too_late_is_found_in_the_dm_not_posted_again() {
    let w = world().await;
    // Latch's Slack calls time out after 2 s; these answers come after 3 s, once posted.
    w.slack
        .add_late_answers(Some("chat.postMessage"), Duration::from_secs(3), Some(2));
    w.l.request_admin(&w.app).await;
    w.settled().await;

    assert_eq!(w.dm("alice").len(), 1);
    assert_eq!(w.dm("bob").len(), 1);
    assert_eq!(w.calls("chat.postMessage"), 2, "no second post");
    let rows = outbox(&w.app).await;
    assert!(
        rows.iter()
            .all(|r| r.state == "delivered" && r.ts.is_some()),
        "{rows:?}"
    );
    let people = [
        ("alice@example.com", w.ids["alice"].as_str()),
        ("bob@example.com", w.ids["bob"].as_str()),
    ];
    assert_each_once(&w.app, &w.slack, &people).await;
}

async fn failures(w: &World) -> Vec<FailedDelivery> {
    w.app.call(FailedDeliveries {}).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_without_slack_is_recorded_as_not_linked_shown_to_admins_and_sent_after_a_retry() {
    let mut w = world_with(&["alice", "bob"]).await;
    let (id, _) = w.l.request_admin(&w.app).await;
    w.l.bob.approve(&w.app, &id, 1).await;
    w.settled().await;

    let failed = failures(&w).await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].recipient, "Carol Owner");
    assert_eq!(failed[0].recipient_email, "carol@example.com");
    assert_eq!(failed[0].kind, "An approval is required");
    assert_eq!(failed[0].reason, "not_linked");
    assert!(failed[0].reason_text.contains("no Slack account"));
    // Not retried: one lookup, and still failed a while later.
    let lookups = || {
        w.slack
            .api_calls_to("users.lookupByEmail")
            .iter()
            .filter(|c| c.params["email"] == "carol@example.com")
            .count()
    };
    assert_eq!(lookups(), 1);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(lookups(), 1);
    assert_eq!(failures(&w).await.len(), 1);

    // Carol joins Slack; an admin retries; it arrives once.
    w.join_slack("carol");
    w.app
        .call(RetryDelivery { id: failed[0].id })
        .await
        .unwrap();
    w.settled().await;
    assert_eq!(w.dm("carol").len(), 1);
    assert!(failures(&w).await.is_empty());
    let retried = scalar(
        &w.app,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'slack.delivery_retried'",
    )
    .await;
    assert_eq!(retried, 1);
    // Retrying what did not fail is a 404.
    let again = w.app.call(RetryDelivery { id: failed[0].id }).await;
    assert!(again.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_from_slack_is_recorded_with_its_code_shown_to_admins_and_not_retried() {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    w.settled().await;
    // Bob's DM is gone (as when Slack deletes it): the next post to him is refused.
    sqlx::query("UPDATE slack_dm_channels SET channel_id = 'DGONE' WHERE slack_user_id = $1")
        .bind(&w.ids["bob"])
        .execute(&w.app.db.pool)
        .await
        .unwrap();
    w.l.alice
        .ok(&w.app, CancelRequest { id, reason: None })
        .await;
    w.l.request_admin(&w.app).await;
    w.settled().await;

    let failed = failures(&w).await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].reason, "channel_not_found");
    assert_eq!(failed[0].recipient_email, "bob@example.com");
    assert_eq!(failed[0].kind, "An approval is required");
    assert_eq!(
        failed[0].reason_text,
        "The direct message channel no longer exists"
    );
    let posts_to_gone = || {
        w.slack
            .api_calls_to("chat.postMessage")
            .iter()
            .filter(|c| c.params["channel"] == "DGONE")
            .count()
    };
    assert_eq!(posts_to_gone(), 1);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(posts_to_gone(), 1, "not retried");
    // Alice's notifications went on as usual.
    assert_eq!(w.dm("alice").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_turned_off_is_dropped_not_queued_and_turning_it_on_again_sends_no_backlog() {
    let w = world().await;
    w.app
        .call(SetNotificationKind {
            kind: "approval_needed".into(),
            on: "off".into(),
        })
        .await
        .unwrap();
    let (id, _) = w.l.request_admin(&w.app).await;
    w.settled().await;
    let rows = outbox(&w.app).await;
    assert_eq!(
        rows.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(),
        ["request_created"],
        "the approval notice was never queued"
    );
    w.app
        .call(SetNotificationKind {
            kind: "approval_needed".into(),
            on: "on".into(),
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    w.settled().await;
    assert!(w.dm("bob").is_empty(), "no backlog after turning it on");

    // From now on it is sent again.
    w.l.bob.approve(&w.app, &id, 1).await;
    w.settled().await;
    assert_eq!(w.dm("carol").len(), 1);

    // The kill switch drops everything; turned on again, nothing old arrives.
    w.app
        .call(SetNotificationsEnabled { on: "off".into() })
        .await
        .unwrap();
    let queued = scalar(&w.app, "SELECT COUNT(*) FROM outbox").await;
    w.l.carol.approve(&w.app, &id, 2).await;
    assert_eq!(scalar(&w.app, "SELECT COUNT(*) FROM outbox").await, queued);
    w.app
        .call(SetNotificationsEnabled { on: "on".into() })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    w.settled().await;
    assert_eq!(
        w.dm("carol").len(),
        1,
        "no provisioning notice from while it was off"
    );
    let alice = w.dm("alice");
    assert!(
        alice[0].text.contains("You have created"),
        "not updated while off"
    );
    let changed = scalar(
        &w.app,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'settings.notifications_changed'",
    )
    .await;
    assert_eq!(changed, 4);
}

/// Latch's Slack settings for another process on the same stand-in.
fn slack_config(slack: &SlackStandin) -> SlackConfig {
    SlackConfig {
        client_id: Some(SLACK_CLIENT_ID.into()),
        client_secret: Some(SecretString::from(SLACK_CLIENT_SECRET)),
        signing_secret: Some(SecretString::from(SLACK_SIGNING_SECRET)),
        api_url: slack.api_url(),
        authorize_url: slack.authorize_url(),
        timeout: Duration::from_secs(2),
        ..SlackConfig::default()
    }
}

/// Alice asks and cancels `times` times: each round is a new message to her (updated once)
/// and one to Bob.
async fn ask_and_cancel(w: &World, times: usize) {
    for _ in 0..times {
        let (id, _) = w.l.request_admin(&w.app).await;
        w.l.alice
            .ok(&w.app, CancelRequest { id, reason: None })
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_app_instances_on_one_database_send_each_message_once() {
    let w = world().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let _second = spawn_on_listener(
        w.app.database_url.clone(),
        tempfile::tempdir().unwrap(),
        listener,
        slack_config(&w.slack),
    )
    .await;
    ask_and_cancel(&w, 4).await;
    w.settled().await;

    assert_eq!(w.dm("alice").len(), 4);
    assert_eq!(w.dm("bob").len(), 4);
    assert_eq!(w.calls("chat.postMessage"), 8, "each message posted once");
    assert!(
        w.dm("alice").iter().all(|m| m.text.contains("Cancelled")),
        "each cancellation shown"
    );
    let people = [
        ("alice@example.com", w.ids["alice"].as_str()),
        ("bob@example.com", w.ids["bob"].as_str()),
    ];
    assert_each_once(&w.app, &w.slack, &people).await;
}

/// A `latch` server process (the real binary) on `database_url`, talking to `slack`.
struct LatchProcess {
    child: std::process::Child,
    address: String,
}

impl LatchProcess {
    async fn start(data_dir: &std::path::Path, database_url: &str, slack: &SlackStandin) -> Self {
        let address = free_address().await;
        Self::start_at(data_dir, database_url, slack, &address).await
    }

    async fn start_at(
        data_dir: &std::path::Path,
        database_url: &str,
        slack: &SlackStandin,
        address: &str,
    ) -> Self {
        let address = address.to_string();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_latch"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LATCH_DATA_DIR", data_dir)
            .env("LATCH_DATABASE_URL", database_url)
            .env("LATCH_LISTEN_ADDR", address.trim_start_matches("http://"))
            .env("LATCH_PUBLIC_URL", &address)
            .env("LATCH_SECRET_KEY", TEST_SECRET_KEY)
            .env("LATCH_SLACK_CLIENT_ID", SLACK_CLIENT_ID)
            .env("LATCH_SLACK_CLIENT_SECRET", SLACK_CLIENT_SECRET)
            .env("LATCH_SLACK_SIGNING_SECRET", SLACK_SIGNING_SECRET)
            .env("LATCH_SLACK_API_URL", slack.api_url())
            .env("LATCH_SLACK_AUTHORIZE_URL", slack.authorize_url())
            .env("LATCH_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let health = format!("{address}/healthz");
        let start = Instant::now();
        while !reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status().as_u16() == 200)
        {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "latch did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        LatchProcess { child, address }
    }

    /// `kill -9`: no shutdown, no lease released, whatever was in flight left as it was.
    fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for LatchProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn free_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// A row marked `sending` whose message is already in Slack: the moment between "sent" and
/// "marked sent".
async fn sent_but_not_marked(db: &Db, slack: &SlackStandin) -> bool {
    let sending: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM outbox WHERE delivery_state = 'sending'")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    if sending.is_empty() {
        return false;
    }
    slack
        .channels()
        .iter()
        .flat_map(|c| slack.messages(&c.id))
        .filter_map(|m| outbox_id(&m))
        .any(|id| sending.contains(&id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_between_posting_and_marking_posted_sends_no_notification_twice() {
    let data_dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(data_dir.path()).await;
    // The stand-in must know the first process's address for the OAuth redirect.
    let address = free_address().await;
    let slack = SlackStandin::start(StandinConfig {
        redirect_urls: vec![format!("{address}/slack/oauth/callback")],
        ..StandinConfig::new(SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET)
    })
    .await
    .unwrap();
    let mut first = {
        // Start on the address given to the stand-in.
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_latch"))
            .arg("migrate")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LATCH_DATA_DIR", data_dir.path())
            .env("LATCH_DATABASE_URL", &database_url)
            .env("LATCH_SECRET_KEY", TEST_SECRET_KEY)
            .output()
            .unwrap();
        assert!(
            child.status.success(),
            "{}",
            String::from_utf8_lossy(&child.stderr)
        );
        LatchProcess::start_at(data_dir.path(), &database_url, &slack, &address).await
    };
    let db = Db::connect(&database_url).await.unwrap();
    let app = TestApp {
        address: first.address.clone(),
        client: crate::helpers::client(),
        db: db.clone(),
        setup_link: None,
        database_url: database_url.clone(),
        _data_dir: tempfile::tempdir().unwrap(),
    };
    let l = jit_loop(&app).await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    let bob = slack
        .add_user(&team, NewUser::new("bob", "bob@example.com"))
        .unwrap();
    let mut people = vec![("bob@example.com".to_string(), bob.id.clone())];
    let mut requesters = Vec::new();
    for i in 0..8 {
        let email = format!("dev{i}@example.com");
        let who = person(&app, &email, &format!("Dev {i}"), Role::BasicUser).await;
        l.admin
            .ok(
                &app,
                UpdateDirectoryUser {
                    id: who.user.id,
                    name: format!("Dev {i}"),
                    manager_email: Some("bob@example.com".into()),
                    department: None,
                    job_title: None,
                    status: "active".into(),
                },
            )
            .await;
        let slack_user = slack
            .add_user(&team, NewUser::new(format!("dev{i}"), email.clone()))
            .unwrap();
        people.push((email, slack_user.id));
        requesters.push(who);
    }
    connect(&app, &slack, &team, &channel).await;
    // Each answer to chat.postMessage comes 400 ms after the message is posted.
    slack.add_late_answers(Some("chat.postMessage"), Duration::from_millis(400), None);
    for who in &requesters {
        who.request(&app, new_request(&l.entitlement_id, "Deploy"))
            .await;
    }
    let total = scalar(&app, "SELECT COUNT(*) FROM outbox").await;
    assert_eq!(
        total, 16,
        "a request_created each, an approval_needed each for Bob"
    );

    let start = Instant::now();
    while !sent_but_not_marked(&db, &slack).await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never caught mid-post"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill_9();
    let undelivered = scalar(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE delivery_state <> 'delivered'",
    )
    .await;
    assert!(undelivered >= 1, "killed mid-drain");
    slack.clear_faults();

    let _second = LatchProcess::start(data_dir.path(), &database_url, &slack).await;
    settled(&app, Duration::from_secs(90)).await;
    let rows = outbox(&app).await;
    assert!(rows.iter().all(|r| r.state == "delivered"), "{rows:?}");
    let people: Vec<(&str, &str)> = people
        .iter()
        .map(|(e, s)| (e.as_str(), s.as_str()))
        .collect();
    assert_each_once(&app, &slack, &people).await;
    assert_eq!(
        dm_messages(&slack, &bob.id).len(),
        8,
        "one per request for Bob"
    );
    for (_, slack_user) in &people[1..] {
        assert_eq!(dm_messages(&slack, slack_user).len(), 1);
    }
}

/// A form of the settings page posted by a browser without JavaScript.
async fn html_post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: Vec<(&'static str, String)>,
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header("Accept", "text/html")
        .header("Referer", app.url("/admin/settings/notifications"))
        .header("Origin", app.address.as_str())
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delivery_settings_and_retry_work_without_javascript_and_show_on_the_page() {
    let mut w = world_with(&["alice"]).await;
    w.l.request_admin(&w.app).await;
    w.settled().await;
    let admin = w.l.admin.client.clone();
    // A plain HTML form post answers with a redirect back to the page, the change made.
    let response = html_post(
        &w.app,
        &admin,
        "/api/slack/set_notification_kind",
        vec![("kind", "access_expiring".into()), ("on", "off".into())],
    )
    .await;
    assert_eq!(response.status().as_u16(), 302);
    assert!(!crate::helpers::location(&response).contains("__err="));
    let page = admin
        .get(w.app.url("/admin/settings/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"data-kind="access_expiring" data-on="false""#),
        "{page}"
    );
    assert!(page.contains(r#"data-kind="request_created" data-on="true""#));
    // Bob's approval notice failed (he has no Slack account): listed, and retried by a form.
    assert!(page.contains(r#"data-reason="not_linked""#));
    let failed = failures(&w).await;
    w.join_slack("bob");
    let response = html_post(
        &w.app,
        &admin,
        "/api/slack/retry_delivery",
        vec![("id", failed[0].id.to_string())],
    )
    .await;
    assert_eq!(response.status().as_u16(), 302);
    w.settled().await;
    assert_eq!(w.dm("bob").len(), 1);
    let response = html_post(
        &w.app,
        &admin,
        "/api/slack/set_notifications_enabled",
        vec![("on", "off".into())],
    )
    .await;
    assert_eq!(response.status().as_u16(), 302);
    let page = admin
        .get(w.app.url("/admin/settings/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"id="delivery-kill-switch" data-on="false""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_queued_before_slack_was_connected_are_sent_unless_turned_off_or_a_day_old() {
    let (w, channel) = world_not_connected(&["alice", "bob", "carol"]).await;
    let (id, _) = w.l.request_admin(&w.app).await;
    w.l.bob.approve(&w.app, &id, 1).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    // Nothing is sent (nor given up on) while no workspace is connected.
    let rows = outbox(&w.app).await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|r| r.state == "pending"));
    // Meanwhile: approval notices are turned off, and Alice's notice is from yesterday.
    w.app
        .call(SetNotificationKind {
            kind: "approval_needed".into(),
            on: "off".into(),
        })
        .await
        .unwrap();
    sqlx::query(
        "UPDATE outbox SET created_at = created_at - 90000000 WHERE kind = 'request_created'",
    )
    .execute(&w.app.db.pool)
    .await
    .unwrap();

    connect(&w.app, &w.slack, &w.team, &channel).await;
    w.settled().await;
    let rows = outbox(&w.app).await;
    let states: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.kind.as_str(), r.state.as_str()))
        .collect();
    assert_eq!(
        states,
        [
            ("request_created", "dropped"),
            ("approval_needed", "dropped"),
            ("approval_needed", "dropped"),
        ]
    );
    let reasons: Vec<String> = sqlx::query_scalar("SELECT failure FROM outbox ORDER BY id")
        .fetch_all(&w.app.db.pool)
        .await
        .unwrap();
    assert_eq!(reasons, ["stale", "suppressed", "suppressed"]);
    assert!(w.dm("alice").is_empty() && w.dm("bob").is_empty() && w.dm("carol").is_empty());
    assert!(failures(&w).await.is_empty(), "dropped is not failed");

    // What happens from now on is sent.
    w.l.carol.approve(&w.app, &id, 2).await;
    w.settled().await;
    assert_eq!(w.dm("alice").len(), 1);
    assert_eq!(w.dm("carol").len(), 1, "the provisioning assignment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expiry_reminder_is_posted_to_the_holder_and_becomes_the_expired_notice_in_place() {
    let w = world().await;
    let grant_id = w.l.granted(&w.app).await;
    w.settled().await;
    // The grant began ten days ago and ends tomorrow: its reminder is due.
    let row = sqlx::query("SELECT body FROM grants WHERE id = $1")
        .bind(&grant_id)
        .fetch_one(&w.app.db.pool)
        .await
        .unwrap();
    let mut body: serde_json::Value = serde_json::from_str(&row.get::<String, _>("body")).unwrap();
    let now = app::ssr::clock::now_ms();
    let tomorrow = now + 86_400_000;
    body["period_start"] = serde_json::Value::from(now - 10 * 86_400_000);
    body["expires_at"] = serde_json::Value::from(tomorrow);
    sqlx::query("UPDATE grants SET body = $1, expires_at = $2 WHERE id = $3")
        .bind(body.to_string())
        .bind(tomorrow)
        .bind(&grant_id)
        .execute(&w.app.db.pool)
        .await
        .unwrap();
    let reminded = app::ssr::flows::sweeps::remind_expiring(&w.app.db)
        .await
        .unwrap();
    assert_eq!(reminded, 1);
    w.settled().await;
    let alice = w.dm("alice");
    assert_eq!(alice.len(), 2, "the request message, then the reminder");
    assert!(
        alice[1].text.starts_with("Your access expires in"),
        "{}",
        alice[1].text
    );

    backdate_grant(&w.app, &grant_id).await;
    let start = Instant::now();
    while scalar(
        &w.app,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'access_expired'",
    )
    .await
        == 0
    {
        assert!(start.elapsed() < Duration::from_secs(20), "no expiry");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    w.settled().await;
    let alice = w.dm("alice");
    assert_eq!(
        alice.len(),
        2,
        "the reminder was updated, not followed by a new message"
    );
    assert!(alice[1].text.contains("has expired"), "{}", alice[1].text);
    assert_eq!(alice[1].edits.len(), 1);
}
