//! The Slack simulator (`/simulator`): what it draws from the stand-in's
//! state, and that what a person does there reaches the app as Slack's
//! signed requests, through the driver.

use super::*;
use serde_json::json;
use slack_standin::TROUBLE_CONNECTING;
use slack_standin::simulator::command_failed;
use slack_standin::simulator::render::WARNING_LABEL;

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

/// Opens a modal for `user` with `view` (through `views.open`, as the app would); returns its id.
async fn open_modal(e: &Env, user: &str, view: Value) -> String {
    let trigger = e.slack.issue_trigger_id(&e.team.id, user);
    let opened = e
        .call_json("views.open", json!({"trigger_id": trigger, "view": view}))
        .await;
    assert_eq!(opened["ok"], true, "{opened}");
    opened["view"]["id"].as_str().unwrap().to_owned()
}

/// Pushes `view` on `user`'s open modal; returns its id.
async fn push_modal(e: &Env, user: &str, view: Value) -> String {
    let trigger = e.slack.issue_trigger_id(&e.team.id, user);
    let pushed = e
        .call_json("views.push", json!({"trigger_id": trigger, "view": view}))
        .await;
    assert_eq!(pushed["ok"], true, "{pushed}");
    pushed["view"]["id"].as_str().unwrap().to_owned()
}

fn input(block_id: &str, label: &str, element: Value) -> Value {
    json!({"type": "input", "block_id": block_id, "label": text(label), "element": element})
}

fn modal(title: &str, blocks: Value) -> Value {
    json!({"type": "modal", "title": text(title), "submit": text("Submit"), "blocks": blocks})
}

/// The person acts on an element of view `view_id` through the simulator.
async fn act_in_view(
    e: &Env,
    user: &str,
    app: &FakeApp,
    view_id: &str,
    block: &str,
    action: &str,
    input: Value,
) -> Value {
    doing(
        e,
        user,
        &app.url,
        json!({"op": "act", "surface": {"type": "view", "view_id": view_id},
               "block_id": block, "action_id": action, "input": input}),
    )
    .await
}

/// Submits view `view_id` through the simulator; returns the signed `view_submission` payload the app got.
async fn submitted(e: &Env, user: &str, app: &FakeApp, view_id: &str) -> Value {
    let before = app.requests().len();
    let answer = doing(
        e,
        user,
        &app.url,
        json!({"op": "submit", "view_id": view_id}),
    )
    .await;
    assert_eq!(answer["notice"], Value::Null, "{answer}");
    let requests = app.requests();
    assert_eq!(requests.len(), before + 1, "the submission reached the app");
    let last = requests.last().unwrap();
    assert!(last.signature_valid, "Slack signs what it sends");
    let payload: Value = serde_json::from_str(&form_field(&last.body, "payload").unwrap()).unwrap();
    assert_eq!(payload["type"], "view_submission");
    payload
}

/// The last signed interactivity payload the app got.
fn last_payload(app: &FakeApp) -> Value {
    let last = app.requests().last().cloned().unwrap();
    assert!(last.signature_valid);
    serde_json::from_str(&form_field(&last.body, "payload").unwrap()).unwrap()
}

/// The `<select>` of element `action_id` in `html`, up to its end.
fn select_of<'a>(html: &'a str, action_id: &str) -> &'a str {
    let at = html
        .find(&format!("data-action=\"{action_id}\""))
        .unwrap_or_else(|| panic!("no element {action_id} in {html}"));
    let start = html[..at].rfind("<select").unwrap();
    let end = at + html[at..].find("</select>").unwrap();
    &html[start..end]
}

