//! The driver: signed slash commands, interactions and events, with ack
//! measurement and Events API retries.

use crate::{Behaviour, FakeApp, env, form_field};
use serde_json::{Value, json};
use slack_standin::{ButtonClick, SlashCommand, ViewSubmit};
use std::time::Duration;

#[test]
fn the_signature_matches_slacks_documented_example() {
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    assert_eq!(
        slack_standin::signing::sign(
            "8f742231b10e8888abcd99yyyzzz85a5",
            1_531_420_618,
            body.as_bytes()
        ),
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    );
}

#[tokio::test]
async fn a_slash_command_is_a_signed_form_post_with_slacks_fields() {
    let e = env().await;
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
                text: "request github admin".into(),
            },
        )
        .await
        .unwrap();
    assert!(ack.acked);
    let req = &app.requests()[0];
    assert!(req.signature_valid);
    assert_eq!(
        req.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    for (k, v) in [
        ("team_id", e.team.id.as_str()),
        ("team_domain", "acme"),
        ("channel_id", &e.general.id),
        ("channel_name", "general"),
        ("user_id", &e.bob.id),
        ("user_name", "bob"),
        ("command", "/c1"),
        ("text", "request github admin"),
        ("is_enterprise_install", "false"),
    ] {
        assert_eq!(form_field(&req.body, k).as_deref(), Some(v), "{k}");
    }
    assert_eq!(form_field(&req.body, "response_url"), ack.response_url);
    let trigger = form_field(&req.body, "trigger_id").unwrap();
    assert!(slack_standin::ids::looks_like_trigger_id(&trigger));
    assert_eq!(
        form_field(&req.body, "api_app_id").as_deref(),
        Some(e.slack.config().app_id.as_str())
    );
}

#[tokio::test]
async fn a_slow_ack_is_recorded_as_not_acked() {
    let mut c = crate::config();
    c.ack_timeout = Duration::from_millis(200);
    let e = crate::env_with(c).await;
    let app = FakeApp::start(Behaviour {
        delay: Duration::from_millis(500),
        ..Behaviour::default()
    })
    .await;
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
    assert!(!ack.acked);
    assert_eq!(ack.status, None);
    assert_eq!(
        e.slack.deliveries()[0].attempts[0].failure.as_deref(),
        Some("http_timeout")
    );
}

#[tokio::test]
async fn an_in_channel_command_reply_is_posted_to_the_channel() {
    let e = env().await;
    let body = json!({"response_type": "in_channel", "text": "Request #42 created"}).to_string();
    let app = FakeApp::start(Behaviour {
        body,
        content_type: "application/json",
        ..Behaviour::default()
    })
    .await;
    e.slack
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
    assert_eq!(
        e.slack.messages(&e.general.id)[0].text,
        "Request #42 created"
    );
}

#[tokio::test]
async fn events_are_signed_json_callbacks_with_authorizations() {
    let e = env().await;
    let app = FakeApp::start(Behaviour::default()).await;
    let d = e
        .slack
        .send_event(
            &app.url,
            &e.team.id,
            json!({"type": "app_home_opened", "user": e.alice.id, "channel": e.slack.app_dm(&e.alice.id).unwrap().id, "tab": "home"}),
        )
        .await
        .unwrap();
    assert_eq!(d.attempts.len(), 1);
    let req = &app.requests()[0];
    assert!(req.signature_valid);
    let v: Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(v["type"], "event_callback");
    assert_eq!(v["team_id"], e.team.id);
    assert!(v["event_id"].as_str().unwrap().starts_with("Ev"));
    assert!(v["event_time"].is_i64());
    assert_eq!(v["event"]["type"], "app_home_opened");
    assert!(v["event"]["event_ts"].is_string());
    assert_eq!(v["authorizations"][0]["user_id"], e.bot_user);
    assert_eq!(v["authorizations"][0]["is_bot"], true);
}

