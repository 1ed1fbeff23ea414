//! The slash command and the signed Slack endpoints, through the real server and the stand-in:
//! signatures on every route, `/c1` help/requests/tasks, people Latch will not act for, Grid
//! routing, a disconnected workspace, and answers in time when Slack is slow. The request modal
//! itself is in `slack_request_modal.rs` (which shares [`front`]).

use std::time::Duration;

use app::domain::Role;
use serde_json::json;
use slack_standin::state::MessageOrigin;
use slack_standin::{Ack, Consent, NewUser, SlackStandin, SlashCommand};

use crate::access_fixtures::{Loop, jit_loop};
use crate::helpers::{
    SLACK_SIGNING_SECRET, TestApp, client, location, spawn_app_with_slack,
    spawn_app_with_slack_config,
};
use crate::slack_connect::{connect, sign};

/// Latch connected to a stand-in workspace whose people are the access loop's
/// ([`jit_loop`]: Alice requests, Bob is her manager, Carol owns the app and provisions).
pub(crate) struct Front {
    pub app: TestApp,
    pub slack: SlackStandin,
    pub team: String,
    pub channel: String,
    pub l: Loop,
    /// Slack user ids.
    pub alice: String,
    pub bob: String,
    pub carol: String,
}

pub(crate) async fn front() -> Front {
    front_with(|_| {}).await
}

/// [`front`], with Latch's Slack settings adjusted first.
pub(crate) async fn front_with(adjust: impl FnOnce(&mut app::ssr::slack::SlackConfig)) -> Front {
    let (app, slack) = spawn_app_with_slack_config(adjust).await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let l = jit_loop(&app).await;
    let team = slack.add_workspace("Acme", "acme").unwrap();
    let user = |handle: &str, email: &str, is_admin: bool| {
        slack
            .add_user(
                &team.id,
                NewUser {
                    is_admin,
                    ..NewUser::new(handle, email)
                },
            )
            .unwrap()
            .id
    };
    let owner = user("owner", "owner@acme.test", true);
    let alice = user("alice", "alice@example.com", false);
    let bob = user("bob", "bob@example.com", false);
    let carol = user("carol", "carol@example.com", false);
    let channel = slack
        .add_channel(
            &team.id,
            "it-access",
            false,
            &[owner.as_str(), alice.as_str(), bob.as_str(), carol.as_str()],
        )
        .unwrap()
        .id;
    connect(&app, &slack, &team.id, &channel).await;
    Front {
        app,
        slack,
        team: team.id,
        channel,
        l,
        alice,
        bob,
        carol,
    }
}

impl Front {
    /// `user` types `/c1 <text>` in the channel.
    pub async fn command(&self, user: &str, text: &str) -> Ack {
        command_in(
            &self.app,
            &self.slack,
            &self.team,
            &self.channel,
            user,
            text,
        )
        .await
    }

    /// `user` types `/c1 <text>`; what Latch answered (see [`reply`]).
    pub async fn said(&self, user: &str, text: &str) -> String {
        let before = late_answers(&self.slack, user).len();
        let ack = self.command(user, text).await;
        reply(&self.slack, user, &ack, before).await
    }

    /// The ephemeral messages `user` sees, oldest first.
    pub fn ephemerals_for(&self, user: &str) -> Vec<String> {
        self.slack
            .ephemerals()
            .into_iter()
            .filter(|e| e.user == user)
            .map(|e| e.text)
            .collect()
    }
}

pub(crate) async fn command_in(
    app: &TestApp,
    slack: &SlackStandin,
    team: &str,
    channel: &str,
    user: &str,
    text: &str,
) -> Ack {
    slack
        .send_slash_command(
            &app.url("/slack/commands"),
            SlashCommand {
                team_id: team.into(),
                channel_id: channel.into(),
                user_id: user.into(),
                command: "/c1".into(),
                text: text.into(),
            },
        )
        .await
        .unwrap()
}