#[tokio::test]
async fn user_pickers_list_the_workspaces_active_people_and_bots_and_the_submission_carries_selected_user_and_users()
 {
    let e = env().await;
    e.slack.deactivate_user(&e.carol.id).unwrap();
    let view_id = open_modal(
        &e,
        &e.bob.id,
        modal(
            "Request for",
            json!([
                input(
                    "subject",
                    "Request for",
                    json!({"type": "users_select", "action_id": "subject_select",
                    "placeholder": text("Myself")})
                ),
                input(
                    "owner",
                    "Owner",
                    json!({"type": "users_select", "action_id": "owner_select",
                    "initial_user": e.alice.id})
                ),
                input(
                    "reviewers",
                    "Reviewers",
                    json!({"type": "multi_users_select", "action_id": "reviewers_select",
                    "initial_users": [e.alice.id], "max_selected_items": 2})
                )
            ]),
        ),
    )
    .await;
    let html = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    let subject = select_of(&html, "subject_select");
    assert!(
        subject.contains("<option value=\"\">Myself</option>"),
        "the placeholder: {subject}"
    );
    assert!(
        subject.contains(&format!("value=\"{}\"", e.alice.id)),
        "{subject}"
    );
    assert!(
        subject.contains(&format!("value=\"{}\"", e.bob.id)),
        "the person themself: {subject}"
    );
    assert!(
        subject.contains(&format!("value=\"{}\"", e.bot_user)),
        "bots are listed (slackapi/bolt-js#1981): {subject}"
    );
    assert!(
        !subject.contains(&e.carol.id),
        "deactivated people are not: {subject}"
    );
    assert!(
        !subject.contains(" selected"),
        "nothing picked yet: {subject}"
    );
    let owner = select_of(&html, "owner_select");
    assert!(
        owner.contains(&format!("value=\"{}\" selected", e.alice.id)),
        "initial_user: {owner}"
    );
    let reviewers = select_of(&html, "reviewers_select");
    assert!(
        reviewers.contains("<select multiple") && reviewers.contains("data-max=\"2\""),
        "{reviewers}"
    );
    assert!(
        reviewers.contains(&format!("value=\"{}\" selected", e.alice.id)),
        "initial_users: {reviewers}"
    );

    let app = FakeApp::start(Behaviour::default()).await;
    let picked = act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "subject",
        "subject_select",
        json!({"kind": "user", "value": e.alice.id}),
    )
    .await;
    assert_eq!(picked["notice"], Value::Null, "{picked}");
    let too_many = act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "reviewers",
        "reviewers_select",
        json!({"kind": "users", "value": [e.alice.id, e.bob.id, e.bot_user]}),
    )
    .await;
    assert!(
        too_many["notice"]
            .as_str()
            .is_some_and(|n| n.contains("at most")),
        "max_selected_items: {too_many}"
    );
    act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "reviewers",
        "reviewers_select",
        json!({"kind": "users", "value": [e.alice.id, e.bob.id]}),
    )
    .await;
    assert!(
        app.requests().is_empty(),
        "input blocks do not dispatch without dispatch_action"
    );

    let payload = submitted(&e, &e.bob.id, &app, &view_id).await;
    let values = &payload["view"]["state"]["values"];
    assert_eq!(
        values["subject"]["subject_select"],
        json!({"type": "users_select", "selected_user": e.alice.id})
    );
    assert_eq!(
        values["owner"]["owner_select"]["selected_user"],
        json!(e.alice.id)
    );
    assert_eq!(
        values["reviewers"]["reviewers_select"],
        json!({"type": "multi_users_select", "selected_users": [e.alice.id, e.bob.id]})
    );
}

#[tokio::test]
async fn a_user_picker_in_a_message_dispatches_at_once_with_the_selected_user() {
    let e = env().await;
    let (dm, ts) = dm_with_blocks(
        &e,
        &e.bob.id,
        json!([{"type": "actions", "block_id": "assign", "elements": [
            {"type": "users_select", "action_id": "assignee", "placeholder": text("Assign to")}]}]),
    )
    .await;
    let pane = get_html(&e, &format!("/simulator/as/{}/pane?c={dm}", e.bob.id)).await;
    assert!(
        select_of(&pane, "assignee").contains("<option value=\"\">Assign to</option>"),
        "{pane}"
    );
    let app = FakeApp::start(Behaviour::default()).await;
    doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "act", "surface": {"type": "message", "channel_id": dm, "message_ts": ts},
               "block_id": "assign", "action_id": "assignee", "input": {"kind": "user", "value": e.carol.id}}),
    )
    .await;
    let payload = last_payload(&app);
    assert_eq!(payload["type"], "block_actions");
    assert_eq!(payload["actions"][0]["type"], "users_select");
    assert_eq!(payload["actions"][0]["selected_user"], json!(e.carol.id));
    assert_eq!(
        payload["state"]["values"]["assign"]["assignee"]["selected_user"],
        json!(e.carol.id)
    );
    let pane = get_html(&e, &format!("/simulator/as/{}/pane?c={dm}", e.bob.id)).await;
    assert!(
        select_of(&pane, "assignee").contains(&format!("value=\"{}\" selected", e.carol.id)),
        "{pane}"
    );
}

