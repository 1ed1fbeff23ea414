//! Rate limits and fault switches.

use crate::{assert_error, env};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_tier_2_method_is_limited_to_20_calls_a_minute_with_retry_after() {
    let e = env().await;
    for i in 0..20 {
        let r = e.post_form(&e.token, "conversations.list", &[]).await;
        assert_eq!(r.status(), 200, "call {i}");
    }
    let r = e.post_form(&e.token, "conversations.list", &[]).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_error(&body, "ratelimited");
    // Other methods have their own budget.
    assert_eq!(
        e.post_form(&e.token, "users.info", &[("user", &e.alice.id)])
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn chat_post_message_tolerates_a_short_burst_then_limits_per_channel() {
    let e = env().await;
    e.join(&e.general.id).await;
    e.join(&e.it_access.id).await;
    let mut limited = false;
    for _ in 0..15 {
        let r = e
            .post_form(
                &e.token,
                "chat.postMessage",
                &[("channel", &e.general.id), ("text", "x")],
            )
            .await;
        if r.status() == 429 {
            limited = true;
            assert_eq!(r.headers()["retry-after"], "1");
            break;
        }
    }
    assert!(limited);
    let other = e
        .post_form(
            &e.token,
            "chat.postMessage",
            &[("channel", &e.it_access.id), ("text", "x")],
        )
        .await;
    assert_eq!(other.status(), 200, "another channel is not throttled");
}

#[tokio::test]
async fn rate_limits_can_be_turned_off() {
    let e = env().await;
    e.slack.set_rate_limits(false);
    for _ in 0..25 {
        assert_eq!(
            e.post_form(&e.token, "conversations.list", &[])
                .await
                .status(),
            200
        );
    }
}

#[tokio::test]
async fn a_forced_429_fault_fails_n_calls_then_recovers() {
    let e = env().await;
    e.slack.fail_with_rate_limit(Some("auth.test"), 2, 7);
    for _ in 0..2 {
        let r = e.post_form(&e.token, "auth.test", &[]).await;
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "7");
    }
    assert_eq!(e.post_form(&e.token, "auth.test", &[]).await.status(), 200);
    assert_eq!(
        e.slack
            .api_calls_to("auth.test")
            .iter()
            .filter(|c| c.status == 429)
            .count(),
        2
    );
}

#[tokio::test]
async fn a_forced_5xx_fault_returns_an_html_error_page() {
    let e = env().await;
    e.slack.fail_with_server_error(None, 1, 503);
    let r = e.post_form(&e.token, "auth.test", &[]).await;
    assert_eq!(r.status(), 503);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(e.post_form(&e.token, "auth.test", &[]).await.status(), 200);
}

#[tokio::test]
async fn added_latency_slows_responses() {
    let e = env().await;
    e.slack
        .add_latency(Some("auth.test"), Duration::from_millis(300), Some(1));
    let start = Instant::now();
    assert_eq!(e.post_form(&e.token, "auth.test", &[]).await.status(), 200);
    assert!(start.elapsed() >= Duration::from_millis(300));
    let start = Instant::now();
    e.post_form(&e.token, "auth.test", &[]).await;
    assert!(start.elapsed() < Duration::from_millis(300));
}

/// A 429 storm (slack.md §3.3: "Exceeding → 429 + `Retry-After`"): every call of
/// the method answers 429 with `Retry-After` = the seconds left, other methods
/// are untouched, and the first call after the storm goes through. Also
/// switchable over HTTP (`POST /_standin/faults/rate_limit_storm`).
#[tokio::test]
async fn a_429_storm_refuses_every_call_of_the_method_until_it_ends() {
    let e = env().await;
    e.slack
        .start_rate_limit_storm(Some("chat.postMessage"), Duration::from_secs(1));
    let args = [("channel", e.bob.id.as_str()), ("text", "hi")];
    for _ in 0..5 {
        let r = e.post_form(&e.token, "chat.postMessage", &args).await;
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "1");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            body,
            serde_json::json!({"ok": false, "error": "ratelimited"})
        );
    }
    assert_eq!(e.post_form(&e.token, "auth.test", &[]).await.status(), 200);
    let dm = e.slack.app_dm(&e.bob.id).unwrap();
    assert!(
        e.slack.messages(&dm.id).is_empty(),
        "nothing posted in the storm"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        e.post_form(&e.token, "chat.postMessage", &args)
            .await
            .status(),
        200
    );
    assert_eq!(e.slack.messages(&dm.id).len(), 1);

    let r = e
        .http
        .post(format!(
            "{}/_standin/faults/rate_limit_storm",
            e.slack.base_url()
        ))
        .json(&serde_json::json!({"method": "auth.test", "duration_secs": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = e.post_form(&e.token, "auth.test", &[]).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((29..=30).contains(&retry), "{retry}");
    e.slack.clear_faults();
    assert_eq!(e.post_form(&e.token, "auth.test", &[]).await.status(), 200);
}

/// A slow answer after the work was done: `chat.postMessage` posts, but the
/// answer comes later than the client waits. The message exists (one, not
/// zero), so the client must look before posting again — here it finds it by
/// its metadata in `conversations.history` (Latch's notifier after a timeout or
/// crash; DOCS-M conversations.history `include_all_metadata`).
#[tokio::test]
async fn a_late_answer_still_posts_so_a_client_that_gave_up_finds_the_message_in_history() {
    let e = env().await;
    let mut scopes = crate::ALL_SCOPES.to_vec();
    scopes.push("im:history");
    let token = e.slack.install(&e.team.id, &scopes).unwrap().bot_token;
    e.slack
        .add_late_answers(Some("chat.postMessage"), Duration::from_secs(2), Some(1));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let sent = impatient
        .post(format!("{}/chat.postMessage", e.slack.api_url()))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "channel": e.bob.id,
            "text": "Request REQ-1 needs you",
            "metadata": {"event_type": "latch_notification", "event_payload": {"id": "n-1"}},
        }))
        .send()
        .await;
    assert!(sent.unwrap_err().is_timeout());
    let open: serde_json::Value = e
        .http
        .post(format!("{}/conversations.open", e.slack.api_url()))
        .bearer_auth(&token)
        .form(&[("users", e.bob.id.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dm = open["channel"]["id"].as_str().unwrap().to_owned();
    assert_eq!(e.slack.messages(&dm).len(), 1, "posted despite the timeout");
    let history: serde_json::Value = e
        .http
        .get(format!("{}/conversations.history", e.slack.api_url()))
        .bearer_auth(&token)
        .query(&[("channel", dm.as_str()), ("include_all_metadata", "true")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        history["messages"][0]["metadata"]["event_payload"]["id"], "n-1",
        "{history}"
    );
    // The fault was for one call: the next answer is on time.
    let start = Instant::now();
    let again = e.post_form(&token, "auth.test", &[]).await;
    assert_eq!(again.status(), 200);
    assert!(start.elapsed() < Duration::from_millis(300));
}
