//! Removal always converges (a failed or refused removal stays an open, escalated problem),
//! nobody provisions or deprovisions their own access, and completion, release, revocation and
//! the expiry sweep run against each other without deadlocking.

use serde_json::Value;
use sqlx::Row;

use app::api::grants::overdue_removals::OverdueRemovals;
use app::api::grants::release_grant::ReleaseGrant;
use app::api::grants::revoke_grant::RevokeGrant;
use app::error::AppError;
use app::shapes::{GrantRow, OverdueRemovalRow};
use leptos::server_fn::ServerFn;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, call_server_fn_at, spawn_app};

/// `who` completes the only task they see with `outcome` and a note.
async fn complete_with_note(app: &TestApp, who: &Person, outcome: TaskOutcome, note: &str) {
    let id = who.only_task(app).await;
    who.ok(app, completion(&id, outcome, Some(note))).await;
}

fn revocation(grant: &str) -> RevokeGrant {
    RevokeGrant { id: grant.into() }
}

async fn grant_state(app: &TestApp, grant: &str) -> String {
    sqlx::query("SELECT state FROM grants WHERE id = $1")
        .bind(grant)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .try_get("state")
        .unwrap()
}

async fn open_removal_tasks(app: &TestApp, grant: &str) -> i64 {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM provisioning_tasks WHERE grant_id = $1 AND kind = 'deprovision' AND open = 1",
    )
    .bind(grant)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
    .try_get("n")
    .unwrap()
}

/// The display names of who may complete the open removal task of `grant`.
async fn removal_assignees(app: &TestApp, grant: &str) -> Vec<String> {
    let mut names: Vec<String> = sqlx::query(
        "SELECT u.display_name FROM task_assignees a JOIN provisioning_tasks t ON t.id = a.task_id \
         JOIN users u ON u.id = a.user_id WHERE t.grant_id = $1 AND t.kind = 'deprovision' AND t.open = 1",
    )
    .bind(grant)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get::<String, _>(0).unwrap())
    .collect();
    names.sort();
    names
}

fn row_of<'a>(rows: &'a [GrantRow], grant: &str) -> &'a GrantRow {
    rows.iter()
        .find(|r| r.id == grant)
        .unwrap_or_else(|| panic!("grant {grant} not listed: {rows:?}"))
}

