//! Nothing secret or admin-only reaches a browser that should not have it. A catalog with a
//! webhook whose address carries credentials, a hidden entitlement, a webhook signing secret and
//! a Slack installation; then a plain user opens every console page and calls every server
//! function and plain GET handler, and none of the marker strings appears in any body.
//!
//! The endpoints come from the same sources the role matrix is checked against (the server
//! function registry, the routes of `server/src/http/mod.rs`, the pages of `app/src/shell.rs`),
//! so a new endpoint is swept without anyone adding it here.

use app::api::catalog::catalog_overview::CatalogOverview;
use app::api::settings::reveal_webhook_secret::RevealWebhookSecret;
use app::domain::Role;
use sqlx::Row;

use crate::access_fixtures::*;
use crate::helpers::{
    SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET, TEST_SECRET_KEY, TestApp, spawn_app_with_slack,
};
use crate::role_matrix::{declared_pages, registered_routes, registered_server_functions};
use crate::slack_connect::{connect, workspace};

/// The webhook's path secret (userinfo is refused when the entitlement is saved, so receivers
/// put their credentials in the path or query).
const URL_PASSWORD: &str = "s3cretPa55w0rd";
/// The webhook's token, in its address's query.
const URL_TOKEN: &str = "tok-5ecret-9f8e7d";
/// A host that appears nowhere but in the webhook address.
const URL_HOST: &str = "hooks-leak-check.example";
/// An entitlement hidden from everyone (its very name is not the plain user's to know).
const HIDDEN_NAME: &str = "Zz Hidden Break Glass";

/// Strings that must never reach the plain user: the webhook address's parts, the hidden
/// entitlement, the admin-only part of the catalog shape, and every secret the server holds.
async fn markers(app: &TestApp, l: &Loop, bot_token: &str) -> Vec<String> {
    let mut markers: Vec<String> = [
        URL_PASSWORD,
        URL_TOKEN,
        URL_HOST,
        HIDDEN_NAME,
        // The Super Admin part of a catalog entitlement, as JSON and as JSON inside a string
        // (the hydration data in a page).
        "\"stored\":",
        "\\\"stored\\\":",
        // Password hashes, the process's secret key, Slack's app credentials and bot tokens.
        "$argon2",
        TEST_SECRET_KEY,
        SLACK_CLIENT_SECRET,
        SLACK_SIGNING_SECRET,
        "xoxb-",
        bot_token,
    ]
    .map(str::to_string)
    .into();
    // The webhook signing secret in clear (shown to admins on request), and as stored.
    markers.push(l.admin.ok(app, RevealWebhookSecret {}).await);
    for row in sqlx::query("SELECT value FROM settings WHERE key LIKE '%secret%'")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
    {
        let value: String = row.get("value");
        if value.len() >= 16 {
            markers.push(value);
        }
    }
    markers
}

fn assert_reveals_nothing(what: &str, body: &str, markers: &[String]) {
    for marker in markers {
        assert!(
            !body.contains(marker.as_str()),
            "{what} reveals {marker:?} to a plain user:\n{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_user_finds_no_secret_or_admin_only_field_in_any_page_or_endpoint() {
    let (app, slack) = spawn_app_with_slack().await;
    let l = jit_loop(&app).await;

    // Slack connected by a Super Admin (the app's own client).
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    let installation = connect(&app, &slack, &team, &channel).await.to_string();
    let bot_token = slack
        .tokens()
        .into_iter()
        .find(|t| !t.revoked)
        .unwrap()
        .token;

    // A webhook entitlement whose address carries credentials, and a hidden one.
    let app_id = app_id_of(&app, &l.entitlement_id).await;
    for form in [
        SaveEntitlement {
            slug: Some("replica".into()),
            max_duration: Some("7d".into()),
            provisioning: Some("webhook".into()),
            webhook_url: Some(format!(
                "https://{URL_HOST}/provision/{URL_PASSWORD}?token={URL_TOKEN}"
            )),
            ..entitlement_form(&app_id, "Read replica")
        },
        SaveEntitlement {
            slug: Some("break-glass".into()),
            max_duration: Some("7d".into()),
            visibility: Some("nobody".into()),
            ..entitlement_form(&app_id, HIDDEN_NAME)
        },
    ] {
        l.admin.ok(&app, form).await;
    }
    // Alice holds a grant through a request, so her pages and lists have something to show.
    let (request_id, number) = l.request_admin(&app).await;
    l.approve_both_steps(&app, &request_id).await;
    l.carol.complete_only_task(&app, TaskOutcome::Done).await;
    let grant_id = l.alice.grants(&app).await[0].id.clone();

    let markers = markers(&app, &l, &bot_token).await;
    // The admin does get the configuration, so the markers are really there to leak.
    let admin_view = serde_json::to_string(&l.admin.ok(&app, CatalogOverview {}).await).unwrap();
    for marker in [
        URL_PASSWORD,
        URL_TOKEN,
        URL_HOST,
        HIDDEN_NAME,
        "\"stored\":",
    ] {
        assert!(
            admin_view.contains(marker),
            "the admin should see {marker}: {admin_view}"
        );
    }

    // Every console page, with the hydration data, for a request and an app that exist.
    let mut pages = 0;
    for route in declared_pages() {
        let path = route
            .replace(":number", &number)
            .replace(":slug", "prod-db");
        let response = l.alice.client.get(app.url(&path)).send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_reveals_nothing(&format!("page {path} ({status})"), &body, &markers);
        pages += 1;
    }
    // Every plain handler, as a GET (the POST-only ones refuse it).
    for route in registered_routes() {
        let response = l.alice.client.get(app.url(&route)).send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_reveals_nothing(&format!("GET {route} ({status})"), &body, &markers);
    }
    // Every server function, with no arguments and with each id a form may name.
    let functions = registered_server_functions();
    let ids = [
        ("id", request_id.as_str()),
        ("id", number.as_str()),
        ("number", number.as_str()),
        ("id", grant_id.as_str()),
        ("app_id", app_id.as_str()),
        ("entitlement_id", l.entitlement_id.as_str()),
        ("slug", "prod-db"),
        ("installation_id", installation.as_str()),
    ];
    for endpoint in &functions {
        for form in std::iter::once(vec![]).chain(ids.iter().map(|field| vec![*field])) {
            let (status, body) = call(&app, &l.alice, endpoint, &form).await;
            assert_reveals_nothing(
                &format!("{endpoint} {form:?} ({status})"),
                &body.to_string(),
                &markers,
            );
        }
    }

    // The sweep was not vacuous: it reached pages and functions, and Alice is still signed in.
    assert!(
        pages >= 10 && functions.len() > 30,
        "{pages} pages, {functions:?}"
    );
    let response = l
        .alice
        .client
        .get(app.url("/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "Alice stayed signed in");
}
