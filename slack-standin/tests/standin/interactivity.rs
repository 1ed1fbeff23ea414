//! A person using the app's surfaces: block_actions from messages, ephemeral
//! messages, modals and App Home; block_suggestion; view_submission with
//! state derived from the view; response actions; view_closed. Each test
//! names the Slack material its rule comes from (tags as in
//! `/work/shared/reference/standin-fidelity.md`).

use crate::{Behaviour, Env, FakeApp, env, form_field};
use serde_json::{Value, json};
use slack_standin::{Input, Surface, TROUBLE_CONNECTING};

fn payload(app: &FakeApp, n: usize) -> Value {
    serde_json::from_str(&form_field(&app.requests()[n].body, "payload").unwrap()).unwrap()
}

fn answering(body: Value) -> Behaviour {
    Behaviour {
        body: body.to_string(),
        content_type: "application/json",
        ..Behaviour::default()
    }
}

fn text(t: &str) -> Value {
    json!({"type": "plain_text", "text": t})
}

fn option(label: &str, value: &str) -> Value {
    json!({"text": text(label), "value": value})
}

/// The request modal Latch will open: an app picker served by the options
/// URL, an entitlement select that dispatches, a reason, a reviewer, a date.
fn request_modal() -> Value {
    json!({"type": "modal", "callback_id": "request", "title": text("Request access"),
        "submit": text("Request"), "notify_on_close": true, "blocks": [
        {"type": "input", "block_id": "app", "label": text("App"), "dispatch_action": true,
         "element": {"type": "external_select", "action_id": "app", "min_query_length": 1}},
        {"type": "actions", "block_id": "entitlement", "elements": [
            {"type": "static_select", "action_id": "entitlement", "placeholder": text("Entitlement"),
             "options": [option("Read", "read"), option("Admin", "admin")]}]},
        {"type": "input", "block_id": "why", "label": text("Why"),
         "element": {"type": "plain_text_input", "action_id": "reason", "multiline": true, "max_length": 500}},
        {"type": "input", "block_id": "reviewer", "optional": true, "label": text("Reviewer"),
         "element": {"type": "users_select", "action_id": "reviewer"}},
        {"type": "input", "block_id": "until", "optional": true, "label": text("Until"),
         "element": {"type": "datepicker", "action_id": "until"}},
        {"type": "input", "label": text("Notes"), "optional": true,
         "element": {"type": "plain_text_input"}}
    ]})
}

async fn open_modal(e: &Env, user: &str, view: Value) -> String {
    let trigger = e.slack.issue_trigger_id(&e.team.id, user);
    let opened = e
        .call_json("views.open", json!({"trigger_id": trigger, "view": view}))
        .await;
    assert_eq!(opened["ok"], true, "{opened}");
    opened["view"]["id"].as_str().unwrap().to_owned()
}

async fn post_blocks(e: &Env, channel: &str, blocks: Value) -> String {
    e.join(channel).await;
    let posted = e
        .call_json(
            "chat.postMessage",
            json!({"channel": channel, "text": "Request 42", "blocks": blocks}),
        )
        .await;
    assert_eq!(posted["ok"], true, "{posted}");
    posted["ts"].as_str().unwrap().to_owned()
}

/// BOLTPY-SUG: `block_suggestion` carries action_id, block_id, value, a
/// `view` container and the view; the answer is `options` or `option_groups`.
#[tokio::test]
async fn typing_in_an_external_select_sends_block_suggestion_and_shows_the_answer() {
    let e = env().await;
    let view_id = open_modal(&e, &e.bob.id, request_modal()).await;
    let app = FakeApp::start(answering(json!({"options": [option("GitHub", "github")]}))).await;
    let bob = e.slack.person(&e.bob.id, &app.url);
    let found = bob
        .search(Surface::view(&view_id), "app", "app", "git")
        .await
        .unwrap();
    assert_eq!(found.problems, Vec::<String>::new());
    assert_eq!(found.options[0]["value"], "github");
    let p = payload(&app, 0);
    assert_eq!(p["type"], "block_suggestion");
    assert_eq!(p["action_id"], "app");
    assert_eq!(p["block_id"], "app");
    assert_eq!(p["value"], "git");
    assert_eq!(p["container"], json!({"type": "view", "view_id": view_id}));
    assert_eq!(p["view"]["id"], view_id);
    assert_eq!(p["user"]["id"], e.bob.id);
    assert_eq!(p["team"]["id"], e.team.id);
    assert!(p.get("response_url").is_none());
    assert!(app.requests()[0].signature_valid);
}

