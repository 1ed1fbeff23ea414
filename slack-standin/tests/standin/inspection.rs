//! The inspection and control HTTP API under /_standin.

use crate::env;
use serde_json::{Value, json};

async fn get(e: &crate::Env, path: &str) -> Value {
    e.http
        .get(format!("{}{path}", e.slack.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn post(e: &crate::Env, path: &str, body: Value) -> Value {
    e.http
        .post(format!("{}{path}", e.slack.base_url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_api_call_is_recorded_with_method_params_and_token() {
    let e = env().await;
    e.call("users.info", &[("user", &e.alice.id)]).await;
    let calls = get(&e, "/_standin/api_calls?method=users.info").await;
    let call = &calls["result"][0];
    assert_eq!(call["method"], "users.info");
    assert_eq!(call["params"]["user"], e.alice.id);
    assert_eq!(call["token"], e.token);
    assert_eq!(call["response"]["ok"], true);
    assert_eq!(e.slack.api_calls().len(), 1);
}

#[tokio::test]
async fn messages_are_listed_per_channel_with_edit_history() {
    let e = env().await;
    e.join(&e.general.id).await;
    let ts = e
        .call(
            "chat.postMessage",
            &[("channel", &e.general.id), ("text", "v1")],
        )
        .await["ts"]
        .as_str()
        .unwrap()
        .to_owned();
    e.call(
        "chat.update",
        &[("channel", &e.general.id), ("ts", &ts), ("text", "v2")],
    )
    .await;
    let r = get(&e, "/_standin/messages?channel=general").await;
    let msgs = &r["result"][e.general.id.as_str()];
    assert_eq!(msgs[0]["text"], "v2");
    assert_eq!(msgs[0]["edits"][0]["text"], "v1");
}

#[tokio::test]
async fn the_control_api_creates_workspaces_users_and_channels() {
    let e = env().await;
    let ws = post(&e, "/_standin/workspaces", json!({"name": "Globex"})).await;
    let team_id = ws["result"]["id"].as_str().unwrap().to_owned();
    assert_eq!(ws["result"]["domain"], "globex");
    let user = post(
        &e,
        "/_standin/users",
        json!({"team_id": team_id, "name": "hank", "email": "hank@globex.test"}),
    )
    .await;
    let user_id = user["result"]["id"].as_str().unwrap().to_owned();
    let ch = post(
        &e,
        "/_standin/channels",
        json!({"team_id": team_id, "name": "ops", "members": [user_id]}),
    )
    .await;
    assert_eq!(ch["result"]["members"], json!([user_id]));
    let bad = post(
        &e,
        "/_standin/channels",
        json!({"team_id": team_id, "name": "Bad Name"}),
    )
    .await;
    assert_eq!(bad["ok"], false);
    let installed = post(
        &e,
        "/_standin/installs",
        json!({"team_id": team_id, "scopes": ["users:read.email"]}),
    )
    .await;
    let token = installed["result"]["bot_token"].as_str().unwrap();
    let found = e
        .call_with(
            token,
            "users.lookupByEmail",
            &[("email", "hank@globex.test")],
        )
        .await;
    assert_eq!(found["user"]["id"], user_id);
}

#[tokio::test]
async fn faults_can_be_toggled_over_http() {
    let e = env().await;
    post(
        &e,
        "/_standin/faults/rate_limit",
        json!({"method": "auth.test", "count": 1, "retry_after_secs": 3}),
    )
    .await;
    let r = e.post_form(&e.token, "auth.test", &[]).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "3");
    post(
        &e,
        "/_standin/faults/server_error",
        json!({"count": 1, "status": 500}),
    )
    .await;
    let faults = get(&e, "/_standin/faults").await;
    assert_eq!(faults["result"]["server_errors"][0]["status"], 500);
    e.http
        .delete(format!("{}/_standin/faults", e.slack.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(e.post_form(&e.token, "auth.test", &[]).await.status(), 200);
    post(&e, "/_standin/tokens/revoke", json!({"token": e.token})).await;
    crate::assert_error(&e.call("auth.test", &[]).await, "token_revoked");
}

#[tokio::test]
async fn reset_forgets_everything() {
    let e = env().await;
    e.call("auth.test", &[]).await;
    post(&e, "/_standin/reset", json!({})).await;
    assert!(e.slack.api_calls().is_empty());
    assert!(e.slack.channels().is_empty());
    crate::assert_error(&e.call("auth.test", &[]).await, "invalid_auth");
}

#[tokio::test]
async fn the_driver_is_reachable_over_http_for_browser_tests() {
    let e = env().await;
    let app = crate::FakeApp::start(crate::Behaviour::default()).await;
    let r = post(
        &e,
        "/_standin/driver/slash_command",
        json!({"app_url": app.url, "team_id": e.team.id, "channel_id": e.general.id,
        "user_id": e.bob.id, "command": "/c1", "text": "request"}),
    )
    .await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["result"]["acked"], true);
    assert_eq!(app.requests().len(), 1);
    let deliveries = get(&e, "/_standin/deliveries").await;
    assert_eq!(deliveries["result"][0]["kind"], "slash_command");
}
