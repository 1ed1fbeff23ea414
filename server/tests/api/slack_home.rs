//! The Slack App Home against the stand-in, through the real server and signed deliveries:
//! opening the tab publishes the person's Home (their open requests, what waits for them, their
//! access expiring within 7 days), someone Latch will not act for is told why, changes made in
//! the console reach the Home through the `slack-home-refresh` job's rounds (driven here
//! directly), Extend and Release from the Home go through the console's flows, and a retried
//! `app_home_opened` is processed once. Every published Home passes Slack's limits.

use std::time::Duration;

use app::domain::{Role, TaskOutcome};
use app::ssr::slack::blocks::home::{
    EXTEND_ACTION, EXTEND_CALLBACK_ID, EXTEND_JUSTIFICATION_ACTION, EXTEND_JUSTIFICATION_BLOCK,
    RELEASE_ACTION,
};
use app::ssr::slack::{Slack, SlackConfig, home};
use app::ssr::{AppState, PublicUrl};
use serde_json::Value;
use slack_standin::driver::Surface;
use slack_standin::{NewUser, SlackStandin};

use crate::access_fixtures::{CreateRequest, Loop, jit_loop, new_request, scalar};
use crate::helpers::{
    TEST_SECRET_KEY, TestApp, location, spawn_app_with_slack, spawn_app_with_slack_config,
};
use crate::slack_connect::{connect, workspace};

/// Latch connected to a stand-in workspace where the loop's people (Alice the requester, Bob
/// her manager, Carol the app owner) have Slack accounts with their Latch emails.
struct World {
    app: TestApp,
    slack: SlackStandin,
    l: Loop,
    team: String,
    alice: String,
    bob: String,
    carol: String,
    /// The server's state as the refresh job sees it (same database, same Slack).
    state: AppState,
}

async fn world() -> World {
    world_where(one_workspace).await
}

/// One workspace, "Acme", connected; returns its id.
fn one_workspace<'a>(
    app: &'a TestApp,
    slack: &'a SlackStandin,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + 'a>> {
    Box::pin(async move {
        let (team, channel) = workspace(slack, "Acme", "acme", "it-access");
        connect(app, slack, &team, &channel).await;
        team
    })
}

type Connecting = for<'a> fn(
    &'a TestApp,
    &'a SlackStandin,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + 'a>>;

/// The world with Latch connected by `connecting`, which answers the workspace the loop's
/// people are added to.
async fn world_where(connecting: Connecting) -> World {
    world_with(connecting, Duration::from_secs(2)).await
}