/// TYPES block-elements.ts `ExternalSelect.min_query_length`: default 3.
#[tokio::test]
async fn an_external_select_waits_for_min_query_length_before_asking_the_app() {
    let e = env().await;
    let mut modal = request_modal();
    modal["blocks"][0]["element"]
        .as_object_mut()
        .unwrap()
        .remove("min_query_length");
    let view_id = open_modal(&e, &e.bob.id, modal).await;
    let app = FakeApp::start(answering(json!({"options": []}))).await;
    let bob = e.slack.person(&e.bob.id, &app.url);
    let out = bob
        .search(Surface::view(&view_id), "app", "app", "gi")
        .await
        .unwrap();
    assert!(out.ack.is_none());
    assert!(app.requests().is_empty());
    bob.search(Surface::view(&view_id), "app", "app", "git")
        .await
        .unwrap();
    assert_eq!(app.requests().len(), 1);
}

/// slack.md §3.4 / TYPES composition-objects.ts `PlainTextOption`: option text
/// plain_text ≤75, value ≤150, ≤100 options, options xor option_groups. A bad
/// answer shows nothing; the app is not told.
#[tokio::test]
async fn a_bad_options_answer_shows_nothing_and_the_person_cannot_pick_from_it() {
    let e = env().await;
    let view_id = open_modal(&e, &e.bob.id, request_modal()).await;
    let long = "x".repeat(76);
    let too_many: Vec<Value> = (0..101).map(|i| option("o", &i.to_string())).collect();
    for (answer, expect) in [
        (
            json!({"options": [option(&long, "v")]}),
            "must be less than 76 characters",
        ),
        (
            json!({"options": [{"text": {"type": "mrkdwn", "text": "*x*"}, "value": "v"}]}),
            "must be plain_text",
        ),
        (
            json!({"options": [option("a", &"v".repeat(151))]}),
            "must be less than 151 characters",
        ),
        (json!({"options": too_many}), "no more than 100 items"),
        (json!({"options": [], "option_groups": []}), "exclusive"),
        (json!({"choices": []}), "neither options nor option_groups"),
    ] {
        let app = FakeApp::start(answering(answer.clone())).await;
        let bob = e.slack.person(&e.bob.id, &app.url);
        let out = bob
            .search(Surface::view(&view_id), "app", "app", "git")
            .await
            .unwrap();
        assert!(out.options.is_empty(), "{answer}");
        assert!(
            out.problems.iter().any(|p| p.contains(expect)),
            "{answer}: {:?}",
            out.problems
        );
        assert!(
            bob.select(Surface::view(&view_id), "app", "app", "v")
                .await
                .is_err()
        );
    }
}

/// BOLTPY-SUG expected multi response: `option_groups` with labels.
#[tokio::test]
async fn option_groups_are_shown_flattened_and_can_be_picked() {
    let e = env().await;
    let view_id = open_modal(&e, &e.bob.id, request_modal()).await;
    let app = FakeApp::start(answering(json!({"option_groups": [
        {"label": text("SaaS"), "options": [option("GitHub", "github"), option("Okta", "okta")]}]})))
    .await;
    let bob = e.slack.person(&e.bob.id, &app.url);
    let found = bob
        .search(Surface::view(&view_id), "", "app", "o")
        .await
        .unwrap();
    assert_eq!(found.options.len(), 2);
    let out = bob
        .select(Surface::view(&view_id), "app", "app", "okta")
        .await
        .unwrap();
    assert_eq!(out.state["app"]["app"]["selected_option"]["value"], "okta");
}