#[tokio::test]
async fn conversation_and_channel_pickers_list_what_the_person_can_see_through_their_filter() {
    let e = env().await;
    let secret = e
        .slack
        .add_channel(&e.team.id, "secret", true, &[&e.alice.id])
        .unwrap();
    let ops = e
        .slack
        .add_channel(&e.team.id, "ops", true, &[&e.alice.id, &e.bob.id])
        .unwrap();
    let dm = e.slack.app_dm(&e.bob.id).unwrap();
    let view_id = open_modal(
        &e,
        &e.bob.id,
        modal(
            "Where",
            json!([
                input("any", "Any conversation", json!({"type": "conversations_select", "action_id": "any_select"})),
                input("humans", "Channels, no bots", json!({"type": "conversations_select", "action_id": "humans_select",
                    "filter": {"include": ["public", "private", "im"], "exclude_bot_users": true, "exclude_external_shared_channels": true}})),
                input("many", "Several", json!({"type": "multi_conversations_select", "action_id": "many_select",
                    "filter": {"include": ["private"]}, "initial_conversations": [ops.id]})),
                input("channel", "A channel", json!({"type": "channels_select", "action_id": "channel_select",
                    "initial_channel": e.it_access.id})),
                input("channels", "Channels", json!({"type": "multi_channels_select", "action_id": "channels_select",
                    "max_selected_items": 3}))
            ]),
        ),
    )
    .await;
    let html = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    let any = select_of(&html, "any_select");
    for seen in [&e.general.id, &e.it_access.id, &ops.id, &dm.id] {
        assert!(
            any.contains(&format!("value=\"{seen}\"")),
            "{seen} in {any}"
        );
    }
    assert!(
        !any.contains(&secret.id),
        "a private channel the person is not in: {any}"
    );
    assert!(
        any.contains("<option value=\"\">Select a conversation</option>"),
        "{any}"
    );
    let humans = select_of(&html, "humans_select");
    assert!(
        humans.contains(&format!("value=\"{}\"", ops.id)),
        "{humans}"
    );
    assert!(
        !humans.contains(&dm.id),
        "exclude_bot_users leaves out the DM with the app: {humans}"
    );
    let many = select_of(&html, "many_select");
    assert!(
        many.contains(&format!("value=\"{}\" selected", ops.id)),
        "initial_conversations: {many}"
    );
    assert!(
        !many.contains(&e.general.id),
        "include: private only: {many}"
    );
    let channel = select_of(&html, "channel_select");
    assert!(
        channel.contains(&format!("value=\"{}\" selected", e.it_access.id)),
        "initial_channel: {channel}"
    );
    assert!(
        !channel.contains(&ops.id) && !channel.contains(&dm.id),
        "channels_select lists public channels: {channel}"
    );

    let app = FakeApp::start(Behaviour::default()).await;
    act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "any",
        "any_select",
        json!({"kind": "conversation", "value": dm.id}),
    )
    .await;
    act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "humans",
        "humans_select",
        json!({"kind": "conversation", "value": e.general.id}),
    )
    .await;
    act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "channels",
        "channels_select",
        json!({"kind": "channels", "value": [e.general.id, e.it_access.id]}),
    )
    .await;
    let payload = submitted(&e, &e.bob.id, &app, &view_id).await;
    let values = &payload["view"]["state"]["values"];
    assert_eq!(
        values["any"]["any_select"],
        json!({"type": "conversations_select", "selected_conversation": dm.id})
    );
    assert_eq!(
        values["humans"]["humans_select"]["selected_conversation"],
        json!(e.general.id)
    );
    assert_eq!(
        values["many"]["many_select"],
        json!({"type": "multi_conversations_select", "selected_conversations": [ops.id]})
    );
    assert_eq!(
        values["channel"]["channel_select"],
        json!({"type": "channels_select", "selected_channel": e.it_access.id})
    );
    assert_eq!(
        values["channels"]["channels_select"],
        json!({"type": "multi_channels_select", "selected_channels": [e.general.id, e.it_access.id]})
    );
}

fn optional(mut block: Value) -> Value {
    block["optional"] = json!(true);
    block
}

fn option(label: &str, value: &str) -> Value {
    json!({"text": text(label), "value": value})
}

