//! Role × endpoint: every server function and every plain handler, called as each role (signed
//! out, a plain user, an approver, a provisioner, an app owner, a Super Admin), answers with the
//! status this table expects. The table must name every registered server function and every
//! route of `server/src/http/mod.rs`, so an endpoint added without an entry (and a thought about
//! who may call it) fails the suite.
//!
//! Roles are called least privileged first, so a refusal is always tested before a permitted
//! call can change what the next role finds.

use std::collections::BTreeSet;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, client, spawn_app};
use app::domain::Role;

const ROLES: [&str; 6] = [
    "signed out",
    "plain user",
    "approver",
    "provisioner",
    "app owner",
    "Super Admin",
];

/// Only Super Admins; signed-out callers are told to sign in (401), everyone else refused (403).
const fn admin_only(admin: u16) -> [u16; 6] {
    [401, 403, 403, 403, 403, admin]
}

/// Anyone signed in gets `status`; signed-out callers 401.
const fn signed_in(status: u16) -> [u16; 6] {
    [401, status, status, status, status, status]
}

/// The cast, each with their own cookie jar, in [`ROLES`] order.
struct Cast {
    clients: [reqwest::Client; 6],
    /// A request by Alice (not in the cast): approved by the approver (her manager) and the app
    /// owner, provisioned by the provisioner.
    request_id: String,
    request_number: String,
    /// A second request by Alice, for another entitlement, waiting for the approver (step 1).
    pending_id: String,
    /// Its (completed) provisioning task and the grant it issued.
    task_id: String,
    grant_id: String,
    entitlement_id: String,
    app_id: String,
    /// The plain user's directory id.
    plain_user_id: String,
}

async fn cast(app: &TestApp) -> Cast {
    let l = jit_loop(app).await;
    let dave = person(app, "dave@example.com", "Dave Plain", Role::BasicUser).await;
    let pia = person(app, "pia@example.com", "Pia Provisioner", Role::BasicUser).await;
    resave_admin_entitlement(app, &l, &[("provisioners", "pia@example.com")]).await;
    let (request_id, request_number) = request_admin(app, &l).await;
    for (who, step) in [(&l.bob, "1"), (&l.carol, "2")] {
        ok(
            app,
            who,
            "approvals/decide",
            &[("id", &request_id), ("step", step), ("verdict", "approved")],
        )
        .await;
    }
    let task_id = only_task(app, &pia).await;
    complete_only_task(app, &pia, "done").await;
    let grants = ok(app, &l.alice, "grants/mine", &[]).await;
    let grant_id = text(&grants[0]["id"]);
    let app_id = app_id_of(app, &l.entitlement_id).await;
    let policy = policy_id(app, &l.admin, "Manager then owner").await;
    let reader = text(
        &ok(
            app,
            &l.admin,
            "catalog/save_entitlement",
            &[
                ("app_id", &app_id),
                ("display_name", "Reader"),
                ("max_duration", "7d"),
                ("request_policy", &policy),
                ("provisioners", "pia@example.com"),
            ],
        )
        .await,
    );
    let number = text(
        &ok(
            app,
            &l.alice,
            "requests/create",
            &[
                ("entitlement_id", &reader),
                ("duration", "1d"),
                ("justification", "Reading"),
            ],
        )
        .await,
    );
    let pending = ok(app, &l.alice, "requests/detail", &[("number", &number)]).await;
    Cast {
        pending_id: text(&pending["summary"]["id"]),
        clients: [
            client(),
            dave.client,
            l.bob.client,
            pia.client,
            l.carol.client,
            l.admin.client,
        ],
        request_id,
        request_number,
        task_id,
        grant_id,
        entitlement_id: l.entitlement_id,
        app_id,
        plain_user_id: dave.user.id.to_string(),
    }
}

/// A server function, its form fields and the status each role gets, in [`ROLES`] order.
type ServerFunctionCase = (&'static str, Vec<(&'static str, String)>, [u16; 6]);
/// A plain handler's method and path, its form fields and the status each role gets.
type PlainHandlerCase = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
    [u16; 6],
);