/// BOLTJS-BA `StaticSelectAction.selected_option`, container `view`, `view`
/// with state, no `response_url` / `channel` / `message` (slack.md §2.3).
#[tokio::test]
async fn a_select_in_a_modal_sends_block_actions_with_the_view_and_its_state() {
    let e = env().await;
    let view_id = open_modal(&e, &e.bob.id, request_modal()).await;
    let app = FakeApp::start(Behaviour::default()).await;
    let bob = e.slack.person(&e.bob.id, &app.url);
    bob.type_text(&view_id, "why", "reason", "INC-42")
        .await
        .unwrap();
    assert!(
        app.requests().is_empty(),
        "input blocks do not dispatch without dispatch_action"
    );
    let out = bob
        .select(
            Surface::view(&view_id),
            "entitlement",
            "entitlement",
            "admin",
        )
        .await
        .unwrap();
    assert!(out.dispatched.unwrap().acked);
    let p = payload(&app, 0);
    assert_eq!(p["type"], "block_actions");
    assert_eq!(p["container"], json!({"type": "view", "view_id": view_id}));
    assert_eq!(p["actions"][0]["type"], "static_select");
    assert_eq!(p["actions"][0]["selected_option"]["value"], "admin");
    assert_eq!(p["actions"][0]["selected_option"]["text"]["text"], "Admin");
    assert_eq!(
        p["view"]["state"]["values"]["why"]["reason"]["value"],
        "INC-42"
    );
    assert_eq!(
        p["view"]["state"]["values"]["entitlement"]["entitlement"]["selected_option"]["value"],
        "admin"
    );
    assert!(slack_standin::ids::looks_like_trigger_id(
        p["trigger_id"].as_str().unwrap()
    ));
    for absent in ["response_url", "channel", "message"] {
        assert!(p.get(absent).is_none(), "{absent}");
    }
}

/// slack.md §2.3: `dispatch_action: true` on an input block makes its element dispatch.
#[tokio::test]
async fn an_input_block_with_dispatch_action_sends_block_actions() {
    let e = env().await;
    let view_id = open_modal(&e, &e.bob.id, request_modal()).await;
    let app = FakeApp::start(answering(json!({"options": [option("GitHub", "github")]}))).await;
    let bob = e.slack.person(&e.bob.id, &app.url);
    bob.search(Surface::view(&view_id), "app", "app", "git")
        .await
        .unwrap();
    let out = bob
        .select(Surface::view(&view_id), "app", "app", "github")
        .await
        .unwrap();
    assert!(out.dispatched.is_some());
    let p = payload(&app, 1);
    assert_eq!(p["actions"][0]["type"], "external_select");
    assert_eq!(p["actions"][0]["selected_option"]["value"], "github");
}

/// BOLTJS-BA `UsersSelectAction.selected_user`, `DatepickerAction.selected_date`;
/// BOLTJS-VIEW `ViewStateValue`; empty inputs are `null` in state.
#[tokio::test]
async fn submitting_derives_state_values_from_what_the_person_did() {
    let e = env().await;
    let mut view = request_modal();
    view["blocks"][0]["optional"] = json!(true);
    let view_id = open_modal(&e, &e.bob.id, view).await;
    let app = FakeApp::start(Behaviour::default()).await;
    let bob = e.slack.person(&e.bob.id, &app.url);
    let modal = Surface::view(&view_id);
    bob.type_text(&view_id, "why", "reason", "INC-42\nfix prod")
        .await
        .unwrap();
    bob.pick_user(modal.clone(), "reviewer", "reviewer", &e.alice.id)
        .await
        .unwrap();
    bob.pick_date(modal.clone(), "until", "until", "2026-12-24")
        .await
        .unwrap();
    assert!(
        bob.pick_date(modal.clone(), "until", "until", "24/12/2026")
            .await
            .is_err()
    );
    assert!(
        bob.pick_user(modal, "reviewer", "reviewer", "U0NOBODY")
            .await
            .is_err()
    );
    let out = bob.submit(&view_id).await.unwrap();
    assert!(out.ack.unwrap().acked);
    let p = payload(&app, 0);
    assert_eq!(p["type"], "view_submission");
    let values = &p["view"]["state"]["values"];
    assert_eq!(
        values["why"]["reason"],
        json!({"type": "plain_text_input", "value": "INC-42\nfix prod"})
    );
    assert_eq!(
        values["reviewer"]["reviewer"],
        json!({"type": "users_select", "selected_user": e.alice.id})
    );
    assert_eq!(
        values["until"]["until"],
        json!({"type": "datepicker", "selected_date": "2026-12-24"})
    );
    assert_eq!(
        values["app"]["app"],
        json!({"type": "external_select", "selected_option": null})
    );
    assert!(
        e.slack.view(&view_id).unwrap().closed,
        "an empty 200 closes the view"
    );
}