#[tokio::test]
async fn failed_events_are_retried_with_retry_num_and_reason() {
    let e = env().await;
    let app = FakeApp::start(Behaviour {
        statuses: vec![500, 500, 200],
        ..Behaviour::default()
    })
    .await;
    let d = e
        .slack
        .send_event(
            &app.url,
            &e.team.id,
            json!({"type": "app_home_opened", "user": e.alice.id}),
        )
        .await
        .unwrap();
    assert_eq!(d.attempts.len(), 3);
    let reqs = app.requests();
    assert!(reqs[0].headers.get("x-slack-retry-num").is_none());
    assert_eq!(reqs[1].headers["x-slack-retry-num"], "1");
    assert_eq!(reqs[1].headers["x-slack-retry-reason"], "http_error");
    assert_eq!(reqs[2].headers["x-slack-retry-num"], "2");
    assert_eq!(reqs[0].body, reqs[2].body, "same event_id on every retry");
}

#[tokio::test]
async fn a_slow_events_endpoint_is_retried_with_http_timeout() {
    let mut c = crate::config();
    c.ack_timeout = Duration::from_millis(150);
    let e = crate::env_with(c).await;
    let app = FakeApp::start(Behaviour {
        delay: Duration::from_millis(400),
        ..Behaviour::default()
    })
    .await;
    let d = e
        .slack
        .send_event(
            &app.url,
            &e.team.id,
            json!({"type": "app_home_opened", "user": e.alice.id}),
        )
        .await
        .unwrap();
    assert_eq!(d.attempts.len(), 4, "first try + 3 retries");
    assert_eq!(d.attempts[1].retry_reason.as_deref(), Some("http_timeout"));
}

#[tokio::test]
async fn x_slack_no_retry_stops_retries() {
    let e = env().await;
    let app = FakeApp::start(Behaviour {
        statuses: vec![500],
        no_retry: true,
        ..Behaviour::default()
    })
    .await;
    let d = e
        .slack
        .send_event(
            &app.url,
            &e.team.id,
            json!({"type": "app_home_opened", "user": e.alice.id}),
        )
        .await
        .unwrap();
    assert_eq!(d.attempts.len(), 1);
}

#[tokio::test]
async fn url_verification_succeeds_when_the_app_echoes_the_challenge() {
    let e = env().await;
    let app = FakeApp::start(Behaviour::default()).await;
    assert!(e.slack.verify_events_url(&app.url).await.unwrap());
    let mute = FakeApp::start(Behaviour {
        echo_challenge: false,
        ..Behaviour::default()
    })
    .await;
    assert!(!e.slack.verify_events_url(&mute.url).await.unwrap());
}

#[tokio::test]
async fn clicking_a_button_sends_block_actions_for_the_stored_message() {
    let e = env().await;
    e.join(&e.it_access.id).await;
    let blocks = json!([{"type": "actions", "block_id": "req-42", "elements": [
        {"type": "button", "action_id": "approve", "value": "42", "style": "primary", "text": {"type": "plain_text", "text": "Approve"}}]}]);
    let posted = e
        .call_json(
            "chat.postMessage",
            json!({"channel": e.it_access.id, "text": "Request 42", "blocks": blocks}),
        )
        .await;
    let ts = posted["ts"].as_str().unwrap().to_owned();
    let app = FakeApp::start(Behaviour::default()).await;
    let ack = e
        .slack
        .click_button(
            &app.url,
            ButtonClick {
                user_id: e.alice.id.clone(),
                channel_id: e.it_access.id.clone(),
                message_ts: ts.clone(),
                action_id: "approve".into(),
            },
        )
        .await
        .unwrap();
    assert!(ack.acked);
    let req = &app.requests()[0];
    assert!(req.signature_valid);
    let payload: Value = serde_json::from_str(&form_field(&req.body, "payload").unwrap()).unwrap();
    assert_eq!(payload["type"], "block_actions");
    assert_eq!(payload["user"]["id"], e.alice.id);
    assert_eq!(payload["container"]["message_ts"], ts);
    assert_eq!(payload["channel"]["id"], e.it_access.id);
    let stored = e.slack.messages(&e.it_access.id)[0].blocks.clone().unwrap();
    assert_eq!(payload["message"]["blocks"], stored);
    assert_eq!(
        stored[0]["elements"][0]["text"]["emoji"], true,
        "Slack adds emoji: true"
    );
    assert_eq!(payload["actions"][0]["action_id"], "approve");
    assert_eq!(payload["actions"][0]["value"], "42");
    assert_eq!(payload["actions"][0]["block_id"], "req-42");
    assert_eq!(
        payload["response_url"].as_str(),
        ack.response_url.as_deref()
    );
    assert_eq!(payload["trigger_id"].as_str(), ack.trigger_id.as_deref());
}

