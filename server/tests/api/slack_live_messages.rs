//! Slack messages that follow their object (`app::ssr::slack::live`, issue 11 §1, §5), through
//! the real server and its `slack-delivery` and `slack-live` jobs against the stand-in, asserting
//! on the stand-in's message history: one message per person per request, edited in place, never
//! posted again; the request's history told in each copy's thread once per event; every
//! approver's and provisioner's copy closed when one of them acts (in the console here); Retry
//! only on the copies of those allowed to retry; no grant notice after an error; the expiry
//! notice with Extend and Release, edited into the expired one, which says the access was
//! removed once its removal is done; a failed webhook told to the requester and the app owners;
//! a thread post claimed before a crash is not posted twice, and one cut off by a crash is posted
//! once; a 429 storm loses no refresh, thread line or comment.

use std::time::{Duration, Instant};

use app::api::requests::cancel_request::CancelRequest;
use app::api::requests::comment_request::CommentRequest;
use app::domain::{TaskOutcome, Verdict};
use slack_standin::Message;

use crate::access_fixtures::*;
use crate::slack_delivery::{World, settled, world_with};

async fn world() -> World {
    world_with(&["alice", "bob", "carol"]).await
}

/// Waits until the outbox is delivered and every change's Slack copies were refreshed (twice in
/// a row: a refresh can queue nothing new, but a delivery may follow a refresh).
async fn quiet(w: &World) {
    let start = Instant::now();
    let mut calm = 0;
    while calm < 3 {
        settled(&w.app, Duration::from_secs(60)).await;
        let marks = scalar(&w.app, "SELECT COUNT(*) FROM slack_live_marks").await;
        calm = if marks == 0 { calm + 1 } else { 0 };
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{marks} live marks still waiting"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The top-level messages in Latch's DM with `who`, oldest first.
fn top(w: &World, who: &str) -> Vec<Message> {
    let channel = w.slack.app_dm(&w.ids[who]).unwrap();
    let mut messages: Vec<Message> = w
        .slack
        .messages(&channel.id)
        .into_iter()
        .filter(|m| m.thread_ts.as_deref().is_none_or(|t| t == m.ts))
        .collect();
    messages.sort_by(|a, b| a.ts.cmp(&b.ts));
    messages
}

/// The texts of the replies in `message`'s thread, oldest first.
fn thread(w: &World, message: &Message) -> Vec<String> {
    let mut replies: Vec<Message> = w
        .slack
        .messages(&message.channel)
        .into_iter()
        .filter(|m| m.thread_ts.as_deref() == Some(message.ts.as_str()) && m.ts != message.ts)
        .collect();
    replies.sort_by(|a, b| a.ts.cmp(&b.ts));
    replies.into_iter().map(|m| m.text).collect()
}

/// A message's blocks as JSON text.
fn blocks(m: &Message) -> String {
    serde_json::to_string(&m.blocks).unwrap()
}

fn mention(w: &World, who: &str) -> String {
    format!("<@{}>", w.ids[who])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requesters_message_shows_every_field_and_follows_the_request_to_its_grant_with_each_event_in_its_thread()
 {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    quiet(&w).await;
    let alice = top(&w, "alice");
    assert_eq!(alice.len(), 1, "{alice:?}");
    let json = blocks(&alice[0]);
    assert!(
        json.contains("🔐 *You have created a new access request*"),
        "{json}"
    );
    assert!(
        json.contains("|Grant Alice Requester Prod DB Admin>"),
        "{json}"
    );
    for label in [
        "Application",
        "Entitlement",
        "Requested by",
        "Requested for",
        "Justification",
        "Length",
        "State",
    ] {
        assert!(json.contains(&format!("*{label}*")), "{label}: {json}");
    }
    assert!(json.contains("Investigating INC-42"));
    // Bob is mentioned once Latch knows his Slack account (his own DM links him), named before.
    assert!(
        json.contains(&format!("Awaiting approval from {}", mention(&w, "bob")))
            || json.contains("Awaiting approval from Bob Manager"),
        "{json}"
    );
    assert!(json.contains(r#""action_id":"request.cancel""#), "{json}");

    w.l.approve_both_steps(&w.app, &id).await;
    quiet(&w).await;
    let alice = top(&w, "alice");
    assert_eq!(alice.len(), 1, "edited, not posted again");
    let json = blocks(&alice[0]);
    assert!(
        json.contains(&format!(
            "Awaiting provisioning from {}",
            mention(&w, "carol")
        )),
        "{json}"
    );
    assert!(
        !json.contains("request.cancel"),
        "not cancellable once approved"
    );

    w.l.carol
        .complete_only_task(&w.app, TaskOutcome::Done)
        .await;
    quiet(&w).await;
    let alice = top(&w, "alice");
    assert_eq!(alice.len(), 1, "edited, not posted again");
    assert!(!alice[0].edits.is_empty());
    assert!(
        blocks(&alice[0]).contains("Granted until"),
        "{}",
        blocks(&alice[0])
    );
    let lines = thread(&w, &alice[0]);
    let expected = [
        "Step 1 approved by Bob Manager",
        "Step 2 awaits approval from Carol Owner",
        "Step 2 approved by Carol Owner",
        "Approved: provisioning started",
        "Access granted",
    ];
    for line in expected {
        assert_eq!(
            lines.iter().filter(|l| l.contains(line)).count(),
            1,
            "{line} once in {lines:?}"
        );
    }
    assert_eq!(lines.len(), expected.len(), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_approver_copy_is_edited_when_an_approver_decides_in_the_console() {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    quiet(&w).await;
    let bob = top(&w, "bob");
    assert_eq!(bob.len(), 1);
    let json = blocks(&bob[0]);
    assert!(
        json.contains("👉 *Your approval is required on an access request for Alice Requester*"),
        "{json}"
    );
    assert!(json.contains(r#""block_id":"approval_reason""#));
    assert!(json.contains("Explain why you are approving this access"));
    assert!(json.contains(r#""action_id":"request.approve""#));
    assert!(json.contains(r#""action_id":"request.deny""#));
    assert!(json.contains(&format!(r#""value":"{id}:0""#)), "{json}");

    w.l.bob.approve(&w.app, &id, 1).await;
    quiet(&w).await;
    let bob = top(&w, "bob");
    assert_eq!(bob.len(), 1, "edited, not posted again");
    let json = blocks(&bob[0]);
    assert!(!json.contains("request.approve") && !json.contains("approval_reason"));
    assert!(
        json.contains(&format!("Approved by {}", mention(&w, "bob"))),
        "{json}"
    );
    let carol = top(&w, "carol");
    assert_eq!(carol.len(), 1);
    assert!(blocks(&carol[0]).contains(&format!(r#""value":"{id}:1""#)));

    w.l.carol
        .ok(
            &w.app,
            DecideRequest {
                reason: Some("Not during the freeze".into()),
                ..decision(&id, 2, Verdict::Denied)
            },
        )
        .await;
    quiet(&w).await;
    let denied = format!("Denied by {}: Not during the freeze", mention(&w, "carol"));
    for who in ["bob", "carol", "alice"] {
        let copies = top(&w, who);
        assert_eq!(copies.len(), 1, "{who}: one message");
        let json = blocks(&copies[0]);
        assert!(json.contains(&denied), "{who}: {json}");
        assert!(!json.contains("request.approve"), "{who}");
        assert!(!json.contains("request.cancel"), "{who}");
    }
    let bob_thread = thread(&w, &top(&w, "bob")[0]);
    assert!(
        bob_thread
            .iter()
            .any(|l| l.contains("Step 2 denied by Carol Owner: Not during the freeze")),
        "{bob_thread:?}"
    );
    let alice_thread = thread(&w, &top(&w, "alice")[0]);
    assert_eq!(
        alice_thread
            .iter()
            .filter(|l| l.contains("Step 2 denied"))
            .count(),
        1,
        "{alice_thread:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_request_closes_the_requesters_and_the_approvers_copies() {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    quiet(&w).await;
    w.l.alice
        .ok(
            &w.app,
            CancelRequest {
                id,
                reason: Some("Fixed it myself".into()),
            },
        )
        .await;
    quiet(&w).await;
    let alice = top(&w, "alice");
    assert_eq!(alice.len(), 1);
    let json = blocks(&alice[0]);
    assert!(json.contains("Cancelled"), "{json}");
    assert!(!json.contains("request.cancel"));
    let bob = top(&w, "bob");
    assert_eq!(bob.len(), 1);
    let json = blocks(&bob[0]);
    assert!(json.contains("Cancelled by the requester"), "{json}");
    assert!(!json.contains("request.approve"));
    assert!(
        thread(&w, &bob[0])
            .iter()
            .any(|l| l.contains("Cancelled by Alice Requester: Fixed it myself")),
        "{:?}",
        thread(&w, &bob[0])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_completion_closes_every_provisioners_copy() {
    let w = world().await;
    w.l.resave_admin_entitlement(&w.app, |form| {
        form.provisioners = Some("carol@example.com, bob@example.com".into());
    })
    .await;
    let (id, _) = w.l.request_admin(&w.app).await;
    w.l.approve_both_steps(&w.app, &id).await;
    quiet(&w).await;
    let assignment = |who: &str| {
        top(&w, who)
            .into_iter()
            .find(|m| m.text.starts_with("You have a new provisioning assignment"))
            .unwrap_or_else(|| panic!("{who} has no assignment"))
    };
    for who in ["bob", "carol"] {
        let json = blocks(&assignment(who));
        assert!(json.contains("Awaiting provisioning from"), "{json}");
        assert!(json.contains(r#""action_id":"task.done""#), "{who}: {json}");
        assert!(json.contains(r#""action_id":"task.wont_do""#));
    }
    let before: usize = ["bob", "carol"].iter().map(|w2| top(&w, w2).len()).sum();

    w.l.carol
        .complete_only_task(&w.app, TaskOutcome::Done)
        .await;
    quiet(&w).await;
    let after: usize = ["bob", "carol"].iter().map(|w2| top(&w, w2).len()).sum();
    assert_eq!(before, after, "edited, not posted again");
    for who in ["bob", "carol"] {
        let json = blocks(&assignment(who));
        assert!(!json.contains("task.done"), "{who}: {json}");
        assert!(
            json.contains(&format!("Provisioned by {}", mention(&w, "carol"))),
            "{who}: {json}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_provisioning_offers_retry_only_to_those_allowed_and_no_grant_notice() {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    w.l.approve_both_steps(&w.app, &id).await;
    quiet(&w).await;
    let task = only_task(&w.app, &w.l.carol).await;
    w.l.carol
        .ok(
            &w.app,
            completion(&task, TaskOutcome::Errored, Some("API 500")),
        )
        .await;
    quiet(&w).await;

    let alice = top(&w, "alice");
    assert_eq!(alice.len(), 1);
    let json = blocks(&alice[0]);
    assert!(json.contains("Failed"), "{json}");
    assert!(!json.contains("task.retry"), "the requester may not retry");
    let lines = thread(&w, &alice[0]);
    assert!(
        lines.iter().any(|l| l.contains("Provisioning failed")),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("Access granted")),
        "no grant notice after an error: {lines:?}"
    );
    let carol = top(&w, "carol")
        .into_iter()
        .find(|m| m.text.starts_with("You have a new provisioning assignment"))
        .unwrap();
    let json = blocks(&carol);
    assert!(json.contains(r#""action_id":"task.retry""#), "{json}");
    assert!(json.contains(&format!(r#""value":"{id}""#)));
    assert!(!json.contains("task.done"));
    assert!(
        thread(&w, &carol)
            .iter()
            .any(|l| l.contains("Provisioning failed")),
        "the provisioners hear of it too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expiry_notice_offers_extend_and_release_and_becomes_the_expired_notice() {
    let w = world().await;
    let grant_id = w.l.granted(&w.app).await;
    quiet(&w).await;
    let row = sqlx::query_scalar::<_, String>("SELECT body FROM grants WHERE id = $1")
        .bind(&grant_id)
        .fetch_one(&w.app.db.pool)
        .await
        .unwrap();
    let mut body: serde_json::Value = serde_json::from_str(&row).unwrap();
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
    assert_eq!(
        app::ssr::flows::sweeps::remind_expiring(&w.app.db)
            .await
            .unwrap(),
        1
    );
    quiet(&w).await;
    let alice = top(&w, "alice");
    assert_eq!(alice.len(), 2, "the request message, then the reminder");
    let json = blocks(&alice[1]);
    assert!(
        alice[1].text.starts_with("Your access expires in"),
        "{}",
        alice[1].text
    );
    assert!(json.contains(r#""action_id":"grant.extend""#), "{json}");
    assert!(json.contains(r#""action_id":"grant.release""#), "{json}");
    assert!(json.contains(&format!(r#""value":"{grant_id}""#)));

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
    quiet(&w).await;
    let alice = top(&w, "alice");
    assert_eq!(alice.len(), 2, "the reminder became the expired notice");
    assert!(alice[1].text.contains("has expired"), "{}", alice[1].text);
    assert!(!blocks(&alice[1]).contains("grant.extend"));
    assert!(
        blocks(&alice[0]).contains("Expired"),
        "the request's state follows"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expired_notice_says_the_access_was_removed_once_its_removal_is_done() {
    let w = world().await;
    let grant_id = w.l.granted(&w.app).await;
    quiet(&w).await;
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
    quiet(&w).await;
    let notice = || {
        top(&w, "alice")
            .into_iter()
            .find(|m| m.text.contains("has expired"))
            .expect("the expired notice")
    };
    assert!(
        notice()
            .text
            .starts_with("Your access has expired and is being removed"),
        "{}",
        notice().text
    );
    let shown = top(&w, "alice").len();

    w.l.carol
        .complete_only_task(&w.app, TaskOutcome::Done)
        .await;
    quiet(&w).await;
    assert_eq!(top(&w, "alice").len(), shown, "edited, not posted again");
    let removed = notice();
    assert!(
        removed
            .text
            .starts_with("Your access has expired and was removed"),
        "{}",
        removed.text
    );
    assert!(
        !blocks(&removed).contains("being removed"),
        "{}",
        blocks(&removed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_post_claimed_before_a_crash_is_not_posted_again() {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    quiet(&w).await;
    w.l.bob.approve(&w.app, &id, 1).await;
    quiet(&w).await;
    let alice = top(&w, "alice");
    let told = thread(&w, &alice[0]);
    assert!(!told.is_empty());
    // As if the process died after posting the last line and before recording it: the cursor
    // is one event back and the post's claim has lapsed.
    let last: i64 = scalar(
        &w.app,
        &format!("SELECT MAX(id) FROM request_events WHERE request_id = '{id}'"),
    )
    .await;
    sqlx::query(
        "UPDATE slack_messages SET thread_event_id = $1, thread_claim_event = $2, \
         thread_claimed_until = 1 WHERE object_id = $3 AND role = 'requester'",
    )
    .bind(last - 1)
    .bind(last)
    .bind(&id)
    .execute(&w.app.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO slack_live_marks (object_kind, object_id, marked_at) VALUES ('request', $1, 0)",
    )
    .bind(&id)
    .execute(&w.app.db.pool)
    .await
    .unwrap();
    quiet(&w).await;
    assert_eq!(thread(&w, &top(&w, "alice")[0]), told, "nothing told twice");
    let cursor: i64 = scalar(
        &w.app,
        &format!(
            "SELECT thread_event_id FROM slack_messages WHERE object_id = '{id}' \
             AND role = 'requester'"
        ),
    )
    .await;
    assert_eq!(cursor, last);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_webhook_tells_the_requester_and_the_app_owners_and_an_error_offers_retry_to_the_owner()
 {
    let w = world().await;
    let (url, calls) = crate::access_webhooks::receiver(500).await;
    let reader = crate::access_webhooks::webhook_entitlement(&w.app, &w.l, &url).await;
    let number = crate::access_webhooks::request_reader(&w.app, &w.l, &reader).await;
    // Every retry made due at once instead of waiting for the backoff.
    let start = Instant::now();
    while w.l.carol.tasks(&w.app).await.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the webhook never gave up"
        );
        sqlx::query(
            "UPDATE provisioning_tasks SET due_at = 0 WHERE open = 1 AND due_at IS NOT NULL",
        )
        .execute(&w.app.db.pool)
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!calls.lock().unwrap().is_empty());
    quiet(&w).await;

    let alice = top(&w, "alice");
    assert_eq!(alice.len(), 1);
    let json = blocks(&alice[0]);
    assert!(json.contains("(automatic provisioning failed)"), "{json}");
    let gave_up = |w: &World| {
        thread(w, &top(w, "alice")[0])
            .into_iter()
            .filter(|l| l.contains("Automatic provisioning failed"))
            .collect::<Vec<_>>()
    };
    let told = gave_up(&w);
    assert_eq!(told.len(), 1, "the requester is told once in the thread");
    assert!(
        told[0].contains("Carol Owner will provision it by hand"),
        "{told:?}"
    );
    let carol = top(&w, "carol")
        .into_iter()
        .find(|m| m.text.starts_with("You have a new provisioning assignment"))
        .unwrap();
    let json = blocks(&carol);
    assert!(json.contains("The provisioning webhook failed"), "{json}");
    assert!(json.contains(r#""action_id":"task.done""#), "{json}");

    let task = only_task(&w.app, &w.l.carol).await;
    w.l.carol
        .ok(
            &w.app,
            completion(&task, TaskOutcome::Errored, Some("Directory down")),
        )
        .await;
    quiet(&w).await;
    let id = w.l.alice.detail(&w.app, &number).await.summary.id;
    let json = blocks(&top(&w, "alice")[0]);
    assert!(json.contains("Failed"), "{json}");
    assert_eq!(
        gave_up(&w).len(),
        1,
        "not told again as the request changes"
    );
    assert!(!json.contains("task.retry"), "the requester may not retry");
    let carol = top(&w, "carol")
        .into_iter()
        .find(|m| m.text.starts_with("You have a new provisioning assignment"))
        .unwrap();
    let json = blocks(&carol);
    assert!(
        json.contains(r#""action_id":"task.retry""#)
            && json.contains(&format!(r#""value":"{id}""#)),
        "the app owner may retry: {json}"
    );
}

/// Takes (or gives back) the `slack-live` job's lease as a process that died holding it.
async fn hold_live_job(w: &World, held: bool) {
    sqlx::query(
        "INSERT INTO leases (name, holder, expires_at) VALUES ('slack-live', 'dead-process', $1) \
         ON CONFLICT (name) DO UPDATE SET holder = 'dead-process', expires_at = $1",
    )
    .bind(if held { i64::MAX / 2 } else { 0 })
    .execute(&w.app.db.pool)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_line_cut_off_by_a_crash_is_posted_exactly_once() {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    quiet(&w).await;
    let before = thread(&w, &top(&w, "alice")[0]);
    // The job stops (its process died) and Bob approves: the events wait for it.
    hold_live_job(&w, true).await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    w.l.bob.approve(&w.app, &id, 1).await;
    settled(&w.app, Duration::from_secs(60)).await;
    // As if it had claimed the next event's line and died before posting it.
    let cursor: i64 = scalar(
        &w.app,
        &format!(
            "SELECT thread_event_id FROM slack_messages WHERE object_id = '{id}' \
             AND role = 'requester'"
        ),
    )
    .await;
    let next: i64 = scalar(
        &w.app,
        &format!("SELECT MIN(id) FROM request_events WHERE request_id = '{id}' AND id > {cursor}"),
    )
    .await;
    sqlx::query(
        "UPDATE slack_messages SET thread_claim_event = $1, thread_claimed_until = 1 \
         WHERE object_id = $2 AND role = 'requester'",
    )
    .bind(next)
    .bind(&id)
    .execute(&w.app.db.pool)
    .await
    .unwrap();
    let looked = w.slack.api_calls_to("conversations.replies").len();
    hold_live_job(&w, false).await;
    quiet(&w).await;

    assert!(
        w.slack.api_calls_to("conversations.replies").len() > looked,
        "the thread was looked at"
    );
    let told = thread(&w, &top(&w, "alice")[0]);
    assert!(told.len() > before.len(), "{told:?}");
    let approved: Vec<&String> = told
        .iter()
        .filter(|l| l.contains("Step 1 approved by"))
        .collect();
    assert_eq!(approved.len(), 1, "{told:?}");
    let mut unique = told.clone();
    unique.dedup();
    assert_eq!(unique, told, "nothing told twice");
    let last: i64 = scalar(
        &w.app,
        &format!("SELECT MAX(id) FROM request_events WHERE request_id = '{id}'"),
    )
    .await;
    let cursor: i64 = scalar(
        &w.app,
        &format!(
            "SELECT thread_event_id FROM slack_messages WHERE object_id = '{id}' \
             AND role = 'requester'"
        ),
    )
    .await;
    assert_eq!(cursor, last);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_loses_no_refresh_no_thread_line_and_no_comment() {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    quiet(&w).await;
    w.slack.start_rate_limit_storm(None, Duration::from_secs(3));
    w.l.admin
        .ok(
            &w.app,
            CommentRequest {
                id: id.clone(),
                body: "Only after the change window".into(),
            },
        )
        .await;
    w.l.bob.approve(&w.app, &id, 1).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    quiet(&w).await;
    // The comment is posted by its own task, waiting out the storm.
    let start = Instant::now();
    while thread(&w, &top(&w, "bob")[0])
        .iter()
        .all(|l| !l.contains("change window"))
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the comment never came"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let refused = w
        .slack
        .api_calls_to("chat.postMessage")
        .into_iter()
        .chain(w.slack.api_calls_to("chat.update"))
        .filter(|c| c.status == 429)
        .count();
    assert!(refused >= 1, "the storm refused something");
    let bob = top(&w, "bob");
    assert_eq!(bob.len(), 1);
    let json = blocks(&bob[0]);
    assert!(
        json.contains(&format!("Approved by {}", mention(&w, "bob"))),
        "the refresh was made: {json}"
    );
    let alice = thread(&w, &top(&w, "alice")[0]);
    for (what, needle) in [
        ("the approval", "Step 1 approved by"),
        ("the comment", "change window"),
    ] {
        assert_eq!(
            alice.iter().filter(|l| l.contains(needle)).count(),
            1,
            "{what} told once: {alice:?}"
        );
    }
    let bob_thread = thread(&w, &bob[0]);
    assert_eq!(
        bob_thread
            .iter()
            .filter(|l| l.contains("change window"))
            .count(),
        1,
        "{bob_thread:?}"
    );
}
