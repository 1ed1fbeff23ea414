//! Connect to Slack (Settings > Notifications): the OAuth v2 install with channel choice against
//! the Slack stand-in, every failure path, disconnect, lifecycle events, test message, manifest,
//! Enterprise Grid, and that no secret leaves the server.

use std::time::{Duration, Instant};

use app::domain::Role;
use serde_json::{Value, json};
use slack_standin::{Consent, SlackStandin};

use crate::helpers::{
    SLACK_SIGNING_SECRET, TestApp, client, location, spawn_app, spawn_app_with_slack,
    spawn_app_with_slack_config,
};

const PAGE: &str = "/admin/settings/notifications";

/// Clicks Add to Slack: returns Slack's authorize URL (the redirect target).
pub(crate) async fn start_install(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "Add to Slack redirects to Slack"
    );
    location(&response)
}

/// Follows Slack's redirect back to Latch; returns where Latch sends the browser.
pub(crate) async fn follow_callback(app: &TestApp, callback: &str) -> String {
    let response = app.client.get(callback).send().await.unwrap();
    assert_eq!(
        response.status().as_u16(),
        303,
        "the callback redirects back to Settings"
    );
    location(&response)
}

pub(crate) async fn page(app: &TestApp) -> String {
    let response = app.get(PAGE).await;
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.unwrap()
}

/// Seeds a workspace with a channel; returns (team id, channel id).
pub(crate) fn workspace(
    slack: &SlackStandin,
    name: &str,
    domain: &str,
    channel: &str,
) -> (String, String) {
    let team = slack.add_workspace(name, domain).unwrap();
    let admin = slack
        .add_user(
            &team.id,
            slack_standin::NewUser {
                is_admin: true,
                ..slack_standin::NewUser::new("owner", format!("owner@{domain}.test"))
            },
        )
        .unwrap();
    let channel = slack
        .add_channel(&team.id, channel, false, &[admin.id.as_str()])
        .unwrap();
    (team.id, channel.id)
}

/// A full connect of `team_id`, posting to `channel_id`; returns the installation row id.
pub(crate) async fn connect(
    app: &TestApp,
    slack: &SlackStandin,
    team_id: &str,
    channel_id: &str,
) -> i64 {
    let authorize = start_install(app, "/slack/install").await;
    let callback = slack
        .approve_install(
            &authorize,
            Consent {
                target: Some(team_id.into()),
                webhook_channel: Some(channel_id.into()),
                ..Default::default()
            },
        )
        .unwrap();
    let back = follow_callback(app, &callback).await;
    assert_eq!(back, format!("{PAGE}?slack=connected#slack"));
    installation_id(app, team_id).await
}

async fn installation_id(app: &TestApp, slack_id: &str) -> i64 {
    let overview = server_fn(app, "slack/overview", &[]).await;
    overview["installations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["slack_id"] == slack_id)
        .unwrap_or_else(|| panic!("no installation for {slack_id}: {overview}"))["id"]
        .as_i64()
        .unwrap()
}

async fn installation_count(app: &TestApp) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) AS n FROM slack_installations")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get::<i64, _>("n")
}

