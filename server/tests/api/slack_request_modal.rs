//! The "Submit a request" modal end to end through the real server and the stand-in: `/c1
//! request` opens it, the app search (`/slack/options`), the entitlement and length appearing as
//! the person chooses (`views.update`), submission through the console's rules (a request with
//! the right policy snapshot, visible in the console and the audit log as made in Slack),
//! refusals inline, an expired trigger, more than 100 apps, and a slow database still answered in
//! time.

use std::time::Duration;

use app::ssr::slack::blocks::request_modal::{
    APP_ACTION, APP_BLOCK, ENTITLEMENT_ACTION, ENTITLEMENT_BLOCK, JUSTIFICATION_ACTION,
    JUSTIFICATION_BLOCK, LENGTH_ACTION, LENGTH_BLOCK, SUBJECT_BLOCK,
};
use serde_json::Value;
use slack_standin::{Person, Surface, View};

use crate::access_fixtures::{MANAGER_THEN_OWNER, SaveEntitlement, app_form, entitlement_form};
use crate::slack_commands::{Front, eventually, front, front_with};

impl Front {
    fn person(&self, user: &str) -> Person<'_> {
        self.slack
            .person(user, &self.app.url("/slack/interactivity"))
            .with_options_url(&self.app.url("/slack/options"))
    }

    /// `user` types `/c1 request`; returns the modal it opened.
    async fn open_modal(&self, user: &str) -> View {
        let ack = self.command(user, "request").await;
        assert!(ack.acked, "{ack:?}");
        assert!(ack.latency < Duration::from_secs(3), "{:?}", ack.latency);
        assert!(
            ack.body.trim().is_empty(),
            "the answer is the modal: {}",
            ack.body
        );
        eventually("the modal", || self.slack.top_modal(user)).await
    }

    /// The modal `view_id` once `check` holds for its definition.
    async fn modal_when(&self, view_id: &str, what: &str, check: impl Fn(&Value) -> bool) -> View {
        eventually(what, || {
            self.slack.view(view_id).filter(|v| check(&v.definition))
        })
        .await
    }

    async fn request_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM requests")
            .fetch_one(&self.app.db.pool)
            .await
            .unwrap()
    }

    async fn app_id(&self) -> String {
        crate::access_fixtures::app_id_of(&self.app, &self.l.entitlement_id).await
    }
}

fn block<'a>(view: &'a Value, block_id: &str) -> Option<&'a Value> {
    view["blocks"]
        .as_array()?
        .iter()
        .find(|b| b["block_id"] == block_id)
}