#[tokio::test]
async fn multi_selects_show_their_initial_options_and_a_multi_external_select_keeps_picks_across_searches()
 {
    let e = env().await;
    let view_id = open_modal(
        &e,
        &e.bob.id,
        modal(
            "Pick",
            json!([
                input("envs", "Environments", json!({"type": "multi_static_select", "action_id": "envs_select",
                    "placeholder": text("Choose environments"), "max_selected_items": 2,
                    "options": [option("Prod", "prod"), option("Staging", "staging"), option("Dev", "dev")],
                    "initial_options": [option("Staging", "staging")]})),
                input("apps", "Apps", json!({"type": "multi_external_select", "action_id": "apps_select",
                    "min_query_length": 1, "initial_options": [option("GitHub", "github")]}))
            ]),
        ),
    )
    .await;
    let html = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    let envs = select_of(&html, "envs_select");
    assert!(
        envs.contains("<option value=\"staging\" selected>Staging</option>"),
        "{envs}"
    );
    assert!(
        envs.contains("<option value=\"prod\">Prod</option>"),
        "{envs}"
    );
    assert!(envs.contains("data-max=\"2\""), "{envs}");
    assert!(
        html.contains(
            "GitHub <button type=\"button\" class=\"chip-remove\" data-remove=\"github\""
        ),
        "the initial option is a chip: {html}"
    );

    let app = FakeApp::start(answering(
        json!({"options": [option("Jira", "jira"), option("Jenkins", "jenkins")]}),
    ))
    .await;
    let found = doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "options", "surface": {"type": "view", "view_id": view_id},
        "block_id": "apps", "action_id": "apps_select", "value": "j"}),
    )
    .await;
    assert_eq!(found["options"][0]["text"], "Jira", "{found}");
    let suggestion = last_payload(&app);
    assert_eq!(
        suggestion["type"], "block_suggestion",
        "multi_external_select asks the options URL"
    );
    assert_eq!(suggestion["value"], "j");
    act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "apps",
        "apps_select",
        json!({"kind": "select_many", "value": ["github", "jira"]}),
    )
    .await;
    // A second search shows other options; what was picked before stays pickable.
    let other = FakeApp::start(answering(json!({"options": [option("Okta", "okta")]}))).await;
    doing(
        &e,
        &e.bob.id,
        &other.url,
        json!({"op": "options", "surface": {"type": "view", "view_id": view_id},
        "block_id": "apps", "action_id": "apps_select", "value": "o"}),
    )
    .await;
    let kept = act_in_view(
        &e,
        &e.bob.id,
        &other,
        &view_id,
        "apps",
        "apps_select",
        json!({"kind": "select_many", "value": ["github", "jira", "okta"]}),
    )
    .await;
    assert_eq!(kept["notice"], Value::Null, "{kept}");
    let over = act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "envs",
        "envs_select",
        json!({"kind": "select_many", "value": ["prod", "staging", "dev"]}),
    )
    .await;
    assert!(
        over["notice"]
            .as_str()
            .is_some_and(|n| n.contains("at most")),
        "{over}"
    );
    act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "envs",
        "envs_select",
        json!({"kind": "select_many", "value": ["prod", "dev"]}),
    )
    .await;

    let html = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(
        html.contains("Okta <button"),
        "picked options are chips: {html}"
    );
    let plain = FakeApp::start(Behaviour::default()).await;
    let payload = submitted(&e, &e.bob.id, &plain, &view_id).await;
    let values = &payload["view"]["state"]["values"];
    let picked = |v: &Value| -> Vec<String> {
        v["selected_options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(values["envs"]["envs_select"]["type"], "multi_static_select");
    assert_eq!(picked(&values["envs"]["envs_select"]), ["prod", "dev"]);
    assert_eq!(
        values["envs"]["envs_select"]["selected_options"][0]["text"]["text"],
        "Prod"
    );
    assert_eq!(
        values["apps"]["apps_select"]["type"],
        "multi_external_select"
    );
    assert_eq!(
        picked(&values["apps"]["apps_select"]),
        ["github", "jira", "okta"]
    );
}

#[tokio::test]
async fn date_and_time_pickers_show_their_initial_values_and_send_selected_time_and_selected_date_time()
 {
    let e = env().await;
    let view_id = open_modal(
        &e,
        &e.bob.id,
        modal(
            "When",
            json!([
                input("day", "Day", json!({"type": "datepicker", "action_id": "day_pick", "initial_date": "2026-12-24"})),
                input("at", "At", json!({"type": "timepicker", "action_id": "at_pick", "initial_time": "09:30",
                    "timezone": "America/Chicago"})),
                input("until", "Until", json!({"type": "datetimepicker", "action_id": "until_pick",
                    "initial_date_time": 1_798_164_000}))
            ]),
        ),
    )
    .await;
    let html = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(
        html.contains("type=\"date\"") && html.contains("value=\"2026-12-24\""),
        "{html}"
    );
    assert!(
        html.contains("type=\"time\"") && html.contains("value=\"09:30\""),
        "{html}"
    );
    assert!(
        html.contains("<div class=\"hint tz\">America/Chicago</div>"),
        "the timezone is shown under the picker: {html}"
    );
    assert!(
        html.contains("type=\"datetime-local\"") && html.contains("value=\"2026-12-25T02:00\""),
        "{html}"
    );

    let app = FakeApp::start(Behaviour::default()).await;
    let bad = act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "at",
        "at_pick",
        json!({"kind": "time", "value": "9:30pm"}),
    )
    .await;
    assert!(
        bad["notice"].as_str().is_some(),
        "a timepicker yields HH:mm: {bad}"
    );
    act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "at",
        "at_pick",
        json!({"kind": "time", "value": "17:05"}),
    )
    .await;
    act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "until",
        "until_pick",
        json!({"kind": "date_time", "value": 1_798_200_000}),
    )
    .await;
    let payload = submitted(&e, &e.bob.id, &app, &view_id).await;
    let values = &payload["view"]["state"]["values"];
    assert_eq!(
        values["day"]["day_pick"],
        json!({"type": "datepicker", "selected_date": "2026-12-24"})
    );
    assert_eq!(
        values["at"]["at_pick"],
        json!({"type": "timepicker", "selected_time": "17:05", "timezone": "America/Chicago"})
    );
    assert_eq!(
        values["until"]["until_pick"],
        json!({"type": "datetimepicker", "selected_date_time": 1_798_200_000})
    );
    assert!(
        values["until"]["until_pick"]["selected_date_time"].is_i64(),
        "unix seconds, an integer"
    );
}