/// BOLTPY-REQ (`"block_id":"+5B"`, `"action_id":"MMKH"`), DOCS-M views.publish
/// (`"block_id":"2WGp9"`): Slack assigns ids the app omitted, and the state
/// is keyed by them, not by anything the app could guess.
#[tokio::test]
async fn blocks_without_ids_get_slack_assigned_ids_that_key_the_state() {
    let e = env().await;
    let mut view = request_modal();
    view["blocks"][0]["optional"] = json!(true);
    let view_id = open_modal(&e, &e.bob.id, view).await;
    let stored = e.slack.view(&view_id).unwrap();
    let notes = &stored.definition["blocks"][5];
    let block_id = notes["block_id"].as_str().unwrap().to_owned();
    let action_id = notes["element"]["action_id"].as_str().unwrap().to_owned();
    assert!(!block_id.is_empty() && block_id.len() <= 5, "{block_id}");
    assert_eq!(notes["optional"], true);
    assert_eq!(
        stored.definition["blocks"][2]["optional"], false,
        "Slack fills optional: false"
    );
    let app = FakeApp::start(Behaviour::default()).await;
    let bob = e.slack.person(&e.bob.id, &app.url);
    bob.type_text(&view_id, "why", "reason", "because")
        .await
        .unwrap();
    bob.type_text(&view_id, "", &action_id, "a note")
        .await
        .unwrap();
    bob.submit(&view_id).await.unwrap();
    let values = payload(&app, 0)["view"]["state"]["values"].clone();
    assert_eq!(values[&block_id][&action_id]["value"], "a note");
}

/// Slack's client refuses to submit with a required input empty; the app is not called.
#[tokio::test]
async fn a_required_input_left_empty_blocks_the_submission_in_the_client() {
    let e = env().await;
    let view_id = open_modal(&e, &e.bob.id, request_modal()).await;
    let app = FakeApp::start(Behaviour::default()).await;
    let out = e
        .slack
        .person(&e.bob.id, &app.url)
        .submit(&view_id)
        .await
        .unwrap();
    assert!(out.ack.is_none());
    assert!(out.client_errors.contains_key("why"));
    assert!(out.client_errors.contains_key("app"));
    assert!(
        !out.client_errors.contains_key("reviewer"),
        "optional inputs may stay empty"
    );
    assert!(app.requests().is_empty());
}

/// A test can no longer submit keys the real modal would never produce.
#[tokio::test]
async fn submitted_values_must_name_elements_of_the_view() {
    let e = env().await;
    let view_id = open_modal(&e, &e.bob.id, request_modal()).await;
    let app = FakeApp::start(Behaviour::default()).await;
    for values in [
        json!({"notes": {"notes": {"type": "plain_text_input", "value": "x"}}}),
        json!({"why": {"reason": {"type": "static_select", "selected_option": null}}}),
        json!({"why": {"reason": {"type": "plain_text_input"}}}),
    ] {
        let r = e
            .slack
            .submit_view(
                &app.url,
                slack_standin::ViewSubmit {
                    view_id: view_id.clone(),
                    user_id: None,
                    values: values.clone(),
                },
            )
            .await;
        assert!(r.is_err(), "{values}");
    }
    assert!(app.requests().is_empty());
}

async fn filled_modal(e: &Env, view: Value) -> String {
    let view_id = open_modal(e, &e.bob.id, view).await;
    let app = FakeApp::start(Behaviour::default()).await;
    e.slack
        .person(&e.bob.id, &app.url)
        .type_text(&view_id, "why", "reason", "because")
        .await
        .unwrap();
    view_id
}

fn small_modal(title: &str) -> Value {
    json!({"type": "modal", "title": text(title), "submit": text("Next"), "blocks": [
        {"type": "input", "block_id": "why", "label": text("Why"),
         "element": {"type": "plain_text_input", "action_id": "reason"}}]})
}

