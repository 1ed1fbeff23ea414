//! Conversation in the threads of request messages (issue 11 §4), through the real server and
//! the stand-in: a reply in the thread of one's copy of a request's DM becomes a comment under
//! one's Latch name and reaches the other parties' threads (not back into the thread it was
//! written in); a provisioner's reply on their assignment comments on its request; a console
//! comment reaches every thread; bots' posts, edits, replies outside a known thread and replies by
//! someone else change nothing; a retried event makes one comment; an install without the scope
//! `message.im` needs is flagged for Reinstall.

use std::time::{Duration, Instant};

use app::api::requests::comment_request::CommentRequest;
use app::domain::Role;
use serde_json::{Value, json};
use slack_standin::{Consent, Message, NewUser};

use crate::access_fixtures::*;
use crate::slack_connect::{follow_callback, page, start_install, with_param, workspace};
use crate::slack_delivery::{World, world_with};

/// The world of `slack_delivery` (Alice requests, Bob approves step 1), with Alice's request
/// filed and its messages delivered: Alice's request DM and Bob's approval DM.
struct Thread {
    w: World,
    number: String,
    /// Alice's copy (the requester's message).
    alice: Message,
    /// Bob's copy (the approver's message).
    bob: Message,
}

async fn requested() -> Thread {
    let w = world_with(&["alice", "bob", "carol"]).await;
    let (_, number) = w.l.request_admin(&w.app).await;
    w.settled().await;
    let alice = top_level(&w, "alice").remove(0);
    let bob = top_level(&w, "bob").remove(0);
    assert!(bob.text.starts_with("Your approval is required"), "{bob:?}");
    Thread {
        w,
        number,
        alice,
        bob,
    }
}

/// The messages Latch posted in `who`'s DM outside any thread, oldest first.
fn top_level(w: &World, who: &str) -> Vec<Message> {
    let dm = w.slack.app_dm(&w.ids[who]).unwrap();
    let mut messages: Vec<Message> = w
        .slack
        .messages(&dm.id)
        .into_iter()
        .filter(|m| m.thread_ts.is_none() && m.bot_id.is_some())
        .collect();
    messages.sort_by(|a, b| a.ts.cmp(&b.ts));
    messages
}

/// Latch's posts in the thread under `parent` (in `who`'s DM).
fn thread_posts(w: &World, who: &str, parent: &Message) -> Vec<Message> {
    assert_eq!(parent.channel, w.slack.app_dm(&w.ids[who]).unwrap().id);
    w.slack
        .messages(&parent.channel)
        .into_iter()
        .filter(|m| m.thread_ts.as_deref() == Some(parent.ts.as_str()) && m.bot_id.is_some())
        .collect()
}

