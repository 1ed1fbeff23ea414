//! The Slack simulator (`/simulator`): what it draws from the stand-in's
//! state, and that what a person does there reaches the app as Slack's
//! signed requests, through the driver.

use super::*;
use serde_json::json;
use slack_standin::simulator::NOT_RESPONDING;

fn text(t: &str) -> Value {
    json!({"type": "plain_text", "text": t})
}

fn answering(body: Value) -> Behaviour {
    Behaviour {
        body: body.to_string(),
        content_type: "application/json",
        ..Behaviour::default()
    }
}

/// The cookie `/simulator?app=…` sets: the app's Slack URLs live under `app_base`.
fn app_cookie(app_base: &str) -> String {
    format!(
        "standin_simulator_app={}",
        serde_urlencoded::to_string([("a", app_base)])
            .unwrap()
            .trim_start_matches("a=")
    )
}

async fn get_html(e: &Env, path: &str) -> String {
    let resp = e
        .http
        .get(format!("{}{path}", e.slack.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.text().await.unwrap()
}

/// Posts what the person does to the simulator, as its page script does.
async fn doing(e: &Env, user: &str, app_base: &str, body: Value) -> Value {
    e.http
        .post(format!("{}/simulator/as/{user}/do", e.slack.base_url()))
        .header("cookie", app_cookie(app_base))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The bot's DM with `user`, holding one message with `blocks`; returns (channel, ts).
async fn dm_with_blocks(e: &Env, user: &str, blocks: Value) -> (String, String) {
    let dm = e.slack.app_dm(user).unwrap();
    let posted = e
        .call_json(
            "chat.postMessage",
            json!({"channel": dm.id, "text": "Approval needed", "blocks": blocks}),
        )
        .await;
    assert_eq!(posted["ok"], true, "{posted}");
    (dm.id, posted["ts"].as_str().unwrap().to_owned())
}

fn approval_blocks() -> Value {
    json!([
        {"type": "header", "text": text("Your approval is required")},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Bob* wants <https://latch.test/requests/7|request 7>"},
         "fields": [{"type": "mrkdwn", "text": "*App*\nGitHub"}, {"type": "mrkdwn", "text": "*Length*\n4 hours"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Requested just now by <@U0BOB>"}]},
        {"type": "actions", "block_id": "decide", "elements": [
            {"type": "button", "action_id": "request.approve", "style": "primary", "text": text("Approve"), "value": "7"},
            {"type": "button", "action_id": "request.deny", "style": "danger", "text": text("Deny"), "value": "7"}]}
    ])
}

#[tokio::test]
async fn the_simulator_lists_the_people_and_draws_their_dm_with_the_apps_blocks() {
    let e = env().await;
    let picker = get_html(&e, "/simulator").await;
    assert!(
        picker.contains(&format!("/simulator/as/{}", e.bob.id)),
        "{picker}"
    );
    let blocks: Value =
        serde_json::from_str(&approval_blocks().to_string().replace("U0BOB", &e.bob.id)).unwrap();
    let (dm, _) = dm_with_blocks(&e, &e.bob.id, blocks).await;

    let client = get_html(&e, &format!("/simulator/as/{}?c={dm}", e.bob.id)).await;
    assert!(
        client.contains(&format!("?c={dm}")),
        "the DM is in the sidebar: {client}"
    );
    let pane = get_html(&e, &format!("/simulator/as/{}/pane?c={dm}", e.bob.id)).await;
    assert!(
        pane.contains("<h3>Your approval is required</h3>"),
        "{pane}"
    );
    assert!(
        pane.contains("<b>Bob</b> wants <a href=\"https://latch.test/requests/7\""),
        "{pane}"
    );
    assert!(pane.contains("<b>Length</b><br>4 hours"), "{pane}");
    assert!(pane.contains("class=\"btn btn-primary\""), "{pane}");
    assert!(pane.contains("class=\"btn btn-danger\""), "{pane}");
    assert!(pane.contains("data-action=\"request.approve\""), "{pane}");
    assert!(
        pane.contains("Requested just now by <span class=\"mention\">@bob</span>"),
        "mentions show the person's name: {pane}"
    );
}

#[tokio::test]
async fn clicking_a_button_in_the_simulator_sends_the_app_a_signed_block_actions() {
    let e = env().await;
    let (dm, ts) = dm_with_blocks(&e, &e.bob.id, approval_blocks()).await;
    let app = FakeApp::start(Behaviour::default()).await;
    let answer = doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "act", "surface": {"type": "message", "channel_id": dm, "message_ts": ts},
               "block_id": "decide", "action_id": "request.approve", "input": {"kind": "click"}}),
    )
    .await;
    assert_eq!(answer["notice"], Value::Null, "{answer}");
    let requests = app.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].signature_valid);
    let payload: Value =
        serde_json::from_str(&form_field(&requests[0].body, "payload").unwrap()).unwrap();
    assert_eq!(payload["type"], "block_actions");
    assert_eq!(payload["user"]["id"], e.bob.id);
    assert_eq!(payload["actions"][0]["action_id"], "request.approve");
    assert_eq!(payload["actions"][0]["value"], "7");
    assert_eq!(payload["container"]["message_ts"], ts);
}