#[tokio::test]
async fn a_picker_in_an_input_block_with_dispatch_action_dispatches_like_the_other_elements() {
    let e = env().await;
    let view_id = open_modal(
        &e,
        &e.bob.id,
        modal(
            "Dispatch",
            json!([{"type": "input", "block_id": "who", "dispatch_action": true, "label": text("Who"),
                    "element": {"type": "multi_users_select", "action_id": "who_select"}},
                   input("when", "When", json!({"type": "timepicker", "action_id": "when_pick", "timezone": "Europe/Paris"}))]),
        ),
    )
    .await;
    let app = FakeApp::start(Behaviour::default()).await;
    act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "when",
        "when_pick",
        json!({"kind": "time", "value": "08:00"}),
    )
    .await;
    assert!(app.requests().is_empty(), "no dispatch_action, no request");
    act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "who",
        "who_select",
        json!({"kind": "users", "value": [e.alice.id]}),
    )
    .await;
    let payload = last_payload(&app);
    assert_eq!(payload["type"], "block_actions");
    assert_eq!(payload["actions"][0]["selected_users"], json!([e.alice.id]));
    assert_eq!(
        payload["view"]["state"]["values"]["when"]["when_pick"]["selected_time"],
        "08:00"
    );
    assert_eq!(
        payload["view"]["state"]["values"]["when"]["when_pick"]["timezone"],
        "Europe/Paris"
    );
}