/// The world, Latch's calls to Slack bounded by `slack_timeout`.
async fn world_with(connecting: Connecting, slack_timeout: Duration) -> World {
    let (app, slack) = spawn_app_with_slack_config(|config| config.timeout = slack_timeout).await;
    // Subscribe exactly to the manifest's bot events, as the Slack app made from it would be.
    let manifest =
        app::ssr::slack::manifest::manifest(&SlackConfig::default(), &PublicUrl::new(&app.address));
    let events: Vec<String> = manifest["settings"]["event_subscriptions"]["bot_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    slack.set_event_subscriptions(&events.iter().map(String::as_str).collect::<Vec<_>>());

    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let team = connecting(&app, &slack).await;
    hold_refresh_lease(&app).await;
    let l = jit_loop(&app).await;
    let add = |handle: &str, email: &str| {
        slack
            .add_user(&team, NewUser::new(handle, email))
            .unwrap()
            .id
    };
    let alice = add("alice", "alice@example.com");
    let bob = add("bob", "bob@example.com");
    let carol = add("carol", "carol@example.com");
    let state = state_of(&app, &slack);
    World {
        app,
        slack,
        l,
        team,
        alice,
        bob,
        carol,
        state,
    }
}

/// The server's state as its jobs see it: the same database, the same Slack.
pub(crate) fn state_of(app: &TestApp, slack: &SlackStandin) -> AppState {
    let latch_slack = Slack::new(
        SlackConfig {
            api_url: slack.api_url(),
            timeout: Duration::from_secs(2),
            ..SlackConfig::default()
        },
        TEST_SECRET_KEY,
    )
    .unwrap();
    AppState {
        leptos_options: leptos::config::LeptosOptions::builder()
            .output_name("latch")
            .build(),
        db: app.db.clone(),
        public_url: PublicUrl::new(&app.address),
        slack: std::sync::Arc::new(latch_slack),
    }
}

/// Takes the `slack-home-refresh` lease from the server for the rest of the test, so its rounds
/// run only when the test drives them.
async fn hold_refresh_lease(app: &TestApp) {
    hold_lease(app, home::JOB).await;
}

/// Takes lease `name` from the server's job for the rest of the test.
pub(crate) async fn hold_lease(app: &TestApp, name: &str) {
    sqlx::query(
        "INSERT INTO leases (name, holder, expires_at, token) VALUES ($1, 'the-test', $2, 1) \
         ON CONFLICT (name) DO UPDATE SET holder = 'the-test', expires_at = $2, token = leases.token + 1",
    )
    .bind(name)
    .bind(i64::MAX / 2)
    .execute(&app.db.pool)
    .await
    .unwrap();
}

impl World {
    fn interactivity(&self) -> String {
        self.app.url("/slack/interactivity")
    }

    /// `user` opens the Home tab; the event must be acknowledged.
    async fn open_home(&self, user: &str) {
        let delivery = self.slack.open_app_home(user, "home").await.unwrap();
        assert!(
            delivery.attempts.iter().any(|a| a.acked),
            "app_home_opened not acked: {delivery:?}"
        );
    }

    /// `user`'s published Home, checked against Slack's limits.
    fn home(&self, user: &str) -> Value {
        let view = self
            .slack
            .home_view(user)
            .unwrap_or_else(|| panic!("no Home published for {user}"));
        let mut definition = view.definition.clone();
        definition["type"] = "home".into();
        if let Err(problem) = slack_standin::limits::validate_view(&definition, None) {
            panic!("Slack would refuse this Home: {problem:?}\n{definition:#}");
        }
        definition
    }

    fn home_text(&self, user: &str) -> String {
        self.home(user)["blocks"].to_string()
    }

    fn home_id(&self, user: &str) -> String {
        self.slack.home_view(user).unwrap().id
    }

    fn publishes_to(&self, user: &str) -> usize {
        self.slack
            .api_calls_to("views.publish")
            .iter()
            .filter(|c| c.params.get("user_id").and_then(Value::as_str) == Some(user))
            .count()
    }

    async fn marks(&self) -> i64 {
        scalar(&self.app, "SELECT COUNT(*) FROM slack_home_marks").await
    }

    async fn marks_of(&self, user_id: i64) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM slack_home_marks WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&self.app.db.pool)
            .await
            .unwrap()
    }

    /// Runs the refresh job's rounds until no mark is left (bounded).
    async fn refresh_until_clean(&self) {
        for _ in 0..50 {
            home::refresh_round(&self.state).await.unwrap();
            if self.marks().await == 0 {
                return;
            }
        }
        panic!("marks left after 50 rounds: {}", self.marks().await);
    }

    /// Waits (bounded) for `user`'s Home to satisfy `done`: actions on the Home are handled
    /// after the interaction's ack.
    async fn home_becomes(&self, user: &str, what: &str, done: impl Fn(&str) -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if self.slack.home_view(user).is_some() && done(&self.home_text(user)) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what}: the Home never got there:\n{}",
                self.home_text(user)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Alice holds the loop's access (granted through the console).
    async fn alice_granted(&self) -> String {
        self.l.granted(&self.app).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_the_home_shows_my_open_requests_what_waits_for_me_and_my_expiring_access() {
    let w = world().await;
    let grant = w.alice_granted().await;
    // An extension request from the console: open, waiting for Bob (her manager).
    let number =
        w.l.alice
            .request(
                &w.app,
                CreateRequest {
                    duration: Some("3d".into()),
                    extension: Some("on".into()),
                    ..new_request(&w.l.entitlement_id, "Still on the incident")
                },
            )
            .await;

    w.open_home(&w.alice).await;
    let alice = w.home_text(&w.alice);
    assert!(alice.contains(REQUEST_ACCESS), "{alice}");
    assert!(
        alice.contains(&format!("/requests/{number}|{number}>")),
        "{alice}"
    );
    assert!(alice.contains("waiting for approval"), "{alice}");
    assert!(alice.contains("Prod DB — Admin* expires in"), "{alice}");
    assert!(alice.contains(RELEASE_ACTION) && alice.contains(&grant));
    // Extend offers only what fits under the entitlement's 7-day maximum.
    let extend = extend_options(&w.home(&w.alice));
    assert_eq!(
        extend,
        ["1h", "4h", "8h", "1d", "3d", "1w"]
            .iter()
            .map(|p| format!("{p} {grant}"))
            .collect::<Vec<_>>()
    );

    w.open_home(&w.bob).await;
    let bob = w.home_text(&w.bob);
    assert!(
        bob.contains(&format!(
            "Approve or deny: <{}/requests/{number}|",
            w.app.address
        )),
        "{bob}"
    );
    assert!(bob.contains("You have no open requests."), "{bob}");
    assert!(bob.contains("None of your access expires"), "{bob}");
}

const REQUEST_ACCESS: &str = "Request Access";

/// The values of the Home's Extend select.
fn extend_options(home: &Value) -> Vec<String> {
    home["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .filter(|e| e["action_id"] == EXTEND_ACTION)
        .flat_map(|e| e["options"].as_array().cloned().unwrap_or_default())
        .map(|o| o["value"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_latch_will_not_act_for_gets_a_home_that_says_why_and_what_to_do() {
    let w = world().await;
    let stranger = w
        .slack
        .add_user(&w.team, NewUser::new("mallory", "mallory@elsewhere.test"))
        .unwrap()
        .id;
    w.open_home(&stranger).await;
    let text = w.home_text(&stranger);
    assert!(
        text.contains("isn't in the Latch directory") && text.contains("mallory@elsewhere.test"),
        "{text}"
    );
    assert!(text.contains("Ask a Latch admin"), "{text}");
    assert!(!text.contains(REQUEST_ACCESS), "nothing to act on: {text}");

    sqlx::query("UPDATE users SET status = 'suspended' WHERE id = $1")
        .bind(w.l.alice.user.id)
        .execute(&w.app.db.pool)
        .await
        .unwrap();
    w.open_home(&w.alice).await;
    let text = w.home_text(&w.alice);
    assert!(text.contains("is suspended"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_in_the_console_reach_each_home_once_through_the_refresh_job() {
    let w = world().await;
    let (id, number) = w.l.request_admin(&w.app).await;
    for user in [&w.alice, &w.bob, &w.carol] {
        w.open_home(user).await;
    }
    w.refresh_until_clean().await;
    assert!(w.home_text(&w.bob).contains(&format!("|{number}>")));
    assert!(
        w.home_text(&w.carol)
            .contains("No provisioning tasks wait for you.")
    );
    let before = [&w.alice, &w.bob, &w.carol].map(|u| w.publishes_to(u));

    // Both steps approved in the console: several changes, several marks per person.
    w.l.approve_both_steps(&w.app, &id).await;
    assert!(w.marks().await > 3, "the changes marked the Homes");
    w.refresh_until_clean().await;

    let after = [&w.alice, &w.bob, &w.carol].map(|u| w.publishes_to(u));
    assert_eq!(
        after,
        before.map(|n| n + 1),
        "each Home republished once for all its marks"
    );
    let alice = w.home_text(&w.alice);
    assert!(alice.contains("approved, being provisioned"), "{alice}");
    let bob = w.home_text(&w.bob);
    assert!(bob.contains("No approvals wait for you."), "{bob}");
    let carol = w.home_text(&w.carol);
    assert!(
        carol.contains("Give") && carol.contains("Alice Requester"),
        "{carol}"
    );

    // Carol completes the task in the console: Alice's access appears, Carol's task leaves.
    w.l.carol
        .complete_only_task(&w.app, TaskOutcome::Done)
        .await;
    w.refresh_until_clean().await;
    let alice = w.home_text(&w.alice);
    assert!(alice.contains("Prod DB — Admin* expires in"), "{alice}");
    assert!(alice.contains("You have no open requests."), "{alice}");
    assert!(
        w.home_text(&w.carol)
            .contains("No provisioning tasks wait for you.")
    );

    // Released in the console: gone from the Home.
    let grant = w.l.alice.grants(&w.app).await[0].id.clone();
    w.l.alice
        .ok(
            &w.app,
            app::api::grants::release_grant::ReleaseGrant { id: grant },
        )
        .await;
    w.refresh_until_clean().await;
    assert!(
        w.home_text(&w.alice)
            .contains("None of your access expires in the next 7 days."),
        "{}",
        w.home_text(&w.alice)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marks_of_people_without_a_slack_home_are_dropped_without_calling_slack() {
    let w = world().await;
    // Nobody has opened a Home, and no DM goes out (the delivery job would link people to
    // write to them): the loop's changes leave marks for people with no link.
    hold_lease(&w.app, app::ssr::slack::delivery::JOB).await;
    w.l.request_admin(&w.app).await;
    assert!(w.marks().await > 0);
    let calls = w.slack.api_calls().len();
    w.refresh_until_clean().await;
    assert_eq!(w.slack.api_calls().len(), calls, "no call to Slack at all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_app_home_opened_is_processed_once() {
    let w = world().await;
    let delivery = w.slack.open_app_home(&w.alice, "home").await.unwrap();
    assert_eq!(w.publishes_to(&w.alice), 1);
    let body: Value = serde_json::from_str(&delivery.body).unwrap();
    let again = w
        .slack
        .send_raw_event(&w.app.url("/slack/events"), &body)
        .await;
    assert!(again.attempts.iter().any(|a| a.acked), "{again:?}");
    assert_eq!(
        w.publishes_to(&w.alice),
        1,
        "the same event_id is not processed twice"
    );
    // A new opening is a new event.
    w.open_home(&w.alice).await;
    assert_eq!(w.publishes_to(&w.alice), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releasing_from_the_home_releases_the_grant_and_the_home_shows_it_gone() {
    let w = world().await;
    let grant = w.alice_granted().await;
    w.open_home(&w.alice).await;
    assert!(w.home_text(&w.alice).contains(&grant));

    let alice = w.slack.person(&w.alice, &w.interactivity());
    let outcome = alice
        .click(Surface::view(w.home_id(&w.alice)), "", RELEASE_ACTION)
        .await
        .unwrap();
    assert!(outcome.dispatched.is_some_and(|ack| ack.acked));
    w.home_becomes(&w.alice, "released", |home| {
        home.contains("You released Prod DB — Admin")
    })
    .await;
    let home = w.home_text(&w.alice);
    assert!(!home.contains(RELEASE_ACTION), "{home}");
    assert!(home.contains("None of your access expires"), "{home}");
    let state: String = sqlx::query_scalar("SELECT state FROM grants WHERE id = $1")
        .bind(&grant)
        .fetch_one(&w.app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        state, "pending_removal",
        "released through the console's flow"
    );
    let audited = scalar(
        &w.app,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'grant.released'",
    )
    .await;
    assert_eq!(audited, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extending_from_the_home_asks_for_a_length_under_the_maximum_and_goes_through_the_policy() {
    let w = world().await;
    let grant = w.alice_granted().await;
    w.open_home(&w.alice).await;
    let alice = w.slack.person(&w.alice, &w.interactivity());

    alice
        .select(
            Surface::view(w.home_id(&w.alice)),
            "",
            EXTEND_ACTION,
            &format!("3d {grant}"),
        )
        .await
        .unwrap();
    let modal = wait_for_modal(&w, &w.alice).await;
    assert_eq!(modal.definition["callback_id"], EXTEND_CALLBACK_ID);
    let json = modal.definition.to_string();
    assert!(json.contains("\"value\":\"1w\"") && !json.contains("\"value\":\"2w\""));
    alice
        .type_text(
            &modal.id,
            EXTEND_JUSTIFICATION_BLOCK,
            EXTEND_JUSTIFICATION_ACTION,
            "The incident is still open",
        )
        .await
        .unwrap();
    let submitted = alice.submit(&modal.id).await.unwrap();
    assert_eq!(
        submitted.response_action.as_deref(),
        Some("update"),
        "{submitted:?}"
    );
    let answer = w.slack.view(&modal.id).unwrap().definition.to_string();
    assert!(answer.contains("is waiting for approval"), "{answer}");

    // The same request the console's "Request extension" makes, from Slack, waiting for Bob.
    let (body, status): (String, String) =
        sqlx::query_as("SELECT body, status FROM requests ORDER BY number DESC LIMIT 1")
            .fetch_one(&w.app.db.pool)
            .await
            .unwrap();
    let request: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status, "pending_approval");
    assert_eq!(request["extends_grant"], grant.as_str());
    assert_eq!(request["origin"], "slack");
    assert_eq!(request["justification"], "The incident is still open");
    w.refresh_until_clean().await;
    w.open_home(&w.bob).await;
    assert!(w.home_text(&w.bob).contains("Approve or deny"));

    // A second extension while that one is open: the rule's refusal, inline, nothing created.
    let requests = scalar(&w.app, "SELECT COUNT(*) FROM requests").await;
    alice
        .select(
            Surface::view(w.home_id(&w.alice)),
            "",
            EXTEND_ACTION,
            &format!("1d {grant}"),
        )
        .await
        .unwrap();
    let modal = wait_for_modal(&w, &w.alice).await;
    alice
        .type_text(
            &modal.id,
            EXTEND_JUSTIFICATION_BLOCK,
            EXTEND_JUSTIFICATION_ACTION,
            "Again",
        )
        .await
        .unwrap();
    let refused = alice.submit(&modal.id).await.unwrap();
    assert_eq!(
        refused.response_action.as_deref(),
        Some("errors"),
        "{refused:?}"
    );
    assert!(
        refused.errors.unwrap().to_string().contains("open request"),
        "the duplicate rule speaks"
    );
    assert_eq!(
        scalar(&w.app, "SELECT COUNT(*) FROM requests").await,
        requests
    );
}

/// The newest open modal of `user` with the Home's Extend callback (opened after the action's
/// ack).
async fn wait_for_modal(w: &World, user: &str) -> slack_standin::state::View {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = w.slack.top_modal(user)
            && v.definition["callback_id"] == EXTEND_CALLBACK_ID
            && !v.definition.to_string().contains("is waiting for approval")
        {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no Extend modal opened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slack_outage_or_rate_limit_keeps_the_marks_until_a_home_is_published() {
    let w = world().await;
    let (id, _) = w.l.request_admin(&w.app).await;
    w.open_home(&w.bob).await;
    w.open_home(&w.carol).await;
    w.refresh_until_clean().await;
    w.l.bob.approve(&w.app, &id, 1).await;
    let bobs = w.marks_of(w.l.bob.user.id).await;
    assert!(bobs > 0);

    // Slack answers 503: the round fails and nothing is lost.
    w.slack
        .fail_with_server_error(Some("views.publish"), 1, 503);
    assert!(home::refresh_round(&w.state).await.is_err());
    assert_eq!(
        w.marks_of(w.l.bob.user.id).await,
        bobs,
        "Bob's marks wait for the next round"
    );
    assert!(
        w.home_text(&w.bob).contains("Approve or deny"),
        "still the old Home"
    );
    w.refresh_until_clean().await;
    assert!(
        w.home_text(&w.bob).contains("No approvals wait for you."),
        "{}",
        w.home_text(&w.bob)
    );

    // Slack asks to wait: the job pauses (no call at all) and keeps the marks.
    w.l.carol.approve(&w.app, &id, 2).await;
    let carols = w.marks_of(w.l.carol.user.id).await;
    assert!(carols > 0, "the task for Carol marked her Home");
    w.slack.fail_with_rate_limit(Some("views.publish"), 2, 30);
    assert!(home::refresh_round(&w.state).await.is_err());
    let calls = w.slack.api_calls_to("views.publish").len();
    assert_eq!(home::refresh_round(&w.state).await.unwrap(), 0);
    assert_eq!(w.slack.api_calls_to("views.publish").len(), calls, "paused");
    assert_eq!(w.marks_of(w.l.carol.user.id).await, carols);
}

/// An Enterprise Grid org with two workspaces, Latch installed org-wide from the first; returns
/// the second (where nobody installed anything).
fn org_wide<'a>(
    app: &'a TestApp,
    slack: &'a SlackStandin,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + 'a>> {
    Box::pin(async move {
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
        let channel = slack
            .add_channel(&bridge.id, "access", false, &[captain.id.as_str()])
            .unwrap();
        let authorize = location(&app.get("/slack/install").await);
        let callback = slack
            .approve_install(
                &authorize,
                slack_standin::Consent {
                    target: Some(org.id.clone()),
                    org_wide: true,
                    webhook_channel: Some(channel.id.clone()),
                    ..Default::default()
                },
            )
            .unwrap();
        let back = app.client.get(&callback).send().await.unwrap();
        assert_eq!(back.status().as_u16(), 303);
        assert!(location(&back).contains("slack=connected"), "installed");
        engine.id
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_grid_org_the_org_wide_install_serves_the_home_of_any_workspace() {
    let w = world_where(org_wide).await;
    let (_, number) = w.l.request_admin(&w.app).await;
    w.open_home(&w.alice).await;
    assert!(
        w.home_text(&w.alice).contains(&format!("|{number}>")),
        "{}",
        w.home_text(&w.alice)
    );
    let key: String =
        sqlx::query_scalar("SELECT install_key FROM slack_user_links WHERE slack_user_id = $1")
            .bind(&w.alice)
            .fetch_one(&w.app.db.pool)
            .await
            .unwrap();
    assert!(key.starts_with("enterprise:"), "{key}");

    // A console change reaches her Home through the org's installation.
    w.open_home(&w.bob).await;
    w.refresh_until_clean().await;
    let id = w.l.alice.detail(&w.app, &number).await.summary.id;
    w.l.bob.approve(&w.app, &id, 1).await;
    w.refresh_until_clean().await;
    assert!(w.home_text(&w.bob).contains("No approvals wait for you."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_slack_connection_a_round_just_clears_the_marks() {
    let (app, slack) = spawn_app_with_slack().await;
    hold_refresh_lease(&app).await;
    let l = jit_loop(&app).await;
    l.request_admin(&app).await;
    let marks = || scalar(&app, "SELECT COUNT(*) FROM slack_home_marks");
    assert!(
        marks().await > 0,
        "changes mark Homes whether or not Slack is connected"
    );
    let state = state_of(&app, &slack);
    assert_eq!(home::refresh_round(&state).await.unwrap(), 0);
    assert_eq!(marks().await, 0);
    assert!(slack.api_calls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_slack_does_not_hold_the_ack_of_app_home_opened_and_the_home_still_arrives() {
    let w = world_with(one_workspace, Duration::from_secs(10)).await;
    w.slack
        .add_latency(Some("views.publish"), Duration::from_secs(4), Some(1));
    let delivery = w.slack.open_app_home(&w.alice, "home").await.unwrap();
    let first = &delivery.attempts[0];
    assert!(first.acked, "acked in Slack's window: {first:?}");
    assert!(first.latency_ms < 3000, "{first:?}");
    assert_eq!(delivery.attempts.len(), 1, "no retry from Slack");
    w.home_becomes(&w.alice, "published after the ack", |home| {
        home.contains(REQUEST_ACCESS)
    })
    .await;
}

/// Moves grant `id`'s expiry to `at_ms` (stored column and domain body alike).
async fn set_expiry(app: &TestApp, id: &str, at_ms: i64) {
    let body: String = sqlx::query_scalar("SELECT body FROM grants WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let mut body: Value = serde_json::from_str(&body).unwrap();
    body["expires_at"] = Value::from(at_ms);
    sqlx::query("UPDATE grants SET body = $1, expires_at = $2 WHERE id = $3")
        .bind(body.to_string())
        .bind(at_ms)
        .bind(id)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_coming_within_seven_days_of_its_end_marks_the_home_for_a_refresh_as_time_passes() {
    let w = world().await;
    let grant = w.alice_granted().await;
    let day = 24 * 3600 * 1000;
    let now = app::ssr::clock::now_ms();
    set_expiry(&w.app, &grant, now + 9 * day).await;
    w.open_home(&w.alice).await;
    w.refresh_until_clean().await;
    assert!(
        w.home_text(&w.alice)
            .contains("None of your access expires in the next 7 days."),
        "9 days away is not listed"
    );

    // Two days later the window's end has passed the expiry: her Home is marked and refreshed.
    let at = app::domain::Timestamp::from_unix_millis(now);
    app::ssr::access::home_marks::mark_grants_entering_window(
        &w.app.db,
        now + 7 * day,
        now + 9 * day + 1,
        at,
    )
    .await
    .unwrap();
    assert_eq!(w.marks_of(w.l.alice.user.id).await, 1);
    // A window that has not reached it marks nobody.
    app::ssr::access::home_marks::mark_grants_entering_window(
        &w.app.db,
        now + 7 * day,
        now + 8 * day,
        at,
    )
    .await
    .unwrap();
    assert_eq!(w.marks_of(w.l.alice.user.id).await, 1);
    let publishes = w.publishes_to(&w.alice);
    w.refresh_until_clean().await;
    assert_eq!(w.publishes_to(&w.alice), publishes + 1);
}
