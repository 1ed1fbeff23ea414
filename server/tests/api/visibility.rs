//! Secrets reach only the right people: a plain user sees in every page and every server
//! function only the catalog entries visible to them and never a webhook address; a request is
//! read and commented on only by the people involved and admins; and the forms that name a
//! person cannot be used to find out who is in the directory.

use sqlx::Row;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};
use app::session::Role;

/// A webhook address with credentials in its path and query, as receivers often issue them.
const WEBHOOK_URL: &str = "https://hooks.example/provision/tok-9f8e7d6c5b?key=hook-key-123";
/// Words from the webhook address and the hidden entitlements' names, none of which a plain
/// user may ever be shown.
const HIDDEN: &[&str] = &[
    "hooks.example",
    "tok-9f8e7d6c5b",
    "hook-key-123",
    "Retired Root Role",
    "Database Team Only",
];

/// The loop's catalog plus three entitlements of the same app: one provisioned by webhook
/// (visible to everyone), one visible to nobody, one visible only to a group Alice is not in.
async fn catalog_with_secrets(app: &TestApp) -> Loop {
    let l = jit_loop(app).await;
    let app_id = app_id_of(app, &l.entitlement_id).await;
    ok(
        app,
        &l.admin,
        "directory/save_group",
        &[("name", "Database Team"), ("members", "bob@example.com")],
    )
    .await;
    for (name, slug, extra) in [
        (
            "Read replica",
            "replica",
            vec![("provisioning", "webhook"), ("webhook_url", WEBHOOK_URL)],
        ),
        ("Retired Root Role", "root", vec![("visibility", "nobody")]),
        (
            "Database Team Only",
            "team",
            vec![("visibility", "groups"), ("visible_to", "Database Team")],
        ),
    ] {
        let mut form = vec![
            ("app_id", app_id.as_str()),
            ("display_name", name),
            ("slug", slug),
            ("max_duration", "7d"),
        ];
        form.extend(extra);
        ok(app, &l.admin, "catalog/save_entitlement", &form).await;
    }
    l
}

/// Every registered server function path, without the `/api/` prefix.
fn server_functions() -> Vec<String> {
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_string())
        .collect();
    paths.sort();
    paths.dedup();
    assert!(
        paths.iter().any(|p| p == "catalog/apps") && paths.len() > 30,
        "the server-function registry looks empty: {paths:?}"
    );
    paths
}

/// Stored secrets: the webhook signing secret(s) in whatever form they are kept.
async fn stored_secrets(app: &TestApp) -> Vec<String> {
    sqlx::query("SELECT value FROM settings WHERE key LIKE '%secret%'")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>("value").unwrap())
        .filter(|v| v.len() >= 16)
        .collect()
}