#[tokio::test]
async fn a_slash_command_typed_in_the_simulator_reaches_the_apps_command_url() {
    let e = env().await;
    let app = FakeApp::start(Behaviour::default()).await;
    let answer = doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "command", "channel_id": e.general.id, "text": "/c1 request"}),
    )
    .await;
    assert_eq!(answer["notice"], Value::Null, "{answer}");
    let requests = app.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].signature_valid);
    assert_eq!(
        form_field(&requests[0].body, "command").as_deref(),
        Some("/c1")
    );
    assert_eq!(
        form_field(&requests[0].body, "text").as_deref(),
        Some("request")
    );
    assert_eq!(
        form_field(&requests[0].body, "user_id"),
        Some(e.bob.id.clone())
    );
}

#[tokio::test]
async fn an_app_that_does_not_answer_in_time_shows_not_responding() {
    let mut config = config();
    config.ack_timeout = Duration::from_millis(200);
    let e = env_with(config).await;
    let (dm, ts) = dm_with_blocks(&e, &e.bob.id, approval_blocks()).await;
    let app = FakeApp::start(Behaviour {
        delay: Duration::from_millis(800),
        ..Behaviour::default()
    })
    .await;
    let answer = doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "act", "surface": {"type": "message", "channel_id": dm, "message_ts": ts},
               "block_id": "decide", "action_id": "request.deny", "input": {"kind": "click"}}),
    )
    .await;
    assert_eq!(answer["notice"], NOT_RESPONDING, "{answer}");
}

#[tokio::test]
async fn a_modal_the_app_rejects_shows_its_errors_under_the_inputs() {
    let e = env().await;
    let trigger = e.slack.issue_trigger_id(&e.team.id, &e.bob.id);
    let opened = e
        .call_json(
            "views.open",
            json!({"trigger_id": trigger, "view": {"type": "modal", "title": text("Submit a request"),
                "submit": text("Submit"), "blocks": [
                {"type": "input", "block_id": "why", "label": text("Why?"),
                 "element": {"type": "plain_text_input", "action_id": "why_input"}}]}}),
        )
        .await;
    assert_eq!(opened["ok"], true, "{opened}");
    let view_id = opened["view"]["id"].as_str().unwrap().to_owned();
    let modal = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(modal.contains("Submit a request"), "{modal}");
    assert!(modal.contains("data-submit"), "{modal}");

    // Submitting empty: Slack's client refuses, under the input.
    let app = FakeApp::start(answering(json!({"response_action": "errors",
        "errors": {"why": "Say <b>why</b>, please"}})))
    .await;
    doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "submit", "view_id": view_id}),
    )
    .await;
    assert!(app.requests().is_empty(), "nothing reaches the app");
    let modal = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(modal.contains("class=\"input-error\""), "{modal}");

    // Filled in and submitted: the app's errors show under the input, escaped.
    doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "act", "surface": {"type": "view", "view_id": view_id},
               "block_id": "why", "action_id": "why_input", "input": {"kind": "text", "value": "for INC-7"}}),
    )
    .await;
    doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "submit", "view_id": view_id}),
    )
    .await;
    assert_eq!(app.requests().len(), 1);
    let modal = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(
        modal.contains(
            "<div class=\"input-error\" role=\"alert\">Say &lt;b&gt;why&lt;/b&gt;, please</div>"
        ),
        "{modal}"
    );
    assert!(
        modal.contains("value=\"for INC-7\""),
        "what was typed stays: {modal}"
    );
}

#[tokio::test]
async fn hostile_text_from_the_app_and_its_users_is_shown_as_text() {
    let e = env().await;
    let hostile = "<img src=x onerror=alert(1)>\"'";
    let (dm, _) = dm_with_blocks(
        &e,
        &e.bob.id,
        json!([
            {"type": "header", "text": text(hostile)},
            {"type": "section", "text": {"type": "mrkdwn", "text": format!("{hostile} <javascript:alert(1)|click me>")},
             "fields": [{"type": "plain_text", "text": hostile}]},
            {"type": "actions", "block_id": "x\"><script>", "elements": [
                {"type": "button", "action_id": "a\"b", "text": text(hostile)}]}
        ]),
    )
    .await;
    e.slack
        .user_writes(&dm, &e.bob.id, "</article><script>alert(2)</script>", None)
        .await
        .unwrap();
    let pane = get_html(&e, &format!("/simulator/as/{}/pane?c={dm}", e.bob.id)).await;
    assert!(!pane.contains("<img"), "{pane}");
    assert!(!pane.contains("<script"), "{pane}");
    assert!(!pane.contains("href=\"javascript"), "{pane}");
    assert!(
        pane.contains("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;"),
        "{pane}"
    );
    assert!(pane.contains("data-action=\"a&quot;b\""), "{pane}");
}

