//! Deciding in Slack (`app::ssr::slack::decisions`), through the real server against the
//! stand-in: the buttons on Latch's DMs (approve with its reason, deny and its reason modal,
//! cancel, provisioned / won't do, retry, extend / release), each clicked by a person resolved
//! from their Slack user, with the console's rules; stale clicks told what happened and their
//! message refreshed; 50 simultaneous clicks recording one decision; the console and Slack
//! seeing each other's decisions.
//!
//! A click uses the delivered message's real button when the message shows it, else a
//! Slack-shaped `block_actions` for that message (channel and ts of the delivered DM) with the
//! action id and value the button would carry: the same payload an old copy of the message sends.

use std::time::{Duration, Instant};

use app::api::approvals::reassign_request::ReassignRequest;
use app::api::grants::release_grant::ReleaseGrant;
use app::api::requests::cancel_request::CancelRequest;
use app::domain::{Request, RequestState};
use app::ssr::slack::decisions::{
    APPROVAL_REASON_ACTION, APPROVAL_REASON_BLOCK, APPROVE_ACTION, CANCEL_ACTION, DENY_ACTION,
    DENY_REASON_CALLBACK, GRANT_EXTEND_ACTION, GRANT_RELEASE_ACTION, REASON_ACTION, REASON_BLOCK,
    TASK_DONE_ACTION, TASK_RETRY_ACTION, TASK_WONT_DO_ACTION, WONT_DO_REASON_CALLBACK,
};
use serde_json::{Value, json};
use slack_standin::{Input, Message, NewUser, Surface};

use crate::access_fixtures::*;
use crate::helpers::{SLACK_SIGNING_SECRET, client};
use crate::slack_connect::sign;
use crate::slack_delivery::{World, outbox, world_with};

async fn world() -> World {
    world_with(&["alice", "bob", "carol"]).await
}

/// A message in someone's DM: its channel and ts.
#[derive(Debug, Clone)]
struct Dm {
    channel: String,
    ts: String,
}

impl World {
    fn interactivity(&self) -> String {
        self.app.url("/slack/interactivity")
    }

    /// The DM Latch delivered to `who` for their latest notification of `kind`.
    async fn dm_of(&self, who: &str, kind: &str) -> Dm {
        self.settled().await;
        let email = format!("{who}@example.com");
        let row = outbox(&self.app)
            .await
            .into_iter()
            .rev()
            .find(|r| r.recipient == email && r.kind == kind && r.ts.is_some())
            .unwrap_or_else(|| panic!("no {kind} delivered to {who}"));
        Dm {
            channel: self.slack.app_dm(&self.ids[who]).unwrap().id,
            ts: row.ts.unwrap(),
        }
    }

    fn message(&self, dm: &Dm) -> Message {
        self.slack
            .messages(&dm.channel)
            .into_iter()
            .find(|m| m.ts == dm.ts)
            .unwrap()
    }

    /// `who` clicks `action_id` on `dm` (after typing `reason` into its approval reason box):
    /// the message's own button when it shows one, else a Slack-shaped payload carrying `value`.
    async fn click(&self, who: &str, dm: &Dm, action_id: &str, value: &str, reason: Option<&str>) {
        let user = self.ids[who].clone();
        let shown = self.message(dm).blocks.unwrap_or(Value::Null).to_string();
        let surface = Surface::message(&dm.channel, &dm.ts);
        if shown.contains(&format!("\"{action_id}\"")) && shown.contains(value) {
            let person = self.slack.person(&user, &self.interactivity());
            if let Some(reason) = reason {
                person
                    .act(
                        surface.clone(),
                        APPROVAL_REASON_BLOCK,
                        APPROVAL_REASON_ACTION,
                        Input::Text(reason.into()),
                    )
                    .await
                    .unwrap();
            }
            let outcome = person.click(surface, "", action_id).await.unwrap();
            let ack = outcome.dispatched.expect("a button dispatches");
            assert!(ack.acked, "the click was not acked in time: {ack:?}");
            return;
        }
        let ack = self
            .slack
            .send_interaction(
                &self.interactivity(),
                self.payload(who, dm, action_id, value, reason),
            )
            .await
            .unwrap();
        assert!(ack.acked, "the click was not acked in time: {ack:?}");
        assert_eq!(ack.status, Some(200));
    }