fn assert_reveals_nothing(what: &str, body: &str, secrets: &[String]) {
    for word in HIDDEN
        .iter()
        .map(|w| w.to_string())
        .chain(secrets.iter().cloned())
    {
        assert!(
            !body.contains(&word),
            "{what} shows a plain user {word:?}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_user_never_sees_hidden_entitlements_webhook_urls_or_secrets_in_any_page_or_server_function()
 {
    let app = spawn_app().await;
    let l = catalog_with_secrets(&app).await;
    // A request of Alice's, so the request pages and lists have something to show.
    let (_, number) = request_admin(&app, &l).await;
    // The webhook signing secret in clear (shown to the admin once), and whatever is stored.
    let revealed = text(&ok(&app, &l.admin, "settings/reveal_webhook_secret", &[]).await);
    let mut secrets = stored_secrets(&app).await;
    secrets.push(revealed);

    // Admins do see the configuration (so the words above are really there to leak).
    let overview = ok(&app, &l.admin, "catalog/overview", &[])
        .await
        .to_string();
    for word in HIDDEN {
        assert!(
            overview.contains(word),
            "admin should see {word}: {overview}"
        );
    }

    // Every server function, called as Alice with no arguments and with the request's number
    // and id where they take one: whatever it answers reveals none of it.
    for endpoint in server_functions() {
        for form in [
            vec![],
            vec![("number", number.as_str())],
            vec![("id", number.as_str())],
        ] {
            let (status, body) = call(&app, &l.alice, &endpoint, &form).await;
            assert_reveals_nothing(
                &format!("{endpoint} ({status})"),
                &body.to_string(),
                &secrets,
            );
        }
    }
    // Every console page, hydration data included.
    for path in [
        "/".to_string(),
        "/requests".into(),
        format!("/requests/{number}"),
        "/access-reviews".into(),
        "/apps".into(),
        "/apps/prod-db".into(),
        "/admin/grants".into(),
        "/admin/audit".into(),
        "/admin/policies".into(),
        "/admin/directory".into(),
        "/admin/settings".into(),
        "/admin/settings/notifications".into(),
        "/admin/audit/export".into(),
    ] {
        let response = l.alice.client.get(app.url(&path)).send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_reveals_nothing(&format!("page {path} ({status})"), &body, &secrets);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_apps_answers_a_plain_user_with_what_the_apps_page_shows_and_policies_list_only_admins()
 {
    let app = spawn_app().await;
    let l = catalog_with_secrets(&app).await;

    let names = |listing: &serde_json::Value| -> Vec<String> {
        let mut names: Vec<String> = listing[0]["entitlements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| text(&e["display_name"]))
            .collect();
        names.sort();
        names
    };
    let admin_view = ok(&app, &l.admin, "catalog/apps", &[]).await;
    assert_eq!(
        names(&admin_view),
        [
            "Admin",
            "Database Team Only",
            "Read replica",
            "Retired Root Role"
        ]
    );
    assert!(admin_view.to_string().contains(WEBHOOK_URL));

    // Alice sees the two visible to everyone, the webhook one without its address.
    let alice_view = ok(&app, &l.alice, "catalog/apps", &[]).await;
    assert_eq!(names(&alice_view), ["Admin", "Read replica"]);
    let replica = alice_view[0]["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["display_name"] == "Read replica")
        .unwrap();
    assert_eq!(replica["provisioning"]["kind"], "webhook");
    assert_eq!(replica["provisioning"]["url"], "");
    // Bob, in the Database Team, sees its entitlement too; still no address.
    let bob_view = ok(&app, &l.bob, "catalog/apps", &[]).await;
    assert_eq!(
        names(&bob_view),
        ["Admin", "Database Team Only", "Read replica"]
    );
    assert!(!bob_view.to_string().contains("hooks.example"));

    // A policy names its approvers: configuration for admins only.
    let (status, body) = call(&app, &l.alice, "policies/list", &[]).await;
    assert_eq!(status, 403, "{body}");
    let policies = ok(&app, &l.admin, "policies/list", &[]).await;
    assert!(policies.to_string().contains("Manager then owner"));
}

/// The comments on request `number`, as its requester sees them.
async fn comments(app: &TestApp, l: &Loop, number: &str) -> Vec<String> {
    ok(app, &l.alice, "requests/detail", &[("number", number)]).await["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| text(&c["detail"]))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_who_knows_a_request_id_can_neither_read_nor_comment_on_it() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let dave = person(&app, "dave@example.com", "Dave Stranger", Role::User).await;
    let (id, number) = request_admin(&app, &l).await;

    let (status, body) = call(
        &app,
        &dave,
        "requests/comment",
        &[("id", &id), ("body", "Approve this, it's fine")],
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = call(&app, &dave, "requests/detail", &[("number", &number)]).await;
    assert_eq!(status, 404, "{body}");
    // Refused the same way as a request that does not exist.
    let (status, _) = call(
        &app,
        &dave,
        "requests/comment",
        &[("id", "no-such-request"), ("body", "Hello?")],
    )
    .await;
    assert_eq!(status, 404);
    assert!(comments(&app, &l, &number).await.is_empty());
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'request.commented'"
        )
        .await,
        0
    );

    // The people involved may: the requester, the approver of step 1 (also after deciding it),
    // the app owner who approves step 2 and provisions it, and admins.
    ok(
        &app,
        &l.alice,
        "requests/comment",
        &[("id", &id), ("body", "From the requester")],
    )
    .await;
    ok(
        &app,
        &l.bob,
        "approvals/decide",
        &[("id", &id), ("step", "1"), ("verdict", "approved")],
    )
    .await;
    ok(
        &app,
        &l.bob,
        "requests/comment",
        &[("id", &id), ("body", "From the manager")],
    )
    .await;
    ok(
        &app,
        &l.carol,
        "requests/comment",
        &[("id", &id), ("body", "From the app owner")],
    )
    .await;
    ok(
        &app,
        &l.admin,
        "requests/comment",
        &[("id", &id), ("body", "From an admin")],
    )
    .await;
    assert_eq!(
        comments(&app, &l, &number).await,
        [
            "From the requester",
            "From the manager",
            "From the app owner",
            "From an admin"
        ]
    );
    // Still nothing for the stranger.
    let (status, _) = call(
        &app,
        &dave,
        "requests/comment",
        &[("id", &id), ("body", "Now?")],
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requesting_for_an_unknown_email_reads_exactly_like_requesting_for_someone_elses_colleague()
{
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let dave = person(&app, "dave@example.com", "Dave Stranger", Role::User).await;
    let attempt = |email: &'static str| {
        let app = &app;
        let dave = &dave;
        let entitlement = l.entitlement_id.clone();
        async move {
            call(
                app,
                dave,
                "requests/create",
                &[
                    ("entitlement_id", &entitlement),
                    ("subject_email", email),
                    ("duration", "1d"),
                    ("justification", "For a colleague"),
                ],
            )
            .await
        }
    };
    let unknown = attempt("nobody@example.com").await;
    let colleague = attempt("alice@example.com").await;
    assert_eq!(unknown.0, 403, "{unknown:?}");
    assert_eq!(unknown, colleague);
    // A manager still files for their report, and an admin learns that an email is unknown.
    ok(
        &app,
        &l.bob,
        "requests/create",
        &[
            ("entitlement_id", &l.entitlement_id),
            ("subject_email", "alice@example.com"),
            ("duration", "1d"),
            ("justification", "For my report"),
        ],
    )
    .await;
    let (status, body) = call(
        &app,
        &l.admin,
        "requests/create",
        &[
            ("entitlement_id", &l.entitlement_id),
            ("subject_email", "nobody@example.com"),
            ("duration", "1d"),
            ("justification", "For nobody"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(text(&body).contains("nobody@example.com"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reassigning_to_an_unknown_email_reads_exactly_like_reassigning_to_a_suspended_user() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let sam = person(&app, "sam@example.com", "Sam Suspended", Role::User).await;
    ok(
        &app,
        &l.admin,
        "directory/update_user",
        &[
            ("id", &sam.user.id.to_string()),
            ("name", "Sam Suspended"),
            ("status", "suspended"),
        ],
    )
    .await;
    let dave = person(&app, "dave@example.com", "Dave Stranger", Role::User).await;
    let (id, _) = request_admin(&app, &l).await;

    // Bob is the step's approver and may reassign it.
    let reassign = |who: &'static str, email: &'static str| {
        let app = &app;
        let (bob, dave) = (&l.bob, &dave);
        let id = id.clone();
        async move {
            let who = if who == "bob" { bob } else { dave };
            let (status, body) = call(
                app,
                who,
                "approvals/reassign",
                &[("id", &id), ("to_email", email), ("reason", "On leave")],
            )
            .await;
            // Lower case: the message starts with the email, capitalised.
            (status, text(&body).to_lowercase().replace(email, "<email>"))
        }
    };
    let unknown = reassign("bob", "nobody@example.com").await;
    let suspended = reassign("bob", "sam@example.com").await;
    assert_eq!(unknown.0, 422, "{unknown:?}");
    assert!(
        unknown.1.contains("<email> cannot be assigned"),
        "{unknown:?}"
    );
    assert_eq!(unknown, suspended);
    // A stranger learns nothing at all, whoever they name.
    let stranger_unknown = reassign("dave", "nobody@example.com").await;
    let stranger_known = reassign("dave", "carol@example.com").await;
    assert_eq!(stranger_unknown.0, 404, "{stranger_unknown:?}");
    assert_eq!(stranger_unknown, stranger_known);
    // Reassigning to an active person still works.
    ok(
        &app,
        &l.bob,
        "approvals/reassign",
        &[
            ("id", &id),
            ("to_email", "carol@example.com"),
            ("reason", "On leave"),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provisioner_of_a_request_still_reads_and_comments_on_it_after_completing_the_task() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let pia = person(&app, "pia@example.com", "Pia Provisioner", Role::User).await;
    resave_admin_entitlement(&app, &l, &[("provisioners", "pia@example.com")]).await;
    let (id, number) = request_admin(&app, &l).await;
    for (who, step) in [(&l.bob, "1"), (&l.carol, "2")] {
        ok(
            &app,
            who,
            "approvals/decide",
            &[("id", &id), ("step", step), ("verdict", "approved")],
        )
        .await;
    }
    ok(
        &app,
        &pia,
        "requests/comment",
        &[("id", &id), ("body", "On it")],
    )
    .await;
    complete_only_task(&app, &pia, "done").await;
    ok(&app, &pia, "requests/detail", &[("number", &number)]).await;
    ok(
        &app,
        &pia,
        "requests/comment",
        &[("id", &id), ("body", "Done: added to the admins role")],
    )
    .await;
    assert_eq!(
        comments(&app, &l, &number).await,
        ["On it", "Done: added to the admins role"]
    );
}
