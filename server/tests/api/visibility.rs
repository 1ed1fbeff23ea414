//! Secrets reach only the right people: a plain user sees in every page and every server
//! function only the catalog entries visible to them and never a webhook address; a request is
//! read and commented on only by the people involved and admins; and the forms that name a
//! person cannot be used to find out who is in the directory.

use sqlx::Row;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};
use app::api::approvals::reassign_request::ReassignRequest;
use app::api::catalog::catalog_overview::CatalogOverview;
use app::api::catalog::list_apps::ListApps;
use app::api::directory::save_group::SaveGroup;
use app::api::policies::list_policies::ListPolicies;
use app::api::requests::comment_request::CommentRequest;
use app::api::requests::request_detail::RequestDetail as RequestDetailCall;
use app::api::settings::reveal_webhook_secret::RevealWebhookSecret;
use app::domain::ProvisioningMethod;
use app::domain::Role;
use app::shapes::{AppListing, ProvisioningKind};

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
    l.admin
        .ok(
            app,
            SaveGroup {
                name: "Database Team".into(),
                members: Some("bob@example.com".into()),
            },
        )
        .await;
    let entitlement = |name: &str, slug: &str| SaveEntitlement {
        slug: Some(slug.into()),
        max_duration: Some("7d".into()),
        ..entitlement_form(&app_id, name)
    };
    for form in [
        SaveEntitlement {
            provisioning: Some("webhook".into()),
            webhook_url: Some(WEBHOOK_URL.into()),
            ..entitlement("Read replica", "replica")
        },
        SaveEntitlement {
            visibility: Some("nobody".into()),
            ..entitlement("Retired Root Role", "root")
        },
        SaveEntitlement {
            visibility: Some("groups".into()),
            visible_to: Some("Database Team".into()),
            ..entitlement("Database Team Only", "team")
        },
    ] {
        l.admin.ok(app, form).await;
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
    let (_, number) = l.request_admin(&app).await;
    // The webhook signing secret in clear (shown to the admin once), and whatever is stored.
    let revealed = l.admin.ok(&app, RevealWebhookSecret {}).await;
    let mut secrets = stored_secrets(&app).await;
    secrets.push(revealed);

    // Admins do see the configuration (so the words above are really there to leak).
    let overview = serde_json::to_string(&l.admin.ok(&app, CatalogOverview {}).await).unwrap();
    for word in HIDDEN {
        assert!(
            overview.contains(word),
            "admin should see {word}: {overview}"
        );
    }

    // Every server function, called as Alice with no arguments and with the request's number
    // and id where they take one: whatever it answers reveals none of it. Raw calls on purpose:
    // the point is every registered path, with forms most of them will refuse.
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

    let names = |listing: &[AppListing]| -> Vec<String> {
        let mut names: Vec<String> = listing[0]
            .entitlements
            .iter()
            .map(|e| e.display_name.clone())
            .collect();
        names.sort();
        names
    };
    let admin_view = l.admin.ok(&app, ListApps {}).await;
    assert_eq!(
        names(&admin_view),
        [
            "Admin",
            "Database Team Only",
            "Read replica",
            "Retired Root Role"
        ]
    );
    assert!(admin_view[0].entitlements.iter().any(|e| {
        e.admin.as_ref().is_some_and(|admin| {
            admin.stored.provisioning
                == ProvisioningMethod::Webhook {
                    url: WEBHOOK_URL.into(),
                }
        })
    }));

    // Alice sees the two visible to everyone, the webhook one without its address.
    let alice_view = l.alice.ok(&app, ListApps {}).await;
    assert_eq!(names(&alice_view), ["Admin", "Read replica"]);
    let replica = alice_view[0]
        .entitlements
        .iter()
        .find(|e| e.display_name == "Read replica")
        .unwrap();
    assert_eq!(replica.provisioning, ProvisioningKind::Webhook);
    assert!(replica.admin.is_none(), "{replica:?}");
    // Bob, in the Database Team, sees its entitlement too; still no address.
    let bob_view = l.bob.ok(&app, ListApps {}).await;
    assert_eq!(
        names(&bob_view),
        ["Admin", "Database Team Only", "Read replica"]
    );
    assert!(
        !serde_json::to_string(&bob_view)
            .unwrap()
            .contains("hooks.example")
    );

    // A policy names its approvers: configuration for admins only.
    let refusal = l.alice.call(&app, ListPolicies {}).await.unwrap_err();
    assert_eq!(refusal.status, 403, "{refusal:?}");
    let policies = l.admin.ok(&app, ListPolicies {}).await;
    assert!(policies.iter().any(|p| p.name == MANAGER_THEN_OWNER));
}

/// The comments on request `number`, as its requester sees them.
async fn comments(app: &TestApp, l: &Loop, number: &str) -> Vec<String> {
    l.alice
        .detail(app, number)
        .await
        .comments
        .into_iter()
        .map(|c| c.detail)
        .collect()
}

