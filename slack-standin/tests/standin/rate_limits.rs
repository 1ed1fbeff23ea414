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
