//! Events caused by state changes: people writing, the app posting, the App
//! Home opening. Sources: BOLTJS-MW (`ignoreSelf`: Slack delivers the app's
//! own messages), TYPES events/app.ts (`app_home_opened` fields).

use crate::{Behaviour, FakeApp, env};
use serde_json::{Value, json};
use std::time::Duration;

async fn events(app: &FakeApp, at_least: usize) -> Vec<Value> {
    for _ in 0..100 {
        if app.requests().len() >= at_least {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.requests()
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .collect()
}

/// BOLTJS-MW :312-338: Slack delivers the app's own posts; Bolt drops events
/// whose `user` is its bot user or that carry its `bot_id`. A `message.im`
/// handler that answers everything loops in Slack, and now here too.
#[tokio::test]
async fn the_apps_own_post_in_its_dm_is_delivered_as_message_im() {
    let e = env().await;
    let app = FakeApp::start(Behaviour::default()).await;
    e.slack.set_events_url(Some(&app.url));
    let r = e
        .call(
            "chat.postMessage",
            &[
                ("channel", &e.bob.id),
                ("text", "Your request was approved"),
            ],
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    let got = events(&app, 1).await;
    let event = &got[0]["event"];
    assert_eq!(got[0]["type"], "event_callback");
    assert_eq!(event["type"], "message");
    assert_eq!(event["channel_type"], "im");
    assert_eq!(event["user"], e.bot_user);
    assert!(event["bot_id"].as_str().unwrap().starts_with('B'));
    assert_eq!(event["text"], "Your request was approved");
    assert!(app.requests()[0].signature_valid);
}

#[tokio::test]
async fn a_person_writing_to_the_app_in_a_thread_is_delivered_as_message_im() {
    let e = env().await;
    let app = FakeApp::start(Behaviour::default()).await;
    e.slack.set_events_url(Some(&app.url));
    let bob = e.slack.person(&e.bob.id, &app.url);
    let (first, delivery) = bob.write_to_app("request github", None).await.unwrap();
    assert!(delivery.unwrap().attempts[0].acked);
    let (_, delivery) = bob
        .write_to_app("also okta", Some(&first.ts))
        .await
        .unwrap();
    let body: Value = serde_json::from_str(&delivery.unwrap().body).unwrap();
    assert_eq!(body["event"]["type"], "message");
    assert_eq!(body["event"]["user"], e.bob.id);
    assert_eq!(body["event"]["channel_type"], "im");
    assert_eq!(body["event"]["thread_ts"], first.ts);
    assert_eq!(
        body["event"]["parent_user_id"], e.bob.id,
        "who posted the parent"
    );
    assert!(body["event"].get("bot_id").is_none());
}

/// Event Subscriptions: nothing is delivered for an event type the app did not subscribe to.
#[tokio::test]
async fn unsubscribed_message_events_are_not_delivered() {
    let e = env().await;
    let app = FakeApp::start(Behaviour::default()).await;
    e.slack.set_events_url(Some(&app.url));
    e.slack.set_event_subscriptions(&["app_home_opened"]);
    let (_, delivery) = e
        .slack
        .person(&e.bob.id, &app.url)
        .write_to_app("hello", None)
        .await
        .unwrap();
    assert!(delivery.is_none());
    e.join(&e.general.id).await;
    e.call(
        "chat.postMessage",
        &[("channel", &e.general.id), ("text", "x")],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(app.requests().is_empty());
}

/// TYPES events/app.ts :67-75: `user`, `channel`, `tab`, `event_ts`; `view` once published.
#[tokio::test]
async fn opening_app_home_sends_app_home_opened_with_the_dm_channel_and_the_view() {
    let e = env().await;
    let app = FakeApp::start(Behaviour::default()).await;
    e.slack.set_events_url(Some(&app.url));
    let bob = e.slack.person(&e.bob.id, &app.url);
    let d = bob.open_app_home("home").await.unwrap();
    let first: Value = serde_json::from_str(&d.body).unwrap();
    let dm = e.slack.app_dm(&e.bob.id).unwrap();
    assert_eq!(first["event"]["type"], "app_home_opened");
    assert_eq!(first["event"]["user"], e.bob.id);
    assert_eq!(first["event"]["channel"], dm.id);
    assert_eq!(first["event"]["tab"], "home");
    assert!(first["event"]["event_ts"].is_string());
    assert!(
        first["event"].get("view").is_none(),
        "no Home published yet"
    );
    let home = json!({"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Your access"}}]});
    e.call_json("views.publish", json!({"user_id": e.bob.id, "view": home}))
        .await;
    let d = bob.open_app_home("home").await.unwrap();
    let second: Value = serde_json::from_str(&d.body).unwrap();
    assert_eq!(second["event"]["view"]["type"], "home");
}
