//! `latch demo`: seeded through the services into a fresh directory, Slack connected through the
//! OAuth flow, a demo person's request reaching their manager's DM in the stand-in, a foreign
//! database refused untouched, and a kept directory reused: Slack's state kept with it (the
//! requester's DM still there and edited in place after a restart, no second install), or,
//! when the stand-in's state is gone, the old installation disconnected and the app installed
//! again.

use std::time::{Duration, Instant};

use app::domain::{ProvisioningMethod, RequestOrigin, Role, Verdict};
use app::shapes::CreateInput;
use app::ssr::access::{Actor, catalog};
use app::ssr::flows::access_loop;
use app::ssr::slack::SlackConfig;
use app::ssr::users;
use latch_server::config::Settings;
use latch_server::demo::{self, DEMO_PASSWORD, DemoError, DemoHandle, DemoOptions};
use sqlx::Row;
use tokio::net::TcpListener;

use crate::helpers::{client, fresh_database_url, spawn_on_database, test_settings};

/// Test settings on `dir` (the test key, so the audit head key stays the process's one).
async fn settings_on(dir: &std::path::Path, database_url: &str) -> Settings {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    test_settings(database_url, dir, &listener, SlackConfig::default())
}

async fn start_kept(dir: &std::path::Path, database_url: &str) -> Result<DemoHandle, DemoError> {
    demo::run(DemoOptions {
        settings: settings_on(dir, database_url).await,
        keep: true,
    })
    .await
}