/// slackapi/bolt-python#241, soxtoby/SlackNet#102: Slack shows "We had some
/// trouble connecting" for a view it cannot render and tells the app nothing.
#[tokio::test]
async fn an_invalid_update_view_shows_trouble_connecting_and_keeps_the_modal() {
    let e = env().await;
    let view_id = filled_modal(&e, small_modal("Request")).await;
    let bad = json!({"response_action": "update", "view": small_modal("A title far longer than twenty-four")});
    let app = FakeApp::start(answering(bad)).await;
    let out = e
        .slack
        .person(&e.bob.id, &app.url)
        .submit(&view_id)
        .await
        .unwrap();
    assert_eq!(out.slack_error.as_deref(), Some(TROUBLE_CONNECTING));
    assert!(
        out.problems[0].contains("json-pointer:/view/title"),
        "{:?}",
        out.problems
    );
    let v = e.slack.view(&view_id).unwrap();
    assert_eq!(v.definition["title"]["text"], "Request");
    assert!(!v.closed);

    for answer in [
        json!({"response_action": "update"}),
        json!({"response_action": "replace"}),
    ] {
        let app = FakeApp::start(answering(answer)).await;
        let out = e
            .slack
            .person(&e.bob.id, &app.url)
            .submit(&view_id)
            .await
            .unwrap();
        assert_eq!(out.slack_error.as_deref(), Some(TROUBLE_CONNECTING));
    }
}

/// A valid `update` replaces the view in place; inputs under the same ids stay.
#[tokio::test]
async fn a_valid_update_replaces_the_view_and_keeps_inputs_with_the_same_ids() {
    let e = env().await;
    let view_id = filled_modal(&e, small_modal("Step 1")).await;
    let app = FakeApp::start(answering(
        json!({"response_action": "update", "view": small_modal("Step 2")}),
    ))
    .await;
    let out = e
        .slack
        .person(&e.bob.id, &app.url)
        .submit(&view_id)
        .await
        .unwrap();
    assert_eq!(out.slack_error, None);
    let v = e.slack.view(&view_id).unwrap();
    assert_eq!(v.definition["title"]["text"], "Step 2");
    assert_eq!(v.state_values["why"]["reason"]["value"], "because");
}

/// DOCS-M views.push `push_limit_reached`: "Currently the limit is 3".
#[tokio::test]
async fn push_beyond_three_views_shows_trouble_connecting() {
    let e = env().await;
    let view_id = filled_modal(&e, small_modal("Step 1")).await;
    let app = FakeApp::start(answering(
        json!({"response_action": "push", "view": small_modal("Next")}),
    ))
    .await;
    let bob = e.slack.person(&e.bob.id, &app.url);
    let mut top = view_id;
    for depth in 2..=3 {
        let out = bob.submit(&top).await.unwrap();
        assert_eq!(out.slack_error, None, "push to depth {depth}");
        top = e.slack.top_modal(&e.bob.id).unwrap().id;
        bob.type_text(&top, "why", "reason", "x").await.unwrap();
    }
    let out = bob.submit(&top).await.unwrap();
    assert_eq!(out.slack_error.as_deref(), Some(TROUBLE_CONNECTING));
    assert!(out.problems[0].contains("push_limit_reached"));
}

/// slack.md §2.3 `view_closed`: only with `notify_on_close`, with `is_cleared`.
#[tokio::test]
async fn closing_a_modal_sends_view_closed_only_when_asked() {
    let e = env().await;
    let app = FakeApp::start(Behaviour::default()).await;
    let bob = e.slack.person(&e.bob.id, &app.url);
    let quiet = open_modal(&e, &e.bob.id, small_modal("Quiet")).await;
    let out = bob.close(&quiet).await.unwrap();
    assert!(out.ack.is_none());
    assert!(app.requests().is_empty());
    let noisy = open_modal(&e, &e.bob.id, request_modal()).await;
    bob.type_text(&noisy, "why", "reason", "half-written")
        .await
        .unwrap();
    let out = bob.close(&noisy).await.unwrap();
    assert!(out.ack.unwrap().acked);
    let p = payload(&app, 0);
    assert_eq!(p["type"], "view_closed");
    assert_eq!(p["is_cleared"], false);
    assert_eq!(p["view"]["id"], noisy);
    assert_eq!(
        p["view"]["state"]["values"]["why"]["reason"]["value"],
        "half-written"
    );
    assert!(e.slack.view(&noisy).unwrap().closed);
}

