//! Incoming webhooks and response_url semantics.

use crate::{Behaviour, CLIENT_ID, CLIENT_SECRET, FakeApp, REDIRECT, env};
use serde_json::{Value, json};
use slack_standin::{ButtonClick, Consent, MessageOrigin, SlashCommand};

async fn post_json(http: &reqwest::Client, url: &str, body: Value) -> (u16, String) {
    let r = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn webhook_url(e: &crate::Env) -> String {
    let q = serde_urlencoded::to_string([
        ("client_id", CLIENT_ID),
        ("scope", "incoming-webhook"),
        ("redirect_uri", REDIRECT),
        ("state", "s"),
    ])
    .unwrap();
    let location = e
        .slack
        .approve_install(
            &format!("?{q}"),
            Consent {
                webhook_channel: Some(e.it_access.id.clone()),
                ..Consent::default()
            },
        )
        .unwrap();
    let code = crate::form_field(location.split_once('?').unwrap().1, "code").unwrap();
    let body = serde_urlencoded::to_string([
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", &code),
        ("redirect_uri", REDIRECT),
    ])
    .unwrap();
    let v: Value = e
        .http
        .post(format!("{}/oauth.v2.access", e.slack.api_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["incoming_webhook"]["url"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_incoming_webhook_posts_to_the_chosen_channel_and_answers_ok() {
    let e = crate::bare().await;
    let url = webhook_url(&e).await;
    let (status, text) = post_json(&e.http, &url, json!({"text": "Access granted"})).await;
    assert_eq!((status, text.as_str()), (200, "ok"));
    let msgs = e.slack.messages(&e.it_access.id);
    assert_eq!(msgs[0].text, "Access granted");
    assert_eq!(msgs[0].origin, MessageOrigin::Webhook);
}

#[tokio::test]
async fn a_webhook_payload_without_text_is_rejected_as_plain_text() {
    let e = crate::bare().await;
    let url = webhook_url(&e).await;
    assert_eq!(
        post_json(&e.http, &url, json!({})).await,
        (400, "no_text".to_owned())
    );
    let r = e
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().await.unwrap()),
        (400, "invalid_payload".to_owned())
    );
}

#[tokio::test]
async fn a_revoked_or_unknown_webhook_returns_slacks_plain_text_errors() {
    let e = crate::bare().await;
    let url = webhook_url(&e).await;
    let bad_secret = format!("{}XX", url);
    assert_eq!(
        post_json(&e.http, &bad_secret, json!({"text": "x"})).await,
        (403, "invalid_token".to_owned())
    );
    let token = e.slack.tokens()[0].token.clone();
    assert_eq!(
        e.call_with(&token, "auth.revoke", &[]).await["revoked"],
        true
    );
    assert_eq!(
        post_json(&e.http, &url, json!({"text": "x"})).await,
        (404, "no_service".to_owned())
    );
}

async fn command(e: &crate::Env) -> String {
    let app = FakeApp::start(Behaviour::default()).await;
    let ack = e
        .slack
        .send_slash_command(
            &app.url,
            SlashCommand {
                team_id: e.team.id.clone(),
                channel_id: e.general.id.clone(),
                user_id: e.bob.id.clone(),
                command: "/c1".into(),
                text: String::new(),
            },
        )
        .await
        .unwrap();
    ack.response_url.unwrap()
}

#[tokio::test]
async fn a_response_url_defaults_to_ephemeral_and_in_channel_posts_publicly() {
    let e = env().await;
    let url = command(&e).await;
    assert_eq!(
        post_json(&e.http, &url, json!({"text": "just you"})).await,
        (200, "ok".to_owned())
    );
    let eph = e.slack.ephemerals();
    assert_eq!(eph.len(), 1);
    assert_eq!(eph[0].user, e.bob.id);
    assert_eq!(eph[0].origin, MessageOrigin::ResponseUrl);
    assert_eq!(
        post_json(
            &e.http,
            &url,
            json!({"text": "everyone", "response_type": "in_channel"})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        e.slack.messages(&e.general.id).last().unwrap().text,
        "everyone"
    );
}

#[tokio::test]
async fn a_response_url_allows_five_uses() {
    let e = env().await;
    let url = command(&e).await;
    for _ in 0..5 {
        assert_eq!(post_json(&e.http, &url, json!({"text": "x"})).await.0, 200);
    }
    assert_eq!(
        post_json(&e.http, &url, json!({"text": "x"})).await,
        (404, "used_url".to_owned())
    );
}

#[tokio::test]
async fn replace_original_and_delete_original_act_on_the_clicked_message() {
    let e = env().await;
    e.join(&e.general.id).await;
    let blocks = json!([{"type": "actions", "elements": [{"type": "button", "action_id": "deny", "text": {"type": "plain_text", "text": "Deny"}}]}]);
    let ts = e
        .call_json(
            "chat.postMessage",
            json!({"channel": e.general.id, "text": "Request", "blocks": blocks}),
        )
        .await["ts"]
        .as_str()
        .unwrap()
        .to_owned();
    let app = FakeApp::start(Behaviour::default()).await;
    let click = ButtonClick {
        user_id: e.alice.id.clone(),
        channel_id: e.general.id.clone(),
        message_ts: ts.clone(),
        action_id: "deny".into(),
    };
    let url = e
        .slack
        .click_button(&app.url, click.clone())
        .await
        .unwrap()
        .response_url
        .unwrap();
    assert_eq!(
        post_json(
            &e.http,
            &url,
            json!({"replace_original": true, "text": "Denied by alice"})
        )
        .await
        .0,
        200
    );
    let m = e
        .slack
        .messages(&e.general.id)
        .into_iter()
        .find(|m| m.ts == ts)
        .unwrap();
    assert_eq!(m.text, "Denied by alice");
    assert_eq!(m.blocks, None);
    assert_eq!(m.edits[0].text, "Request");

    assert_eq!(
        post_json(&e.http, &url, json!({"delete_original": true}))
            .await
            .0,
        200
    );
    assert!(
        e.slack
            .messages(&e.general.id)
            .into_iter()
            .find(|m| m.ts == ts)
            .unwrap()
            .deleted
    );
}