/// Every server function: its arguments (real objects of the cast where who may act on them
/// depends on the object) and the status each role gets, in [`ROLES`] order.
fn server_function_table(c: &Cast) -> Vec<ServerFunctionCase> {
    let s = |v: &str| v.to_string();
    let request = || vec![("id", c.request_id.clone())];
    let pending = || vec![("id", c.pending_id.clone())];
    vec![
        ("approvals/assigned", vec![], signed_in(200)),
        (
            "approvals/decide",
            vec![
                ("id", c.pending_id.clone()),
                ("step", s("1")),
                ("verdict", s("approved")),
            ],
            // Only the step's approver; people not involved hear nothing (not found); the
            // involved others, once it is decided, hear that it was.
            [401, 404, 200, 404, 409, 409],
        ),
        (
            "approvals/reassign",
            vec![
                ("id", c.pending_id.clone()),
                ("to_email", s("admin@example.com")),
                ("reason", s("Away")),
            ],
            // Strangers are told the request does not exist; the earlier approver may no longer
            // reassign; the current one (the app owner, step 2) may; the Super Admin is then the
            // only assignee already.
            [401, 404, 403, 404, 200, 422],
        ),
        ("audit/list", vec![], admin_only(200)),
        // Access reviews: the list and my reviews are everyone's (empty for people who manage
        // no campaign and review nothing); creating and validating a scope are for Super Admins
        // and Campaign Administrators; a campaign's page and changes are its managers', and to
        // anyone else it does not exist (`campaigns_console` covers real campaigns).
        ("campaigns/list", vec![], signed_in(200)),
        ("campaigns/my_reviews", vec![], signed_in(200)),
        (
            "campaigns/create",
            vec![("name", s("Matrix campaign")), ("apps", s("Prod DB"))],
            admin_only(200),
        ),
        (
            "campaigns/check_scope",
            vec![("apps", s("Prod DB"))],
            admin_only(200),
        ),
        (
            "campaigns/people",
            vec![("query", s("example.com"))],
            admin_only(200),
        ),
        (
            "campaigns/detail",
            vec![("id", s("no-such-campaign"))],
            signed_in(404),
        ),
        (
            "campaigns/open_reviews",
            vec![("id", s("no-such-campaign"))],
            signed_in(404),
        ),
        (
            "campaigns/edit",
            vec![
                ("id", s("no-such-campaign")),
                ("version", s("1")),
                ("name", s("Renamed")),
            ],
            signed_in(404),
        ),
        (
            "campaigns/change_status",
            vec![("id", s("no-such-campaign")), ("action", s("stage"))],
            signed_in(404),
        ),
        (
            "campaigns/decide",
            vec![("ids", s("no-such-review")), ("verdict", s("certify"))],
            signed_in(404),
        ),
        (
            "campaigns/submit",
            vec![("campaign_id", s("no-such-campaign"))],
            signed_in(404),
        ),
        (
            "campaigns/reassign",
            vec![
                ("id", s("no-such-review")),
                ("to_email", s("admin@example.com")),
                ("reason", s("Away")),
            ],
            signed_in(404),
        ),
        (
            "campaigns/send_reminders",
            vec![("id", s("no-such-campaign"))],
            signed_in(404),
        ),
        (
            "campaigns/send_review_reminder",
            vec![("review", s("no-such-review"))],
            signed_in(404),
        ),
        // A campaign's Communications area (its Slack channel): its managers' only.
        (
            "campaigns/communications",
            vec![("id", s("no-such-campaign"))],
            signed_in(404),
        ),
        (
            "campaigns/add_channel",
            vec![("id", s("no-such-campaign")), ("channel", s("q4-review"))],
            signed_in(404),
        ),
        (
            "campaigns/set_channel_active",
            vec![("id", s("no-such-campaign")), ("active", s("false"))],
            signed_in(404),
        ),
        (
            "campaigns/remove_channel",
            vec![("id", s("no-such-campaign"))],
            signed_in(404),
        ),
        ("catalog/apps", vec![], signed_in(200)),
        ("catalog/grant_cap", vec![], signed_in(200)),
        ("catalog/overview", vec![], signed_in(200)),
        (
            "catalog/save_app",
            vec![("name", s("Matrix app")), ("owners", s(""))],
            admin_only(200),
        ),
        (
            "catalog/save_entitlement",
            vec![
                ("app_id", c.app_id.clone()),
                ("display_name", s("Matrix")),
                ("max_duration", s("7d")),
            ],
            admin_only(200),
        ),
        (
            "catalog/set_grant_cap",
            vec![("days", s("90"))],
            admin_only(200),
        ),
        (
            "directory/delete_group",
            vec![("group_id", s("no-such-group"))],
            admin_only(404),
        ),
        ("directory/groups", vec![], admin_only(200)),
        (
            "directory/import",
            vec![("csv", s("email,name\nmatrix@example.com,Matrix Person\n"))],
            admin_only(200),
        ),
        (
            "directory/remove_member",
            vec![("group_id", s("no-such-group")), ("user_id", s("1"))],
            admin_only(404),
        ),
        (
            "directory/save_group",
            vec![("name", s("Matrix group"))],
            admin_only(200),
        ),
        (
            "directory/set_role",
            vec![
                ("id", c.plain_user_id.clone()),
                ("role", s("campaign_admin")),
                ("granted", s("false")),
            ],
            admin_only(200),
        ),
        (
            "directory/update_user",
            vec![
                ("id", c.plain_user_id.clone()),
                ("name", s("Dave Plain")),
                ("status", s("active")),
            ],
            admin_only(200),
        ),
        ("directory/users", vec![], admin_only(200)),
        (
            "grants/complete_task",
            vec![("id", c.task_id.clone()), ("outcome", s("done"))],
            // The task is already done (by the provisioner, in the set-up).
            [401, 409, 409, 409, 409, 409],
        ),
        ("grants/list", vec![], admin_only(200)),
        ("grants/mine", vec![], signed_in(200)),
        ("grants/overdue_removals", vec![], admin_only(200)),
        // Only the holder (Alice) may release her access.
        (
            "grants/release",
            vec![("id", c.grant_id.clone())],
            [401, 403, 403, 403, 403, 403],
        ),
        (
            "grants/revoke",
            vec![("id", c.grant_id.clone())],
            admin_only(200),
        ),
        ("grants/tasks", vec![], signed_in(200)),
        (
            "policies/delete",
            vec![("id", s("no-such-policy"))],
            admin_only(404),
        ),
        ("policies/list", vec![], admin_only(200)),
        ("policies/overview", vec![], admin_only(200)),
        (
            "policies/save",
            vec![(
                "policy_json",
                s(r#"{"name":"Matrix policy","steps":[{"kind":"approval","manager":true}]}"#),
            )],
            admin_only(200),
        ),
        // The requester (Alice) or a Super Admin.
        ("requests/cancel", pending(), [401, 404, 403, 404, 403, 200]),
        (
            "requests/comment",
            vec![("id", c.request_id.clone()), ("body", s("Noted"))],
            [401, 404, 200, 200, 200, 200],
        ),
        (
            "requests/create",
            vec![
                ("entitlement_id", c.entitlement_id.clone()),
                ("duration", s("1d")),
                ("justification", s("Matrix")),
            ],
            signed_in(200),
        ),
        (
            "requests/detail",
            vec![("number", c.request_number.clone())],
            [401, 404, 200, 200, 200, 200],
        ),
        // To those involved: the entitlement has no emergency policy, which is said first.
        (
            "requests/escalate",
            pending(),
            [401, 404, 422, 404, 422, 422],
        ),
        ("requests/mine", vec![], signed_in(200)),
        ("requests/requestable", vec![], signed_in(200)),
        // Provisioners, app owners and Super Admins, and only after a failure.
        (
            "requests/retry_provisioning",
            request(),
            [401, 404, 403, 409, 409, 409],
        ),
        ("session/current_user", vec![], [200; 6]),
        (
            "settings/get_console_edits_of_code",
            vec![],
            admin_only(200),
        ),
        ("settings/get_pending_expiry", vec![], admin_only(200)),
        ("settings/reveal_webhook_secret", vec![], admin_only(200)),
        ("settings/rotate_webhook_secret", vec![], admin_only(200)),
        (
            "settings/set_console_edits_of_code",
            vec![("unlocked", s("off"))],
            admin_only(200),
        ),
        (
            "settings/set_pending_expiry",
            vec![("days", s("14"))],
            admin_only(200),
        ),
        ("settings/webhook_secret_status", vec![], admin_only(200)),
        (
            "tokens/create",
            vec![("name", s("Matrix token")), ("audit_read", s("on"))],
            admin_only(200),
        ),
        ("tokens/list", vec![], admin_only(200)),
        (
            "tokens/revoke",
            vec![("id", s("no-such-token"))],
            admin_only(404),
        ),
        // Public: the first-run page asks whether its link is still good (it says no).
        ("setup/check", vec![("token", s("not-a-token"))], [200; 6]),
        (
            "slack/disconnect",
            vec![("installation_id", s("999"))],
            admin_only(404),
        ),
        // Slack is not configured in this app.
        ("slack/install_url", vec![], admin_only(422)),
        ("slack/manifest", vec![], admin_only(200)),
        ("slack/overview", vec![], admin_only(200)),
        (
            "slack/test_message",
            vec![("installation_id", s("999"))],
            admin_only(404),
        ),
        ("slack/failed_deliveries", vec![], admin_only(200)),
        ("slack/notification_settings", vec![], admin_only(200)),
        (
            "slack/retry_delivery",
            vec![("id", s("999"))],
            admin_only(404),
        ),
        (
            "slack/set_notification_kind",
            vec![("kind", s("access_expiring")), ("on", s("on"))],
            admin_only(200),
        ),
        (
            "slack/set_notifications_enabled",
            vec![("on", s("on"))],
            admin_only(200),
        ),
    ]
}

/// Every plain handler: method, path, form, and the status each role gets. Sign-out is last
/// (it ends the sessions).
fn plain_handler_table() -> Vec<PlainHandlerCase> {
    vec![
        ("GET", "/healthz", vec![], [200; 6]),
        // Signed-out visitors of console URLs go to the sign-in page.
        (
            "GET",
            "/admin/audit/export",
            vec![],
            [303, 403, 403, 403, 403, 200],
        ),
        // Super Admins start (and finish) connecting Slack; here it redirects back with an error.
        (
            "GET",
            "/slack/install",
            vec![],
            [303, 403, 403, 403, 403, 303],
        ),
        (
            "GET",
            "/slack/oauth/callback",
            vec![],
            [303, 403, 403, 403, 403, 303],
        ),
        // A campaign's report is its managers'; without a campaign there is none to find.
        (
            "GET",
            "/reports/access-review",
            vec![],
            [303, 404, 404, 404, 404, 404],
        ),
        // Slack's calls are signed; an unsigned one is refused whoever sends it.
        ("POST", "/slack/events", vec![], [401; 6]),
        ("POST", "/slack/commands", vec![], [401; 6]),
        ("POST", "/slack/interactivity", vec![], [401; 6]),
        ("POST", "/slack/options", vec![], [401; 6]),
        (
            "POST",
            "/auth/login",
            vec![
                ("email", "nobody@example.com"),
                ("password", "wrong password"),
                ("next", "/"),
            ],
            [303; 6],
        ),
        (
            "POST",
            "/auth/setup",
            vec![
                ("token", "not-a-token"),
                ("email", "new@example.com"),
                ("name", "New"),
                ("password", "correct horse battery staple"),
            ],
            [303; 6],
        ),
        ("POST", "/auth/logout", vec![], [303; 6]),
    ]
}

/// The routes `server/src/http/mod.rs` registers by hand (`.route("…"`).
pub(crate) fn registered_routes() -> BTreeSet<String> {
    // `.route(` then the path literal, on the same line or (as rustfmt wraps long ones) the next.
    include_str!("../../src/http/mod.rs")
        .split(".route(")
        .skip(1)
        .filter_map(|rest| rest.trim_start().strip_prefix('"'))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// Every registered server function path, without the `/api/` prefix.
pub(crate) fn registered_server_functions() -> BTreeSet<String> {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_string())
        .collect()
}

fn row(statuses: &[u16; 6]) -> String {
    ROLES
        .iter()
        .zip(statuses)
        .map(|(role, status)| format!("{role}: {status}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_each_role_as_the_table_says_and_no_endpoint_is_missing_from_it() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let functions = server_function_table(&c);
    let handlers = plain_handler_table();

    // The tables cover exactly what the server registers.
    let listed: BTreeSet<String> = functions.iter().map(|(e, _, _)| e.to_string()).collect();
    let registered = registered_server_functions();
    assert!(
        registered.len() > 30,
        "the server-function registry looks empty: {registered:?}"
    );
    let unlisted: Vec<&String> = registered.difference(&listed).collect();
    let stale: Vec<&String> = listed.difference(&registered).collect();
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "server functions missing from the role table (decide who may call them): {unlisted:?}; \
         in the table but not registered: {stale:?}"
    );
    let listed: BTreeSet<String> = handlers.iter().map(|(_, p, _, _)| p.to_string()).collect();
    let routes = registered_routes();
    assert!(routes.contains("/auth/login"), "{routes:?}");
    let unlisted: Vec<&String> = routes.difference(&listed).collect();
    let stale: Vec<&String> = listed.difference(&routes).collect();
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "plain handlers missing from the role table: {unlisted:?}; in the table but not routed: {stale:?}"
    );

    let mut wrong = Vec::new();
    for (endpoint, form, expected) in &functions {
        let mut got = [0u16; 6];
        for (i, client) in c.clients.iter().enumerate() {
            got[i] = client
                .post(app.url(&format!("/api/{endpoint}")))
                .header("Accept", "application/json")
                .form(form)
                .send()
                .await
                .expect("call server function")
                .status()
                .as_u16();
        }
        if got != *expected {
            wrong.push(format!(
                "{endpoint}\n    expected {}\n    got      {}",
                row(expected),
                row(&got)
            ));
        }
    }
    for (method, path, form, expected) in &handlers {
        let mut got = [0u16; 6];
        for (i, client) in c.clients.iter().enumerate() {
            let request = match *method {
                "GET" => client.get(app.url(path)),
                _ => client.post(app.url(path)).form(form),
            };
            got[i] = request
                .send()
                .await
                .expect("call handler")
                .status()
                .as_u16();
        }
        if got != *expected {
            wrong.push(format!(
                "{method} {path}\n    expected {}\n    got      {}",
                row(expected),
                row(&got)
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} endpoint(s) answered differently than the table says:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The page routes `app/src/shell.rs` declares (`path!("…")`; the console's root is `""`).
pub(crate) fn declared_pages() -> BTreeSet<String> {
    include_str!("../../../app/src/shell.rs")
        .split("path!(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|p| if p.is_empty() { "/" } else { p }.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_page_answers_each_role_as_the_table_says_and_no_page_is_missing_from_it() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let request_page = format!("/requests/{}", c.request_number);
    // Route, the address called, and the status each role gets. Signed-out visitors are sent to
    // sign in (303); people who are not Super Admins get 403 on /admin pages.
    let admin_page = [303, 403, 403, 403, 403, 200];
    let pages: Vec<(&str, &str, [u16; 6])> = vec![
        // Signed-in people are sent on to the console.
        ("/login", "/login", [200, 303, 303, 303, 303, 303]),
        // The first-run page explains that its link is missing or used.
        ("/setup", "/setup", [200; 6]),
        ("/", "/", [303, 200, 200, 200, 200, 200]),
        ("/requests", "/requests", [303, 200, 200, 200, 200, 200]),
        // Only the people involved see a request; to anyone else it does not exist.
        // The provisioner completed its task and stays involved.
        (
            "/requests/:number",
            &request_page,
            [303, 404, 200, 200, 200, 200],
        ),
        (
            "/access-reviews",
            "/access-reviews",
            [303, 200, 200, 200, 200, 200],
        ),
        (
            "/access-reviews/mine",
            "/access-reviews/mine",
            [303, 200, 200, 200, 200, 200],
        ),
        // Only a campaign's managers see it; to anyone else it does not exist.
        (
            "/access-reviews/:id",
            "/access-reviews/no-such-campaign",
            [303, 404, 404, 404, 404, 404],
        ),
        ("/apps", "/apps", [303, 200, 200, 200, 200, 200]),
        (
            "/apps/:slug",
            "/apps/prod-db",
            [303, 200, 200, 200, 200, 200],
        ),
        ("/admin/grants", "/admin/grants", admin_page),
        ("/admin/removals", "/admin/removals", admin_page),
        ("/admin/audit", "/admin/audit", admin_page),
        ("/admin/tokens", "/admin/tokens", admin_page),
        ("/admin/policies", "/admin/policies", admin_page),
        ("/admin/directory", "/admin/directory", admin_page),
        ("/admin/settings", "/admin/settings", admin_page),
        (
            "/admin/settings/notifications",
            "/admin/settings/notifications",
            admin_page,
        ),
    ];
    let listed: BTreeSet<String> = pages.iter().map(|(r, _, _)| r.to_string()).collect();
    let declared = declared_pages();
    assert!(declared.contains("/apps/:slug"), "{declared:?}");
    let unlisted: Vec<&String> = declared.difference(&listed).collect();
    let stale: Vec<&String> = listed.difference(&declared).collect();
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "pages missing from the role table: {unlisted:?}; in the table but not routed: {stale:?}"
    );

    let mut wrong = Vec::new();
    for (route, path, expected) in &pages {
        let mut got = [0u16; 6];
        for (i, client) in c.clients.iter().enumerate() {
            got[i] = client
                .get(app.url(path))
                .send()
                .await
                .expect("get page")
                .status()
                .as_u16();
        }
        if got != *expected {
            wrong.push(format!(
                "{route}\n    expected {}\n    got      {}",
                row(expected),
                row(&got)
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} page(s) answered differently than the table says:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
