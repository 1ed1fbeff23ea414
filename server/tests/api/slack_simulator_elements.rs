//! The Slack simulator's pickers against the real Latch: a person in the simulator picks a
//! colleague in "Submit a request"'s "Request for" (a `users_select`), and the request Latch makes
//! is the colleague's. Everything goes through the simulator's page endpoints, as its browser
//! client does, so Latch gets the signed requests Slack would send.

use app::ssr::slack::blocks::request_modal::{
    APP_ACTION, APP_BLOCK, ENTITLEMENT_ACTION, ENTITLEMENT_BLOCK, JUSTIFICATION_ACTION,
    JUSTIFICATION_BLOCK, LENGTH_ACTION, LENGTH_BLOCK, SUBJECT_ACTION, SUBJECT_BLOCK,
};
use serde_json::{Value, json};

use crate::helpers::client;
use crate::slack_commands::{Front, eventually, front};

/// `user` does `doing` in the simulator's page (what its script posts to `/do`), with the
/// simulator pointed at Latch's Slack URLs; returns the simulator's answer.
async fn in_simulator(f: &Front, user: &str, doing: Value) -> Value {
    let answer: Value = client()
        .post(format!("{}/simulator/as/{user}/do", f.slack.base_url()))
        .header(
            "cookie",
            format!("standin_simulator_app={}", f.app.url("/slack")),
        )
        .json(&doing)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["notice"], Value::Null, "{doing} → {answer}");
    answer
}

/// What the simulator draws of `user`'s open modal.
async fn modal_html(f: &Front, user: &str) -> String {
    client()
        .get(format!("{}/simulator/as/{user}/modal", f.slack.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn has_block(definition: &Value, block_id: &str) -> bool {
    definition["blocks"]
        .as_array()
        .is_some_and(|blocks| blocks.iter().any(|b| b["block_id"] == block_id))
}

/// `user` picks `input` in `block_id`/`action_id` of modal `view_id` in the simulator.
async fn pick(f: &Front, user: &str, view_id: &str, block_id: &str, action_id: &str, input: Value) {
    in_simulator(
        f,
        user,
        json!({"op": "act", "surface": {"type": "view", "view_id": view_id},
               "block_id": block_id, "action_id": action_id, "input": input}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_picks_a_report_in_the_simulators_request_for_and_latch_files_the_request_for_them()
 {
    let f = front().await;
    in_simulator(
        &f,
        &f.bob,
        json!({"op": "command", "channel_id": f.channel, "text": "/c1 request"}),
    )
    .await;
    let modal = eventually("the request modal", || f.slack.top_modal(&f.bob)).await;
    let view_id = modal.id.clone();
    eventually("Request for", || {
        f.slack
            .view(&view_id)
            .filter(|v| has_block(&v.definition, SUBJECT_BLOCK))
    })
    .await;

    // The simulator draws "Request for" as Slack does: a list of the workspace's people, "Myself"
    // until someone is picked.
    let html = modal_html(&f, &f.bob).await;
    let subject = html
        .split(&format!("data-action=\"{SUBJECT_ACTION}\""))
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .unwrap_or_else(|| panic!("no Request for picker: {html}"));
    assert!(
        subject.contains("<option value=\"\">Myself</option>"),
        "{subject}"
    );
    assert!(
        subject.contains(&format!("<option value=\"{}\">", f.alice)),
        "Alice is listed: {subject}"
    );

    let app_id = crate::access_fixtures::app_id_of(&f.app, &f.l.entitlement_id).await;
    let found = in_simulator(
        &f,
        &f.bob,
        json!({"op": "options", "surface": {"type": "view", "view_id": view_id},
               "block_id": APP_BLOCK, "action_id": APP_ACTION, "value": "prod"}),
    )
    .await;
    assert_eq!(found["options"][0]["value"], json!(app_id), "{found}");
    pick(
        &f,
        &f.bob,
        &view_id,
        APP_BLOCK,
        APP_ACTION,
        json!({"kind": "select", "value": app_id}),
    )
    .await;
    eventually("the entitlements", || {
        f.slack
            .view(&view_id)
            .filter(|v| has_block(&v.definition, ENTITLEMENT_BLOCK))
    })
    .await;
    pick(
        &f,
        &f.bob,
        &view_id,
        ENTITLEMENT_BLOCK,
        ENTITLEMENT_ACTION,
        json!({"kind": "select", "value": f.l.entitlement_id}),
    )
    .await;
    eventually("the length", || {
        f.slack
            .view(&view_id)
            .filter(|v| has_block(&v.definition, LENGTH_BLOCK))
    })
    .await;
    pick(
        &f,
        &f.bob,
        &view_id,
        LENGTH_BLOCK,
        LENGTH_ACTION,
        json!({"kind": "select", "value": "1d"}),
    )
    .await;
    pick(
        &f,
        &f.bob,
        &view_id,
        SUBJECT_BLOCK,
        SUBJECT_ACTION,
        json!({"kind": "user", "value": f.alice}),
    )
    .await;
    pick(
        &f,
        &f.bob,
        &view_id,
        JUSTIFICATION_BLOCK,
        JUSTIFICATION_ACTION,
        json!({"kind": "text", "value": "Alice is on call"}),
    )
    .await;
    let html = modal_html(&f, &f.bob).await;
    assert!(
        html.contains(&format!("<option value=\"{}\" selected>", f.alice)),
        "the pick shows: {html}"
    );

    in_simulator(&f, &f.bob, json!({"op": "submit", "view_id": view_id})).await;
    eventually("the modal to close", || {
        f.slack.view(&view_id).filter(|v| v.closed)
    })
    .await;
    let (requester, subject): (i64, i64) = sqlx::query_as(
        "SELECT requester_id, subject_id FROM requests WHERE entitlement_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(&f.l.entitlement_id)
    .fetch_one(&f.app.db.pool)
    .await
    .unwrap();
    assert_eq!(requester, f.l.bob.user.id, "Bob asked");
    assert_eq!(
        subject, f.l.alice.user.id,
        "for Alice, picked in the simulator"
    );
    let alices = f.said(&f.alice, "requests").await;
    assert!(alices.contains("Prod DB — Admin"), "{alices}");
}