/// The answers `user` got through a `response_url` so far.
pub(crate) fn late_answers(slack: &SlackStandin, user: &str) -> Vec<String> {
    slack
        .ephemerals()
        .into_iter()
        .filter(|e| e.user == user && e.origin == MessageOrigin::ResponseUrl)
        .map(|e| e.text)
        .collect()
}

/// What a command was answered with: the ack's ephemeral text or, when the work took longer
/// than the ack budget (a loaded machine), the next answer through the response_url (`before`:
/// how many [`late_answers`] there were before the command).
pub(crate) async fn reply(slack: &SlackStandin, user: &str, ack: &Ack, before: usize) -> String {
    assert!(ack.acked, "acked within 3 s: {ack:?}");
    if !ack.body.trim().is_empty() {
        return answer(ack);
    }
    eventually("the answer through the response_url", || {
        late_answers(slack, user).into_iter().nth(before)
    })
    .await
}

/// The ephemeral text a command was answered with (asserting it is ephemeral and in time).
pub(crate) fn answer(ack: &Ack) -> String {
    assert!(ack.acked, "acked within 3 s: {ack:?}");
    let json = ack
        .json()
        .unwrap_or_else(|| panic!("a JSON answer: {ack:?}"));
    assert_eq!(json["response_type"], "ephemeral", "{json}");
    json["text"].as_str().unwrap_or_default().to_owned()
}