async fn count(db: &app::ssr::Db, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

/// Dave asks for the warehouse's Production read; the request reaches Bob's (his manager's) DM.
async fn request_reaches_managers_dm(handle: &DemoHandle) {
    dave_asks_for_production_read(handle).await;
    let bob = slack_user(handle, "bob@acme.test");
    wait_for_dm(handle, &bob.id, "Production read").await;
}

fn slack_user(handle: &DemoHandle, email: &str) -> slack_standin::User {
    handle
        .slack
        .users()
        .into_iter()
        .find(|u| u.email.as_deref() == Some(email))
        .unwrap()
}

/// Waits for a message containing `words` in the app's DM with `user_id`; returns it.
async fn wait_for_dm(handle: &DemoHandle, user_id: &str, words: &str) -> slack_standin::Message {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let dm = handle
            .slack
            .app_dm(user_id)
            .ok()
            .map(|c| handle.slack.messages(&c.id))
            .unwrap_or_default();
        if let Some(message) = dm.iter().find(|m| m.text.contains(words)) {
            return message.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the DM never got {words:?}: {dm:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Dave's request for the warehouse's Production read (his manager Bob decides the first step).
async fn dave_asks_for_production_read(handle: &DemoHandle) -> String {
    let dave = users::find_by_email(&handle.db, "dave@acme.test")
        .await
        .unwrap()
        .unwrap();
    let entitlement = catalog::list(&handle.db)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|a| a.entitlements)
        .map(|(e, _)| e)
        .find(|e| e.display_name == "Production read")
        .unwrap();
    access_loop::create(
        &handle.db,
        &Actor::new(dave.user),
        CreateInput {
            entitlement_id: entitlement.id.to_string(),
            subject_email: String::new(),
            duration: String::new(),
            justification: "Checking last night's load".into(),
            emergency: false,
            extension: false,
        },
        RequestOrigin::Web,
    )
    .await
    .unwrap()
    .id
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seeds_a_fresh_directory_and_a_demo_person_signs_in_to_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let handle = demo::run(DemoOptions {
        settings: settings_on(dir.path(), "sqlite://unused.db").await,
        keep: false,
    })
    .await
    .unwrap();
    assert!(handle.seeded);
    assert!(
        handle.slack.config().state_file.is_none(),
        "a temporary demo keeps the stand-in in memory"
    );
    assert_ne!(handle.data_dir, dir.path(), "a fresh temporary directory");
    assert_eq!(count(&handle.db, "SELECT COUNT(*) FROM users").await, 12);
    assert_eq!(count(&handle.db, "SELECT COUNT(*) FROM apps").await, 3);
    assert!(
        count(
            &handle.db,
            "SELECT COUNT(*) FROM users WHERE manager_id IS NOT NULL"
        )
        .await
            >= 10
    );
    assert!(
        handle.instructions().contains(&handle.simulator_url)
            && handle.instructions().contains(DEMO_PASSWORD),
        "{}",
        handle.instructions()
    );

    let browser = client();
    let signed_in = browser
        .post(format!("{}/auth/login", handle.console_url))
        .form(&[
            ("email", "dave@acme.test"),
            ("password", DEMO_PASSWORD),
            ("next", "/requests"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status().as_u16(), 303);
    assert_eq!(
        signed_in.headers()["location"].to_str().unwrap(),
        "/requests"
    );
    let simulator = client().get(&handle.simulator_url).send().await.unwrap();
    assert_eq!(
        simulator.status().as_u16(),
        200,
        "the stand-in serves the simulator"
    );
    let temp = handle.data_dir.clone();
    handle.shutdown().await.unwrap();
    assert!(!temp.exists(), "the temporary directory goes at shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_is_connected_through_the_oauth_install_and_a_request_reaches_the_managers_dm() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let handle = start_kept(dir.path(), &url).await.unwrap();

    // Made by the OAuth flow: the stand-in minted the installation Latch stored.
    let installs = handle.slack.installs();
    assert_eq!(installs.len(), 1, "{installs:?}");
    assert_eq!(
        count(&handle.db, "SELECT COUNT(*) FROM slack_installations").await,
        1
    );
    assert!(
        handle
            .slack
            .api_calls_to("oauth.v2.access")
            .iter()
            .any(|_| true),
        "Latch exchanged the code at oauth.v2.access"
    );

    request_reaches_managers_dm(&handle).await;
    handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_refuses_a_database_with_other_data_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let real = spawn_on_database(&url).await;
    real.create_user("someone@example.com", "Someone", Role::SuperAdmin)
        .await;
    let before = count(&real.db, "SELECT COUNT(*) FROM audit_events").await;

    let refused = start_kept(dir.path(), &url).await;
    assert!(
        matches!(refused, Err(DemoError::NotADemoDatabase(_))),
        "{:?}",
        refused.err()
    );
    assert_eq!(count(&real.db, "SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(
        count(&real.db, "SELECT COUNT(*) FROM audit_events").await,
        before
    );
    assert_eq!(
        count(
            &real.db,
            "SELECT COUNT(*) FROM settings WHERE key = 'demo_seeded'"
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_demo_directory_is_reused_on_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let first = start_kept(dir.path(), &url).await.unwrap();
    assert!(first.seeded);
    first.shutdown().await.unwrap();

    let second = start_kept(dir.path(), &url).await.unwrap();
    assert!(!second.seeded, "the people were already there");
    request_reaches_managers_dm(&second).await;
    assert_eq!(
        count(
            &second.db,
            "SELECT COUNT(*) FROM slack_installations WHERE disconnected_at IS NULL"
        )
        .await,
        1,
        "one connected installation"
    );
    assert_eq!(count(&second.db, "SELECT COUNT(*) FROM users").await, 12);
    let maintainer = catalog::list(&second.db)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|a| a.entitlements)
        .map(|(e, _)| e)
        .find(|e| e.display_name == "Repository maintainer")
        .unwrap();
    assert_eq!(
        maintainer.provisioning,
        ProvisioningMethod::Webhook {
            url: second.receiver_url.clone()
        },
        "the webhook points at this run's receiver"
    );
    second.shutdown().await.unwrap();
}

async fn audit_count(db: &app::ssr::Db, action: &str) -> i64 {
    count(
        db,
        &format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"),
    )
    .await
}

/// The id and install time of Latch's one Slack installation.
async fn latch_installation(db: &app::ssr::Db) -> (i64, i64) {
    let row = sqlx::query("SELECT id, installed_at FROM slack_installations")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    (row.get::<i64, _>(0), row.get::<i64, _>(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_demo_started_again_keeps_the_requesters_dm_and_edits_it_in_place_without_installing_again()
 {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let first = start_kept(dir.path(), &url).await.unwrap();
    assert!(first.slack_installed);
    let request_id = dave_asks_for_production_read(&first).await;
    let dave = slack_user(&first, "dave@acme.test");
    let copy = wait_for_dm(&first, &dave.id, "Production read").await;
    // Latch remembers where it posted: what it edits when the request changes.
    let remembered = format!(
        "SELECT COUNT(*) FROM slack_messages WHERE channel_id = '{}' AND ts = '{}'",
        copy.channel, copy.ts
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&first.db, &remembered).await == 0 {
        assert!(Instant::now() < deadline, "Latch never remembered its post");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Dave's message as he saw it when the demo stopped (Latch may have edited it already).
    let kept = first
        .slack
        .messages(&copy.channel)
        .into_iter()
        .find(|m| m.ts == copy.ts)
        .unwrap();
    assert!(
        kept.text.contains("Awaiting approval from Bob Chen"),
        "{kept:?}"
    );
    let installs: Vec<String> = first.slack.installs().into_iter().map(|i| i.id).collect();
    let tokens: Vec<String> = first.slack.tokens().into_iter().map(|t| t.token).collect();
    let installation = latch_installation(&first.db).await;
    let (console_url, slack_url) = (first.console_url.clone(), first.slack_url.clone());
    first.shutdown().await.unwrap();
    assert!(dir.path().join(demo::STANDIN_STATE_FILE).exists());

    let second = start_kept(dir.path(), &url).await.unwrap();
    assert!(!second.seeded);
    assert!(
        !second.slack_installed,
        "the kept installation's token still works"
    );
    assert_eq!(second.console_url, console_url, "last run's ports again");
    assert_eq!(second.slack_url, slack_url);
    // The stand-in's inspection API still has Dave's DM as he saw it.
    let listed: serde_json::Value = client()
        .get(format!(
            "{}/_standin/messages?channel={}",
            second.slack_url, copy.channel
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shown = listed["result"][&copy.channel].as_array().unwrap();
    assert!(
        shown
            .iter()
            .any(|m| m["ts"] == kept.ts.as_str() && m["text"] == kept.text.as_str()),
        "{listed}"
    );
    // Nothing installed again: the same installation and token on both sides, one
    // `slack.connected` in the audit log and no disconnection.
    let installs_now: Vec<String> = second.slack.installs().into_iter().map(|i| i.id).collect();
    assert_eq!(installs_now, installs);
    let tokens_now: Vec<String> = second.slack.tokens().into_iter().map(|t| t.token).collect();
    assert_eq!(tokens_now, tokens);
    assert!(second.slack.api_calls_to("oauth.v2.access").is_empty());
    assert_eq!(latch_installation(&second.db).await, installation);
    assert_eq!(audit_count(&second.db, "slack.connected").await, 1);
    assert_eq!(audit_count(&second.db, "slack.disconnected").await, 0);

    // Bob, Dave's manager, approves: Dave's message is edited in place, not posted again.
    let bob = users::find_by_email(&second.db, "bob@acme.test")
        .await
        .unwrap()
        .unwrap();
    access_loop::decide(
        &second.db,
        &Actor::new(bob.user),
        &request_id,
        0,
        Verdict::Approved,
        None,
        None,
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let edited = loop {
        let dm = second.slack.messages(&copy.channel);
        if let Some(message) = dm
            .iter()
            .find(|m| m.ts == copy.ts && !m.text.contains("Awaiting approval from Bob Chen"))
        {
            break message.clone();
        }
        assert!(
            Instant::now() < deadline,
            "Dave's message was not edited: {dm:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        edited.edits.len() > kept.edits.len(),
        "an edit after the restart: {edited:?}"
    );
    assert!(
        second
            .slack
            .api_calls_to("chat.update")
            .iter()
            .any(|c| c.params["ts"] == copy.ts.as_str() && c.response["ok"] == true),
        "Latch's chat.update of the remembered ts succeeded"
    );
    let posts: Vec<_> = second
        .slack
        .messages(&copy.channel)
        .into_iter()
        .filter(|m| m.thread_ts.is_none() && m.text.contains("Production read"))
        .collect();
    assert_eq!(posts.len(), 1, "not posted again: {posts:?}");
    second.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_demo_whose_slack_state_is_gone_disconnects_the_old_installation_and_installs_again()
{
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let first = start_kept(dir.path(), &url).await.unwrap();
    first.shutdown().await.unwrap();
    std::fs::remove_file(dir.path().join(demo::STANDIN_STATE_FILE)).unwrap();

    let second = start_kept(dir.path(), &url).await.unwrap();
    assert!(second.slack_installed, "a fresh stand-in: installed again");
    assert_eq!(second.slack.installs().len(), 1);
    assert_eq!(
        count(
            &second.db,
            "SELECT COUNT(*) FROM slack_installations WHERE disconnected_at IS NULL"
        )
        .await,
        1
    );
    assert_eq!(audit_count(&second.db, "slack.disconnected").await, 1);
    assert_eq!(audit_count(&second.db, "slack.connected").await, 2);
    request_reaches_managers_dm(&second).await;
    second.shutdown().await.unwrap();
}

#[test]
fn latch_demo_help_documents_the_data_directory_and_what_it_starts() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_latch"))
        .args(["demo", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for words in [
        "--data-dir",
        "Slack stand-in",
        "temporary data directory",
        "Ctrl-C",
    ] {
        assert!(
            help.contains(words),
            "`latch demo --help` lacks {words}: {help}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latch_demo_on_a_directory_with_other_data_exits_non_zero_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("latch.db").display());
    let real = spawn_on_database(&url).await;
    real.create_user("someone@example.com", "Someone", Role::SuperAdmin)
        .await;

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_latch"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args(["demo", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("did not make") && stderr.contains("unchanged"),
        "{stderr}"
    );
    assert_eq!(count(&real.db, "SELECT COUNT(*) FROM users").await, 1);
    assert!(
        !dir.path().join("secret.key").exists(),
        "nothing was written to the directory"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_entitlement_is_provisioned_by_the_demo_receiver_once_manager_and_owner_approve()
 {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let handle = start_kept(dir.path(), &url).await.unwrap();
    let erin = users::find_by_email(&handle.db, "erin@acme.test")
        .await
        .unwrap()
        .unwrap();
    let bob = users::find_by_email(&handle.db, "bob@acme.test")
        .await
        .unwrap()
        .unwrap();
    let maintainer = catalog::list(&handle.db)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|a| a.entitlements)
        .map(|(e, _)| e)
        .find(|e| e.display_name == "Repository maintainer")
        .unwrap();
    let request = access_loop::create(
        &handle.db,
        &Actor::new(erin.user),
        CreateInput {
            entitlement_id: maintainer.id.to_string(),
            subject_email: String::new(),
            duration: String::new(),
            justification: "Release week".into(),
            emergency: false,
            extension: false,
        },
        RequestOrigin::Web,
    )
    .await
    .unwrap();
    // Bob is Erin's manager (step 1) and GitHub's owner (step 2, a reason required).
    let bob = Actor::new(bob.user);
    let id = request.id.to_string();
    access_loop::decide(&handle.db, &bob, &id, 0, Verdict::Approved, None, None)
        .await
        .unwrap();
    access_loop::decide(
        &handle.db,
        &bob,
        &id,
        1,
        Verdict::Approved,
        Some("Maintainers rotate weekly".into()),
        None,
    )
    .await
    .unwrap();

    let active = format!(
        "SELECT COUNT(*) FROM grants WHERE state = 'active' AND entitlement_id = '{}'",
        maintainer.id
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&handle.db, &active).await == 0 {
        assert!(
            Instant::now() < deadline,
            "the webhook never provisioned the grant"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let unsigned = client()
        .post(&handle.receiver_url)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        unsigned.status().as_u16(),
        401,
        "the receiver checks the signature"
    );
    handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_person_typing_c1_request_in_the_standin_gets_latchs_request_modal() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let handle = start_kept(dir.path(), &url).await.unwrap();
    let dave = handle
        .slack
        .users()
        .into_iter()
        .find(|u| u.email.as_deref() == Some("dave@acme.test"))
        .unwrap();
    let channel = handle
        .slack
        .channel_by_name(&handle.team_id, "it-access")
        .unwrap();

    let ack = handle
        .slack
        .send_slash_command(
            &format!("{}/slack/commands", handle.console_url),
            slack_standin::SlashCommand {
                team_id: handle.team_id.clone(),
                channel_id: channel.id,
                user_id: dave.id.clone(),
                command: "/c1".into(),
                text: "request".into(),
            },
        )
        .await
        .unwrap();
    assert!(ack.acked, "{ack:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while handle.slack.top_modal(&dave.id).is_none() {
        assert!(
            Instant::now() < deadline,
            "no request modal opened: {}",
            ack.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    handle.shutdown().await.unwrap();
}
