//! Requests nobody decides close as "expired while pending" after the tenant's limit.

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};
use app::api::approvals::assigned_to_me::AssignedToMe;
use app::api::settings::get_pending_expiry::GetPendingExpiry;
use app::api::settings::set_pending_expiry::SetPendingExpiry;
use app::domain::PendingExpiry;
use app::domain::Role;
use app::ssr::flows::sweeps::expire_pending_requests;

const DAY_MS: i64 = 86_400_000;

/// The limit as the settings form posts it: a number of days, or empty for none.
fn limit(days: &str) -> SetPendingExpiry {
    SetPendingExpiry { days: days.into() }
}

/// Moves a request's creation `days` days into the past (the column the sweep reads).
async fn created_days_ago(app: &TestApp, id: &str, days: i64) {
    let at = app::ssr::clock::now_ms() - days * DAY_MS - 1_000;
    sqlx::query("UPDATE requests SET created_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_undecided_past_the_limit_closes_as_expired_and_the_requester_is_told() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    l.admin.ok(&app, limit("3")).await;
    let (id, number) = l.request_admin(&app).await;
    created_days_ago(&app, &id, 4).await;

    assert_eq!(expire_pending_requests(&app.db, 100).await.unwrap(), 1);

    let detail = l.alice.detail(&app, &number).await;
    assert_eq!(detail.summary.status, RequestStatus::Closed);
    assert_eq!(detail.summary.outcome, Some(Outcome::Expired));
    assert!(
        detail
            .history
            .iter()
            .any(|line| line.detail.contains("no decision within 3 days")),
        "the history says why: {detail:?}"
    );
    // Bob, who was asked to approve, can't any more; his queue is empty.
    let assigned = l.bob.ok(&app, AssignedToMe {}).await;
    assert_eq!(assigned.len(), 0);
    let refusal = l
        .bob
        .decide(&app, &id, 1, Verdict::Approved)
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 409, "{refusal:?}");
    // Alice hears about it, through the outbox, and the audit log has it.
    let told = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'request_closed' AND recipient_id = {}",
            l.alice.user.id
        ),
    )
    .await;
    assert_eq!(told, 1);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM audit_events WHERE action = 'request.expired' AND actor = 'system'").await,
        1
    );
    chain_is_intact(&app).await;
    // A second sweep finds nothing to do.
    assert_eq!(expire_pending_requests(&app.db, 100).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_within_the_limit_stays_open() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    l.admin.ok(&app, limit("3")).await;
    let (id, number) = l.request_admin(&app).await;
    created_days_ago(&app, &id, 2).await;

    assert_eq!(expire_pending_requests(&app.db, 100).await.unwrap(), 0);
    let detail = l.alice.detail(&app, &number).await;
    assert_eq!(detail.summary.status, RequestStatus::PendingApproval);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_limit_is_two_weeks() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let rule = l.admin.ok(&app, GetPendingExpiry {}).await;
    assert_eq!(rule, PendingExpiry::AfterDays { days: 14 });
    let (first, _) = l.request_admin(&app).await;
    created_days_ago(&app, &first, 13).await;
    assert_eq!(expire_pending_requests(&app.db, 100).await.unwrap(), 0);
    created_days_ago(&app, &first, 14).await;
    assert_eq!(expire_pending_requests(&app.db, 100).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_limit_requests_wait_until_decided() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let rule = l.admin.ok(&app, limit("")).await;
    assert_eq!(rule, PendingExpiry::Never);
    let (id, number) = l.request_admin(&app).await;
    created_days_ago(&app, &id, 400).await;
    assert_eq!(expire_pending_requests(&app.db, 100).await.unwrap(), 0);
    let detail = l.alice.detail(&app, &number).await;
    assert_eq!(detail.summary.status, RequestStatus::PendingApproval);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_limit_is_refused_with_a_reason_and_changes_nothing() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    l.admin.ok(&app, limit("5")).await;
    for bad in ["0", "366", "two weeks", "1.5"] {
        let refusal = l.admin.call(&app, limit(bad)).await.unwrap_err();
        assert_eq!(refusal.status, 422, "{bad}: {refusal:?}");
        assert!(refusal.message.contains("days"), "{bad}: {refusal:?}");
    }
    let rule = l.admin.ok(&app, GetPendingExpiry {}).await;
    assert_eq!(rule, PendingExpiry::AfterDays { days: 5 });
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM audit_events WHERE action = 'settings.pending_request_expiry_changed'").await,
        1,
        "only the accepted change is audited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_super_admins_see_or_change_the_limit() {
    let app = spawn_app().await;
    let admin = person(&app, "admin@example.com", "Ada Admin", Role::SuperAdmin).await;
    let user = person(&app, "user@example.com", "Una User", Role::BasicUser).await;
    let refusal = user.call(&app, limit("1")).await.unwrap_err();
    assert_eq!(refusal.status, 403);
    let refusal = user.call(&app, GetPendingExpiry {}).await.unwrap_err();
    assert_eq!(refusal.status, 403);
    let rule = admin.ok(&app, GetPendingExpiry {}).await;
    assert_eq!(rule, PendingExpiry::AfterDays { days: 14 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_made_before_the_sweep_stands() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    l.admin.ok(&app, limit("1")).await;
    let (id, number) = l.request_admin(&app).await;
    created_days_ago(&app, &id, 2).await;
    // Bob denies just before the sweep runs: the request is closed as denied, not expired.
    l.bob
        .ok(
            &app,
            DecideRequest {
                reason: Some("not needed".into()),
                ..decision(&id, 1, Verdict::Denied)
            },
        )
        .await;
    assert_eq!(expire_pending_requests(&app.db, 100).await.unwrap(), 0);
    let detail = l.alice.detail(&app, &number).await;
    assert_eq!(detail.summary.outcome, Some(Outcome::Denied));
}