#[tokio::test]
async fn a_pushed_view_offers_back_which_returns_to_the_view_beneath_with_what_was_typed() {
    let e = env().await;
    let root = open_modal(
        &e,
        &e.bob.id,
        json!({"type": "modal", "title": text("First"), "submit": text("Next"), "close": text("Nevermind"),
               "notify_on_close": true, "blocks": [input("why", "Why?", json!({"type": "plain_text_input", "action_id": "why_input"}))]}),
    )
    .await;
    let app = FakeApp::start(Behaviour::default()).await;
    act_in_view(
        &e,
        &e.bob.id,
        &app,
        &root,
        "why",
        "why_input",
        json!({"kind": "text", "value": "on call"}),
    )
    .await;
    let html = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(
        !html.contains("data-back"),
        "the first view has nothing to go back to: {html}"
    );
    assert!(
        html.contains("data-close>Nevermind</button>"),
        "its close text: {html}"
    );
    assert!(html.contains("data-dismiss aria-label=\"Close\""), "{html}");

    let pushed = push_modal(
        &e,
        &e.bob.id,
        json!({"type": "modal", "title": text("Second"), "notify_on_close": true, "clear_on_close": true, "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "on top"}}]}),
    )
    .await;
    let html = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(html.contains(">Second</h2>"), "{html}");
    assert!(
        html.contains("data-back aria-label=\"Back\""),
        "a pushed view has a back arrow: {html}"
    );
    assert!(
        html.contains("data-close>Cancel</button>"),
        "the close button says Cancel when the view has no close text: {html}"
    );

    let answer = doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "back", "view_id": pushed}),
    )
    .await;
    assert_eq!(answer["notice"], Value::Null, "{answer}");
    let closed = last_payload(&app);
    assert_eq!(
        closed["type"], "view_closed",
        "notify_on_close: the app hears of it"
    );
    assert_eq!(closed["view"]["id"], json!(pushed));
    assert_eq!(
        closed["is_cleared"], false,
        "back never clears the stack, clear_on_close or not"
    );
    let html = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(
        html.contains(">First</h2>") && html.contains("value=\"on call\""),
        "the view beneath, as left: {html}"
    );
    let refused = doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "back", "view_id": root}),
    )
    .await;
    assert!(
        refused["notice"].as_str().is_some(),
        "the first view has no back: {refused}"
    );
}

#[tokio::test]
async fn cancel_closes_one_view_or_the_stack_with_clear_on_close_and_the_corner_x_closes_the_whole_modal()
 {
    let e = env().await;
    let section = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]);
    let root = open_modal(&e, &e.bob.id,
        json!({"type": "modal", "title": text("First"), "notify_on_close": true, "blocks": section})).await;
    let quiet = push_modal(
        &e,
        &e.bob.id,
        json!({"type": "modal", "title": text("Quiet"), "blocks": section}),
    )
    .await;
    let app = FakeApp::start(Behaviour::default()).await;

    // Cancel on a pushed view without notify_on_close: the view beneath shows, the app hears nothing.
    doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "close", "view_id": quiet}),
    )
    .await;
    assert!(app.requests().is_empty());
    assert!(
        get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id))
            .await
            .contains(">First</h2>")
    );

    // Cancel with clear_on_close: the whole stack closes, told with is_cleared.
    let clearing = push_modal(
        &e,
        &e.bob.id,
        json!({"type": "modal", "title": text("Clearing"),
        "notify_on_close": true, "clear_on_close": true, "blocks": section}),
    )
    .await;
    doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "close", "view_id": clearing}),
    )
    .await;
    let closed = last_payload(&app);
    assert_eq!(
        (closed["view"]["id"].clone(), closed["is_cleared"].clone()),
        (json!(clearing), json!(true))
    );
    assert_eq!(
        get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await,
        ""
    );
    assert!(e.slack.view(&root).unwrap().closed);

    // The × on a pushed view: the whole modal closes; the app hears of the first view, is_cleared.
    let root = open_modal(&e, &e.bob.id,
        json!({"type": "modal", "title": text("Again"), "notify_on_close": true, "blocks": section})).await;
    let top = push_modal(
        &e,
        &e.bob.id,
        json!({"type": "modal", "title": text("Top"), "blocks": section}),
    )
    .await;
    doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "dismiss", "view_id": top}),
    )
    .await;
    let closed = last_payload(&app);
    assert_eq!(closed["type"], "view_closed");
    assert_eq!(closed["view"]["id"], json!(root), "the initial view's id");
    assert_eq!(closed["is_cleared"], true);
    assert!(e.slack.view(&root).unwrap().closed && e.slack.view(&top).unwrap().closed);
    assert_eq!(
        get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await,
        ""
    );
}