    /// The `block_actions` Slack sends for a click on a button of `dm`.
    fn payload(
        &self,
        who: &str,
        dm: &Dm,
        action_id: &str,
        value: &str,
        reason: Option<&str>,
    ) -> Value {
        let user = &self.ids[who];
        let mut values = json!({});
        if let Some(reason) = reason {
            values = json!({APPROVAL_REASON_BLOCK: {APPROVAL_REASON_ACTION: {
                "type": "plain_text_input", "value": reason}}});
        }
        json!({
            "type": "block_actions",
            "user": {"id": user, "username": who, "name": who, "team_id": self.team},
            "api_app_id": "A0LATCH",
            "token": "legacy",
            "container": {"type": "message", "message_ts": dm.ts, "channel_id": dm.channel,
                          "is_ephemeral": false},
            "trigger_id": self.slack.issue_trigger_id(&self.team, user),
            "team": {"id": self.team, "domain": "acme"},
            "enterprise": null,
            "is_enterprise_install": false,
            "channel": {"id": dm.channel, "name": "directmessage"},
            "state": {"values": values},
            "actions": [{
                "type": "button", "action_id": action_id, "block_id": "latch_actions",
                "text": {"type": "plain_text", "text": "Click"}, "value": value,
                "action_ts": "1700000000.000001"
            }]
        })
    }

    /// The `view_submission` Slack sends for `modal` with `reason` in its reason field.
    fn submission(&self, who: &str, modal: &slack_standin::View, reason: &str) -> Value {
        let mut view = modal.definition.clone();
        view["id"] = modal.id.clone().into();
        view["team_id"] = self.team.clone().into();
        view["hash"] = modal.hash.clone().into();
        view["state"] = json!({"values": {REASON_BLOCK: {REASON_ACTION: {
            "type": "plain_text_input", "value": reason}}}});
        json!({
            "type": "view_submission",
            "team": {"id": self.team, "domain": "acme"},
            "user": {"id": self.ids[who], "username": who, "name": who, "team_id": self.team},
            "api_app_id": "A0LATCH",
            "token": "legacy",
            "trigger_id": self.slack.issue_trigger_id(&self.team, &self.ids[who]),
            "view": view,
            "response_urls": [],
            "enterprise": null,
            "is_enterprise_install": false
        })
    }

    /// What `who` was told ephemerally, oldest first.
    fn told(&self, who: &str) -> Vec<String> {
        let user = &self.ids[who];
        self.slack
            .ephemerals()
            .into_iter()
            .filter(|e| &e.user == user)
            .map(|e| e.text)
            .collect()
    }