/// Waits until `check` holds (the work after an ack), up to 8 s.
pub(crate) async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    for _ in 0..80 {
        if let Some(found) = check() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// An org-wide install of `org` through Add to Slack, as an admin does it.
async fn connect_org_wide(app: &TestApp, slack: &SlackStandin, org: &str, channel: &str) {
    let start = app.get("/slack/install").await;
    assert_eq!(start.status().as_u16(), 303);
    let callback = slack
        .approve_install(
            &location(&start),
            Consent {
                target: Some(org.into()),
                org_wide: true,
                webhook_channel: Some(channel.into()),
                ..Default::default()
            },
        )
        .unwrap();
    let back = app.client.get(&callback).send().await.unwrap();
    assert!(
        location(&back).contains("slack=connected"),
        "{}",
        location(&back)
    );
}

/// A form-encoded body.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_slack_route_refuses_a_bad_stale_or_missing_signature_and_does_nothing() {
    let f = front().await;
    let command = form(&[
        ("team_id", f.team.as_str()),
        ("channel_id", f.channel.as_str()),
        ("user_id", f.alice.as_str()),
        ("command", "/c1"),
        ("text", "request"),
        ("response_url", "http://127.0.0.1:9/commands/x"),
        ("trigger_id", "1.2.abc"),
    ]);
    let payload = |kind: &str| {
        form(&[(
            "payload",
            json!({
                "type": kind,
                "team": {"id": f.team},
                "user": {"id": f.alice, "team_id": f.team},
                "api_app_id": "A1",
                "action_id": "request_app_select",
                "block_id": "request_app",
                "value": "",
                "container": {"type": "view", "view_id": "V1"},
                "trigger_id": "1.2.abc",
                "view": {"id": "V1", "team_id": f.team, "type": "modal", "hash": "h",
                         "title": {"type": "plain_text", "text": "x"}, "blocks": [],
                         "callback_id": "latch_request", "state": {"values": {}}},
            })
            .to_string()
            .as_str(),
        )])
    };
    let routes = [
        ("/slack/commands", command),
        ("/slack/interactivity", payload("view_submission")),
        ("/slack/options", payload("block_suggestion")),
    ];
    for (route, body) in &routes {
        let calls_before = f.slack.api_calls().len();
        let now = now_secs().to_string();
        let stale = (now_secs() - 301).to_string();
        let cases: [(&str, Option<String>, Option<String>); 5] = [
            ("missing", None, None),
            (
                "no timestamp",
                None,
                Some(sign(SLACK_SIGNING_SECRET, &now, body)),
            ),
            ("no signature", Some(now.clone()), None),
            (
                "stale",
                Some(stale.clone()),
                Some(sign(SLACK_SIGNING_SECRET, &stale, body)),
            ),
            (
                "wrong secret",
                Some(now.clone()),
                Some(sign("not-the-signing-secret", &now, body)),
            ),
        ];
        for (case, timestamp, signature) in cases {
            let mut request = client()
                .post(f.app.url(route))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone());
            if let Some(t) = timestamp {
                request = request.header("x-slack-request-timestamp", t);
            }
            if let Some(s) = signature {
                request = request.header("x-slack-signature", s);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 401, "{route} {case}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            f.slack.api_calls().len(),
            calls_before,
            "{route}: a refused request calls nothing at Slack"
        );
        // The same body, signed as Slack signs it, is taken (so the refusals were the signature).
        let now = now_secs().to_string();
        let signed = client()
            .post(f.app.url(route))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", &now)
            .header("x-slack-signature", sign(SLACK_SIGNING_SECRET, &now, body))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(signed.status().as_u16(), 200, "{route} signed");
    }
    // A body over the limit is refused before its signature is even looked at (over raw TCP
    // with the length declared: a client still uploading when the server answers 413 and closes
    // gets a broken pipe instead of the answer).
    for route in ["/slack/commands", "/slack/interactivity", "/slack/options"] {
        let status = crate::helpers::raw_post_status(
            &f.app,
            route,
            "application/x-www-form-urlencoded",
            2 * 1024 * 1024 + 8,
        )
        .await;
        assert_eq!(status, 413, "{route}");
    }
    // Nor did the signed ones create anything (their trigger and view were made up).
    let requests: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests")
        .fetch_one(&f.app.db.pool)
        .await
        .unwrap();
    assert_eq!(requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_an_empty_command_and_unknown_words_answer_with_the_usage_ephemerally() {
    let f = front().await;
    for text in ["help", "", "approve everything", "HELP me"] {
        let said = f.said(&f.alice, text).await;
        assert!(said.contains("`/c1 request`"), "{text:?}: {said}");
        assert!(said.contains("`/c1 requests`"), "{said}");
        assert!(said.contains("`/c1 tasks`"), "{said}");
    }
    assert!(
        f.slack.messages(&f.channel).is_empty(),
        "nothing was posted to the channel"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_lists_my_open_requests_with_their_state_and_a_link() {
    let f = front().await;
    let empty = f.said(&f.alice, "requests").await;
    assert!(empty.contains("no open requests"), "{empty}");

    let (_, number) = f.l.request_admin(&f.app).await;
    let said = f.said(&f.alice, "requests").await;
    assert!(said.contains("Your open requests"), "{said}");
    assert!(
        said.contains(&format!("{}/requests/{number}|{number}>", f.app.address)),
        "{said}"
    );
    assert!(said.contains("Prod DB — Admin"), "{said}");
    assert!(said.contains("waiting for approval (step 1)"), "{said}");

    // Bob is not the requester: not his request.
    let bobs = f.said(&f.bob, "requests").await;
    assert!(bobs.contains("no open requests"), "{bobs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_lists_the_approvals_and_provisioning_tasks_waiting_for_me() {
    let f = front().await;
    let nothing = f.said(&f.bob, "tasks").await;
    assert!(nothing.contains("Nothing is waiting for you"), "{nothing}");

    let (id, number) = f.l.request_admin(&f.app).await;
    let bobs = f.said(&f.bob, "tasks").await;
    assert!(bobs.contains("Waiting for your approval"), "{bobs}");
    assert!(
        bobs.contains(&format!("/requests/{number}|{number}>")),
        "{bobs}"
    );
    assert!(bobs.contains("for Alice Requester"), "{bobs}");

    f.l.approve_both_steps(&f.app, &id).await;
    let carols = f.said(&f.carol, "tasks").await;
    assert!(carols.contains("Provisioning tasks for you"), "{carols}");
    assert!(
        carols.contains("Provision Prod DB — Admin for Alice Requester"),
        "{carols}"
    );
    let bobs = f.said(&f.bob, "tasks").await;
    assert!(bobs.contains("Nothing is waiting for you"), "{bobs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_unknown_to_latch_and_a_suspended_user_are_told_why_and_what_to_do() {
    let f = front().await;
    let stranger = f
        .slack
        .add_user(&f.team, NewUser::new("eve", "eve@elsewhere.test"))
        .unwrap()
        .id;
    for text in ["requests", "tasks"] {
        let said = f.said(&stranger, text).await;
        assert!(said.contains("eve@elsewhere.test"), "{said}");
        assert!(said.contains("Ask a Latch admin"), "{said}");
    }

    sqlx::query("UPDATE users SET status = 'suspended' WHERE email = 'alice@example.com'")
        .execute(&f.app.db.pool)
        .await
        .unwrap();
    let said = f.said(&f.alice, "requests").await;
    assert!(said.contains("suspended"), "{said}");
    assert!(said.contains("Ask a Latch admin"), "{said}");

    // `/c1 request` opens the form first (the trigger lives 3 s), then says why in it and
    // ephemerally.
    let ack = f.command(&stranger, "request").await;
    assert!(ack.acked && ack.body.trim().is_empty(), "{ack:?}");
    let told = eventually("the stranger to be told", || {
        f.ephemerals_for(&stranger)
            .into_iter()
            .find(|t| t.contains("isn't in the Latch directory"))
    })
    .await;
    assert!(told.contains("Ask a Latch admin"), "{told}");
    let modal = f.slack.top_modal(&stranger).expect("the modal stays open");
    assert!(
        modal
            .definition
            .to_string()
            .contains("isn't in the Latch directory"),
        "{}",
        modal.definition
    );
    assert!(
        modal.definition.get("submit").is_none(),
        "nothing to submit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_of_a_grid_org_is_served_by_the_org_wide_install() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let l = jit_loop(&app).await;
    let org = slack.add_enterprise("Starship");
    let bridge = slack.add_workspace_in(&org.id, "Bridge", "bridge").unwrap();
    let engine = slack
        .add_workspace_in(&org.id, "Engine Room", "engine")
        .unwrap();
    let captain = slack
        .add_user(
            &bridge.id,
            NewUser {
                is_admin: true,
                ..NewUser::new("kirk", "kirk@starship.test")
            },
        )
        .unwrap();
    let access = slack
        .add_channel(&bridge.id, "access", false, &[captain.id.as_str()])
        .unwrap();
    connect_org_wide(&app, &slack, &org.id, &access.id).await;
    // Alice asks in the console before she has a Slack account: her request's DM finds no Slack
    // user for her email (recorded, not retried). Had she been in Slack already, that DM's
    // lookup would link her whenever the delivery job's round came (every 250 ms), and the
    // command below would then use the stored link instead of asking Slack who she is: the
    // lookup this test is about ran or not by timing.
    let (_, number) = l.request_admin(&app).await;
    eventually("the request's DM to find no Slack user for Alice", || {
        slack
            .api_calls_to("users.lookupByEmail")
            .into_iter()
            .find(|c| {
                c.params["email"] == "alice@example.com" && c.response["error"] == "users_not_found"
            })
    })
    .await;
    // Now she joins the Engine Room, a workspace the org-wide install was never run in.
    let alice = slack
        .add_user(&engine.id, NewUser::new("alice", "alice@example.com"))
        .unwrap()
        .id;
    let room = slack
        .add_channel(&engine.id, "general", false, &[alice.as_str()])
        .unwrap()
        .id;

    let before = late_answers(&slack, &alice).len();
    let ack = command_in(&app, &slack, &engine.id, &room, &alice, "requests").await;
    let said = reply(&slack, &alice, &ack, before).await;
    assert!(said.contains(&number), "{said}");
    // Who she is was asked of Slack with the org's token.
    let org_installs: Vec<String> = slack
        .installs()
        .into_iter()
        .filter(|i| i.is_enterprise_install && i.enterprise_id.as_deref() == Some(org.id.as_str()))
        .map(|i| i.id)
        .collect();
    let org_tokens: Vec<String> = slack
        .tokens()
        .into_iter()
        .filter(|t| org_installs.contains(&t.install_id))
        .map(|t| t.token)
        .collect();
    let lookups = slack.api_calls_to("users.info");
    assert!(
        lookups.iter().any(|c| c.params["user"] == alice.as_str()
            && c.token.as_ref().is_some_and(|t| org_tokens.contains(t))),
        "{lookups:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnected_workspace_and_one_never_connected_get_a_clear_answer() {
    let f = front().await;
    // A workspace where the app is installed in Slack but Latch was never connected.
    let other = f.slack.add_workspace("Globex", "globex").unwrap();
    f.slack.install(&other.id, &["commands"]).unwrap();
    let hank = f
        .slack
        .add_user(&other.id, NewUser::new("hank", "alice@example.com"))
        .unwrap()
        .id;
    let general = f
        .slack
        .add_channel(&other.id, "general", false, &[hank.as_str()])
        .unwrap()
        .id;
    for text in ["requests", "request", "help"] {
        let before = late_answers(&f.slack, &hank).len();
        let ack = command_in(&f.app, &f.slack, &other.id, &general, &hank, text).await;
        let said = reply(&f.slack, &hank, &ack, before).await;
        assert!(
            said.contains("isn't connected to this Slack workspace"),
            "{said}"
        );
        assert!(said.contains("Ask a Latch admin"), "{said}");
    }

    // Acme is disconnected by an admin.
    let id: i64 = sqlx::query_scalar("SELECT id FROM slack_installations")
        .fetch_one(&f.app.db.pool)
        .await
        .unwrap();
    app::ssr::slack::store::disconnect(
        &f.app.db,
        &format!("team:{}", f.team),
        "disconnected_by_admin",
        app::domain::AuditActor::System,
    )
    .await
    .unwrap();
    let _ = id;
    for text in ["requests", "request"] {
        let said = f.said(&f.alice, text).await;
        assert!(said.contains("was disconnected"), "{said}");
        assert!(said.contains("an admin disconnected it"), "{said}");
    }
    assert!(f.slack.api_calls_to("views.open").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_slack_still_gets_its_ack_in_time_and_the_answer_follows_through_the_response_url() {
    let f = front_with(|slack| slack.timeout = Duration::from_secs(6)).await;
    // Alice's first command needs users.info, which Slack now takes 4 s to answer (Latch waits
    // up to 6 s for Slack here).
    f.slack
        .add_latency(Some("users.info"), Duration::from_secs(4), Some(1));
    let ack = f.command(&f.alice, "requests").await;
    assert!(ack.acked, "{ack:?}");
    assert!(ack.latency < Duration::from_secs(3), "{:?}", ack.latency);
    assert!(
        ack.body.trim().is_empty(),
        "nothing to say yet: {}",
        ack.body
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    eprintln!("EPH {:?}", f.slack.ephemerals());
    eprintln!(
        "CALLS {:?}",
        f.slack
            .api_calls()
            .iter()
            .map(|c| c.method.clone())
            .collect::<Vec<_>>()
    );
    let late = eventually("the late answer", || {
        f.ephemerals_for(&f.alice)
            .into_iter()
            .find(|t| t.contains("no open requests"))
    })
    .await;
    assert!(late.contains("/c1 request"), "{late}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnect_made_by_this_process_is_honoured_at_once_despite_the_routing_cache() {
    let f = front().await;
    // Routed, so the routing of Acme is cached.
    for _ in 0..3 {
        let said = f.said(&f.alice, "help").await;
        assert!(said.contains("request"), "{said}");
    }
    // Disconnected the way every path of this process does it (the admin's Disconnect, which
    // also revokes the token at Slack; an uninstall event): through the store.
    assert!(
        app::ssr::slack::store::disconnect(
            &f.app.db,
            &format!("team:{}", f.team),
            "disconnected_by_admin",
            app::domain::AuditActor::System,
        )
        .await
        .unwrap()
    );
    // At once, well within the cache's lifetime.
    let said = f.said(&f.alice, "help").await;
    assert!(said.contains("was disconnected"), "{said}");
    assert!(said.contains("an admin disconnected it"), "{said}");
}