#[tokio::test]
async fn a_button_the_app_does_not_acknowledge_gets_slacks_warning_icon_and_nothing_else() {
    let mut config = config();
    config.ack_timeout = Duration::from_millis(200);
    let e = env_with(config).await;
    let (dm, ts) = dm_with_blocks(&e, &e.bob.id, approval_blocks()).await;
    let slow = FakeApp::start(Behaviour {
        delay: Duration::from_millis(800),
        ..Behaviour::default()
    })
    .await;
    let click = json!({"op": "act", "surface": {"type": "message", "channel_id": dm, "message_ts": ts},
        "block_id": "decide", "action_id": "request.deny", "input": {"kind": "click"}});
    let answer = doing(&e, &e.bob.id, &slow.url, click.clone()).await;
    assert_eq!(
        answer["notice"],
        Value::Null,
        "Slack shows no banner: {answer}"
    );
    let pane = get_html(&e, &format!("/simulator/as/{}/pane?c={dm}", e.bob.id)).await;
    let deny = &pane[pane.find("data-action=\"request.deny\"").unwrap()..];
    assert!(
        deny.split("</button>")
            .nth(1)
            .unwrap()
            .starts_with(&format!(
                "<span class=\"action-warning\" role=\"img\" aria-label=\"{WARNING_LABEL}\""
            )),
        "the warning sits beside the button: {pane}"
    );
    assert_eq!(
        pane.matches("action-warning").count(),
        1,
        "only beside that button: {pane}"
    );

    let fine = FakeApp::start(Behaviour::default()).await;
    doing(&e, &e.bob.id, &fine.url, click.clone()).await;
    let pane = get_html(&e, &format!("/simulator/as/{}/pane?c={dm}", e.bob.id)).await;
    assert!(
        !pane.contains("action-warning"),
        "acknowledged, the warning goes: {pane}"
    );
    let failing = FakeApp::start(Behaviour {
        statuses: vec![500],
        ..Behaviour::default()
    })
    .await;
    doing(&e, &e.bob.id, &failing.url, click).await;
    let pane = get_html(&e, &format!("/simulator/as/{}/pane?c={dm}", e.bob.id)).await;
    assert_eq!(
        pane.matches("action-warning").count(),
        1,
        "an error status is no acknowledgement either: {pane}"
    );
}

#[tokio::test]
async fn a_slash_command_that_fails_says_operation_timeout_or_dispatch_failed_as_slack_does() {
    let mut config = config();
    config.ack_timeout = Duration::from_millis(200);
    let e = env_with(config).await;
    let command = json!({"op": "command", "channel_id": e.general.id, "text": "/c1 request"});
    let slow = FakeApp::start(Behaviour {
        delay: Duration::from_millis(800),
        ..Behaviour::default()
    })
    .await;
    let answer = doing(&e, &e.bob.id, &slow.url, command.clone()).await;
    assert_eq!(
        answer["notice"],
        "/c1 failed with the error \"operation_timeout\""
    );
    assert_eq!(answer["notice"], command_failed("/c1", "operation_timeout"));
    let failing = FakeApp::start(Behaviour {
        statuses: vec![500],
        ..Behaviour::default()
    })
    .await;
    let answer = doing(&e, &e.bob.id, &failing.url, command.clone()).await;
    assert_eq!(
        answer["notice"],
        "/c1 failed with the error \"dispatch_failed\""
    );
    let nobody = doing(&e, &e.bob.id, "http://127.0.0.1:9/slack", command).await;
    assert_eq!(
        nobody["notice"], "/c1 failed with the error \"dispatch_failed\"",
        "nothing listens"
    );
}

#[tokio::test]
async fn a_submission_the_app_does_not_answer_in_time_says_slacks_trouble_connecting_on_the_modal()
{
    let mut config = config();
    config.ack_timeout = Duration::from_millis(200);
    let e = env_with(config).await;
    let view_id = open_modal(
        &e,
        &e.bob.id,
        modal("Submit a request", json!([input("why", "Why?", json!({"type": "plain_text_input", "action_id": "why_input", "initial_value": "INC-7"}))])),
    )
    .await;
    let slow = FakeApp::start(Behaviour {
        delay: Duration::from_millis(800),
        ..Behaviour::default()
    })
    .await;
    let answer = doing(
        &e,
        &e.bob.id,
        &slow.url,
        json!({"op": "submit", "view_id": view_id}),
    )
    .await;
    assert_eq!(
        answer["notice"],
        Value::Null,
        "the modal says it, not a banner: {answer}"
    );
    let html = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(
        html.contains(&format!(
            "<div class=\"modal-error\" role=\"alert\">{TROUBLE_CONNECTING}</div>"
        )),
        "{html}"
    );
    assert_eq!(
        TROUBLE_CONNECTING,
        "We had some trouble connecting. Try again?"
    );
    assert!(
        html.contains("value=\"INC-7\""),
        "the modal stays, as filled in: {html}"
    );

    let failing = FakeApp::start(Behaviour {
        statuses: vec![500],
        ..Behaviour::default()
    })
    .await;
    doing(
        &e,
        &e.bob.id,
        &failing.url,
        json!({"op": "submit", "view_id": view_id}),
    )
    .await;
    let html = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(
        html.contains(TROUBLE_CONNECTING),
        "an error status too: {html}"
    );
}