fn overdue_row_of<'a>(rows: &'a [OverdueRemovalRow], grant: &str) -> &'a OverdueRemovalRow {
    rows.iter()
        .find(|r| r.grant_id == grant)
        .unwrap_or_else(|| panic!("grant {grant} not listed: {rows:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_errored_removal_opens_a_new_task_escalated_to_owners_and_super_admins_and_stays_overdue()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let grant = l.granted(&app).await;
    l.admin.ok(&app, revocation(&grant)).await;
    complete_with_note(
        &app,
        &l.carol,
        TaskOutcome::Errored,
        "the database API is down",
    )
    .await;

    // The person keeps the access, so the removal stays open: a new task, escalated.
    assert_eq!(grant_state(&app, &grant).await, "pending_removal");
    assert_eq!(open_removal_tasks(&app, &grant).await, 1);
    assert_eq!(
        removal_assignees(&app, &grant).await,
        vec!["Ada Admin".to_string(), "Carol Owner".to_string()]
    );
    // Whoever takes it over sees what went wrong before.
    let tasks = l.carol.tasks(&app).await;
    assert!(
        tasks[0].state.contains("the database API is down"),
        "{tasks:?}"
    );
    let listed = l.admin.ok(&app, all_grants()).await;
    assert_eq!(row_of(&listed, &grant).status, GrantStatus::RemovalOverdue);
    let mine = l.alice.grants(&app).await;
    assert_eq!(row_of(&mine, &grant).status_label, "removal overdue");

    // The admin page lists it, with the open task, its assignees and the last error.
    let overdue = l.admin.ok(&app, OverdueRemovals {}).await;
    let row = overdue_row_of(&overdue, &grant);
    assert_eq!(row.subject, "Alice Requester");
    assert_eq!(row.reason, RemovalReason::Revoked);
    assert_eq!(row.escalation, 1);
    assert!(row.open_task.is_some(), "{row:?}");
    assert!(
        row.last_error
            .as_deref()
            .is_some_and(|e| e.contains("the database API is down")),
        "{row:?}"
    );
    let refusal = l.alice.call(&app, OverdueRemovals {}).await.unwrap_err();
    assert_eq!(refusal.status, 403, "the overdue list is for Super Admins");
    // And so does the page, rendered on the server.
    let page = l
        .admin
        .client
        .get(app.url("/admin/removals"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Overdue removals"), "{html}");
    assert!(html.contains("Alice Requester"), "{html}");
    assert!(html.contains("the database API is down"), "{html}");
    let page = l
        .alice
        .client
        .get(app.url("/admin/removals"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 403);

    // Revoke stays possible on a grant whose removal is pending (no second task while one is open).
    l.admin.ok(&app, revocation(&grant)).await;
    assert_eq!(open_removal_tasks(&app, &grant).await, 1);

    // Someone confirms the removal: gone from the overdue list.
    l.carol.complete_only_task(&app, TaskOutcome::Done).await;
    assert_eq!(grant_state(&app, &grant).await, "removed");
    assert_eq!(open_removal_tasks(&app, &grant).await, 0);
    let overdue = l.admin.ok(&app, OverdueRemovals {}).await;
    assert!(overdue.is_empty(), "{overdue:?}");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'grant.removal_failed'"
        )
        .await,
        1
    );
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wont_deprovision_cannot_undo_an_admins_revocation_or_keep_expired_access() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let grant = l.granted(&app).await;
    l.admin.ok(&app, revocation(&grant)).await;
    complete_with_note(&app, &l.carol, TaskOutcome::WontDo, "Alice still needs it").await;
    assert_eq!(grant_state(&app, &grant).await, "pending_removal");
    assert_eq!(open_removal_tasks(&app, &grant).await, 1);
    let overdue = l.admin.ok(&app, OverdueRemovals {}).await;
    assert!(
        overdue_row_of(&overdue, &grant)
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("Won't deprovision")),
        "{overdue:?}"
    );
    l.carol.complete_only_task(&app, TaskOutcome::Done).await;

    // An expired grant: "Won't deprovision" leaves it overdue, with a new task.
    let grant = l.granted(&app).await;
    backdate_grant(&app, &grant).await;
    for _ in 0..100 {
        if open_removal_tasks(&app, &grant).await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    complete_with_note(&app, &l.carol, TaskOutcome::WontDo, "keep it").await;
    assert_eq!(grant_state(&app, &grant).await, "pending_removal");
    assert_eq!(open_removal_tasks(&app, &grant).await, 1);
    let mine = l.alice.grants(&app).await;
    assert_eq!(row_of(&mine, &grant).status, GrantStatus::RemovalOverdue);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removal_left_without_an_open_task_gets_an_escalated_one_again() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let grant = l.granted(&app).await;
    l.admin.ok(&app, revocation(&grant)).await;
    // As an older Latch left it: the removal task closed "Errored", no task open.
    let task = l.carol.only_task(&app).await;
    let row = sqlx::query("SELECT body FROM provisioning_tasks WHERE id = $1")
        .bind(&task)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let mut body: Value = serde_json::from_str(&row.try_get::<String, _>("body").unwrap()).unwrap();
    body["state"] = serde_json::json!({
        "kind": "completed", "outcome": "errored", "by": l.carol.user.id.to_string(),
        "at": 1, "note": "timeout",
    });
    body["version"] = Value::from(2);
    sqlx::query("UPDATE provisioning_tasks SET open = 0, version = 2, body = $1 WHERE id = $2")
        .bind(body.to_string())
        .bind(&task)
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(open_removal_tasks(&app, &grant).await, 0);

    let reopened = app::ssr::flows::sweeps::reopen_stuck_removals(&app.db, 100)
        .await
        .unwrap();
    assert_eq!(reopened, 1);
    assert_eq!(open_removal_tasks(&app, &grant).await, 1);
    assert_eq!(
        removal_assignees(&app, &grant).await,
        vec!["Ada Admin".to_string(), "Carol Owner".to_string()]
    );
    let listed = l.admin.ok(&app, all_grants()).await;
    assert_eq!(row_of(&listed, &grant).status, GrantStatus::RemovalOverdue);
    // Nothing left to reopen.
    assert_eq!(
        app::ssr::flows::sweeps::reopen_stuck_removals(&app.db, 100)
            .await
            .unwrap(),
        0
    );
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_only_named_provisioner_never_gets_or_completes_a_task_for_their_own_access() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    // Alice is the entitlement's only provisioner, and asks for it herself.
    l.resave_admin_entitlement(&app, |form| {
        form.provisioners = Some("alice@example.com".into())
    })
    .await;
    let (id, _) = l.request_admin(&app).await;
    l.approve_both_steps(&app, &id).await;
    // The task goes to the app owner, not to Alice, and Alice cannot complete it.
    let alice_tasks = l.alice.tasks(&app).await;
    assert!(alice_tasks.is_empty(), "{alice_tasks:?}");
    let task = l.carol.only_task(&app).await;
    let refusal = l
        .alice
        .call(&app, completion(&task, TaskOutcome::Done, None))
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 403, "{refusal:?}");
    assert!(refusal.message.contains("their own access"), "{refusal:?}");
    l.carol.complete_only_task(&app, TaskOutcome::Done).await;

    // The removal of her access neither goes to her nor can be blocked by her.
    let grants = l.alice.grants(&app).await;
    let grant = grants[0].id.clone();
    l.admin.ok(&app, revocation(&grant)).await;
    assert_eq!(
        removal_assignees(&app, &grant).await,
        vec!["Carol Owner".to_string()]
    );
    let task = l.carol.only_task(&app).await;
    for outcome in [TaskOutcome::WontDo, TaskOutcome::Errored, TaskOutcome::Done] {
        let refusal = l
            .alice
            .call(&app, completion(&task, outcome, Some("mine")))
            .await
            .unwrap_err();
        assert_eq!(refusal.status, 403, "{outcome}: {refusal:?}");
    }
    assert_eq!(grant_state(&app, &grant).await, "pending_removal");
    assert_eq!(open_removal_tasks(&app, &grant).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_super_admin_cannot_complete_the_removal_of_their_own_access() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let grant = l.granted(&app).await;
    // Alice becomes a Super Admin: she sees every open task but her own, and cannot do hers.
    sqlx::query("UPDATE users SET role = 'super_admin' WHERE id = $1")
        .bind(l.alice.user.id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    l.admin.ok(&app, revocation(&grant)).await;
    let task = l.carol.only_task(&app).await;
    assert!(l.alice.tasks(&app).await.is_empty());
    let refusal = l
        .alice
        .call(&app, completion(&task, TaskOutcome::Done, None))
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 403, "{refusal:?}");
    assert_eq!(grant_state(&app, &grant).await, "pending_removal");
}

/// Starts a server-function call on its own task, so calls really run at the same time.
fn spawn_call<F>(
    app: &TestApp,
    who: &Person,
    args: F,
) -> tokio::task::JoinHandle<Result<F::Output, Refusal>>
where
    F: ServerFn<Error = AppError> + Serialize + 'static,
    F::Output: DeserializeOwned + 'static,
{
    let (address, client) = (app.address.clone(), who.client.clone());
    tokio::spawn(async move { call_server_fn_at(&address, &client, args).await })
}

/// Alice holds one grant per entitlement `e0`…`e{n-1}` (auto-approved, provisioned by Carol), and
/// has an approved extension open for each; returns the grant ids, in entitlement order.
async fn grants_with_open_extensions(app: &TestApp, l: &Loop, n: usize) -> Vec<String> {
    let app_id: String = sqlx::query("SELECT id FROM apps")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let mut entitlements = Vec::new();
    let mut grants = Vec::new();
    for i in 0..n {
        let ent = l
            .admin
            .ok(
                app,
                SaveEntitlement {
                    slug: Some(format!("e{i}")),
                    max_duration: Some("7d".into()),
                    request_policy: Some("builtin-auto-approval".into()),
                    provisioning: Some("manual".into()),
                    provisioners: Some("carol@example.com".into()),
                    ..entitlement_form(&app_id, &format!("E{i}"))
                },
            )
            .await;
        l.alice
            .request(
                app,
                CreateRequest {
                    duration: Some("1d".into()),
                    ..new_request(&ent, "load test")
                },
            )
            .await;
        l.carol.complete_only_task(app, TaskOutcome::Done).await;
        let grant: String = sqlx::query("SELECT id FROM grants WHERE entitlement_id = $1")
            .bind(&ent)
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .try_get("id")
            .unwrap();
        grants.push(grant);
        entitlements.push(ent);
    }
    // Then an extension of each, approved automatically: its provisioning task stays open.
    for ent in &entitlements {
        l.alice
            .request(
                app,
                CreateRequest {
                    duration: Some("3d".into()),
                    extension: Some("on".into()),
                    ..new_request(ent, "load test goes on")
                },
            )
            .await;
    }
    grants
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completing_releasing_revoking_and_expiring_at_once_never_deadlocks_and_ends_consistent() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let grants = grants_with_open_extensions(&app, &l, 8).await;
    let tasks: Vec<String> = l
        .carol
        .tasks(&app)
        .await
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(
        tasks.len(),
        grants.len(),
        "one open extension task per grant"
    );
    // Half the grants run out now, so the expiry sweep joins in.
    for g in grants.iter().step_by(2) {
        backdate_grant(&app, g).await;
    }
    // Everyone at once, each call on its own task: Carol completes every extension, Alice
    // releases every grant, the admin revokes every grant, and the sweep expires the backdated ones.
    let mut calls = Vec::new();
    for t in &tasks {
        calls.push(spawn_call(
            &app,
            &l.carol,
            completion(t, TaskOutcome::Done, None),
        ));
    }
    for g in &grants {
        calls.push(spawn_call(&app, &l.alice, ReleaseGrant { id: g.clone() }));
        calls.push(spawn_call(&app, &l.admin, revocation(g)));
    }
    let db = app.db.clone();
    let sweep = tokio::spawn(async move {
        for _ in 0..5 {
            app::ssr::flows::sweeps::expire_all_due(&db).await.unwrap();
        }
    });
    for c in calls {
        let answer = c.await.unwrap();
        assert!(
            matches!(answer, Ok(()) | Err(Refusal { status: 409, .. })),
            "every call succeeds or is refused as a conflict, never fails: {answer:?}"
        );
    }
    sweep.await.unwrap();
    app::ssr::flows::sweeps::expire_all_due(&app.db)
        .await
        .unwrap();

    // Every grant ended in one consistent state: still active (extended, nothing removing it),
    // or pending removal with exactly one open removal task.
    for g in &grants {
        let state = grant_state(&app, g).await;
        let open = open_removal_tasks(&app, g).await;
        match state.as_str() {
            "active" => assert_eq!(open, 0, "grant {g}"),
            "pending_removal" => assert_eq!(open, 1, "grant {g}"),
            other => panic!("grant {g} is {other}"),
        }
        let row = sqlx::query("SELECT version, body FROM grants WHERE id = $1")
            .bind(g)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        let body: Value = serde_json::from_str(&row.try_get::<String, _>("body").unwrap()).unwrap();
        assert_eq!(body["version"], row.try_get::<i64, _>("version").unwrap());
    }
    chain_is_intact(&app).await;
}

/// A webhook receiver whose answer can change mid-test; counts the calls.
async fn switchable_receiver() -> (
    String,
    std::sync::Arc<std::sync::atomic::AtomicU16>,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
    let status = Arc::new(AtomicU16::new(200));
    let calls = Arc::new(AtomicUsize::new(0));
    let (answer, count) = (status.clone(), calls.clone());
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let (answer, count) = (answer.clone(), count.clone());
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hook",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, status, calls)
}

/// The open removal task of `grant`: (body, due_at), once `ready` says it is in the wanted state.
async fn removal_task_when(
    app: &TestApp,
    grant: &str,
    ready: impl Fn(&str) -> bool,
) -> (String, Option<i64>) {
    for _ in 0..200 {
        let row = sqlx::query(
            "SELECT body, due_at FROM provisioning_tasks WHERE grant_id = $1 AND kind = 'deprovision' AND open = 1",
        )
        .bind(grant)
        .fetch_optional(&app.db.pool)
        .await
        .unwrap();
        if let Some(row) = row {
            let body: String = row.try_get("body").unwrap();
            if ready(&body) {
                return (body, row.try_get("due_at").unwrap());
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the removal task of {grant} never got there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_removal_marked_errored_is_called_again_after_a_backoff_until_it_succeeds() {
    use std::sync::atomic::Ordering;
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (url, status, calls) = switchable_receiver().await;
    let ent = crate::access_webhooks::webhook_entitlement(&app, &l, &url).await;
    crate::access_webhooks::request_reader(&app, &l, &ent).await;
    let grant = loop {
        if let Some(g) = l.alice.grants(&app).await.first() {
            break g.id.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };

    // The receiver breaks; the admin revokes; every retry fails; the owners and admins take over.
    status.store(500, Ordering::SeqCst);
    l.admin.ok(&app, revocation(&grant)).await;
    for n in 2..=app::domain::webhook::MAX_ATTEMPTS {
        let needle = format!("\"attempt\":{n},");
        removal_task_when(&app, &grant, |b| b.contains(&needle)).await;
        sqlx::query(
            "UPDATE provisioning_tasks SET due_at = 0 WHERE open = 1 AND due_at IS NOT NULL",
        )
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    removal_task_when(&app, &grant, |b| b.contains("awaiting_manual")).await;
    assert_eq!(
        removal_assignees(&app, &grant).await,
        vec!["Ada Admin".to_string(), "Carol Owner".to_string()]
    );

    // Carol cannot fix it today: the removal is not dropped, the webhook is called again later.
    complete_with_note(&app, &l.carol, TaskOutcome::Errored, "receiver down").await;
    let (_, due) = removal_task_when(&app, &grant, |b| b.contains("webhook_pending")).await;
    let wait = due.unwrap() - app::ssr::clock::now_ms();
    assert!(
        (25_000..=31_000).contains(&wait),
        "called again after ~30 s, not {wait} ms"
    );
    let listed = l.admin.ok(&app, all_grants()).await;
    assert_eq!(row_of(&listed, &grant).status, GrantStatus::RemovalOverdue);

    // The receiver is back: the next call removes the access.
    status.store(200, Ordering::SeqCst);
    let before = calls.load(Ordering::SeqCst);
    sqlx::query("UPDATE provisioning_tasks SET due_at = 0 WHERE open = 1 AND due_at IS NOT NULL")
        .execute(&app.db.pool)
        .await
        .unwrap();
    for _ in 0..200 {
        if grant_state(&app, &grant).await == "removed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(grant_state(&app, &grant).await, "removed");
    assert!(calls.load(Ordering::SeqCst) > before);
    assert_eq!(open_removal_tasks(&app, &grant).await, 0);
}