#[tokio::test]
async fn submitting_a_modal_applies_the_apps_response_action() {
    let e = env().await;
    let trigger = e.slack.issue_trigger_id(&e.team.id, &e.bob.id);
    let view = json!({"type": "modal", "callback_id": "req", "title": {"type": "plain_text", "text": "Request"},
        "submit": {"type": "plain_text", "text": "Send"}, "blocks": [{"type": "input", "block_id": "why",
        "label": {"type": "plain_text", "text": "Why"}, "element": {"type": "plain_text_input", "action_id": "reason"}}]});
    let opened = e
        .call_json("views.open", json!({"trigger_id": trigger, "view": view}))
        .await;
    let view_id = opened["view"]["id"].as_str().unwrap().to_owned();
    let values = json!({"why": {"reason": {"type": "plain_text_input", "value": "on call"}}});

    let errors =
        json!({"response_action": "errors", "errors": {"why": "Please say why"}}).to_string();
    let app = FakeApp::start(Behaviour {
        body: errors,
        content_type: "application/json",
        ..Behaviour::default()
    })
    .await;
    let out = e
        .slack
        .submit_view(
            &app.url,
            ViewSubmit {
                view_id: view_id.clone(),
                user_id: None,
                values: values.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(out.response_action.as_deref(), Some("errors"));
    assert_eq!(out.errors.unwrap()["why"], "Please say why");
    let payload: Value =
        serde_json::from_str(&form_field(&app.requests()[0].body, "payload").unwrap()).unwrap();
    assert_eq!(payload["type"], "view_submission");
    assert_eq!(payload["view"]["id"], view_id);
    assert_eq!(payload["view"]["state"]["values"], values);
    assert!(out.client_errors.is_empty());
    assert_eq!(payload["team"]["id"], e.team.id);
    assert!(payload["view"]["hash"].is_string());
    assert!(
        !e.slack
            .views()
            .iter()
            .find(|v| v.id == view_id)
            .unwrap()
            .closed
    );

    let closer = FakeApp::start(Behaviour::default()).await;
    let out = e
        .slack
        .submit_view(
            &closer.url,
            ViewSubmit {
                view_id: view_id.clone(),
                user_id: None,
                values,
            },
        )
        .await
        .unwrap();
    assert_eq!(out.response_action, None);
    assert!(
        e.slack
            .views()
            .iter()
            .find(|v| v.id == view_id)
            .unwrap()
            .closed
    );
}

#[tokio::test]
async fn auth_revoke_sends_tokens_revoked_and_app_uninstalled_events() {
    let e = env().await;
    let app = FakeApp::start(Behaviour::default()).await;
    e.slack.set_events_url(Some(&app.url));
    let r = e.call("auth.revoke", &[("test", "1")]).await;
    assert_eq!(r["revoked"], false);
    let r = e.call("auth.revoke", &[]).await;
    assert_eq!(r["revoked"], true);
    crate::assert_error(&e.call("auth.test", &[]).await, "token_revoked");
    for _ in 0..50 {
        if app.requests().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let types: Vec<String> = app
        .requests()
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["event"]["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        types.contains(&"tokens_revoked".to_owned())
            && types.contains(&"app_uninstalled".to_owned()),
        "{types:?}"
    );
    let revoked: Value = serde_json::from_str(&app.requests()[0].body).unwrap();
    assert_eq!(revoked["event"]["tokens"]["bot"], json!([e.bot_user]));
    assert!(app.requests().iter().all(|r| r.signature_valid));
}
