//! The Events API endpoint against hostile or confused deliveries: absurd timestamps, Slack's
//! retries of an event already processed, and an old uninstall arriving after a reinstall.

use app::session::Role;
use serde_json::{Value, json};

use crate::helpers::{SLACK_SIGNING_SECRET, TestApp, client, spawn_app_with_slack};
use crate::slack_connect::{connect, page, sign, workspace};

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Posts `body` to the events URL, signed as Slack signs, stamped `timestamp`.
async fn post_event(app: &TestApp, timestamp: &str, body: &Value) -> u16 {
    let body = body.to_string();
    client()
        .post(app.url("/slack/events"))
        .header("content-type", "application/json")
        .header("x-slack-request-timestamp", timestamp)
        .header(
            "x-slack-signature",
            sign(SLACK_SIGNING_SECRET, timestamp, &body),
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn uninstall(team: &str, event_id: &str, event_time: i64) -> Value {
    json!({
        "type": "event_callback",
        "team_id": team,
        "api_app_id": "A0LATCH",
        "event": {"type": "app_uninstalled"},
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [{"team_id": team, "is_enterprise_install": false}],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timestamp_header_at_the_edge_of_i64_is_refused_not_a_crash() {
    let (app, _slack) = spawn_app_with_slack().await;
    let body = json!({"type": "url_verification", "challenge": "abc"});
    for timestamp in ["-9223372036854775808", "9223372036854775807", "-1"] {
        assert_eq!(post_event(&app, timestamp, &body).await, 401, "{timestamp}");
    }
    let health = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200, "the server is still up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_uninstall_is_processed_once_and_cannot_disconnect_a_reinstall() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    connect(&app, &slack, &team, &channel).await;
    let event = uninstall(&team, "Ev0UNINSTALL1", now_secs());

    assert_eq!(post_event(&app, &now_secs().to_string(), &event).await, 200);
    assert!(page(&app).await.contains(r#"data-status="disconnected""#));
    // The admin reinstalls; then Slack retries the first delivery (it never saw our ack).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    connect(&app, &slack, &team, &channel).await;
    assert_eq!(
        post_event(&app, &now_secs().to_string(), &event).await,
        200,
        "a retry is acked"
    );

    assert!(
        page(&app).await.contains(r#"data-status="connected""#),
        "the reinstall stands"
    );
    let disconnects: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'slack.disconnected'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(disconnects, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uninstall_that_happened_before_the_installation_is_ignored() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    connect(&app, &slack, &team, &channel).await;
    // A delivery with a new id whose event dates from before this install (a late retry of an
    // uninstall of the previous installation, re-sent under a new id).
    let stale = uninstall(&team, "Ev0OLDEVENT", now_secs() - 120);

    assert_eq!(post_event(&app, &now_secs().to_string(), &stale).await, 200);
    assert!(page(&app).await.contains(r#"data-status="connected""#));

    let fresh = uninstall(&team, "Ev0NEWEVENT", now_secs() + 1);
    assert_eq!(post_event(&app, &now_secs().to_string(), &fresh).await, 200);
    assert!(
        page(&app).await.contains(r#"data-status="disconnected""#),
        "a current uninstall still works"
    );
}