async fn server_fn_response(
    app: &TestApp,
    endpoint: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/{endpoint}")))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn server_fn(app: &TestApp, endpoint: &str, form: &[(&str, &str)]) -> Value {
    let response = server_fn_response(app, endpoint, form).await;
    assert_eq!(response.status().as_u16(), 200, "{endpoint}");
    response.json().await.unwrap()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).unwrap();
    parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(crate) fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = reqwest::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_connects_a_workspace_and_settings_shows_workspace_channel_installer_and_scopes() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");

    let before = page(&app).await;
    assert!(before.contains("Not connected."), "{before}");
    assert!(
        before.contains(r#"href="/admin/settings/notifications?step=add""#),
        "Connect is offered"
    );
    let step = app
        .get(&format!("{PAGE}?step=add"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        step.contains(r#"href="/slack/install""#) && step.contains("Add to Slack"),
        "{step}"
    );

    connect(&app, &slack, &team, &channel).await;

    let html = page(&app).await;
    assert!(html.contains("Acme"), "{html}");
    assert!(html.contains(&team), "workspace id shown");
    assert!(
        html.contains(&format!("#it-access ({channel})")),
        "chosen channel shown: {html}"
    );
    assert!(
        html.contains("Test Person (root@example.com)"),
        "installer shown"
    );
    assert!(
        html.contains("chat:write") && html.contains("incoming-webhook"),
        "scopes shown"
    );
    assert!(html.contains(r#"data-status="connected""#));
    assert!(
        !html.contains("lacks scopes"),
        "all scopes granted: no warning"
    );
    assert!(
        app.get(&format!("{PAGE}?slack=connected"))
            .await
            .text()
            .await
            .unwrap()
            .contains("Connected to Slack.")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorize_url_carries_client_id_all_bot_scopes_the_redirect_and_a_fresh_state() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let first = start_install(&app, "/slack/install").await;
    let second = start_install(&app, "/slack/install?team=T0123ABC").await;

    assert!(
        first.starts_with(&format!("{}?", slack.authorize_url())),
        "{first}"
    );
    assert_eq!(
        query_param(&first, "client_id").unwrap(),
        crate::helpers::SLACK_CLIENT_ID
    );
    assert_eq!(
        query_param(&first, "redirect_uri").unwrap(),
        app.url("/slack/oauth/callback")
    );
    let scopes = query_param(&first, "scope").unwrap();
    for scope in app::ssr::slack::BOT_SCOPES {
        assert!(
            scopes.split(',').any(|s| s == *scope),
            "{scope} requested in {scopes}"
        );
    }
    let (a, b) = (
        query_param(&first, "state").unwrap(),
        query_param(&second, "state").unwrap(),
    );
    assert!(a.len() >= 32 && a != b, "each start mints its own state");
    assert_eq!(
        query_param(&second, "team").as_deref(),
        Some("T0123ABC"),
        "Reinstall pre-selects the workspace"
    );

    // The server function gives the same kind of URL to scripted clients.
    let url: String = server_fn(&app, "slack/install_url", &[])
        .await
        .as_str()
        .unwrap()
        .to_string();
    assert!(query_param(&url, "state").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_on_slack_returns_with_a_message_and_stores_nothing() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    workspace(&slack, "Acme", "acme", "it-access");
    let authorize = start_install(&app, "/slack/install").await;
    let callback = slack.deny_install(&authorize).unwrap();
    assert!(callback.contains("error=access_denied"));

    let back = follow_callback(&app, &callback).await;
    assert_eq!(back, format!("{PAGE}?slack_error=cancelled#slack"));
    let html = app.get(&back).await.text().await.unwrap();
    assert!(
        html.contains("You cancelled the install on Slack."),
        "{html}"
    );
    assert_eq!(installation_count(&app).await, 0);
    assert!(
        slack.api_calls_to("oauth.v2.access").is_empty(),
        "no code to exchange"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_without_state_or_with_a_forged_state_is_refused_and_stores_nothing() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    workspace(&slack, "Acme", "acme", "it-access");
    let authorize = start_install(&app, "/slack/install").await;
    let callback = slack
        .approve_install(&authorize, Consent::default())
        .unwrap();
    let code = query_param(&callback, "code").unwrap();

    let missing = follow_callback(
        &app,
        &format!("{}?code={code}", app.url("/slack/oauth/callback")),
    )
    .await;
    assert_eq!(missing, format!("{PAGE}?slack_error=state_missing#slack"));
    let forged = follow_callback(&app, &with_param(&callback, "state", &"f".repeat(64))).await;
    assert_eq!(forged, format!("{PAGE}?slack_error=state_invalid#slack"));
    let html = app.get(&forged).await.text().await.unwrap();
    assert!(html.contains("was not issued by Latch"), "{html}");
    assert_eq!(installation_count(&app).await, 0);
    assert!(
        slack.api_calls_to("oauth.v2.access").is_empty(),
        "the code is never exchanged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_state_is_refused() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    workspace(&slack, "Acme", "acme", "it-access");
    let authorize = start_install(&app, "/slack/install").await;
    let callback = slack
        .approve_install(&authorize, Consent::default())
        .unwrap();
    assert_eq!(
        follow_callback(&app, &callback).await,
        format!("{PAGE}?slack=connected#slack")
    );

    let replay = follow_callback(&app, &callback).await;
    assert_eq!(replay, format!("{PAGE}?slack_error=state_invalid#slack"));
    assert_eq!(
        slack.api_calls_to("oauth.v2.access").len(),
        1,
        "the replay never reaches Slack"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_state_is_refused() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    workspace(&slack, "Acme", "acme", "it-access");
    let authorize = start_install(&app, "/slack/install").await;
    let callback = slack
        .approve_install(&authorize, Consent::default())
        .unwrap();
    sqlx::query("UPDATE slack_oauth_states SET expires_at = 0")
        .execute(&app.db.pool)
        .await
        .unwrap();

    let back = follow_callback(&app, &callback).await;
    assert_eq!(back, format!("{PAGE}?slack_error=state_expired#slack"));
    assert!(
        app.get(&back)
            .await
            .text()
            .await
            .unwrap()
            .contains("The install link expired")
    );
    assert_eq!(installation_count(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_started_in_another_admins_session_is_refused() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    workspace(&slack, "Acme", "acme", "it-access");
    let authorize = start_install(&app, "/slack/install").await;
    let callback = slack
        .approve_install(&authorize, Consent::default())
        .unwrap();

    // A second admin, in their own browser, is lured to the first admin's callback.
    app.create_user("other@example.com", "Other Admin", Role::SuperAdmin)
        .await;
    let other = client();
    app.post_login(&other, "other@example.com", crate::helpers::PASSWORD, "/")
        .await;
    let response = other.get(&callback).send().await.unwrap();
    assert_eq!(
        location(&response),
        format!("{PAGE}?slack_error=state_other_session#slack")
    );
    assert_eq!(installation_count(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_refusing_the_code_is_shown_with_its_error_code() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    workspace(&slack, "Acme", "acme", "it-access");
    let authorize = start_install(&app, "/slack/install").await;
    let callback = slack
        .approve_install(&authorize, Consent::default())
        .unwrap();

    let back = follow_callback(&app, &with_param(&callback, "code", "not-a-real-code")).await;
    assert_eq!(
        back,
        format!("{PAGE}?slack_error=slack_error&code=invalid_code#slack")
    );
    let html = app.get(&back).await.text().await.unwrap();
    assert!(
        html.contains("Slack refused the install with the error invalid_code."),
        "{html}"
    );
    assert_eq!(installation_count(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_slack_times_out_with_a_message_within_the_bound() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    workspace(&slack, "Acme", "acme", "it-access");
    let authorize = start_install(&app, "/slack/install").await;
    let callback = slack
        .approve_install(&authorize, Consent::default())
        .unwrap();
    slack.add_latency(Some("oauth.v2.access"), Duration::from_secs(6), None);

    let started = Instant::now();
    let back = follow_callback(&app, &callback).await;
    let took = started.elapsed();
    assert_eq!(back, format!("{PAGE}?slack_error=slack_timeout#slack"));
    assert!(
        took < Duration::from_secs(4),
        "bounded by the 2 s Slack timeout, took {took:?}"
    );
    assert!(
        app.get(&back)
            .await
            .text()
            .await
            .unwrap()
            .contains("Slack did not answer in time.")
    );
    assert_eq!(installation_count(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_slack_is_reported() {
    // A port that was free a moment ago: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (app, slack) =
        spawn_app_with_slack_config(|config| config.api_url = format!("http://{closed}/api")).await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    workspace(&slack, "Acme", "acme", "it-access");
    let authorize = start_install(&app, "/slack/install").await;
    let callback = slack
        .approve_install(&authorize, Consent::default())
        .unwrap();

    let back = follow_callback(&app, &callback).await;
    assert_eq!(back, format!("{PAGE}?slack_error=slack_unreachable#slack"));
    assert!(
        app.get(&back)
            .await
            .text()
            .await
            .unwrap()
            .contains("Latch could not reach Slack.")
    );
    assert_eq!(installation_count(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callbacks_with_the_same_state_have_exactly_one_winner() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    workspace(&slack, "Acme", "acme", "it-access");
    let authorize = start_install(&app, "/slack/install").await;
    let callback = slack
        .approve_install(&authorize, Consent::default())
        .unwrap();

    let attempts = (0..6).map(|_| {
        let client = app.client.clone();
        let callback = callback.clone();
        async move { location(&client.get(&callback).send().await.unwrap()) }
    });
    let outcomes = futures_join_all(attempts).await;
    let winners = outcomes
        .iter()
        .filter(|l| l.contains("slack=connected"))
        .count();
    assert_eq!(winners, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .filter(|l| !l.contains("slack=connected"))
            .all(|l| l.contains("state_invalid"))
    );
    assert_eq!(slack.api_calls_to("oauth.v2.access").len(), 1);
    assert_eq!(installation_count(&app).await, 1);
}

async fn futures_join_all<F: std::future::Future<Output = String> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<String> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_workspaces_can_be_connected_and_each_is_listed() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (acme, acme_channel) = workspace(&slack, "Acme", "acme", "it-access");
    let (globex, globex_channel) = workspace(&slack, "Globex", "globex", "security");
    connect(&app, &slack, &acme, &acme_channel).await;
    connect(&app, &slack, &globex, &globex_channel).await;

    let html = page(&app).await;
    assert!(html.contains("Acme") && html.contains("Globex"), "{html}");
    assert!(html.contains("#it-access") && html.contains("#security"));
    assert_eq!(html.matches(r#"data-status="connected""#).count(), 2);
    assert!(html.contains("Connect another workspace"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enterprise_grid_org_wide_install_is_one_installation_serving_every_workspace_of_the_org()
 {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let org = slack.add_enterprise("Starship");
    let bridge = slack.add_workspace_in(&org.id, "Bridge", "bridge").unwrap();
    let engine = slack
        .add_workspace_in(&org.id, "Engine Room", "engine")
        .unwrap();
    let captain = slack
        .add_user(
            &bridge.id,
            slack_standin::NewUser {
                is_admin: true,
                ..slack_standin::NewUser::new("kirk", "kirk@starship.test")
            },
        )
        .unwrap();
    let channel = slack
        .add_channel(&bridge.id, "access", false, &[captain.id.as_str()])
        .unwrap();

    let authorize = start_install(&app, "/slack/install").await;
    let callback = slack
        .approve_install(
            &authorize,
            Consent {
                target: Some(org.id.clone()),
                org_wide: true,
                webhook_channel: Some(channel.id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        follow_callback(&app, &callback).await,
        format!("{PAGE}?slack=connected#slack")
    );

    assert_eq!(
        installation_count(&app).await,
        1,
        "one installation for the whole org"
    );
    let html = page(&app).await;
    assert!(
        html.contains("Starship") && html.contains(&org.id),
        "{html}"
    );
    assert!(html.contains("org-wide install, serves every workspace of the org"));
    assert!(html.contains("#access"));

    // Adding the app to a workspace of the org needs no further install: each resolves to it.
    for team in [&bridge.id, &engine.id] {
        let serving = app::ssr::slack::store::find_for_workspace(&app.db, team, Some(&org.id))
            .await
            .unwrap();
        assert_eq!(
            serving.map(|i| i.install_key),
            Some(format!("enterprise:{}", org.id)),
            "{team}"
        );
        let delivery = slack
            .send_event(
                &app.url("/slack/events"),
                team,
                json!({"type": "app_home_opened", "user": captain.id, "tab": "home"}),
            )
            .await
            .unwrap();
        assert!(
            delivery.attempts.first().is_some_and(|a| a.acked),
            "events from {team} are accepted"
        );
    }
    let id = installation_id(&app, &org.id).await;
    let report = server_fn(
        &app,
        "slack/test_message",
        &[("installation_id", &id.to_string())],
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");

    // An uninstall from the org ends the org-wide installation.
    slack
        .send_event(
            &app.url("/slack/events"),
            &engine.id,
            json!({"type": "app_uninstalled"}),
        )
        .await
        .unwrap();
    assert!(
        page(&app)
            .await
            .contains("the app was uninstalled in Slack")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_revokes_the_token_at_slack_and_the_page_shows_it() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    let id = connect(&app, &slack, &team, &channel).await;

    let report = server_fn(
        &app,
        "slack/disconnect",
        &[("installation_id", &id.to_string())],
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        slack.api_calls_to("auth.revoke").len(),
        1,
        "auth.revoke called"
    );
    assert!(
        slack.tokens().iter().all(|t| t.revoked),
        "the bot token is dead at Slack"
    );
    let html = page(&app).await;
    assert!(html.contains(r#"data-status="disconnected""#), "{html}");
    assert!(html.contains("an admin disconnected it"));

    // The token is gone from Latch too; a second disconnect is a clear conflict.
    let again = server_fn_response(
        &app,
        "slack/disconnect",
        &[("installation_id", &id.to_string())],
    )
    .await;
    assert_eq!(again.status().as_u16(), 409);
    use sqlx::Row;
    let sealed: Option<String> = sqlx::query("SELECT bot_token_sealed FROM slack_installations")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get("bot_token_sealed");
    assert!(sealed.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_uninstalled_event_disconnects_the_installation() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    connect(&app, &slack, &team, &channel).await;

    let delivery = slack
        .send_event(
            &app.url("/slack/events"),
            &team,
            json!({"type": "app_uninstalled"}),
        )
        .await
        .unwrap();
    assert!(delivery.attempts[0].acked, "{delivery:?}");
    let html = page(&app).await;
    assert!(html.contains(r#"data-status="disconnected""#), "{html}");
    assert!(html.contains("the app was uninstalled in Slack"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokens_revoked_event_for_our_bot_disconnects_the_installation_and_others_do_not() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    connect(&app, &slack, &team, &channel).await;
    let bot = slack.installs()[0].bot_user_id.clone();
    let url = app.url("/slack/events");

    slack
        .send_event(
            &url,
            &team,
            json!({"type": "tokens_revoked", "tokens": {"oauth": ["U0SOMEONE"], "bot": []}}),
        )
        .await
        .unwrap();
    assert!(
        page(&app).await.contains(r#"data-status="connected""#),
        "a user token does not matter"
    );

    slack
        .send_event(
            &url,
            &team,
            json!({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [bot]}}),
        )
        .await
        .unwrap();
    let html = page(&app).await;
    assert!(html.contains(r#"data-status="disconnected""#), "{html}");
    assert!(html.contains("Slack revoked"));
}

pub(crate) fn sign(secret: &str, timestamp: &str, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_events_endpoint_answers_url_verification_and_rejects_bad_or_stale_signatures() {
    let (app, slack) = spawn_app_with_slack().await;
    let url = app.url("/slack/events");
    assert!(
        slack.verify_events_url(&url).await.unwrap(),
        "url_verification echoes the challenge"
    );

    let body = json!({"type": "url_verification", "challenge": "abc"}).to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let stale = (time::OffsetDateTime::now_utc().unix_timestamp() - 600).to_string();
    let cases = [
        (now.clone(), sign("wrong-secret", &now, &body)),
        (stale.clone(), sign(SLACK_SIGNING_SECRET, &stale, &body)),
        (now.clone(), "v0=00".to_string()),
    ];
    for (timestamp, signature) in cases {
        let response = client()
            .post(&url)
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", &timestamp)
            .header("x-slack-signature", &signature)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{timestamp} {signature}");
    }
    let unsigned = client().post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);

    let good = client()
        .post(&url)
        .header("x-slack-request-timestamp", &now)
        .header("x-slack-signature", sign(SLACK_SIGNING_SECRET, &now, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(good.status().as_u16(), 200);
    assert_eq!(good.text().await.unwrap(), "abc");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_uninstall_event_changes_nothing() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    connect(&app, &slack, &team, &channel).await;
    let body =
        json!({"type": "event_callback", "team_id": team, "event": {"type": "app_uninstalled"}})
            .to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let response = client()
        .post(app.url("/slack/events"))
        .header("x-slack-request-timestamp", &now)
        .header("x-slack-signature", sign("not-our-secret", &now, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(page(&app).await.contains(r#"data-status="connected""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_message_is_posted_to_the_chosen_channel() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    let id = connect(&app, &slack, &team, &channel).await;

    let report = server_fn(
        &app,
        "slack/test_message",
        &[("installation_id", &id.to_string())],
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["message"], "Test message posted to #it-access.");
    let messages = slack.messages(&channel);
    assert!(
        messages
            .iter()
            .any(|m| m.text.contains("Test message from Latch")),
        "{messages:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_test_message_is_retried_after_retry_after() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    let id = connect(&app, &slack, &team, &channel).await;
    slack.fail_with_rate_limit(Some("chat.postMessage"), 1, 1);

    let report = server_fn(
        &app,
        "slack/test_message",
        &[("installation_id", &id.to_string())],
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(slack.messages(&channel).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_test_message_reports_slacks_error() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    let id = connect(&app, &slack, &team, &channel).await;
    for token in slack.tokens() {
        slack.revoke_token(&token.token).unwrap();
    }

    let report = server_fn(
        &app,
        "slack/test_message",
        &[("installation_id", &id.to_string())],
    )
    .await;
    assert_eq!(report["ok"], false, "{report}");
    assert!(
        report["message"]
            .as_str()
            .unwrap()
            .contains("token_revoked"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manifest_has_the_name_scopes_command_and_urls_under_the_public_url() {
    let (app, _slack) =
        spawn_app_with_slack_config(|config| config.command = "/access".into()).await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let manifest: Value = serde_json::from_str(
        server_fn(&app, "slack/manifest", &[])
            .await
            .as_str()
            .unwrap(),
    )
    .unwrap();

    assert_eq!(manifest["display_information"]["name"], "Latch");
    let scopes: Vec<&str> = manifest["oauth_config"]["scopes"]["bot"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(scopes, app::ssr::slack::BOT_SCOPES);
    assert_eq!(
        manifest["oauth_config"]["redirect_urls"][0],
        app.url("/slack/oauth/callback")
    );
    assert_eq!(
        manifest["features"]["slash_commands"][0]["command"],
        "/access"
    );
    assert_eq!(
        manifest["features"]["slash_commands"][0]["url"],
        app.url("/slack/commands")
    );
    assert_eq!(
        manifest["settings"]["event_subscriptions"]["request_url"],
        app.url("/slack/events")
    );
    assert_eq!(
        manifest["settings"]["interactivity"]["request_url"],
        app.url("/slack/interactivity")
    );
    assert_eq!(
        manifest["settings"]["interactivity"]["message_menu_options_url"],
        app.url("/slack/options")
    );
    assert_eq!(manifest["settings"]["org_deploy_enabled"], true);

    let html = page(&app).await;
    assert!(
        html.contains(r#"download="latch-slack-manifest.json""#),
        "download offered"
    );
    assert!(
        html.contains("Copy manifest") && html.contains(r#"id="slack-manifest""#),
        "copy offered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_install_missing_scopes_shows_a_warning_and_reinstall_fixes_it() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    // An install made when Latch asked for fewer scopes.
    let authorize = start_install(&app, "/slack/install").await;
    let old = with_param(&authorize, "scope", "commands,chat:write,incoming-webhook");
    let callback = slack
        .approve_install(
            &old,
            Consent {
                target: Some(team.clone()),
                webhook_channel: Some(channel.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    follow_callback(&app, &callback).await;

    let html = page(&app).await;
    assert!(
        html.contains("This installation lacks scopes Latch needs"),
        "{html}"
    );
    assert!(html.contains("users:read.email") && html.contains("pins:write"));
    let reinstall = format!(r#"href="/slack/install?team={team}""#);
    assert!(
        html.contains(&reinstall) && html.contains("Reinstall"),
        "{html}"
    );

    let authorize = start_install(&app, &format!("/slack/install?team={team}")).await;
    let callback = slack
        .approve_install(
            &authorize,
            Consent {
                webhook_channel: Some(channel),
                ..Default::default()
            },
        )
        .unwrap();
    follow_callback(&app, &callback).await;
    assert!(!page(&app).await.contains("lacks scopes"));
    assert_eq!(
        installation_count(&app).await,
        1,
        "a reinstall updates the same installation"
    );
}

/// A `latch serve` child process, killed when dropped (also when the test fails).
struct LatchProcess(std::process::Child);

impl Drop for LatchProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the real `latch` binary at debug log level against a fresh stand-in, with its stdout and
/// stderr in `<data dir>/latch.log`, and signs a Super Admin in. Running the binary (rather than
/// capturing the in-process test server's logs) checks exactly what an operator's log gets.
async fn spawn_latch_binary() -> (TestApp, SlackStandin, LatchProcess) {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    let data_dir = tempfile::tempdir().unwrap();
    let database_url = crate::helpers::fresh_database_url(data_dir.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("http://127.0.0.1:{port}");
    let slack = SlackStandin::start(slack_standin::StandinConfig {
        redirect_urls: vec![format!("{address}/slack/oauth/callback")],
        events_url: Some(format!("{address}/slack/events")),
        ..slack_standin::StandinConfig::new(
            crate::helpers::SLACK_CLIENT_ID,
            crate::helpers::SLACK_CLIENT_SECRET,
            SLACK_SIGNING_SECRET,
        )
    })
    .await
    .unwrap();
    let latch = |data_dir: &std::path::Path| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_latch"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LATCH_DATA_DIR", data_dir)
            .env("LATCH_DATABASE_URL", &database_url)
            .env("LATCH_LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("LATCH_PUBLIC_URL", &address)
            .env("LATCH_LOG", "debug")
            .env("LATCH_SLACK_CLIENT_ID", crate::helpers::SLACK_CLIENT_ID)
            .env(
                "LATCH_SLACK_CLIENT_SECRET",
                crate::helpers::SLACK_CLIENT_SECRET,
            )
            .env("LATCH_SLACK_SIGNING_SECRET", SLACK_SIGNING_SECRET)
            .env("LATCH_SLACK_API_URL", slack.api_url())
            .env("LATCH_SLACK_AUTHORIZE_URL", slack.authorize_url());
        command
    };
    let mut create = latch(data_dir.path())
        .args([
            "create-admin",
            "--email",
            "root@example.com",
            "--name",
            "Root Admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    create
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", crate::helpers::PASSWORD).as_bytes())
        .unwrap();
    assert!(create.wait().unwrap().success());

    let log = std::fs::File::create(data_dir.path().join("latch.log")).unwrap();
    let child = latch(data_dir.path())
        .arg("serve")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let process = LatchProcess(child);
    let http = client();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{address}/healthz")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "latch serve did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let app = TestApp {
        address,
        client: http,
        db: app::ssr::Db::connect(&database_url).await.unwrap(),
        setup_link: None,
        database_url,
        _data_dir: data_dir,
    };
    let response = app
        .post_login(
            &app.client,
            "root@example.com",
            crate::helpers::PASSWORD,
            "/",
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    (app, slack, process)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_or_webhook_url_reaches_the_browser_the_logs_or_the_database_in_clear() {
    let (app, slack, process) = spawn_latch_binary().await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    let mut seen = String::new();
    let authorize = start_install(&app, "/slack/install").await;
    seen.push_str(
        &app.get(&format!("{PAGE}?step=add"))
            .await
            .text()
            .await
            .unwrap(),
    );
    let callback = slack
        .approve_install(
            &authorize,
            Consent {
                target: Some(team.clone()),
                webhook_channel: Some(channel),
                ..Default::default()
            },
        )
        .unwrap();
    follow_callback(&app, &callback).await;
    let id = installation_id(&app, &team).await.to_string();
    seen.push_str(&page(&app).await);
    seen.push_str(&server_fn(&app, "slack/overview", &[]).await.to_string());
    seen.push_str(
        &server_fn(&app, "slack/test_message", &[("installation_id", &id)])
            .await
            .to_string(),
    );

    let token = slack
        .tokens()
        .into_iter()
        .find(|t| !t.revoked)
        .unwrap()
        .token;
    let hook = slack.hook_posts();
    use sqlx::Row;
    let row = sqlx::query("SELECT bot_token_sealed, webhook_url_sealed FROM slack_installations")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let sealed_token: String = row.get("bot_token_sealed");
    let sealed_hook: String = row.get("webhook_url_sealed");
    let webhook_secret = slack.installs()[0].webhook_id.clone().unwrap();
    seen.push_str(
        &server_fn(&app, "slack/disconnect", &[("installation_id", &id)])
            .await
            .to_string(),
    );
    seen.push_str(&page(&app).await);

    // Give the stand-in's lifecycle events (sent after auth.revoke) time to land in the log too.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(process);
    let logged = std::fs::read_to_string(app._data_dir.path().join("latch.log")).unwrap();
    assert!(
        logged.contains("Slack connected"),
        "the log is captured: {logged}"
    );
    assert!(
        logged.contains("Slack disconnected by an admin"),
        "the log is captured: {logged}"
    );
    assert!(logged.contains("DEBUG"), "at debug level");
    assert!(token.starts_with("xoxb-"));
    for (name, haystack) in [("HTML and server functions", &seen), ("logs", &logged)] {
        assert!(
            !haystack.contains(&token),
            "the bot token leaked into the {name}"
        );
        assert!(
            !haystack.contains("xoxb-"),
            "a bot token leaked into the {name}"
        );
        assert!(
            !haystack.contains("/services/"),
            "the webhook URL leaked into the {name}"
        );
        assert!(
            !haystack.contains(crate::helpers::SLACK_CLIENT_SECRET),
            "the client secret leaked into the {name}"
        );
    }
    assert!(
        !sealed_token.contains(&token) && sealed_token.starts_with("v1."),
        "sealed at rest"
    );
    assert!(!sealed_hook.contains("/services/") && !sealed_hook.contains(&webhook_secret));
    let _ = hook;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_admins_get_403_from_every_slack_function_and_handler() {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("ada@example.com", Role::BasicUser).await;
    for endpoint in ["slack/overview", "slack/install_url", "slack/manifest"] {
        assert_eq!(
            server_fn_response(&app, endpoint, &[])
                .await
                .status()
                .as_u16(),
            403,
            "{endpoint}"
        );
    }
    for endpoint in ["slack/disconnect", "slack/test_message"] {
        let response = server_fn_response(&app, endpoint, &[("installation_id", "1")]).await;
        assert_eq!(response.status().as_u16(), 403, "{endpoint}");
    }
    assert_eq!(app.get("/slack/install").await.status().as_u16(), 403);
    assert_eq!(
        app.get("/slack/oauth/callback?code=x&state=y")
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(app.get(PAGE).await.status().as_u16(), 403);

    // Signed out: sent to sign in, and the server functions say 401.
    let anonymous = client();
    let response = anonymous
        .get(app.url("/slack/install"))
        .send()
        .await
        .unwrap();
    assert!(
        location(&response).starts_with("/login"),
        "{}",
        location(&response)
    );
    let response = anonymous
        .post(app.url("/api/slack/overview"))
        .form(&[("x", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    drop(slack);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_client_id_and_secret_the_section_says_what_to_set_instead_of_a_dead_button() {
    let app = spawn_app().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let html = page(&app).await;
    assert!(
        html.contains("LATCH_SLACK_CLIENT_ID") && html.contains("LATCH_SLACK_CLIENT_SECRET"),
        "{html}"
    );
    assert!(html.contains(r#"id="slack-not-configured""#));
    assert!(!html.contains(r#"id="slack-connect""#), "no Connect button");
    assert!(
        html.contains(r#"id="slack-manifest""#),
        "the manifest is there to create the app with"
    );
    let response = app.get("/slack/install").await;
    assert_eq!(
        location(&response),
        format!("{PAGE}?slack_error=not_configured#slack")
    );
}

/// (actor, action, after) of every `slack.*` audit event, oldest first.
async fn slack_audit(app: &TestApp) -> Vec<(String, String, String)> {
    use sqlx::Row;
    sqlx::query("SELECT actor, action, after_json FROM audit_events WHERE action LIKE 'slack.%' ORDER BY seq")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("actor"), r.get("action"), r.get::<Option<String>, _>("after_json").unwrap_or_default()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_and_disconnecting_are_in_the_audit_log_without_secrets() {
    let (app, slack) = spawn_app_with_slack().await;
    let admin = app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    let id = connect(&app, &slack, &team, &channel).await;
    server_fn(
        &app,
        "slack/disconnect",
        &[("installation_id", &id.to_string())],
    )
    .await;
    // Reinstalled, then uninstalled from Slack's side: Latch records who (nobody here: Slack).
    connect(&app, &slack, &team, &channel).await;
    slack
        .send_event(
            &app.url("/slack/events"),
            &team,
            json!({"type": "app_uninstalled"}),
        )
        .await
        .unwrap();

    let events = slack_audit(&app).await;
    let summary: Vec<(&str, &str)> = events
        .iter()
        .map(|(actor, action, _)| (actor.as_str(), action.as_str()))
        .collect();
    let me = format!("user:{}", admin.id);
    assert_eq!(
        summary,
        vec![
            (me.as_str(), "slack.connected"),
            (me.as_str(), "slack.disconnected"),
            (me.as_str(), "slack.connected"),
            ("system", "slack.disconnected"),
        ],
        "{events:?}"
    );
    let (_, _, connected) = &events[0];
    assert!(
        connected.contains(&team) && connected.contains("it-access"),
        "{connected}"
    );
    assert!(
        events[1].2.contains("disconnected_by_admin") && events[3].2.contains("app_uninstalled"),
        "{events:?}"
    );
    for token in slack.tokens() {
        assert!(
            events
                .iter()
                .all(|(_, _, after)| !after.contains(&token.token)),
            "no token in the audit log"
        );
    }
    crate::access_fixtures::chain_is_intact(&app).await;
}
