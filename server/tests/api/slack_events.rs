//! The Events API endpoint against hostile or confused deliveries: absurd timestamps, Slack's
//! retries of an event already processed, and an old uninstall arriving after a reinstall.

use app::domain::Role;
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

/// Receipts of processed deliveries: a refused request must leave none.
async fn receipts(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM slack_event_receipts")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uninstall_with_a_stale_missing_or_malformed_signature_changes_nothing_and_leaves_no_receipt()
 {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    connect(&app, &slack, &team, &channel).await;
    let body = uninstall(&team, "Ev0FORGED", now_secs()).to_string();
    let now = now_secs().to_string();
    let stale = (now_secs() - 301).to_string();
    let cases: [(&str, Option<String>, Option<String>); 5] = [
        (
            "stale",
            Some(stale.clone()),
            Some(sign(SLACK_SIGNING_SECRET, &stale, &body)),
        ),
        ("no signature", Some(now.clone()), None),
        (
            "no timestamp",
            None,
            Some(sign(SLACK_SIGNING_SECRET, &now, &body)),
        ),
        (
            "not v0",
            Some(now.clone()),
            Some(sign(SLACK_SIGNING_SECRET, &now, &body).replacen("v0=", "v1=", 1)),
        ),
        ("not hex", Some(now.clone()), Some("v0=not-hex".to_string())),
    ];
    for (case, timestamp, signature) in cases {
        let mut request = client()
            .post(app.url("/slack/events"))
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(timestamp) = timestamp {
            request = request.header("x-slack-request-timestamp", timestamp);
        }
        if let Some(signature) = signature {
            request = request.header("x-slack-signature", signature);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 401, "{case}");
    }
    assert!(page(&app).await.contains(r#"data-status="connected""#));
    assert_eq!(receipts(&app).await, 0, "nothing was recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_slack_body_is_refused_with_413_before_its_signature_is_checked() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    connect(&app, &slack, &team, &channel).await;
    // Over the Slack routes' 1 MiB, under the server's 2 MiB: the Slack limit is what refuses it.
    let mut event = uninstall(&team, "Ev0HUGE", now_secs());
    event["padding"] = json!("x".repeat(1024 * 1024 + 1));
    let body = event.to_string();
    let now = now_secs().to_string();

    let unsigned = client()
        .post(app.url("/slack/events"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        unsigned.status().as_u16(),
        413,
        "too large, not unsigned: the size is checked first"
    );
    let signed = client()
        .post(app.url("/slack/events"))
        .header("content-type", "application/json")
        .header("x-slack-request-timestamp", &now)
        .header("x-slack-signature", sign(SLACK_SIGNING_SECRET, &now, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status().as_u16(), 413, "even when signed");
    assert!(page(&app).await.contains(r#"data-status="connected""#));
    assert_eq!(receipts(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_wide_uninstall_that_names_no_workspace_disconnects_the_org_installation() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let org = slack.add_enterprise("Starship");
    let bridge = slack.add_workspace_in(&org.id, "Bridge", "bridge").unwrap();
    let captain = slack
        .add_user(
            &bridge.id,
            slack_standin::NewUser {
                is_admin: true,
                ..slack_standin::NewUser::new("kirk", "kirk@starship.test")
            },
        )
        .unwrap();
    let channel = slack
        .add_channel(&bridge.id, "access", false, &[captain.id.as_str()])
        .unwrap();
    let install = client_follow(&app, "/slack/install").await;
    let callback = slack
        .approve_install(
            &install,
            slack_standin::Consent {
                target: Some(org.id.clone()),
                org_wide: true,
                webhook_channel: Some(channel.id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    let back = client_follow(&app, &callback).await;
    assert!(back.ends_with("slack=connected#slack"), "{back}");

    // Org-level deliveries carry no workspace: `team_id` null, the org on the authorization.
    let event = json!({
        "type": "event_callback",
        "team_id": null,
        "enterprise_id": null,
        "api_app_id": "A0LATCH",
        "event": {"type": "app_uninstalled"},
        "event_id": "Ev0ORGWIDE",
        "event_time": now_secs() + 1,
        "authorizations": [{"enterprise_id": org.id, "team_id": null, "is_enterprise_install": true}],
    });
    assert_eq!(post_event(&app, &now_secs().to_string(), &event).await, 200);
    assert!(
        page(&app)
            .await
            .contains("the app was uninstalled in Slack")
    );
    assert_eq!(receipts(&app).await, 1, "processed once, remembered");
}

/// Follows one redirect of the install flow with the app's session; returns where it points.
async fn client_follow(app: &TestApp, url: &str) -> String {
    let url = if url.starts_with('/') {
        app.url(url)
    } else {
        url.to_string()
    };
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    crate::helpers::location(&response)
}
