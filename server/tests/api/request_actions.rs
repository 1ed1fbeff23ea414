//! Request actions beyond approve/deny: escalation to emergency access, retrying failed
//! provisioning, and approvers shortening the length. Each is checked through the server
//! functions, with its refusals, audit events, notifications and the audit chain.

use std::time::Duration;

use sqlx::Row;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};

async fn detail(app: &TestApp, who: &Person, number: &str) -> serde_json::Value {
    ok(app, who, "requests/detail", &[("number", number)]).await
}

async fn page(app: &TestApp, who: &Person, path: &str) -> (u16, String) {
    let response = who.client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn approve(app: &TestApp, who: &Person, id: &str, step: &str) {
    ok(
        app,
        who,
        "approvals/decide",
        &[("id", id), ("step", step), ("verdict", "approved")],
    )
    .await;
}

/// The loop's entitlement gets an emergency policy: one approval by the app owners (Carol).
async fn with_emergency_policy(app: &TestApp, l: &Loop) {
    let emergency = owner_approval_policy(app, &l.admin, "Security on call").await;
    resave_admin_entitlement(app, l, &[("emergency_policy", &emergency)]).await;
}

/// Approved by both steps, then Carol's provisioning task errors; returns (id, number).
async fn failed_provisioning(app: &TestApp, l: &Loop) -> (String, String) {
    let (id, number) = request_admin(app, l).await;
    approve(app, &l.bob, &id, "1").await;
    approve(app, &l.carol, &id, "2").await;
    let task = only_task(app, &l.carol).await;
    ok(
        app,
        &l.carol,
        "grants/complete_task",
        &[
            ("id", &task),
            ("outcome", "errored"),
            ("note", "API answered 500"),
        ],
    )
    .await;
    let d = detail(app, &l.alice, &number).await;
    assert_eq!(d["summary"]["outcome"], "error");
    (id, number)
}

fn history(d: &serde_json::Value) -> String {
    d["history"].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subject_escalates_an_open_request_and_routing_restarts_under_the_emergency_policy() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    with_emergency_policy(&app, &l).await;
    let (id, number) = request_admin(&app, &l).await;
    // Bob approves step 1; step 2 waits for Carol under the normal policy.
    approve(&app, &l.bob, &id, "1").await;
    let before = detail(&app, &l.alice, &number).await;
    assert_eq!(before["summary"]["emergency"], false);
    assert_eq!(
        before["actions"]["escalate"], true,
        "the subject may escalate"
    );
    let carol_notified = format!(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'approval_needed' AND recipient_id = {}",
        l.carol.user.id
    );
    let notified_before = scalar(&app, &carol_notified).await;
    let (status, html) = page(&app, &l.alice, &format!("/requests/{number}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Escalate to emergency access"),
        "the button shows"
    );

    ok(&app, &l.alice, "requests/escalate", &[("id", &id)]).await;

    let after = detail(&app, &l.alice, &number).await;
    assert_eq!(after["summary"]["emergency"], true);
    assert_eq!(after["policy_name"], "Security on call");
    assert_eq!(
        after["summary"]["current_step"], 0,
        "routing starts again from the emergency policy's first step"
    );
    assert_eq!(after["assignees"], serde_json::json!(["Carol Owner"]));
    assert_eq!(after["actions"]["escalate"], false);
    assert!(
        history(&after).contains("Escalated to emergency access by Alice Requester"),
        "{after}"
    );
    assert_eq!(
        scalar(&app, &carol_notified).await,
        notified_before + 1,
        "the new assignee is told approval is needed"
    );
    let actor: String = sqlx::query(
        "SELECT actor FROM audit_events WHERE action = 'request.escalated_to_emergency'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
    .try_get("actor")
    .unwrap();
    assert_eq!(actor, format!("user:{}", l.alice.user.id));

    // Marked everywhere: My requests, Assigned to me, the request page.
    let mine = ok(&app, &l.alice, "requests/mine", &[]).await;
    assert_eq!(mine[0]["emergency"], true);
    let assigned = ok(&app, &l.carol, "approvals/assigned", &[]).await;
    assert_eq!(assigned[0]["emergency"], true);
    for (who, path) in [
        (&l.alice, "/requests".to_string()),
        (&l.carol, "/requests".to_string()),
        (&l.alice, format!("/requests/{number}")),
    ] {
        let (status, html) = page(&app, who, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("⚡ emergency"), "{path} shows the ⚡ mark");
    }
    let (_, html) = page(&app, &l.alice, &format!("/requests/{number}")).await;
    assert!(!html.contains("Escalate to emergency access"));

    // Carol approves under the emergency policy and provisioning starts.
    approve(&app, &l.carol, &id, "1").await;
    let done = detail(&app, &l.alice, &number).await;
    assert_eq!(done["summary"]["status"], "provisioning");
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subjects_manager_may_escalate_but_nobody_else_and_never_twice() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    with_emergency_policy(&app, &l).await;
    let (id, number) = request_admin(&app, &l).await;

    // The Super Admin sees the request but is neither the subject nor her manager.
    assert_eq!(
        detail(&app, &l.admin, &number).await["actions"]["escalate"],
        false
    );
    let (_, html) = page(&app, &l.admin, &format!("/requests/{number}")).await;
    assert!(!html.contains("Escalate to emergency access"));
    let (status, body) = call(&app, &l.admin, "requests/escalate", &[("id", &id)]).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        text(&body).contains("subject of the request or their manager"),
        "{body}"
    );
    // Carol is not involved yet (her step is not reached): the request does not exist for her.
    let (status, body) = call(&app, &l.carol, "requests/escalate", &[("id", &id)]).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        detail(&app, &l.alice, &number).await["summary"]["emergency"],
        false
    );

    assert_eq!(
        detail(&app, &l.bob, &number).await["actions"]["escalate"],
        true
    );
    ok(&app, &l.bob, "requests/escalate", &[("id", &id)]).await;
    let (status, body) = call(&app, &l.alice, "requests/escalate", &[("id", &id)]).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.to_string().contains("already an emergency request"),
        "{body}"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'request.escalated_to_emergency'"
        )
        .await,
        1
    );

    // A closed request cannot be escalated either.
    let (id2, _) = {
        ok(&app, &l.alice, "requests/cancel", &[("id", &id)]).await;
        request_admin(&app, &l).await
    };
    ok(&app, &l.alice, "requests/cancel", &[("id", &id2)]).await;
    let (status, body) = call(&app, &l.alice, "requests/escalate", &[("id", &id2)]).await;
    assert_eq!(status, 409);
    assert!(body.to_string().contains("already closed"), "{body}");
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_is_refused_when_the_entitlement_has_no_emergency_policy() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (id, number) = request_admin(&app, &l).await;
    assert_eq!(
        detail(&app, &l.alice, &number).await["actions"]["escalate"],
        false
    );
    let (status, body) = call(&app, &l.alice, "requests/escalate", &[("id", &id)]).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.to_string()
            .contains("mergency access is not enabled for this entitlement"),
        "{body}"
    );
    let d = detail(&app, &l.alice, &number).await;
    assert_eq!(d["summary"]["emergency"], false);
    assert!(!history(&d).contains("scalated"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_request_while_a_normal_one_is_open_names_it_and_suggests_escalating() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    with_emergency_policy(&app, &l).await;
    let (_, number) = request_admin(&app, &l).await;
    let (status, body) = call(
        &app,
        &l.alice,
        "requests/create",
        &[
            ("entitlement_id", &l.entitlement_id),
            ("justification", "prod is down"),
            ("emergency", "on"),
        ],
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let message = body.to_string();
    assert!(message.contains(&number), "{message}");
    assert!(message.contains("escalate that request"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_provisioning_is_retried_once_by_a_provisioner_without_collecting_approvals_again() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (id, number) = failed_provisioning(&app, &l).await;
    assert_eq!(
        detail(&app, &l.carol, &number).await["actions"]["retry"],
        true
    );
    assert_eq!(
        detail(&app, &l.alice, &number).await["actions"]["retry"],
        false
    );
    assert_eq!(
        detail(&app, &l.admin, &number).await["actions"]["retry"],
        true
    );
    let (_, html) = page(&app, &l.carol, &format!("/requests/{number}")).await;
    assert!(html.contains("Retry provisioning"));
    let (_, html) = page(&app, &l.alice, &format!("/requests/{number}")).await;
    assert!(!html.contains("Retry provisioning"));

    // A plain user (the requester, the approving manager) may not retry.
    for who in [&l.alice, &l.bob] {
        let (status, body) = call(&app, who, "requests/retry_provisioning", &[("id", &id)]).await;
        assert_eq!(status, 403, "{body}");
        assert!(text(&body).contains("can retry provisioning"), "{body}");
    }
    let open_tasks = "SELECT COUNT(*) FROM provisioning_tasks WHERE open = 1";
    assert_eq!(scalar(&app, open_tasks).await, 0);

    // A double click retries once.
    let form = [("id", id.as_str())];
    let (a, b) = tokio::join!(
        call(&app, &l.carol, "requests/retry_provisioning", &form),
        call(&app, &l.carol, "requests/retry_provisioning", &form),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    assert_eq!(scalar(&app, open_tasks).await, 1, "exactly one new task");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'request.provisioning_retried'"
        )
        .await,
        1
    );
    let d = detail(&app, &l.alice, &number).await;
    assert_eq!(d["summary"]["status"], "provisioning");
    assert_eq!(d["actions"]["retry"], false);
    assert!(
        history(&d).contains("Provisioning retried by Carol Owner"),
        "{d}"
    );
    // No approval was asked for again.
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM request_events WHERE action = 'request.step_assigned'"
        )
        .await,
        2
    );

    // This time it works: access is granted from the original approvals.
    complete_only_task(&app, &l.carol, "done").await;
    assert_eq!(
        detail(&app, &l.alice, &number).await["summary"]["outcome"],
        "granted"
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM grants WHERE state = 'active'").await,
        1
    );
    assert!(
        scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM outbox WHERE kind = 'provisioning_assigned' AND recipient_id = {}",
                l.carol.user.id
            )
        )
        .await
            >= 2,
        "the provisioner is told about the new task"
    );
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_failed_provisioning_can_be_retried() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    // Waiting for approval.
    let (id, _) = request_admin(&app, &l).await;
    let (status, body) = call(
        &app,
        &l.admin,
        "requests/retry_provisioning",
        &[("id", &id)],
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.to_string()
            .contains("only approved requests whose provisioning failed")
    );
    // Denied.
    ok(
        &app,
        &l.bob,
        "approvals/decide",
        &[
            ("id", &id),
            ("step", "1"),
            ("verdict", "denied"),
            ("reason", "no"),
        ],
    )
    .await;
    let (status, _) = call(
        &app,
        &l.admin,
        "requests/retry_provisioning",
        &[("id", &id)],
    )
    .await;
    assert_eq!(status, 409);
    // Provisioning ("won't do" is a decision, not a failure).
    let (id, _) = request_admin(&app, &l).await;
    approve(&app, &l.bob, &id, "1").await;
    approve(&app, &l.carol, &id, "2").await;
    let (status, _) = call(
        &app,
        &l.carol,
        "requests/retry_provisioning",
        &[("id", &id)],
    )
    .await;
    assert_eq!(status, 409);
    let task = only_task(&app, &l.carol).await;
    ok(
        &app,
        &l.carol,
        "grants/complete_task",
        &[
            ("id", &task),
            ("outcome", "wont_do"),
            ("note", "no licence"),
        ],
    )
    .await;
    let (status, _) = call(
        &app,
        &l.carol,
        "requests/retry_provisioning",
        &[("id", &id)],
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM provisioning_tasks WHERE open = 1"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'request.provisioning_retried'"
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_uses_the_entitlements_current_provisioning_method() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (id, number) = failed_provisioning(&app, &l).await;
    // Meanwhile the app got a provisioning webhook.
    let calls = std::sync::Arc::new(std::sync::Mutex::new(0_usize));
    let counted = calls.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counted = counted.clone();
            async move {
                *counted.lock().unwrap() += 1;
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hook",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    resave_admin_entitlement(
        &app,
        &l,
        &[("provisioning", "webhook"), ("webhook_url", &url)],
    )
    .await;

    // Carol is no longer a named provisioner, but she owns the app.
    ok(
        &app,
        &l.carol,
        "requests/retry_provisioning",
        &[("id", &id)],
    )
    .await;
    for _ in 0..200 {
        if detail(&app, &l.alice, &number).await["summary"]["outcome"] == "granted" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        detail(&app, &l.alice, &number).await["summary"]["outcome"],
        "granted"
    );
    assert_eq!(*calls.lock().unwrap(), 1, "one webhook call");
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_may_shorten_the_length_but_not_lengthen_it_and_the_grant_uses_it() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    // Alice asks for a day.
    let (id, number) = request_admin(&app, &l).await;
    let assigned = ok(&app, &l.bob, "approvals/assigned", &[]).await;
    assert_eq!(
        assigned[0]["shorter_lengths"],
        serde_json::json!(["1h", "4h", "8h"]),
        "only presets shorter than a day are offered"
    );
    let (_, html) = page(&app, &l.bob, "/requests").await;
    assert!(
        html.contains(r#"name="length""#),
        "Assigned to me offers the field"
    );

    // Lengthening is refused with a clear error, and nothing is recorded.
    let (status, body) = call(
        &app,
        &l.bob,
        "approvals/decide",
        &[
            ("id", &id),
            ("step", "1"),
            ("verdict", "approved"),
            ("length", "2d"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.to_string()
            .contains("may shorten the requested length but not extend it"),
        "{body}"
    );
    assert_eq!(
        detail(&app, &l.alice, &number).await["summary"]["current_step"],
        0
    );

    // Bob shortens it to 4 hours while approving step 1.
    ok(
        &app,
        &l.bob,
        "approvals/decide",
        &[
            ("id", &id),
            ("step", "1"),
            ("verdict", "approved"),
            ("length", "4h"),
        ],
    )
    .await;
    let d = detail(&app, &l.alice, &number).await;
    assert_eq!(d["summary"]["length"], "4 hours");
    assert_eq!(d["summary"]["requested_length"], "1 day");
    assert!(
        history(&d).contains("Length changed from 1 day to 4 hours by Bob Manager"),
        "{d}"
    );
    let (_, html) = page(&app, &l.alice, &format!("/requests/{number}")).await;
    assert!(html.contains("4 hours (asked for 1 day)"));

    // Carol cannot go back up to 8 hours, but may shorten further with a custom length.
    let (status, _) = call(
        &app,
        &l.carol,
        "approvals/decide",
        &[
            ("id", &id),
            ("step", "2"),
            ("verdict", "approved"),
            ("length", "8h"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    ok(
        &app,
        &l.carol,
        "approvals/decide",
        &[
            ("id", &id),
            ("step", "2"),
            ("verdict", "approved"),
            ("length", "2h"),
        ],
    )
    .await;
    let d = detail(&app, &l.alice, &number).await;
    assert!(
        history(&d).contains("Length changed from 4 hours to 2 hours by Carol Owner"),
        "{d}"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'request.duration_changed'"
        )
        .await,
        2
    );

    // The grant lasts two hours.
    complete_only_task(&app, &l.carol, "done").await;
    assert_eq!(
        scalar(&app, "SELECT expires_at - created_at FROM grants").await,
        2 * 3_600_000
    );
    let grants = ok(&app, &l.alice, "grants/mine", &[]).await;
    assert!(
        text(&grants[0]["remaining"]).starts_with("expires in 1 hour"),
        "{grants}"
    );
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_length_typed_before_denying_is_ignored_and_the_length_stays_as_requested() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (id, number) = request_admin(&app, &l).await;
    ok(
        &app,
        &l.bob,
        "approvals/decide",
        &[
            ("id", &id),
            ("step", "1"),
            ("verdict", "denied"),
            ("reason", "not on call"),
            ("length", "1h"),
        ],
    )
    .await;
    let d = detail(&app, &l.alice, &number).await;
    assert_eq!(d["summary"]["outcome"], "denied");
    assert_eq!(d["summary"]["length"], "1 day");
    // A length that is not a length is refused before anything happens.
    let (id, _) = request_admin(&app, &l).await;
    let (status, body) = call(
        &app,
        &l.bob,
        "approvals/decide",
        &[
            ("id", &id),
            ("step", "1"),
            ("verdict", "approved"),
            ("length", "soon"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("not a valid duration"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_provisioner_sees_a_failed_request_only_to_retry_it() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let dave = person(
        &app,
        "dave@example.com",
        "Dave Provisioner",
        app::session::Role::User,
    )
    .await;
    resave_admin_entitlement(
        &app,
        &l,
        &[("provisioners", "carol@example.com, dave@example.com")],
    )
    .await;
    let (id, number) = request_admin(&app, &l).await;
    // Not involved while it waits for approval: Dave learns nothing.
    let (status, _) = call(&app, &dave, "requests/detail", &[("number", &number)]).await;
    assert_eq!(status, 404);
    approve(&app, &l.bob, &id, "1").await;
    approve(&app, &l.carol, &id, "2").await;
    let task = only_task(&app, &dave).await;
    ok(
        &app,
        &dave,
        "grants/complete_task",
        &[
            ("id", &task),
            ("outcome", "errored"),
            ("note", "no such account"),
        ],
    )
    .await;
    let d = detail(&app, &dave, &number).await;
    assert_eq!(d["actions"]["retry"], true);
    let (status, html) = page(&app, &dave, &format!("/requests/{number}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Retry provisioning"));
    ok(&app, &dave, "requests/retry_provisioning", &[("id", &id)]).await;
    assert_eq!(
        detail(&app, &l.alice, &number).await["summary"]["status"],
        "provisioning"
    );
    only_task(&app, &dave).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalating_to_an_auto_approving_emergency_policy_starts_provisioning_at_once() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    resave_admin_entitlement(&app, &l, &[("emergency_policy", "builtin-auto-approval")]).await;
    let (id, number) = request_admin(&app, &l).await;
    ok(&app, &l.alice, "requests/escalate", &[("id", &id)]).await;
    let d = detail(&app, &l.alice, &number).await;
    assert_eq!(d["summary"]["emergency"], true);
    assert_eq!(d["summary"]["status"], "provisioning");
    // Bob's step is gone from his list; Carol has the provisioning task.
    let assigned = ok(&app, &l.bob, "approvals/assigned", &[]).await;
    assert_eq!(assigned, serde_json::json!([]));
    only_task(&app, &l.carol).await;
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'provisioning.task_opened'"
        )
        .await,
        1
    );
    chain_is_intact(&app).await;
}