    /// Waits (bounded) until `who` was told something containing `needle`; returns it.
    async fn told_about(&self, who: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(text) = self
                .told(who)
                .into_iter()
                .rev()
                .find(|t| t.contains(needle))
            {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{who} was never told about {needle:?}: {:?}",
                self.told(who)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The modal open for `who`, with its callback id `callback`.
    async fn modal(&self, who: &str, callback: &str) -> slack_standin::View {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(view) = self.slack.top_modal(&self.ids[who])
                && view.definition["callback_id"] == callback
            {
                if let Err(problem) = slack_standin::limits::validate_view(&view.definition, None) {
                    panic!("Slack would refuse this modal: {problem:?}");
                }
                return view;
            }
            assert!(Instant::now() < deadline, "no {callback} modal for {who}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn request(&self, id: &str) -> Request {
        app::ssr::access::requests::load(&self.app.db, id)
            .await
            .unwrap()
    }

    /// Waits (bounded) until the DM `dm` no longer offers `action_id`: it shows the current state.
    async fn refreshed_without(&self, dm: &Dm, action_id: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let message = self.message(dm);
            let blocks = message.blocks.clone().unwrap_or(Value::Null).to_string();
            if !message.edits.is_empty() && !blocks.contains(&format!("\"{action_id}\"")) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the message still offers {action_id} or was never edited: {message:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Posts a `block_actions` payload as Slack does (form-encoded, signed now); the HTTP status.
async fn post_signed(url: &str, payload: &Value) -> u16 {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish();
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    client()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", &timestamp)
        .header(
            "x-slack-signature",
            sign(SLACK_SIGNING_SECRET, &timestamp, &body),
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn step(id: &str, step: usize) -> String {
    format!("{id}:{step}")
}

/// Saves a one-step policy from `step` and makes it the loop's entitlement's.
async fn one_step_policy(w: &World, name: &str, step: Value) {
    let mut step = step;
    step["kind"] = "approval".into();
    let policy =
        w.l.admin
            .ok(
                &w.app,
                SavePolicy {
                    id: None,
                    policy_json: json!({"name": name, "steps": [step]}).to_string(),
                    version: None,
                },
            )
            .await;
    w.l.resave_admin_entitlement(&w.app, |form| form.request_policy = Some(policy))
        .await;
}

fn decisions_of(request: &Request) -> usize {
    request.decisions.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_in_slack_with_a_reason_records_it_and_tells_the_approver() {
    let w = world().await;
    let (id, number) = w.l.request_admin(&w.app).await;
    let dm = w.dm_of("bob", "approval_needed").await;
    let shown = w.message(&dm).blocks.unwrap_or(Value::Null).to_string();
    assert!(
        shown.contains(APPROVE_ACTION) && shown.contains(APPROVAL_REASON_BLOCK),
        "Bob's copy offers the reason and Approve: {shown}"
    );
    w.click(
        "bob",
        &dm,
        APPROVE_ACTION,
        &step(&id, 0),
        Some("On call this week"),
    )
    .await;
    let told = w.told_about("bob", "You approved").await;
    assert!(told.contains(&number), "{told}");
    let request = w.request(&id).await;
    assert_eq!(decisions_of(&request), 1);
    assert_eq!(
        request.decisions[0].reason.as_deref(),
        Some("On call this week")
    );
    assert_eq!(
        request.decisions[0].by.user(),
        Some(&app::domain::UserId::new(w.l.bob.user.id.to_string()))
    );
    // Multi-step: the next step's approver (Carol) is asked next.
    w.refreshed_without(&dm, APPROVE_ACTION).await;
    let carol = w.dm_of("carol", "approval_needed").await;
    assert!(
        w.message(&carol)
            .text
            .starts_with("Your approval is required")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_approval_reason_left_empty_decides_nothing_and_asks_for_it() {
    let w = world().await;
    one_step_policy(
        &w,
        "Reasoned",
        json!({"manager": true, "require_approval_reason": true}),
    )
    .await;
    let (id, _) = w.l.request_admin(&w.app).await;
    let dm = w.dm_of("bob", "approval_needed").await;
    w.click("bob", &dm, APPROVE_ACTION, &step(&id, 0), None)
        .await;
    let told = w.told_about("bob", "approval reason").await;
    assert!(told.contains("Nothing was decided"), "{told}");
    assert_eq!(decisions_of(&w.request(&id).await), 0);

    w.click(
        "bob",
        &dm,
        APPROVE_ACTION,
        &step(&id, 0),
        Some("Needed for the migration"),
    )
    .await;
    w.told_about("bob", "You approved").await;
    let request = w.request(&id).await;
    assert_eq!(
        request.decisions[0].reason.as_deref(),
        Some("Needed for the migration")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_without_a_required_reason_denies_at_once_and_ends_the_request() {
    let w = world().await;
    let (id, number) = w.l.request_admin(&w.app).await;
    w.l.bob.approve(&w.app, &id, 1).await;
    // Step 2 (the app owner, Carol) needs no denial reason.
    let dm = w.dm_of("carol", "approval_needed").await;
    w.click("carol", &dm, DENY_ACTION, &step(&id, 1), None)
        .await;
    let told = w.told_about("carol", "You denied").await;
    assert!(told.contains(&number), "{told}");
    let request = w.request(&id).await;
    assert!(matches!(
        request.state,
        RequestState::Closed {
            outcome: Outcome::Denied,
            ..
        }
    ));
    w.settled().await;
    assert_eq!(
        scalar(
            &w.app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'provisioning_assigned'"
        )
        .await,
        0,
        "a denial ends the request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_denial_reason_is_asked_in_a_modal_that_refuses_an_empty_one_inline() {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    // Step 1 (Bob, the manager) requires a denial reason.
    let dm = w.dm_of("bob", "approval_needed").await;
    w.click("bob", &dm, DENY_ACTION, &step(&id, 0), None).await;
    let modal = w.modal("bob", DENY_REASON_CALLBACK).await;
    assert_eq!(
        decisions_of(&w.request(&id).await),
        0,
        "nothing decided yet"
    );

    let bob = w.slack.person(&w.ids["bob"], &w.interactivity());
    // Slack's client refuses an empty required field by itself…
    let outcome = bob.submit(&modal.id).await.unwrap();
    assert!(
        outcome.client_errors.contains_key(REASON_BLOCK),
        "{outcome:?}"
    );
    // …and a submission that gets past it with blanks is refused inline by Latch.
    let ack = w
        .slack
        .send_interaction(&w.interactivity(), w.submission("bob", &modal, "   "))
        .await
        .unwrap();
    let answer = ack.json().unwrap_or_default();
    assert_eq!(answer["response_action"], "errors", "{}", ack.body);
    assert!(answer["errors"][REASON_BLOCK].is_string(), "{}", ack.body);
    assert_eq!(decisions_of(&w.request(&id).await), 0);

    let modal = w.modal("bob", DENY_REASON_CALLBACK).await;
    bob.type_text(
        &modal.id,
        REASON_BLOCK,
        REASON_ACTION,
        "Not during the freeze",
    )
    .await
    .unwrap();
    let outcome = bob.submit(&modal.id).await.unwrap();
    assert_eq!(
        outcome.response_action, None,
        "the modal closes: {outcome:?}"
    );
    let request = w.request(&id).await;
    assert!(matches!(
        &request.state,
        RequestState::Closed { outcome: Outcome::Denied, note: Some(note), .. } if note == "Not during the freeze"
    ));
    w.told_about("bob", "You denied").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_approval_is_refused_with_a_clear_message_even_from_a_crafted_payload() {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    let dm = w.dm_of("alice", "request_created").await;
    w.click("alice", &dm, APPROVE_ACTION, &step(&id, 0), Some("me"))
        .await;
    let told = w.told_about("alice", "your own request").await;
    assert!(told.contains("self-approval"), "{told}");
    assert_eq!(decisions_of(&w.request(&id).await), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_after_another_approver_decided_is_told_who_and_the_message_refreshed() {
    let w = world().await;
    one_step_policy(
        &w,
        "Either",
        json!({"users": "bob@example.com carol@example.com"}),
    )
    .await;
    let (id, number) = w.l.request_admin(&w.app).await;
    let bob_dm = w.dm_of("bob", "approval_needed").await;
    let carol_dm = w.dm_of("carol", "approval_needed").await;
    w.click("carol", &carol_dm, APPROVE_ACTION, &step(&id, 0), None)
        .await;
    w.told_about("carol", "You approved").await;

    w.click("bob", &bob_dm, DENY_ACTION, &step(&id, 0), None)
        .await;
    let told = w.told_about("bob", "Already approved by").await;
    assert!(told.contains(&number), "{told}");
    assert!(
        told.contains(&format!("<@{}>", w.ids["carol"])) || told.contains("Carol Owner"),
        "{told}"
    );
    w.refreshed_without(&bob_dm, DENY_ACTION).await;
    assert_eq!(decisions_of(&w.request(&id).await), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_after_the_step_was_reassigned_is_stale() {
    let w = world().await;
    let (id, number) = w.l.request_admin(&w.app).await;
    let dm = w.dm_of("bob", "approval_needed").await;
    w.l.admin
        .ok(
            &w.app,
            ReassignRequest {
                id: id.clone(),
                to_email: "carol@example.com".into(),
                reason: "Bob is on leave".into(),
            },
        )
        .await;
    w.click("bob", &dm, APPROVE_ACTION, &step(&id, 0), None)
        .await;
    let told = w.told_about("bob", "reassigned").await;
    assert!(told.contains(&number), "{told}");
    assert_eq!(decisions_of(&w.request(&id).await), 0);
    w.refreshed_without(&dm, APPROVE_ACTION).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_after_the_requester_cancelled_is_stale() {
    let w = world().await;
    let (id, number) = w.l.request_admin(&w.app).await;
    let dm = w.dm_of("bob", "approval_needed").await;
    w.l.alice
        .ok(
            &w.app,
            CancelRequest {
                id: id.clone(),
                reason: None,
            },
        )
        .await;
    w.click("bob", &dm, APPROVE_ACTION, &step(&id, 0), None)
        .await;
    let told = w.told_about("bob", "cancelled").await;
    assert!(told.contains(&number), "{told}");
    assert_eq!(decisions_of(&w.request(&id).await), 0);
    w.refreshed_without(&dm, APPROVE_ACTION).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_clicks_from_several_approvers_record_exactly_one_decision() {
    let w = world().await;
    let ada = w
        .slack
        .add_user(&w.team, NewUser::new("ada", "admin@example.com"))
        .unwrap();
    let mut w = w;
    w.ids.insert("admin", ada.id);
    one_step_policy(
        &w,
        "Anyone of three",
        json!({"users": "bob@example.com carol@example.com admin@example.com"}),
    )
    .await;
    let (id, _) = w.l.request_admin(&w.app).await;
    let approvers = ["bob", "carol", "admin"];
    let mut dms = Vec::new();
    for who in approvers {
        dms.push(w.dm_of(who, "approval_needed").await);
    }
    let mut clicks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let who = approvers[i % 3];
        let action = if i % 2 == 0 {
            APPROVE_ACTION
        } else {
            DENY_ACTION
        };
        let payload = w.payload(who, &dms[i % 3], action, &step(&id, 0), Some("ok"));
        let url = w.interactivity();
        clicks.spawn(async move { post_signed(&url, &payload).await });
    }
    let statuses = clicks.join_all().await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let request = w.request(&id).await;
    assert_eq!(decisions_of(&request), 1, "{:?}", request.decisions);
    assert!(matches!(
        request.state,
        RequestState::Provisioning | RequestState::Closed { .. }
    ));
    let decided = scalar(
        &w.app,
        &format!(
            "SELECT COUNT(*) FROM audit_events WHERE action IN ('request.step_approved', \
             'request.step_denied') AND target = 'request:{}'",
            request.number
        ),
    )
    .await;
    assert_eq!(decided, 1, "one decision in the audit log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requester_cancels_from_their_message_with_the_consoles_rules() {
    let w = world().await;
    let (id, number) = w.l.request_admin(&w.app).await;
    let dm = w.dm_of("alice", "request_created").await;
    // Bob is not the requester: refused.
    let bob_dm = w.dm_of("bob", "approval_needed").await;
    w.click("bob", &bob_dm, CANCEL_ACTION, &id, None).await;
    w.told_about("bob", "requester").await;
    assert!(w.request(&id).await.is_open());

    w.click("alice", &dm, CANCEL_ACTION, &id, None).await;
    let told = w.told_about("alice", "You cancelled").await;
    assert!(told.contains(&number), "{told}");
    assert!(matches!(
        w.request(&id).await.state,
        RequestState::Closed {
            outcome: Outcome::Cancelled,
            ..
        }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioned_and_wont_do_with_a_reason_from_the_provisioners_message() {
    let w = world().await;
    // Won't do, with its reason in a modal.
    let (id, _) = w.l.request_admin(&w.app).await;
    w.l.approve_both_steps(&w.app, &id).await;
    let task = w.l.carol.only_task(&w.app).await;
    let dm = w.dm_of("carol", "provisioning_assigned").await;
    w.click("carol", &dm, TASK_WONT_DO_ACTION, &task, None)
        .await;
    let modal = w.modal("carol", WONT_DO_REASON_CALLBACK).await;
    let carol = w.slack.person(&w.ids["carol"], &w.interactivity());
    carol
        .type_text(
            &modal.id,
            REASON_BLOCK,
            REASON_ACTION,
            "Prod access needs a ticket",
        )
        .await
        .unwrap();
    let outcome = carol.submit(&modal.id).await.unwrap();
    assert_eq!(outcome.response_action, None, "{outcome:?}");
    assert!(matches!(
        &w.request(&id).await.state,
        RequestState::Closed { outcome: Outcome::Cancelled, note: Some(note), .. } if note.contains("needs a ticket")
    ));
    w.told_about("carol", "Won't do").await;

    // Another request: Provisioned, once.
    let (id, number) = w.l.request_admin(&w.app).await;
    w.l.approve_both_steps(&w.app, &id).await;
    let task = w.l.carol.only_task(&w.app).await;
    let dm = w.dm_of("carol", "provisioning_assigned").await;
    w.click("carol", &dm, TASK_DONE_ACTION, &task, None).await;
    let told = w.told_about("carol", "as provisioned").await;
    assert!(told.contains(&number), "{told}");
    assert_eq!(w.l.alice.grants(&w.app).await.len(), 1);
    // A second click (an old copy): already done, nothing changes.
    w.click("carol", &dm, TASK_DONE_ACTION, &task, None).await;
    w.told_about("carol", "Already marked").await;
    assert_eq!(w.l.alice.grants(&w.app).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deprovisioning_assignment_is_marked_deprovisioned_from_slack() {
    let w = world().await;
    let grant_id = w.l.granted(&w.app).await;
    w.l.alice
        .ok(
            &w.app,
            ReleaseGrant {
                id: grant_id.clone(),
            },
        )
        .await;
    let task = w.l.carol.only_task(&w.app).await;
    let dm = w.dm_of("carol", "deprovisioning_assigned").await;
    w.click("carol", &dm, TASK_DONE_ACTION, &task, None).await;
    w.told_about("carol", "deprovisioned").await;
    assert!(w.l.carol.tasks(&w.app).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_is_done_for_those_allowed_and_refused_for_others() {
    let w = world().await;
    let (id, number) = w.l.request_admin(&w.app).await;
    w.l.approve_both_steps(&w.app, &id).await;
    let task = w.l.carol.only_task(&w.app).await;
    w.l.carol
        .ok(
            &w.app,
            completion(&task, TaskOutcome::Errored, Some("the API timed out")),
        )
        .await;
    let bob_dm = w.dm_of("bob", "approval_needed").await;
    w.click("bob", &bob_dm, TASK_RETRY_ACTION, &id, None).await;
    w.told_about("bob", "retry provisioning").await;

    let carol_dm = w.dm_of("carol", "provisioning_assigned").await;
    w.click("carol", &carol_dm, TASK_RETRY_ACTION, &id, None)
        .await;
    let told = w.told_about("carol", "starts again").await;
    assert!(told.contains(&number), "{told}");
    assert!(matches!(
        w.request(&id).await.state,
        RequestState::Provisioning
    ));
    assert_eq!(w.l.carol.tasks(&w.app).await.len(), 1, "a new task");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extend_and_release_from_the_expiry_message() {
    let w = world().await;
    let grant_id = w.l.granted(&w.app).await;
    let dm = w.dm_of("alice", "request_created").await;
    w.click("alice", &dm, GRANT_EXTEND_ACTION, &grant_id, None)
        .await;
    let modal = w.modal("alice", "latch_home_extend").await;
    assert!(
        modal.definition.to_string().contains("Prod DB"),
        "{}",
        modal.definition
    );

    // Bob can't release Alice's access.
    let bob_dm = w.dm_of("bob", "approval_needed").await;
    w.click("bob", &bob_dm, GRANT_RELEASE_ACTION, &grant_id, None)
        .await;
    w.told_about("bob", "couldn't release").await;
    assert_eq!(
        w.l.alice.grants(&w.app).await[0].status,
        GrantStatus::Active
    );

    w.click("alice", &dm, GRANT_RELEASE_ACTION, &grant_id, None)
        .await;
    w.told_about("alice", "You released").await;
    assert!(
        w.l.alice
            .grants(&w.app)
            .await
            .iter()
            .all(|g| g.status != GrantStatus::Active)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_in_the_console_makes_a_slack_click_stale_and_the_other_way_round() {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    let dm = w.dm_of("bob", "approval_needed").await;
    // Console first: Bob approves on the web, then clicks an old copy in Slack.
    w.l.bob.approve(&w.app, &id, 1).await;
    w.click("bob", &dm, DENY_ACTION, &step(&id, 0), None).await;
    let told = w.told_about("bob", "Already approved by you").await;
    assert!(!told.contains("You denied"), "{told}");
    assert_eq!(decisions_of(&w.request(&id).await), 1);

    // Slack first: Carol approves step 2 in Slack, then the console refuses her second try.
    let carol_dm = w.dm_of("carol", "approval_needed").await;
    w.click("carol", &carol_dm, APPROVE_ACTION, &step(&id, 1), None)
        .await;
    w.told_about("carol", "You approved").await;
    let refusal =
        w.l.carol
            .decide(&w.app, &id, 2, Verdict::Denied)
            .await
            .unwrap_err();
    assert!(
        format!("{refusal:?}").contains("already approved by Carol Owner"),
        "{refusal:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_latch_will_not_act_for_is_told_why_and_nothing_is_decided() {
    let w = world().await;
    let eve = w
        .slack
        .add_user(&w.team, NewUser::new("eve", "eve@elsewhere.example"))
        .unwrap();
    let mut w = w;
    w.ids.insert("eve", eve.id.clone());
    let (id, _) = w.l.request_admin(&w.app).await;
    let dm = Dm {
        channel: w.slack.app_dm(&eve.id).unwrap().id,
        ts: "1700000000.000100".into(),
    };
    let ack = w
        .slack
        .send_interaction(
            &w.interactivity(),
            w.payload("eve", &dm, APPROVE_ACTION, &step(&id, 0), None),
        )
        .await
        .unwrap();
    assert!(ack.acked);
    let deadline = Instant::now() + Duration::from_secs(10);
    while w.told("eve").is_empty() {
        assert!(Instant::now() < deadline, "eve was never told why");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(decisions_of(&w.request(&id).await), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_approval_forbidden_shows_the_requester_approver_a_copy_without_buttons_and_why() {
    let w = world().await;
    one_step_policy(
        &w,
        "Alice or Bob",
        json!({"users": "alice@example.com bob@example.com"}),
    )
    .await;
    let (id, _) = w.l.request_admin(&w.app).await;
    // Alice is named by the step but may not approve her own request: she follows it.
    let alice_dm = w.dm_of("alice", "approval_needed").await;
    let alice_message = w.message(&alice_dm);
    assert!(
        alice_message
            .text
            .starts_with("An access request for Alice Requester waits on a step that names you"),
        "{alice_message:?}"
    );
    let blocks = alice_message.blocks.unwrap().to_string();
    assert!(
        blocks.contains(app::ssr::slack::live::OWN_REQUEST),
        "{blocks}"
    );
    for hidden in [APPROVE_ACTION, DENY_ACTION, APPROVAL_REASON_ACTION] {
        assert!(
            !blocks.contains(&format!("\"{hidden}\"")),
            "{hidden}: {blocks}"
        );
    }
    let bob_dm = w.dm_of("bob", "approval_needed").await;
    let bob_blocks = w.message(&bob_dm).blocks.unwrap().to_string();
    assert!(
        bob_blocks.contains(&format!("\"{APPROVE_ACTION}\"")),
        "{bob_blocks}"
    );
    // Who may decide is unchanged: Bob alone, and a crafted click from Alice decides nothing.
    match w.request(&id).await.state {
        RequestState::PendingApproval { assignment } => {
            assert_eq!(assignment.assignees.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    w.click("alice", &alice_dm, APPROVE_ACTION, &step(&id, 0), None)
        .await;
    w.told_about("alice", "your own request").await;
    assert_eq!(decisions_of(&w.request(&id).await), 0);

    // Bob approves: Alice's copy follows, still without buttons.
    w.click("bob", &bob_dm, APPROVE_ACTION, &step(&id, 0), None)
        .await;
    w.told_about("bob", "You approved").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let blocks = w.message(&alice_dm).blocks.unwrap().to_string();
        if blocks.contains("Approved by") {
            assert!(
                !blocks.contains(&format!("\"{APPROVE_ACTION}\"")),
                "{blocks}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "never followed: {blocks}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_clicks_refresh_refused_with_a_429_is_made_after_the_storm() {
    let w = world().await;
    one_step_policy(
        &w,
        "Either",
        json!({"users": "bob@example.com carol@example.com"}),
    )
    .await;
    let (id, _) = w.l.request_admin(&w.app).await;
    let bob_dm = w.dm_of("bob", "approval_needed").await;
    let carol_dm = w.dm_of("carol", "approval_needed").await;
    w.click("carol", &carol_dm, APPROVE_ACTION, &step(&id, 0), None)
        .await;
    w.told_about("carol", "You approved").await;
    w.refreshed_without(&bob_dm, APPROVE_ACTION).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // As if Bob's copy showed something older: his stale click must edit it, and chat.update
    // answers 429 for the next 3 seconds.
    sqlx::query("UPDATE slack_messages SET rendered_hash = 'older' WHERE ts = $1")
        .bind(&bob_dm.ts)
        .execute(&w.app.db.pool)
        .await
        .unwrap();
    let edits = w.message(&bob_dm).edits.len();
    w.slack
        .start_rate_limit_storm(Some("chat.update"), Duration::from_secs(3));
    w.click("bob", &bob_dm, DENY_ACTION, &step(&id, 0), None)
        .await;
    w.told_about("bob", "Already approved by").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while w.message(&bob_dm).edits.len() == edits {
        assert!(Instant::now() < deadline, "the refresh was lost to the 429");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        w.slack
            .api_calls_to("chat.update")
            .iter()
            .any(|c| c.status == 429),
        "the storm refused the refresh"
    );
    assert_eq!(decisions_of(&w.request(&id).await), 1);
}