fn option_texts(element: &Value) -> Vec<String> {
    element["options"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| o["text"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Chooses the app and the entitlement of the access loop in `view_id` as `who`, waiting for
/// each `views.update`.
async fn choose_prod_db_admin(f: &Front, who: &Person<'_>, view_id: &str) -> View {
    let app_id = f.app_id().await;
    let found = who
        .search(Surface::view(view_id), APP_BLOCK, APP_ACTION, "prod")
        .await
        .unwrap();
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    let names: Vec<&str> = found
        .options
        .iter()
        .filter_map(|o| o["text"]["text"].as_str())
        .collect();
    assert_eq!(names, ["Prod DB"]);
    let chose = who
        .select(Surface::view(view_id), APP_BLOCK, APP_ACTION, &app_id)
        .await
        .unwrap();
    assert!(chose.dispatched.as_ref().is_some_and(|a| a.acked));
    let with_entitlements = f
        .modal_when(view_id, "the entitlements", |v| {
            block(v, ENTITLEMENT_BLOCK).is_some()
        })
        .await;
    let entitlement = block(&with_entitlements.definition, ENTITLEMENT_BLOCK).unwrap();
    assert_eq!(
        option_texts(&entitlement["element"]),
        ["Prod DB — Admin (admin)"]
    );
    who.select(
        Surface::view(view_id),
        ENTITLEMENT_BLOCK,
        ENTITLEMENT_ACTION,
        &f.l.entitlement_id,
    )
    .await
    .unwrap();
    f.modal_when(view_id, "the length", |v| block(v, LENGTH_BLOCK).is_some())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_made_in_the_slack_modal_reaches_the_console_and_the_audit_log_as_made_in_slack()
{
    let f = front().await;
    let alice = f.person(&f.alice);
    let modal = f.open_modal(&f.alice).await;
    assert_eq!(modal.definition["title"]["text"], "Submit a request");
    assert!(
        block(&modal.definition, SUBJECT_BLOCK).is_none(),
        "Alice requests only for herself"
    );
    assert!(block(&modal.definition, ENTITLEMENT_BLOCK).is_none());

    let with_length = choose_prod_db_admin(&f, &alice, &modal.id).await;
    let length = block(&with_length.definition, LENGTH_BLOCK).unwrap();
    // The entitlement's maximum is 7 days: no preset above it, and a custom value.
    let presets = option_texts(&length["element"]);
    assert_eq!(
        presets.last().map(String::as_str),
        Some("Custom…"),
        "{presets:?}"
    );
    assert!(presets.iter().any(|p| p == "1 day"), "{presets:?}");
    assert!(
        !presets.iter().any(|p| p.contains("2 weeks")),
        "{presets:?}"
    );
    assert!(
        !with_length.definition.to_string().contains("Emergency"),
        "no emergency policy, no emergency field"
    );

    alice
        .select(Surface::view(&modal.id), LENGTH_BLOCK, LENGTH_ACTION, "1d")
        .await
        .unwrap();
    alice
        .type_text(
            &modal.id,
            JUSTIFICATION_BLOCK,
            JUSTIFICATION_ACTION,
            "Rotating the prod DB credentials for INC-77",
        )
        .await
        .unwrap();
    let submitted = alice.submit(&modal.id).await.unwrap();
    let ack = submitted.ack.clone().expect("sent to Latch");
    assert!(ack.acked && ack.latency < Duration::from_secs(3), "{ack:?}");
    assert_eq!(
        submitted.response_action, None,
        "the modal closes: {submitted:?}"
    );
    assert!(submitted.slack_error.is_none(), "{submitted:?}");

    // The request, as the console shows it.
    let number: String = sqlx::query_scalar("SELECT body FROM requests")
        .fetch_one(&f.app.db.pool)
        .await
        .map(|body: String| {
            let r: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(r["origin"], "slack");
            assert_eq!(
                r["policy"]["name"], MANAGER_THEN_OWNER,
                "the policy snapshot"
            );
            assert_eq!(r["policy"]["steps"].as_array().unwrap().len(), 2);
            format!("REQ-{}", r["number"])
        })
        .unwrap();
    let detail = f.l.alice.detail(&f.app, &number).await;
    assert_eq!(detail.summary.entitlement, "Admin");
    assert_eq!(detail.summary.requested_length, "1 day");
    let bobs_queue = f.said(&f.bob, "tasks").await;
    assert!(
        bobs_queue.contains(&number),
        "Bob is asked to approve: {bobs_queue}"
    );

    let audit: String =
        sqlx::query_scalar("SELECT after_json FROM audit_events WHERE action = 'request.created'")
            .fetch_one(&f.app.db.pool)
            .await
            .unwrap();
    assert!(audit.contains(r#""origin":"slack""#), "{audit}");

    let confirmation = eventually("the confirmation", || {
        f.ephemerals_for(&f.alice)
            .into_iter()
            .find(|t| t.contains("was submitted"))
    })
    .await;
    assert!(
        confirmation.contains(&format!("/requests/{number}|{number}>")),
        "{confirmation}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_request_is_refused_inline_with_its_link_and_nothing_is_created() {
    let f = front().await;
    let (_, number) = f.l.request_admin(&f.app).await;
    let alice = f.person(&f.alice);
    let modal = f.open_modal(&f.alice).await;
    choose_prod_db_admin(&f, &alice, &modal.id).await;
    alice
        .select(Surface::view(&modal.id), LENGTH_BLOCK, LENGTH_ACTION, "1d")
        .await
        .unwrap();
    alice
        .type_text(
            &modal.id,
            JUSTIFICATION_BLOCK,
            JUSTIFICATION_ACTION,
            "Again",
        )
        .await
        .unwrap();
    let before = f.request_count().await;
    let submitted = alice.submit(&modal.id).await.unwrap();
    assert_eq!(
        submitted.response_action.as_deref(),
        Some("errors"),
        "{submitted:?}"
    );
    assert!(submitted.slack_error.is_none(), "{submitted:?}");
    let errors = submitted.errors.unwrap();
    let said = errors[ENTITLEMENT_BLOCK].as_str().unwrap();
    assert!(
        said.starts_with("You already have an open request for this access"),
        "{said}"
    );
    assert!(
        said.contains(&format!("{}/requests/{number}", f.app.address)),
        "{said}"
    );
    assert!(said.contains("escalate"), "{said}");
    assert_eq!(f.request_count().await, before, "nothing was created");
    assert!(
        f.slack.view(&modal.id).is_some_and(|v| !v.closed),
        "the form stays open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_may_request_for_a_report_and_an_emergency_shows_only_where_allowed() {
    let f = front().await;
    // The admin entitlement gets an emergency policy.
    let emergency_policy =
        crate::access_fixtures::owner_approval_policy(&f.app, &f.l.admin, "Break glass").await;
    f.l.resave_admin_entitlement(&f.app, |form: &mut SaveEntitlement| {
        form.emergency_policy = Some(emergency_policy.clone());
    })
    .await;
    let bob = f.person(&f.bob);
    let modal = f.open_modal(&f.bob).await;
    let modal = f
        .modal_when(&modal.id, "Request for", |v| {
            block(v, SUBJECT_BLOCK).is_some()
        })
        .await;
    assert!(
        block(&modal.definition, SUBJECT_BLOCK).unwrap()["hint"]["text"]
            .as_str()
            .unwrap()
            .contains("your reports")
    );
    let with_length = choose_prod_db_admin(&f, &bob, &modal.id).await;
    assert!(
        with_length
            .definition
            .to_string()
            .contains("Emergency access"),
        "the entitlement allows emergencies"
    );
    bob.select(Surface::view(&modal.id), LENGTH_BLOCK, LENGTH_ACTION, "1d")
        .await
        .unwrap();
    bob.pick_user(
        Surface::view(&modal.id),
        SUBJECT_BLOCK,
        "request_subject_select",
        &f.alice,
    )
    .await
    .unwrap();
    bob.type_text(
        &modal.id,
        JUSTIFICATION_BLOCK,
        JUSTIFICATION_ACTION,
        "Alice is on call",
    )
    .await
    .unwrap();
    let submitted = bob.submit(&modal.id).await.unwrap();
    assert_eq!(submitted.response_action, None, "{submitted:?}");
    let alices = f.said(&f.alice, "requests").await;
    assert!(
        alices.contains("Prod DB — Admin"),
        "the request is Alice's: {alices}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_trigger_id_is_told_to_the_person_ephemerally() {
    // Latch waits for Slack longer than the trigger lives.
    let f = front_with(|slack| slack.timeout = Duration::from_secs(6)).await;
    f.slack
        .add_latency(Some("views.open"), Duration::from_millis(3500), Some(1));
    let ack = f.command(&f.alice, "request").await;
    assert!(ack.acked && ack.latency < Duration::from_secs(3), "{ack:?}");
    let told = eventually("the failure to be told", || {
        f.ephemerals_for(&f.alice)
            .into_iter()
            .find(|t| t.contains("couldn't open the request form"))
    })
    .await;
    assert!(told.contains("expired_trigger_id"), "{told}");
    assert!(told.contains("try again"), "{told}");
    assert!(f.slack.top_modal(&f.alice).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_100_requestable_apps_ask_to_refine_the_search_instead_of_cutting_the_list() {
    let f = front().await;
    for i in 0..105 {
        let app_id =
            f.l.admin
                .ok(&f.app, app_form(&format!("Tool {i:03}")))
                .await;
        f.l.admin
            .ok(
                &f.app,
                SaveEntitlement {
                    max_duration: Some("7d".into()),
                    ..entitlement_form(&app_id, "user")
                },
            )
            .await;
    }
    let alice = f.person(&f.alice);
    let modal = f.open_modal(&f.alice).await;
    let all = alice
        .search(Surface::view(&modal.id), APP_BLOCK, APP_ACTION, "tool")
        .await
        .unwrap();
    assert!(all.problems.is_empty(), "{:?}", all.problems);
    assert_eq!(all.options.len(), 100);
    let answer = all.ack.unwrap().json().unwrap();
    assert_eq!(
        answer["option_groups"][0]["label"]["text"],
        "105 apps match: type more of the name to narrow them"
    );
    let narrowed = alice
        .search(Surface::view(&modal.id), APP_BLOCK, APP_ACTION, "tool 10")
        .await
        .unwrap();
    assert_eq!(narrowed.options.len(), 5, "Tool 100 to Tool 104");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_database_still_acks_the_submission_in_time_and_the_modal_shows_the_outcome() {
    let f = front().await;
    let alice = f.person(&f.alice);
    let modal = f.open_modal(&f.alice).await;
    choose_prod_db_admin(&f, &alice, &modal.id).await;
    alice
        .select(Surface::view(&modal.id), LENGTH_BLOCK, LENGTH_ACTION, "4h")
        .await
        .unwrap();
    alice
        .type_text(
            &modal.id,
            JUSTIFICATION_BLOCK,
            JUSTIFICATION_ACTION,
            "Slow day",
        )
        .await
        .unwrap();

    // Another writer holds the database for 3.5 s.
    let mut blocker = f.app.db.begin().await.unwrap();
    if f.app.db.engine == app::ssr::db::Engine::Postgres {
        sqlx::query("LOCK TABLE requests IN ACCESS EXCLUSIVE MODE")
            .execute(&mut *blocker)
            .await
            .unwrap();
    }
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(3500)).await;
        blocker.rollback().await.unwrap();
    });
    let submitted = alice.submit(&modal.id).await.unwrap();
    let ack = submitted.ack.clone().expect("sent to Latch");
    assert!(ack.acked, "{submitted:?}");
    assert!(ack.latency < Duration::from_secs(3), "{:?}", ack.latency);
    assert_eq!(
        submitted.response_action.as_deref(),
        Some("update"),
        "{submitted:?}"
    );
    assert!(submitted.slack_error.is_none(), "{submitted:?}");
    assert_eq!(
        f.slack.view(&modal.id).unwrap().definition["title"]["text"],
        "Submitting…"
    );
    release.await.unwrap();

    let done = f
        .modal_when(&modal.id, "the outcome", |v| {
            v["title"]["text"] == "Request submitted"
        })
        .await;
    assert!(
        done.definition.to_string().contains("/requests/"),
        "{}",
        done.definition
    );
    assert_eq!(f.request_count().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_access_on_the_app_home_opens_the_same_modal() {
    let f = front().await;
    f.slack.set_event_subscriptions(&["app_home_opened"]);
    f.slack.open_app_home(&f.alice, "home").await.unwrap();
    let home = eventually("Alice's Home", || f.slack.home_view(&f.alice)).await;
    let clicked = f
        .person(&f.alice)
        .click(
            Surface::view(&home.id),
            "",
            app::ssr::slack::blocks::home::REQUEST_ACCESS_ACTION,
        )
        .await
        .unwrap();
    let ack = clicked.dispatched.expect("the button dispatches");
    assert!(ack.acked && ack.latency < Duration::from_secs(3), "{ack:?}");
    let modal = eventually("the modal", || f.slack.top_modal(&f.alice)).await;
    assert_eq!(modal.definition["title"]["text"], "Submit a request");
    assert!(block(&modal.definition, APP_BLOCK).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_submitted_after_the_workspace_was_disconnected_says_so_and_creates_nothing() {
    let f = front().await;
    let alice = f.person(&f.alice);
    let modal = f.open_modal(&f.alice).await;
    choose_prod_db_admin(&f, &alice, &modal.id).await;
    alice
        .select(Surface::view(&modal.id), LENGTH_BLOCK, LENGTH_ACTION, "1d")
        .await
        .unwrap();
    alice
        .type_text(&modal.id, JUSTIFICATION_BLOCK, JUSTIFICATION_ACTION, "Late")
        .await
        .unwrap();
    app::ssr::slack::store::disconnect(
        &f.app.db,
        &format!("team:{}", f.team),
        "app_uninstalled",
        app::domain::AuditActor::System,
    )
    .await
    .unwrap();
    let submitted = alice.submit(&modal.id).await.unwrap();
    assert_eq!(
        submitted.response_action.as_deref(),
        Some("update"),
        "{submitted:?}"
    );
    let shown = f.slack.view(&modal.id).unwrap().definition.to_string();
    assert!(shown.contains("was disconnected"), "{shown}");
    assert!(shown.contains("removed from Slack"), "{shown}");
    assert_eq!(f.request_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_length_over_the_maximum_is_refused_on_the_custom_length_field() {
    use app::ssr::slack::blocks::request_modal::{CUSTOM_LENGTH_ACTION, CUSTOM_LENGTH_BLOCK};
    let f = front().await;
    let alice = f.person(&f.alice);
    let modal = f.open_modal(&f.alice).await;
    choose_prod_db_admin(&f, &alice, &modal.id).await;
    alice
        .select(
            Surface::view(&modal.id),
            LENGTH_BLOCK,
            LENGTH_ACTION,
            "custom",
        )
        .await
        .unwrap();
    f.modal_when(&modal.id, "the custom length field", |v| {
        block(v, CUSTOM_LENGTH_BLOCK).is_some()
    })
    .await;
    alice
        .type_text(&modal.id, CUSTOM_LENGTH_BLOCK, CUSTOM_LENGTH_ACTION, "10d")
        .await
        .unwrap();
    alice
        .type_text(
            &modal.id,
            JUSTIFICATION_BLOCK,
            JUSTIFICATION_ACTION,
            "Long job",
        )
        .await
        .unwrap();
    let submitted = alice.submit(&modal.id).await.unwrap();
    assert_eq!(
        submitted.response_action.as_deref(),
        Some("errors"),
        "{submitted:?}"
    );
    let errors = submitted.errors.unwrap();
    let said = errors[CUSTOM_LENGTH_BLOCK].as_str().unwrap();
    assert!(said.contains("longer than the maximum"), "{said}");
    assert_eq!(f.request_count().await, 0);

    alice
        .type_text(
            &modal.id,
            CUSTOM_LENGTH_BLOCK,
            CUSTOM_LENGTH_ACTION,
            "3d 12h",
        )
        .await
        .unwrap();
    let submitted = alice.submit(&modal.id).await.unwrap();
    assert_eq!(submitted.response_action, None, "{submitted:?}");
    let alices = f.said(&f.alice, "requests").await;
    assert!(alices.contains("Prod DB — Admin"), "{alices}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_apps_never_files_the_entitlement_chosen_for_the_previous_app() {
    let f = front().await;
    let other_app = f.l.admin.ok(&f.app, app_form("Wiki")).await;
    f.l.admin
        .ok(
            &f.app,
            SaveEntitlement {
                max_duration: Some("7d".into()),
                ..entitlement_form(&other_app, "editor")
            },
        )
        .await;
    let alice = f.person(&f.alice);
    let modal = f.open_modal(&f.alice).await;
    choose_prod_db_admin(&f, &alice, &modal.id).await;
    alice
        .type_text(&modal.id, JUSTIFICATION_BLOCK, JUSTIFICATION_ACTION, "Docs")
        .await
        .unwrap();
    // Alice changes her mind: Wiki instead.
    alice
        .search(Surface::view(&modal.id), APP_BLOCK, APP_ACTION, "wiki")
        .await
        .unwrap();
    alice
        .select(Surface::view(&modal.id), APP_BLOCK, APP_ACTION, &other_app)
        .await
        .unwrap();
    f.modal_when(&modal.id, "Wiki's entitlements", |v| {
        block(v, ENTITLEMENT_BLOCK)
            .is_some_and(|b| option_texts(&b["element"]) == ["Wiki — editor"])
    })
    .await;
    let submitted = alice.submit(&modal.id).await.unwrap();
    if submitted.ack.is_some() {
        // Slack kept the earlier selection in the state: Latch must not file Prod DB.
        assert_eq!(
            submitted.response_action.as_deref(),
            Some("errors"),
            "{submitted:?}"
        );
        assert!(
            submitted.errors.unwrap()[ENTITLEMENT_BLOCK]
                .as_str()
                .unwrap()
                .contains("Choose an entitlement"),
        );
    } else {
        assert!(
            submitted.client_errors.contains_key(ENTITLEMENT_BLOCK),
            "{submitted:?}"
        );
    }
    assert_eq!(f.request_count().await, 0, "nothing was filed for Prod DB");
}

/// Alice's App Home, published; returns its view id.
async fn alices_home(f: &Front) -> String {
    f.slack.set_event_subscriptions(&["app_home_opened"]);
    f.slack.open_app_home(&f.alice, "home").await.unwrap();
    eventually("Alice's Home", || f.slack.home_view(&f.alice))
        .await
        .id
}

/// Alice clicks **Request Access** on her Home; the click must be acked in time.
async fn click_request_access(f: &Front, home: &str) {
    let clicked = f
        .person(&f.alice)
        .click(
            Surface::view(home),
            "",
            app::ssr::slack::blocks::home::REQUEST_ACCESS_ACTION,
        )
        .await
        .unwrap();
    let ack = clicked.dispatched.expect("the button dispatches");
    assert!(ack.acked && ack.latency < Duration::from_secs(3), "{ack:?}");
}

/// What the app said to `user` in their DM with it.
fn dms_to(f: &Front, user: &str) -> Vec<String> {
    let dm = f.slack.app_dm(user).unwrap();
    f.slack
        .messages(&dm.id)
        .into_iter()
        .map(|m| m.text)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_the_modal_from_the_home_when_slack_fails_is_told_by_dm() {
    let f = front().await;
    let home = alices_home(&f).await;
    f.slack.fail_with_server_error(Some("views.open"), 1, 503);
    click_request_access(&f, &home).await;
    let told = eventually("the failure told by DM", || {
        dms_to(&f, &f.alice)
            .into_iter()
            .find(|t| t.contains("couldn't open the request form"))
    })
    .await;
    assert!(told.contains("try again"), "{told}");
    assert!(f.slack.top_modal(&f.alice).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_request_access_clicks_during_a_views_open_rate_limit_is_acked_in_time_and_told_once()
 {
    let f = std::sync::Arc::new(front().await);
    let home = alices_home(&f).await;
    f.slack
        .start_rate_limit_storm(Some("views.open"), Duration::from_secs(30));
    let clicks = 200;
    let mut clicking = tokio::task::JoinSet::new();
    for _ in 0..clicks {
        let f = f.clone();
        let home = home.clone();
        clicking.spawn(async move { click_request_access(&f, &home).await });
    }
    while let Some(clicked) = clicking.join_next().await {
        clicked.unwrap();
    }
    // The deferred work settles: no call to Slack for a while.
    let mut calls = f.slack.api_calls().len();
    loop {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let now = f.slack.api_calls().len();
        if now == calls {
            break;
        }
        calls = now;
    }
    let opens = f.slack.api_calls_to("views.open").len();
    assert!(
        opens <= clicks,
        "a dead trigger is never retried: {opens} views.open for {clicks} clicks"
    );
    let posts = f.slack.api_calls_to("chat.postMessage").len();
    assert!(posts <= 1, "no storm of messages: {posts} chat.postMessage");
    let told: Vec<String> = dms_to(&f, &f.alice)
        .into_iter()
        .filter(|t| t.contains("couldn't open the request form") || t.contains("very busy"))
        .collect();
    assert_eq!(told.len(), 1, "told once: {told:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_made_where_latchs_bot_is_not_in_the_channel_is_confirmed_through_the_response_url()
 {
    let f = front().await;
    // A public channel Latch's bot is not a member of.
    let random = f
        .slack
        .add_channel(&f.team, "random", false, &[f.alice.as_str()])
        .unwrap()
        .id;
    let ack =
        crate::slack_commands::command_in(&f.app, &f.slack, &f.team, &random, &f.alice, "request")
            .await;
    assert!(ack.acked && ack.body.trim().is_empty(), "{ack:?}");
    let modal = eventually("the modal", || f.slack.top_modal(&f.alice)).await;
    let alice = f.person(&f.alice);
    choose_prod_db_admin(&f, &alice, &modal.id).await;
    alice
        .select(Surface::view(&modal.id), LENGTH_BLOCK, LENGTH_ACTION, "1d")
        .await
        .unwrap();
    alice
        .type_text(
            &modal.id,
            JUSTIFICATION_BLOCK,
            JUSTIFICATION_ACTION,
            "Rotating the prod DB credentials for INC-78",
        )
        .await
        .unwrap();
    let submitted = alice.submit(&modal.id).await.unwrap();
    assert!(submitted.slack_error.is_none(), "{submitted:?}");
    assert_eq!(f.request_count().await, 1);

    let confirmation = eventually("the confirmation through the response_url", || {
        crate::slack_commands::late_answers(&f.slack, &f.alice)
            .into_iter()
            .find(|t| t.contains("was submitted"))
    })
    .await;
    assert!(confirmation.contains("REQ-"), "{confirmation}");
    let refused: Vec<String> = f
        .slack
        .api_calls_to("chat.postEphemeral")
        .iter()
        .map(|c| c.response.to_string())
        .collect();
    assert!(
        refused.iter().any(|r| r.contains("not_in_channel")),
        "Slack refused the ephemeral in the channel: {refused:?}"
    );
}