/// JAVA-BAP `jsonWithState` / `jsonInThread`, BOLTPY-REQ: ephemeral sources
/// have `container.is_ephemeral: true` and no `message`; they keep `response_url`.
#[tokio::test]
async fn block_actions_from_an_ephemeral_message_carry_no_message() {
    let e = env().await;
    e.join(&e.general.id).await;
    let blocks = json!([{"type": "actions", "block_id": "b", "elements": [
        {"type": "button", "action_id": "open", "text": text("Open request form")}]}]);
    let r = e
        .call_json(
            "chat.postEphemeral",
            json!({"channel": e.general.id, "user": e.bob.id, "text": "hi", "blocks": blocks}),
        )
        .await;
    let ts = r["message_ts"].as_str().unwrap().to_owned();
    let app = FakeApp::start(Behaviour::default()).await;
    let out = e
        .slack
        .person(&e.bob.id, &app.url)
        .click(Surface::message(&e.general.id, &ts), "b", "open")
        .await
        .unwrap();
    let ack = out.dispatched.unwrap();
    let p = payload(&app, 0);
    assert_eq!(p["container"]["is_ephemeral"], true);
    assert_eq!(p["container"]["type"], "message");
    assert!(p.get("message").is_none());
    assert_eq!(p["response_url"].as_str(), ack.response_url.as_deref());
    assert_eq!(p["channel"]["id"], e.general.id);
    assert!(
        e.slack
            .person(&e.carol.id, &app.url)
            .click(Surface::message(&e.general.id, &ts), "b", "open")
            .await
            .is_err(),
        "only bob sees the ephemeral message"
    );
}

/// JAVA-BAP `state_in_messages`: a button click carries the message's
/// stateful elements in `state.values`; the person's choice is theirs alone.
#[tokio::test]
async fn a_button_click_carries_the_state_of_the_messages_selects() {
    let e = env().await;
    let blocks = json!([
        {"type": "section", "block_id": "dur", "text": {"type": "mrkdwn", "text": "Extend by"},
         "accessory": {"type": "static_select", "action_id": "hours",
                       "options": [option("1 hour", "1"), option("8 hours", "8")]}},
        {"type": "actions", "block_id": "act", "elements": [
            {"type": "button", "action_id": "approve", "value": "42", "style": "primary", "text": text("Approve")},
            {"type": "overflow", "action_id": "more", "options": [option("Won't do", "wont"), option("Cancel", "cancel")]}]}]);
    let ts = post_blocks(&e, &e.it_access.id, blocks).await;
    let app = FakeApp::start(Behaviour::default()).await;
    let alice = e.slack.person(&e.alice.id, &app.url);
    let msg = Surface::message(&e.it_access.id, &ts);
    alice
        .select(msg.clone(), "dur", "hours", "8")
        .await
        .unwrap();
    alice.click(msg.clone(), "act", "approve").await.unwrap();
    let p = payload(&app, 1);
    assert_eq!(
        p["state"]["values"]["dur"]["hours"]["selected_option"]["value"],
        "8"
    );
    assert_eq!(p["actions"][0]["value"], "42");
    assert_eq!(p["actions"][0]["style"], "primary");
    assert_eq!(p["message"]["ts"], ts);
    alice
        .select(msg.clone(), "act", "more", "wont")
        .await
        .unwrap();
    assert_eq!(
        payload(&app, 2)["actions"][0]["selected_option"]["value"],
        "wont",
        "BOLTJS-BA OverflowAction"
    );
    let bob = e.slack.person(&e.bob.id, &app.url);
    bob.click(msg, "act", "approve").await.unwrap();
    assert_eq!(
        payload(&app, 3)["state"]["values"],
        json!({}),
        "bob chose nothing"
    );
}

/// BOLTJS-BA `CheckboxesAction.selected_options`; a person picks only offered options.
#[tokio::test]
async fn checkboxes_send_selected_options_and_refuse_unknown_values() {
    let e = env().await;
    let blocks = json!([{"type": "actions", "block_id": "c", "elements": [
        {"type": "checkboxes", "action_id": "notify", "options": [
            {"text": {"type": "mrkdwn", "text": "*Email*"}, "value": "email"}, option("DM", "dm")]}]}]);
    let ts = post_blocks(&e, &e.it_access.id, blocks).await;
    let app = FakeApp::start(Behaviour::default()).await;
    let alice = e.slack.person(&e.alice.id, &app.url);
    let msg = Surface::message(&e.it_access.id, &ts);
    alice
        .select_many(msg.clone(), "c", "notify", &["email", "dm"])
        .await
        .unwrap();
    let p = payload(&app, 0);
    assert_eq!(p["actions"][0]["selected_options"][1]["value"], "dm");
    assert!(
        alice
            .select_many(msg, "c", "notify", &["sms"])
            .await
            .is_err()
    );
}