#[tokio::test]
async fn a_modal_opened_from_a_channel_preselects_it_where_default_to_current_conversation_asks() {
    let e = env().await;
    let app = FakeApp::start(Behaviour::default()).await;
    doing(
        &e,
        &e.bob.id,
        &app.url,
        json!({"op": "command", "channel_id": e.it_access.id, "text": "/c1 share"}),
    )
    .await;
    let trigger = form_field(&app.requests()[0].body, "trigger_id").unwrap();
    let opened = e
        .call_json(
            "views.open",
            json!({"trigger_id": trigger, "view": modal("Share", json!([
                input("here", "Where", json!({"type": "conversations_select", "action_id": "here_select",
                    "default_to_current_conversation": true})),
                input("many", "Also", json!({"type": "multi_conversations_select", "action_id": "many_select",
                    "default_to_current_conversation": true})),
                optional(input("dms", "DMs only", json!({"type": "conversations_select", "action_id": "dms_select",
                    "default_to_current_conversation": true, "filter": {"include": ["im"]}}))),
                input("set", "Set by the app", json!({"type": "conversations_select", "action_id": "set_select",
                    "default_to_current_conversation": true, "initial_conversation": e.general.id})),
                optional(input("plain", "No default", json!({"type": "conversations_select", "action_id": "plain_select"})))
            ]))}),
        )
        .await;
    assert_eq!(opened["ok"], true, "{opened}");
    let view_id = opened["view"]["id"].as_str().unwrap().to_owned();
    let html = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    let it_access = format!("value=\"{}\" selected", e.it_access.id);
    assert!(
        select_of(&html, "here_select").contains(&it_access),
        "{html}"
    );
    assert!(
        select_of(&html, "many_select").contains(&it_access),
        "{html}"
    );
    assert!(
        !select_of(&html, "dms_select").contains(" selected"),
        "the filter leaves the channel out: {html}"
    );
    assert!(
        select_of(&html, "set_select").contains(&format!("value=\"{}\" selected", e.general.id)),
        "{html}"
    );
    assert!(
        !select_of(&html, "plain_select").contains(" selected"),
        "{html}"
    );

    let payload = submitted(&e, &e.bob.id, &app, &view_id).await;
    let values = &payload["view"]["state"]["values"];
    assert_eq!(
        values["here"]["here_select"]["selected_conversation"],
        json!(e.it_access.id)
    );
    assert_eq!(
        values["many"]["many_select"]["selected_conversations"],
        json!([e.it_access.id])
    );
    assert_eq!(
        values["dms"]["dms_select"]["selected_conversation"],
        Value::Null
    );
    assert_eq!(
        values["set"]["set_select"]["selected_conversation"],
        json!(e.general.id)
    );
    assert_eq!(
        values["plain"]["plain_select"]["selected_conversation"],
        Value::Null
    );
}

#[tokio::test]
async fn a_rich_text_input_shows_its_initial_text_and_sends_what_was_typed_as_a_rich_text_value() {
    let e = env().await;
    let initial = json!({"type": "rich_text", "elements": [{"type": "rich_text_section",
        "elements": [{"type": "text", "text": "Drafted "}, {"type": "text", "text": "<by the app>"}]}]});
    let view_id = open_modal(
        &e,
        &e.bob.id,
        modal(
            "Notes",
            json!([input(
                "notes",
                "Notes",
                json!({"type": "rich_text_input", "action_id": "notes_input",
                "initial_value": initial})
            )]),
        ),
    )
    .await;
    let html = get_html(&e, &format!("/simulator/as/{}/modal", e.bob.id)).await;
    assert!(
        html.contains(">Drafted &lt;by the app&gt;</textarea>"),
        "{html}"
    );
    let app = FakeApp::start(Behaviour::default()).await;
    let typed = act_in_view(
        &e,
        &e.bob.id,
        &app,
        &view_id,
        "notes",
        "notes_input",
        json!({"kind": "rich_text", "value": "First line\nsecond"}),
    )
    .await;
    assert_eq!(typed["notice"], Value::Null, "{typed}");
    let payload = submitted(&e, &e.bob.id, &app, &view_id).await;
    assert_eq!(
        payload["view"]["state"]["values"]["notes"]["notes_input"],
        json!({"type": "rich_text_input", "rich_text_value": {"type": "rich_text", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": "First line\nsecond"}]}]}})
    );
}