/// Waits until Latch posted a line containing `needle` in the thread under `parent`.
async fn posted_in_thread(w: &World, who: &str, parent: &Message, needle: &str) -> Message {
    let start = Instant::now();
    loop {
        if let Some(m) = thread_posts(w, who, parent)
            .into_iter()
            .find(|m| m.text.contains(needle))
        {
            return m;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no line with {needle:?} in {who}'s thread: {:?}",
            thread_posts(w, who, parent)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Lines containing `needle` in the thread under `parent`.
fn lines_with(w: &World, who: &str, parent: &Message, needle: &str) -> usize {
    thread_posts(w, who, parent)
        .iter()
        .filter(|m| m.text.contains(needle))
        .count()
}

impl Thread {
    /// `who` (of the cast) replies in the thread under `parent`, in their DM with Latch; the
    /// event was acked. Returns the event body Slack sent.
    async fn reply(&self, who: &str, parent: &Message, text: &str) -> Value {
        let person = self
            .w
            .slack
            .person(&self.w.ids[who], &self.w.app.url("/slack/interactivity"));
        let (_, delivery) = person.write_to_app(text, Some(&parent.ts)).await.unwrap();
        let delivery = delivery.expect("message.im is delivered");
        assert!(delivery.attempts[0].acked, "{delivery:?}");
        serde_json::from_str(&delivery.body).unwrap()
    }

    /// The comments on the request as its page shows them: (author, text).
    async fn comments(&self) -> Vec<(String, String)> {
        self.w
            .l
            .admin
            .detail(&self.w.app, &self.number)
            .await
            .comments
            .into_iter()
            .map(|c| (c.actor, c.detail))
            .collect()
    }

    /// Sends a hand-built inner `event` as Slack would for the workspace.
    async fn event(&self, event: Value) {
        let delivery = self
            .w
            .slack
            .send_event(&self.w.app.url("/slack/events"), &self.w.team, event)
            .await
            .unwrap();
        assert!(delivery.attempts[0].acked, "{delivery:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requesters_thread_reply_becomes_a_comment_under_their_name_and_reaches_the_approvers_thread()
 {
    let t = requested().await;
    let body = t
        .reply(
            "alice",
            &t.alice,
            "Need it for <https://ex.com/INC-42|INC-42> &amp; tonight",
        )
        .await;
    assert_eq!(body["event"]["channel_type"], "im");
    assert_eq!(body["event"]["thread_ts"], t.alice.ts);

    assert_eq!(
        t.comments().await,
        [(
            "Alice Requester".to_owned(),
            "Need it for INC-42 (https://ex.com/INC-42) & tonight".to_owned()
        )]
    );
    let line = posted_in_thread(&t.w, "bob", &t.bob, "Alice Requester").await;
    assert!(line.text.contains("INC-42"), "{line:?}");
    // Not echoed back into Alice's own thread.
    t.w.settled().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(lines_with(&t.w, "alice", &t.alice, "tonight"), 0);
    assert_eq!(lines_with(&t.w, "bob", &t.bob, "tonight"), 1);
    assert!(t.w.slack.ephemerals().is_empty(), "nothing to explain");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approvers_thread_reply_reaches_the_requesters_thread() {
    let t = requested().await;
    t.reply("bob", &t.bob, "Which incident is this for?").await;

    assert_eq!(
        t.comments().await,
        [(
            "Bob Manager".to_owned(),
            "Which incident is this for?".to_owned()
        )]
    );
    let line = posted_in_thread(&t.w, "alice", &t.alice, "Which incident").await;
    assert!(line.text.contains("Bob Manager"), "{line:?}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(lines_with(&t.w, "bob", &t.bob, "Which incident"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provisioners_reply_in_their_assignments_thread_is_a_comment_on_its_request() {
    let t = requested().await;
    let id = t.w.l.alice.detail(&t.w.app, &t.number).await.summary.id;
    t.w.l.approve_both_steps(&t.w.app, &id).await;
    t.w.settled().await;
    let assignment = top_level(&t.w, "carol")
        .into_iter()
        .find(|m| m.text.starts_with("You have a new provisioning assignment"))
        .expect("Carol's provisioning assignment");
    t.reply("carol", &assignment, "Done in 10 minutes").await;

    assert_eq!(
        t.comments().await,
        [("Carol Owner".to_owned(), "Done in 10 minutes".to_owned())]
    );
    let line = posted_in_thread(&t.w, "alice", &t.alice, "Done in 10 minutes").await;
    assert!(line.text.contains("Carol Owner"), "{line:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_comment_reaches_every_partys_thread() {
    let t = requested().await;
    let id = t.w.l.alice.detail(&t.w.app, &t.number).await.summary.id;
    t.w.l
        .admin
        .ok(
            &t.w.app,
            CommentRequest {
                id,
                body: "Approve only after the change window".into(),
            },
        )
        .await;

    for (who, parent) in [("alice", &t.alice), ("bob", &t.bob)] {
        let line = posted_in_thread(&t.w, who, parent, "change window").await;
        assert!(line.text.contains("Ada Admin"), "{who}: {line:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_edits_replies_outside_a_known_thread_and_replies_by_someone_else_change_nothing() {
    let mut t = requested().await;
    let alice = t.w.ids["alice"].clone();
    let alice_dm = t.alice.channel.clone();

    // A bot's post in Alice's thread (as Latch's own thread posts come back), here even naming
    // Alice as its user (an app posting for her).
    t.event(json!({
        "type": "message", "channel": alice_dm, "channel_type": "im",
        "user": alice, "bot_id": "B0OTHER", "text": "I am a bot",
        "ts": "1999999999.000100", "thread_ts": t.alice.ts,
    }))
    .await;
    // Alice edits and deletes a reply.
    t.event(json!({
        "type": "message", "subtype": "message_changed", "hidden": true,
        "channel": alice_dm, "channel_type": "im", "ts": "1999999999.000300",
        "message": {"type": "message", "user": alice, "text": "edited words",
                    "ts": "1999999999.000200", "thread_ts": t.alice.ts},
        "previous_message": {"type": "message", "user": alice, "text": "first words",
                             "ts": "1999999999.000200", "thread_ts": t.alice.ts},
    }))
    .await;
    t.event(json!({
        "type": "message", "subtype": "message_deleted", "hidden": true,
        "channel": alice_dm, "channel_type": "im", "ts": "1999999999.000400",
        "deleted_ts": "1999999999.000200",
    }))
    .await;
    // Alice writes outside any thread, then in the thread of her own message.
    let person =
        t.w.slack
            .person(&alice, &t.w.app.url("/slack/interactivity"));
    let (own, _) = person.write_to_app("hello Latch", None).await.unwrap();
    person
        .write_to_app("replying to myself", Some(&own.ts))
        .await
        .unwrap();
    // Dan, who has nothing to do with the request: a reply in Bob's thread (a forged or confused
    // delivery: a DM is Bob's), and one in his own DM naming Bob's message.
    person_in_slack(&mut t, "dan@example.com", "Dan Other").await;
    let dan = t.w.ids["dan"].clone();
    t.event(json!({
        "type": "message", "channel": t.bob.channel, "channel_type": "im",
        "user": dan, "text": "let me in too", "ts": "1999999999.000500", "thread_ts": t.bob.ts,
    }))
    .await;
    let dan_dm = t.w.slack.app_dm(&dan).unwrap();
    t.w.slack
        .user_writes(&dan_dm.id, &dan, "me too", Some(&t.bob.ts))
        .await
        .unwrap();

    // Every event above was handled when it was acked.
    assert!(t.comments().await.is_empty(), "{:?}", t.comments().await);
    assert!(
        t.w.slack.ephemerals().is_empty(),
        "{:?}",
        t.w.slack.ephemerals()
    );
    // A real reply afterwards is the only line anyone gets.
    t.reply("alice", &t.alice, "the only comment").await;
    posted_in_thread(&t.w, "bob", &t.bob, "the only comment").await;
    assert_eq!(t.comments().await.len(), 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for needle in [
        "I am a bot",
        "words",
        "hello",
        "myself",
        "let me in",
        "me too",
    ] {
        assert_eq!(lines_with(&t.w, "bob", &t.bob, needle), 0, "{needle}");
        assert_eq!(lines_with(&t.w, "alice", &t.alice, needle), 0, "{needle}");
    }
}

/// Gives the world an unrelated Latch user with a Slack account (`ids["dan"]`).
async fn person_in_slack(t: &mut Thread, email: &str, name: &str) {
    person(&t.w.app, email, name, Role::BasicUser).await;
    let user =
        t.w.slack
            .add_user(&t.w.team, NewUser::new("dan", email))
            .unwrap();
    t.w.ids.insert("dan", user.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_delivered_twice_makes_one_comment() {
    let t = requested().await;
    let body = t.reply("alice", &t.alice, "just once please").await;
    let again =
        t.w.slack
            .send_raw_event(&t.w.app.url("/slack/events"), &body)
            .await;
    assert!(again.attempts[0].acked, "{again:?}");

    assert_eq!(t.comments().await.len(), 1);
    posted_in_thread(&t.w, "bob", &t.bob, "just once please").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(lines_with(&t.w, "bob", &t.bob, "just once please"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_person_replying_is_told_in_the_thread_why_it_is_not_a_comment() {
    let t = requested().await;
    sqlx::query("UPDATE users SET status = 'suspended' WHERE email = 'alice@example.com'")
        .execute(&t.w.app.db.pool)
        .await
        .unwrap();
    t.reply("alice", &t.alice, "still there?").await;

    assert!(t.comments().await.is_empty());
    let told: Vec<_> =
        t.w.slack
            .ephemerals()
            .into_iter()
            .filter(|e| e.user == t.w.ids["alice"])
            .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].thread_ts.as_deref(), Some(t.alice.ts.as_str()));
    assert!(told[0].text.contains("suspended"), "{}", told[0].text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_install_without_im_history_is_flagged_for_reinstall() {
    let (app, slack) = crate::helpers::spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    let authorize = start_install(&app, "/slack/install").await;
    let scopes: Vec<&str> = app::ssr::slack::BOT_SCOPES
        .iter()
        .copied()
        .filter(|s| *s != "im:history")
        .collect();
    let without = with_param(&authorize, "scope", &scopes.join(","));
    let callback = slack
        .approve_install(
            &without,
            Consent {
                target: Some(team.clone()),
                webhook_channel: Some(channel),
                ..Default::default()
            },
        )
        .unwrap();
    follow_callback(&app, &callback).await;

    let html = page(&app).await;
    assert!(
        html.contains("This installation lacks scopes Latch needs"),
        "{html}"
    );
    assert!(html.contains("im:history"), "{html}");
    assert!(
        html.contains(&format!(r#"href="/slack/install?team={team}""#))
            && html.contains("Reinstall"),
        "{html}"
    );
    let manifest = app::ssr::slack::manifest::manifest(
        &app::ssr::slack::SlackConfig::default(),
        &app::ssr::PublicUrl::new(&app.address),
    );
    let events = &manifest["settings"]["event_subscriptions"]["bot_events"];
    assert!(
        events.as_array().unwrap().iter().any(|e| e == "message.im"),
        "{events}"
    );
}