/// BOLTJS-BA (`user.name` present from the Home tab), container `view`.
#[tokio::test]
async fn a_button_on_app_home_sends_block_actions_with_the_home_view() {
    let e = env().await;
    let home = json!({"type": "home", "blocks": [{"type": "actions", "block_id": "home", "elements": [
        {"type": "button", "action_id": "request_access", "text": text("Request access")}]}]});
    let r = e
        .call_json("views.publish", json!({"user_id": e.bob.id, "view": home}))
        .await;
    let view_id = r["view"]["id"].as_str().unwrap().to_owned();
    let app = FakeApp::start(Behaviour::default()).await;
    let out = e
        .slack
        .person(&e.bob.id, &app.url)
        .click(Surface::view(&view_id), "home", "request_access")
        .await
        .unwrap();
    let trigger = out.dispatched.unwrap().trigger_id.unwrap();
    let p = payload(&app, 0);
    assert_eq!(p["container"], json!({"type": "view", "view_id": view_id}));
    assert_eq!(p["view"]["type"], "home");
    assert_eq!(p["user"]["name"], "bob");
    assert!(p.get("response_url").is_none());
    let opened = e
        .call_json(
            "views.open",
            json!({"trigger_id": trigger, "view": small_modal("Request")}),
        )
        .await;
    assert_eq!(opened["ok"], true, "the click's trigger_id opens a modal");
}

