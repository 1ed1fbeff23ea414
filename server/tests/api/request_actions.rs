//! Request actions beyond approve/deny: escalation to emergency access, retrying failed
//! provisioning, and approvers shortening the length. Each is checked through the server
//! functions, with its refusals, audit events, notifications and the audit chain.

use std::time::Duration;

use sqlx::Row;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};
use app::api::approvals::assigned_to_me::AssignedToMe;
use app::api::requests::cancel_request::CancelRequest;
use app::api::requests::escalate_request::EscalateRequest;
use app::api::requests::my_requests::MyRequests;
use app::api::requests::request_detail::RequestDetail as RequestDetailCall;
use app::api::requests::retry_provisioning::RetryProvisioning;
use app::shapes::RequestDetail;

async fn page(app: &TestApp, who: &Person, path: &str) -> (u16, String) {
    let response = who.client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The loop's entitlement gets an emergency policy: one approval by the app owners (Carol).
async fn with_emergency_policy(app: &TestApp, l: &Loop) {
    let emergency = owner_approval_policy(app, &l.admin, "Security on call").await;
    l.resave_admin_entitlement(app, |form| form.emergency_policy = Some(emergency))
        .await;
}

/// `who` completes the only task they can see with `outcome` and `note`.
async fn complete_only_task_noting(app: &TestApp, who: &Person, outcome: TaskOutcome, note: &str) {
    let id = who.only_task(app).await;
    who.ok(app, completion(&id, outcome, Some(note))).await;
}

/// Approved by both steps, then Carol's provisioning task errors; returns (id, number).
async fn failed_provisioning(app: &TestApp, l: &Loop) -> (String, String) {
    let (id, number) = l.request_admin(app).await;
    l.approve_both_steps(app, &id).await;
    complete_only_task_noting(app, &l.carol, TaskOutcome::Errored, "API answered 500").await;
    let d = l.alice.detail(app, &number).await;
    assert_eq!(d.summary.outcome, Some(Outcome::Error));
    (id, number)
}

/// The request's history, a line per event.
fn history(d: &RequestDetail) -> String {
    d.history
        .iter()
        .map(|line| line.detail.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn escalation(id: &str) -> EscalateRequest {
    EscalateRequest { id: id.into() }
}

fn retry(id: &str) -> RetryProvisioning {
    RetryProvisioning { id: id.into() }
}

fn cancellation(id: &str) -> CancelRequest {
    CancelRequest {
        id: id.into(),
        reason: None,
    }
}

/// An approval of step `step` of request `id` that changes the length to `length`.
fn approval_for(id: &str, step: usize, length: &str) -> DecideRequest {
    DecideRequest {
        length: Some(length.into()),
        ..decision(id, step, Verdict::Approved)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subject_escalates_an_open_request_and_routing_restarts_under_the_emergency_policy() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    with_emergency_policy(&app, &l).await;
    let (id, number) = l.request_admin(&app).await;
    // Bob approves step 1; step 2 waits for Carol under the normal policy.
    l.bob.approve(&app, &id, 1).await;
    let before = l.alice.detail(&app, &number).await;
    assert!(!before.summary.emergency);
    assert!(before.actions.escalate, "the subject may escalate");
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

    l.alice.ok(&app, escalation(&id)).await;

    let after = l.alice.detail(&app, &number).await;
    assert!(after.summary.emergency);
    assert_eq!(after.policy_name, "Security on call");
    assert_eq!(
        after.summary.current_step,
        Some(0),
        "routing starts again from the emergency policy's first step"
    );
    assert_eq!(after.assignees, ["Carol Owner"]);
    assert!(!after.actions.escalate);
    assert!(
        history(&after).contains("Escalated to emergency access by Alice Requester"),
        "{after:?}"
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
    let mine = l.alice.ok(&app, MyRequests {}).await;
    assert!(mine[0].emergency);
    let assigned = l.carol.ok(&app, AssignedToMe {}).await;
    assert!(assigned[0].emergency);
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
    l.carol.approve(&app, &id, 1).await;
    let done = l.alice.detail(&app, &number).await;
    assert_eq!(done.summary.status, RequestStatus::Provisioning);
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subjects_manager_may_escalate_but_nobody_else_and_never_twice() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    with_emergency_policy(&app, &l).await;
    let (id, number) = l.request_admin(&app).await;

    // The Super Admin sees the request but is neither the subject nor her manager.
    assert!(!l.admin.detail(&app, &number).await.actions.escalate);
    let (_, html) = page(&app, &l.admin, &format!("/requests/{number}")).await;
    assert!(!html.contains("Escalate to emergency access"));
    let refusal = l.admin.call(&app, escalation(&id)).await.unwrap_err();
    assert_eq!(refusal.status, 403, "{refusal:?}");
    assert!(
        refusal
            .message
            .contains("subject of the request or their manager"),
        "{refusal:?}"
    );
    // Carol is not involved yet (her step is not reached): the request does not exist for her.
    let refusal = l.carol.call(&app, escalation(&id)).await.unwrap_err();
    assert_eq!(refusal.status, 404, "{refusal:?}");
    assert!(!l.alice.detail(&app, &number).await.summary.emergency);

    assert!(l.bob.detail(&app, &number).await.actions.escalate);
    l.bob.ok(&app, escalation(&id)).await;
    let refusal = l.alice.call(&app, escalation(&id)).await.unwrap_err();
    assert_eq!(refusal.status, 409, "{refusal:?}");
    assert!(
        refusal.message.contains("already an emergency request"),
        "{refusal:?}"
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
        l.alice.ok(&app, cancellation(&id)).await;
        l.request_admin(&app).await
    };
    l.alice.ok(&app, cancellation(&id2)).await;
    let refusal = l.alice.call(&app, escalation(&id2)).await.unwrap_err();
    assert_eq!(refusal.status, 409);
    assert!(refusal.message.contains("already closed"), "{refusal:?}");
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_is_refused_when_the_entitlement_has_no_emergency_policy() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (id, number) = l.request_admin(&app).await;
    assert!(!l.alice.detail(&app, &number).await.actions.escalate);
    let refusal = l.alice.call(&app, escalation(&id)).await.unwrap_err();
    assert_eq!(refusal.status, 422, "{refusal:?}");
    assert!(
        refusal
            .message
            .contains("mergency access is not enabled for this entitlement"),
        "{refusal:?}"
    );
    let d = l.alice.detail(&app, &number).await;
    assert!(!d.summary.emergency);
    assert!(!history(&d).contains("scalated"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_request_while_a_normal_one_is_open_names_it_and_suggests_escalating() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    with_emergency_policy(&app, &l).await;
    let (_, number) = l.request_admin(&app).await;
    let refusal = l
        .alice
        .call(
            &app,
            CreateRequest {
                emergency: Some("on".into()),
                ..new_request(&l.entitlement_id, "prod is down")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 409, "{refusal:?}");
    assert!(refusal.message.contains(&number), "{refusal:?}");
    assert!(
        refusal.message.contains("escalate that request"),
        "{refusal:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_provisioning_is_retried_once_by_a_provisioner_without_collecting_approvals_again() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (id, number) = failed_provisioning(&app, &l).await;
    assert!(l.carol.detail(&app, &number).await.actions.retry);
    assert!(!l.alice.detail(&app, &number).await.actions.retry);
    assert!(l.admin.detail(&app, &number).await.actions.retry);
    let (_, html) = page(&app, &l.carol, &format!("/requests/{number}")).await;
    assert!(html.contains("Retry provisioning"));
    let (_, html) = page(&app, &l.alice, &format!("/requests/{number}")).await;
    assert!(!html.contains("Retry provisioning"));

    // A plain user (the requester, the approving manager) may not retry.
    for who in [&l.alice, &l.bob] {
        let refusal = who.call(&app, retry(&id)).await.unwrap_err();
        assert_eq!(refusal.status, 403, "{refusal:?}");
        assert!(
            refusal.message.contains("can retry provisioning"),
            "{refusal:?}"
        );
    }
    let open_tasks = "SELECT COUNT(*) FROM provisioning_tasks WHERE open = 1";
    assert_eq!(scalar(&app, open_tasks).await, 0);

    // A double click retries once.
    let (a, b) = tokio::join!(
        l.carol.call(&app, retry(&id)),
        l.carol.call(&app, retry(&id)),
    );
    match (&a, &b) {
        (Ok(_), Err(loser)) | (Err(loser), Ok(_)) => assert_eq!(loser.status, 409, "{a:?} {b:?}"),
        _ => panic!("expected one retry and one refusal: {a:?} {b:?}"),
    }
    assert_eq!(scalar(&app, open_tasks).await, 1, "exactly one new task");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'request.provisioning_retried'"
        )
        .await,
        1
    );
    let d = l.alice.detail(&app, &number).await;
    assert_eq!(d.summary.status, RequestStatus::Provisioning);
    assert!(!d.actions.retry);
    assert!(
        history(&d).contains("Provisioning retried by Carol Owner"),
        "{d:?}"
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
    l.carol.complete_only_task(&app, TaskOutcome::Done).await;
    assert_eq!(
        l.alice.detail(&app, &number).await.summary.outcome,
        Some(Outcome::Granted)
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
    let (id, _) = l.request_admin(&app).await;
    let refusal = l.admin.call(&app, retry(&id)).await.unwrap_err();
    assert_eq!(refusal.status, 409, "{refusal:?}");
    assert!(
        refusal
            .message
            .contains("only approved requests whose provisioning failed")
    );
    // Denied.
    l.bob
        .ok(
            &app,
            DecideRequest {
                reason: Some("no".into()),
                ..decision(&id, 1, Verdict::Denied)
            },
        )
        .await;
    let refusal = l.admin.call(&app, retry(&id)).await.unwrap_err();
    assert_eq!(refusal.status, 409);
    // Provisioning ("won't do" is a decision, not a failure).
    let (id, _) = l.request_admin(&app).await;
    l.approve_both_steps(&app, &id).await;
    let refusal = l.carol.call(&app, retry(&id)).await.unwrap_err();
    assert_eq!(refusal.status, 409);
    complete_only_task_noting(&app, &l.carol, TaskOutcome::WontDo, "no licence").await;
    let refusal = l.carol.call(&app, retry(&id)).await.unwrap_err();
    assert_eq!(refusal.status, 409);
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
    l.resave_admin_entitlement(&app, |form| {
        form.provisioning = Some("webhook".into());
        form.webhook_url = Some(url);
    })
    .await;

    // Carol is no longer a named provisioner, but she owns the app.
    l.carol.ok(&app, retry(&id)).await;
    let outcome = || async { l.alice.detail(&app, &number).await.summary.outcome };
    for _ in 0..200 {
        if outcome().await == Some(Outcome::Granted) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(outcome().await, Some(Outcome::Granted));
    assert_eq!(*calls.lock().unwrap(), 1, "one webhook call");
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_may_shorten_the_length_but_not_lengthen_it_and_the_grant_uses_it() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    // Alice asks for a day.
    let (id, number) = l.request_admin(&app).await;
    let assigned = l.bob.ok(&app, AssignedToMe {}).await;
    assert_eq!(
        assigned[0].shorter_lengths,
        ["1h", "4h", "8h"],
        "only presets shorter than a day are offered"
    );
    let (_, html) = page(&app, &l.bob, "/requests").await;
    assert!(
        html.contains(r#"name="length""#),
        "Assigned to me offers the field"
    );

    // Lengthening is refused with a clear error, and nothing is recorded.
    let refusal = l
        .bob
        .call(&app, approval_for(&id, 1, "2d"))
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422, "{refusal:?}");
    assert!(
        refusal
            .message
            .contains("may shorten the requested length but not extend it"),
        "{refusal:?}"
    );
    assert_eq!(
        l.alice.detail(&app, &number).await.summary.current_step,
        Some(0)
    );

    // Bob shortens it to 4 hours while approving step 1.
    l.bob.ok(&app, approval_for(&id, 1, "4h")).await;
    let d = l.alice.detail(&app, &number).await;
    assert_eq!(d.summary.length, "4 hours");
    assert_eq!(d.summary.requested_length, "1 day");
    assert!(
        history(&d).contains("Length changed from 1 day to 4 hours by Bob Manager"),
        "{d:?}"
    );
    let (_, html) = page(&app, &l.alice, &format!("/requests/{number}")).await;
    assert!(html.contains("4 hours (asked for 1 day)"));

    // Carol cannot go back up to 8 hours, but may shorten further with a custom length.
    let refusal = l
        .carol
        .call(&app, approval_for(&id, 2, "8h"))
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422);
    l.carol.ok(&app, approval_for(&id, 2, "2h")).await;
    let d = l.alice.detail(&app, &number).await;
    assert!(
        history(&d).contains("Length changed from 4 hours to 2 hours by Carol Owner"),
        "{d:?}"
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
    l.carol.complete_only_task(&app, TaskOutcome::Done).await;
    assert_eq!(
        scalar(&app, "SELECT expires_at - created_at FROM grants").await,
        2 * 3_600_000
    );
    let grants = l.alice.grants(&app).await;
    assert!(
        grants[0].remaining.starts_with("expires in 1 hour"),
        "{grants:?}"
    );
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_length_typed_before_denying_is_ignored_and_the_length_stays_as_requested() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (id, number) = l.request_admin(&app).await;
    l.bob
        .ok(
            &app,
            DecideRequest {
                reason: Some("not on call".into()),
                length: Some("1h".into()),
                ..decision(&id, 1, Verdict::Denied)
            },
        )
        .await;
    let d = l.alice.detail(&app, &number).await;
    assert_eq!(d.summary.outcome, Some(Outcome::Denied));
    assert_eq!(d.summary.length, "1 day");
    // A length that is not a length is refused before anything happens.
    let (id, _) = l.request_admin(&app).await;
    let refusal = l
        .bob
        .call(&app, approval_for(&id, 1, "soon"))
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422, "{refusal:?}");
    assert!(
        refusal.message.contains("not a valid duration"),
        "{refusal:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_provisioner_sees_a_failed_request_only_to_retry_it() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let dave = person(
        &app,
        "dave@example.com",
        "Dave Provisioner",
        app::domain::Role::BasicUser,
    )
    .await;
    l.resave_admin_entitlement(&app, |form| {
        form.provisioners = Some("carol@example.com, dave@example.com".into())
    })
    .await;
    let (id, number) = l.request_admin(&app).await;
    // Not involved while it waits for approval: Dave learns nothing.
    let refusal = dave
        .call(
            &app,
            RequestDetailCall {
                number: number.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 404);
    l.approve_both_steps(&app, &id).await;
    complete_only_task_noting(&app, &dave, TaskOutcome::Errored, "no such account").await;
    let d = dave.detail(&app, &number).await;
    assert!(d.actions.retry);
    let (status, html) = page(&app, &dave, &format!("/requests/{number}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Retry provisioning"));
    dave.ok(&app, retry(&id)).await;
    assert_eq!(
        l.alice.detail(&app, &number).await.summary.status,
        RequestStatus::Provisioning
    );
    dave.only_task(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalating_to_an_auto_approving_emergency_policy_starts_provisioning_at_once() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    l.resave_admin_entitlement(&app, |form| {
        form.emergency_policy = Some("builtin-auto-approval".into())
    })
    .await;
    let (id, number) = l.request_admin(&app).await;
    l.alice.ok(&app, escalation(&id)).await;
    let d = l.alice.detail(&app, &number).await;
    assert!(d.summary.emergency);
    assert_eq!(d.summary.status, RequestStatus::Provisioning);
    // Bob's step is gone from his list; Carol has the provisioning task.
    let assigned = l.bob.ok(&app, AssignedToMe {}).await;
    assert!(assigned.is_empty(), "{assigned:?}");
    l.carol.only_task(&app).await;
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