/// A comment `body` on request `id`.
fn comment(id: &str, body: &str) -> CommentRequest {
    CommentRequest {
        id: id.into(),
        body: body.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_who_knows_a_request_id_can_neither_read_nor_comment_on_it() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let dave = person(&app, "dave@example.com", "Dave Stranger", Role::BasicUser).await;
    let (id, number) = l.request_admin(&app).await;

    let refusal = dave
        .call(&app, comment(&id, "Approve this, it's fine"))
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 404, "{refusal:?}");
    let refusal = dave
        .call(
            &app,
            RequestDetailCall {
                number: number.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 404, "{refusal:?}");
    // Refused the same way as a request that does not exist.
    let refusal = dave
        .call(&app, comment("no-such-request", "Hello?"))
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 404);
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
    l.alice.ok(&app, comment(&id, "From the requester")).await;
    l.bob.approve(&app, &id, 1).await;
    l.bob.ok(&app, comment(&id, "From the manager")).await;
    l.carol.ok(&app, comment(&id, "From the app owner")).await;
    l.admin.ok(&app, comment(&id, "From an admin")).await;
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
    let refusal = dave.call(&app, comment(&id, "Now?")).await.unwrap_err();
    assert_eq!(refusal.status, 404);
}

/// A day of `entitlement_id` for the person with email `subject`.
fn for_someone(entitlement_id: &str, subject: &str, justification: &str) -> CreateRequest {
    CreateRequest {
        subject_email: Some(subject.into()),
        duration: Some("1d".into()),
        ..new_request(entitlement_id, justification)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requesting_for_an_unknown_email_reads_exactly_like_requesting_for_someone_elses_colleague()
{
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let dave = person(&app, "dave@example.com", "Dave Stranger", Role::BasicUser).await;
    let attempt = |email: &'static str| {
        let app = &app;
        let dave = &dave;
        let entitlement = l.entitlement_id.clone();
        async move {
            dave.call(app, for_someone(&entitlement, email, "For a colleague"))
                .await
        }
    };
    let unknown = attempt("nobody@example.com").await;
    let colleague = attempt("alice@example.com").await;
    assert_eq!(
        unknown.as_ref().map_err(|refusal| refusal.status),
        Err(403),
        "{unknown:?}"
    );
    assert_eq!(unknown, colleague);
    // A manager still files for their report, and an admin learns that an email is unknown.
    l.bob
        .request(
            &app,
            for_someone(&l.entitlement_id, "alice@example.com", "For my report"),
        )
        .await;
    let refusal = l
        .admin
        .call(
            &app,
            for_someone(&l.entitlement_id, "nobody@example.com", "For nobody"),
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422, "{refusal:?}");
    assert!(
        refusal.message.contains("nobody@example.com"),
        "{refusal:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reassigning_to_an_unknown_email_reads_exactly_like_reassigning_to_a_suspended_user() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let sam = person(&app, "sam@example.com", "Sam Suspended", Role::BasicUser).await;
    l.admin
        .ok(
            &app,
            UpdateDirectoryUser {
                id: sam.user.id,
                name: "Sam Suspended".into(),
                manager_email: None,
                department: None,
                job_title: None,
                status: "suspended".into(),
            },
        )
        .await;
    let dave = person(&app, "dave@example.com", "Dave Stranger", Role::BasicUser).await;
    let (id, _) = l.request_admin(&app).await;

    // Bob is the step's approver and may reassign it.
    let reassign = |who: &'static str, email: &'static str| {
        let app = &app;
        let (bob, dave) = (&l.bob, &dave);
        let id = id.clone();
        async move {
            let who = if who == "bob" { bob } else { dave };
            let refusal = who.call(app, reassignment(&id, email)).await.unwrap_err();
            // Lower case: the message starts with the email, capitalised.
            (
                refusal.status,
                refusal.message.to_lowercase().replace(email, "<email>"),
            )
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
    l.bob.ok(&app, reassignment(&id, "carol@example.com")).await;
}

/// Reassigning request `id`'s waiting step to `email`, because its approver is on leave.
fn reassignment(id: &str, email: &str) -> ReassignRequest {
    ReassignRequest {
        id: id.into(),
        to_email: email.into(),
        reason: "On leave".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provisioner_of_a_request_still_reads_and_comments_on_it_after_completing_the_task() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let pia = person(&app, "pia@example.com", "Pia Provisioner", Role::BasicUser).await;
    l.resave_admin_entitlement(&app, |form| {
        form.provisioners = Some("pia@example.com".into())
    })
    .await;
    let (id, number) = l.request_admin(&app).await;
    l.approve_both_steps(&app, &id).await;
    pia.ok(&app, comment(&id, "On it")).await;
    pia.complete_only_task(&app, TaskOutcome::Done).await;
    pia.detail(&app, &number).await;
    pia.ok(&app, comment(&id, "Done: added to the admins role"))
        .await;
    assert_eq!(
        comments(&app, &l, &number).await,
        ["On it", "Done: added to the admins role"]
    );
}