/// BOLTPY-REQ `test_org_wide_installations_block_actions`: `team: null`,
/// `enterprise`, `is_enterprise_install: true`; the workspace is `user.team_id`.
#[tokio::test]
async fn block_actions_for_an_org_wide_install_have_a_null_team() {
    let slack = slack_standin::SlackStandin::start(crate::config())
        .await
        .unwrap();
    let org = slack.add_enterprise("Globex");
    let team = slack
        .add_workspace_in(&org.id, "Globex East", "globex-east")
        .unwrap();
    let alice = slack
        .add_user(
            &team.id,
            slack_standin::NewUser {
                is_admin: true,
                ..slack_standin::NewUser::new("alice", "alice@globex.test")
            },
        )
        .unwrap();
    let authorize = format!(
        "{}?client_id={}&scope=chat:write&redirect_uri=http://127.0.0.1:9/slack/oauth/callback",
        slack.authorize_url(),
        crate::CLIENT_ID
    );
    slack
        .approve_install(
            &authorize,
            slack_standin::Consent {
                org_wide: true,
                target: Some(org.id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    let trigger = slack.issue_trigger_id(&team.id, &alice.id);
    let token = slack.tokens()[0].token.clone();
    let r: Value = reqwest::Client::new()
        .post(format!("{}/views.open", slack.api_url()))
        .bearer_auth(token)
        .json(&json!({"trigger_id": trigger, "view": {"type": "modal", "title": text("T"), "blocks": [
            {"type": "actions", "block_id": "a", "elements": [{"type": "button", "action_id": "go", "text": text("Go")}]}]}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let view_id = r["view"]["id"].as_str().unwrap().to_owned();
    let app = FakeApp::start(Behaviour::default()).await;
    slack
        .person(&alice.id, &app.url)
        .click(Surface::view(&view_id), "a", "go")
        .await
        .unwrap();
    let p = payload(&app, 0);
    assert_eq!(p["team"], Value::Null);
    assert_eq!(p["is_enterprise_install"], true);
    assert_eq!(p["enterprise"]["id"], org.id);
    assert_eq!(p["user"]["team_id"], team.id);
}

/// JAVA-BAP remote-function payload: a DM's `channel.name` is `directmessage`.
#[tokio::test]
async fn block_actions_from_the_app_dm_name_the_channel_directmessage() {
    let e = env().await;
    let posted = e
        .call_json("chat.postMessage", json!({"channel": e.bob.id, "text": "Approve?", "blocks": [
            {"type": "actions", "block_id": "a", "elements": [{"type": "button", "action_id": "ok", "text": text("OK")}]}]}))
        .await;
    let (channel, ts) = (
        posted["channel"].as_str().unwrap(),
        posted["ts"].as_str().unwrap(),
    );
    let app = FakeApp::start(Behaviour::default()).await;
    e.slack
        .person(&e.bob.id, &app.url)
        .click(Surface::message(channel, ts), "a", "ok")
        .await
        .unwrap();
    assert_eq!(payload(&app, 0)["channel"]["name"], "directmessage");
}

/// The driver over HTTP: `/_standin/driver/act` and `/driver/load_options`.
#[tokio::test]
async fn the_driver_acts_over_http_for_a_browser_simulator() {
    let e = env().await;
    let view_id = open_modal(&e, &e.bob.id, request_modal()).await;
    let app = FakeApp::start(answering(json!({"options": [option("GitHub", "github")]}))).await;
    let base = e.slack.base_url().to_owned();
    let r: Value = e
        .http
        .post(format!("{base}/_standin/driver/load_options"))
        .json(&json!({"app_url": app.url, "user_id": e.bob.id, "surface": {"type": "view", "view_id": view_id},
                      "action_id": "app", "value": "git"}))
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(r["result"]["options"][0]["value"], "github", "{r}");
    let r: Value = e
        .http
        .post(format!("{base}/_standin/driver/act"))
        .json(&json!({"app_url": app.url, "user_id": e.bob.id, "surface": {"type": "view", "view_id": view_id},
                      "block_id": "why", "action_id": "reason", "input": {"kind": "text", "value": "INC-1"}}))
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(
        r["result"]["state"]["why"]["reason"]["value"], "INC-1",
        "{r}"
    );
    let r: Value = e
        .http
        .post(format!("{base}/_standin/driver/close_view"))
        .json(&json!({"app_url": app.url, "view_id": view_id}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["ok"], true, "{r}");
    let _ = Input::Click;
}

/// BOLTJS-VIEW `ViewStateValue` / BOLTJS-BA: the state key of each element
/// type Latch's modals may use, as submitted after a person filled them.
#[tokio::test]
async fn every_input_element_type_submits_its_slack_state_shape() {
    let e = env().await;
    let opts = json!([option("One", "1"), option("Two", "2")]);
    let input = |id: &str, element: Value| json!({"type": "input", "block_id": id, "label": text(id), "element": element});
    let view = json!({"type": "modal", "title": text("All"), "submit": text("Go"), "blocks": [
        input("radio", json!({"type": "radio_buttons", "action_id": "a", "options": opts})),
        input("checks", json!({"type": "checkboxes", "action_id": "a", "options": opts})),
        input("multi", json!({"type": "multi_static_select", "action_id": "a", "options": opts})),
        input("people", json!({"type": "multi_users_select", "action_id": "a"})),
        input("where", json!({"type": "channels_select", "action_id": "a"})),
        input("preset", json!({"type": "static_select", "action_id": "a", "options": opts,
                               "initial_option": option("Two", "2")})),
    ]});
    let view_id = open_modal(&e, &e.bob.id, view).await;
    let app = FakeApp::start(Behaviour::default()).await;
    let bob = e.slack.person(&e.bob.id, &app.url);
    let modal = Surface::view(&view_id);
    bob.select(modal.clone(), "radio", "a", "2").await.unwrap();
    bob.select_many(modal.clone(), "checks", "a", &["1"])
        .await
        .unwrap();
    bob.select_many(modal.clone(), "multi", "a", &["1", "2"])
        .await
        .unwrap();
    bob.pick_users(modal.clone(), "people", "a", &[&e.alice.id, &e.carol.id])
        .await
        .unwrap();
    bob.pick_channel(modal.clone(), "where", "a", &e.general.id)
        .await
        .unwrap();
    assert!(
        app.requests().is_empty(),
        "nothing in an input block dispatched"
    );
    bob.submit(&view_id).await.unwrap();
    let v = payload(&app, 0)["view"]["state"]["values"].clone();
    assert_eq!(v["radio"]["a"]["type"], "radio_buttons");
    assert_eq!(v["radio"]["a"]["selected_option"]["value"], "2");
    assert_eq!(v["checks"]["a"]["selected_options"][0]["value"], "1");
    assert_eq!(
        v["multi"]["a"]["selected_options"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        v["people"]["a"]["selected_users"],
        json!([e.alice.id, e.carol.id])
    );
    assert_eq!(v["where"]["a"]["selected_channel"], e.general.id);
    assert_eq!(
        v["preset"]["a"]["selected_option"]["value"], "2",
        "an initial_option is the state until the person changes it"
    );
}