#[tokio::test]
async fn the_apps_failed_slack_calls_since_the_page_opened_are_listed() {
    let e = env().await;
    let before = e
        .call("chat.postMessage", &[("channel", "C0NOPE"), ("text", "hi")])
        .await;
    assert_error(&before, "channel_not_found");
    let client = get_html(&e, &format!("/simulator/as/{}", e.bob.id)).await;
    let since = client
        .split("data-since=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let quiet = get_html(
        &e,
        &format!("/simulator/as/{}/problems?since={since}", e.bob.id),
    )
    .await;
    assert_eq!(
        quiet, "",
        "calls before the page opened are not the person's business"
    );

    let failed = e.call("conversations.info", &[("channel", "C0GONE")]).await;
    assert_error(&failed, "channel_not_found");
    let listed = get_html(
        &e,
        &format!("/simulator/as/{}/problems?since={since}", e.bob.id),
    )
    .await;
    assert!(
        listed.contains("<code>conversations.info</code> answered <code>ok: false</code>, error <code>channel_not_found</code>"),
        "{listed}"
    );
}

#[tokio::test]
async fn the_app_home_the_app_published_is_drawn_on_the_home_tab() {
    let e = env().await;
    let published = e
        .call_json(
            "views.publish",
            json!({"user_id": e.bob.id, "view": {"type": "home", "blocks": [
                {"type": "header", "text": text("Your access")},
                {"type": "actions", "elements": [{"type": "button", "action_id": "home.request", "text": text("Request access")}]}]}}),
        )
        .await;
    assert_eq!(published["ok"], true, "{published}");
    let home = get_html(&e, &format!("/simulator/as/{}/pane?c=home", e.bob.id)).await;
    assert!(home.contains("<h3>Your access</h3>"), "{home}");
    assert!(home.contains("data-action=\"home.request\""), "{home}");
    assert!(
        home.contains("&quot;type&quot;:&quot;view&quot;"),
        "clicks act on the view: {home}"
    );
}

#[tokio::test]
async fn a_reply_written_in_a_thread_is_sent_to_the_app_and_shown_in_the_thread() {
    let e = env().await;
    let (dm, ts) = dm_with_blocks(&e, &e.bob.id, approval_blocks()).await;
    let events = FakeApp::start(Behaviour::default()).await;
    e.slack.set_events_url(Some(&events.url));
    let answer = doing(
        &e,
        &e.bob.id,
        &events.url,
        json!({"op": "write", "channel_id": dm, "text": "Is this <b>urgent</b>?", "thread_ts": ts}),
    )
    .await;
    assert_eq!(answer["notice"], Value::Null, "{answer}");
    let event: Value = serde_json::from_str(&events.requests()[0].body).unwrap();
    assert_eq!(event["event"]["type"], "message");
    assert_eq!(event["event"]["channel_type"], "im");
    assert_eq!(event["event"]["thread_ts"], ts);
    assert_eq!(
        event["event"]["text"], "Is this &lt;b&gt;urgent&lt;/b&gt;?",
        "Slack escapes what people type"
    );

    let thread = get_html(
        &e,
        &format!("/simulator/as/{}/pane?c={dm}&thread={ts}", e.bob.id),
    )
    .await;
    assert!(
        thread.contains("Is this &lt;b&gt;urgent&lt;/b&gt;?"),
        "{thread}"
    );
    let channel = get_html(&e, &format!("/simulator/as/{}/pane?c={dm}", e.bob.id)).await;
    assert!(channel.contains("1 reply"), "{channel}");
    assert!(
        !channel.contains("urgent"),
        "replies stay in the thread: {channel}"
    );
}

#[tokio::test]
async fn a_pushed_view_is_drawn_on_top_and_closing_it_shows_the_one_beneath() {
    let e = env().await;
    let trigger = e.slack.issue_trigger_id(&e.team.id, &e.bob.id);
    let opened = e
        .call_json(
            "views.open",
            json!({"trigger_id": trigger, "view": {"type": "modal", "title": text("First"), "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "beneath"}}]}}),
        )
        .await;
    assert_eq!(opened["ok"], true, "{opened}");
    let trigger = e.slack.issue_trigger_id(&e.team.id, &e.bob.id);
    let pushed = e
        .call_json(
            "views.push",
            json!({"trigger_id": trigger, "view": {"type": "modal", "title": text("Second"), "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "on top"}}]}}),
        )
        .await;
    assert_eq!(pushed["ok"], true, "{pushed}");
    let modal = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(
        modal.contains(">Second</h2>") && modal.contains("on top"),
        "{modal}"
    );

    let app = FakeApp::start(Behaviour::default()).await;
    let pushed_id = pushed["view"]["id"].as_str().unwrap();
    doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "close", "view_id": pushed_id}),
    )
    .await;
    let modal = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(
        modal.contains(">First</h2>") && modal.contains("beneath"),
        "{modal}"
    );
}
