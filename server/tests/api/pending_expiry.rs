//! Requests nobody decides close as "expired while pending" after the tenant's limit.

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};
use app::session::Role;
use app::ssr::access::pending_expiry::expire_stale;

const DAY_MS: i64 = 86_400_000;

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
    ok(
        &app,
        &l.admin,
        "settings/set_pending_expiry",
        &[("days", "3")],
    )
    .await;
    let (id, number) = request_admin(&app, &l).await;
    created_days_ago(&app, &id, 4).await;

    assert_eq!(expire_stale(&app.db, 100).await.unwrap(), 1);

    let detail = ok(&app, &l.alice, "requests/detail", &[("number", &number)]).await;
    assert_eq!(detail["summary"]["status"], "closed");
    assert_eq!(detail["summary"]["outcome"], "expired");
    assert!(
        detail.to_string().contains("no decision within 3 days"),
        "the history says why: {detail}"
    );
    // Bob, who was asked to approve, can't any more; his queue is empty.
    let assigned = ok(&app, &l.bob, "approvals/assigned", &[]).await;
    assert_eq!(assigned.as_array().unwrap().len(), 0);
    let (status, body) = call(
        &app,
        &l.bob,
        "approvals/decide",
        &[("id", &id), ("step", "1"), ("verdict", "approved")],
    )
    .await;
    assert_eq!(status, 409, "{body}");
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
    assert_eq!(expire_stale(&app.db, 100).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_within_the_limit_stays_open() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    ok(
        &app,
        &l.admin,
        "settings/set_pending_expiry",
        &[("days", "3")],
    )
    .await;
    let (id, number) = request_admin(&app, &l).await;
    created_days_ago(&app, &id, 2).await;

    assert_eq!(expire_stale(&app.db, 100).await.unwrap(), 0);
    let detail = ok(&app, &l.alice, "requests/detail", &[("number", &number)]).await;
    assert_eq!(detail["summary"]["status"], "pending_approval");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_limit_is_two_weeks() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let rule = ok(&app, &l.admin, "settings/get_pending_expiry", &[]).await;
    assert_eq!(rule["days"], 14, "{rule}");
    let (first, _) = request_admin(&app, &l).await;
    created_days_ago(&app, &first, 13).await;
    assert_eq!(expire_stale(&app.db, 100).await.unwrap(), 0);
    created_days_ago(&app, &first, 14).await;
    assert_eq!(expire_stale(&app.db, 100).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_limit_requests_wait_until_decided() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let rule = ok(
        &app,
        &l.admin,
        "settings/set_pending_expiry",
        &[("days", "")],
    )
    .await;
    assert_eq!(rule["kind"], "never");
    let (id, number) = request_admin(&app, &l).await;
    created_days_ago(&app, &id, 400).await;
    assert_eq!(expire_stale(&app.db, 100).await.unwrap(), 0);
    let detail = ok(&app, &l.alice, "requests/detail", &[("number", &number)]).await;
    assert_eq!(detail["summary"]["status"], "pending_approval");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_limit_is_refused_with_a_reason_and_changes_nothing() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    ok(
        &app,
        &l.admin,
        "settings/set_pending_expiry",
        &[("days", "5")],
    )
    .await;
    for bad in ["0", "366", "two weeks", "1.5"] {
        let (status, body) = call(
            &app,
            &l.admin,
            "settings/set_pending_expiry",
            &[("days", bad)],
        )
        .await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(text(&body).contains("days"), "{bad}: {body}");
    }
    let rule = ok(&app, &l.admin, "settings/get_pending_expiry", &[]).await;
    assert_eq!(rule["days"], 5);
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
    let user = person(&app, "user@example.com", "Una User", Role::User).await;
    let (status, _) = call(&app, &user, "settings/set_pending_expiry", &[("days", "1")]).await;
    assert_eq!(status, 403);
    let (status, _) = call(&app, &user, "settings/get_pending_expiry", &[]).await;
    assert_eq!(status, 403);
    let rule = ok(&app, &admin, "settings/get_pending_expiry", &[]).await;
    assert_eq!(rule["days"], 14);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_made_before_the_sweep_stands() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    ok(
        &app,
        &l.admin,
        "settings/set_pending_expiry",
        &[("days", "1")],
    )
    .await;
    let (id, number) = request_admin(&app, &l).await;
    created_days_ago(&app, &id, 2).await;
    // Bob denies just before the sweep runs: the request is closed as denied, not expired.
    ok(
        &app,
        &l.bob,
        "approvals/decide",
        &[
            ("id", &id),
            ("step", "1"),
            ("verdict", "denied"),
            ("reason", "not needed"),
        ],
    )
    .await;
    assert_eq!(expire_stale(&app.db, 100).await.unwrap(), 0);
    let detail = ok(&app, &l.alice, "requests/detail", &[("number", &number)]).await;
    assert_eq!(detail["summary"]["outcome"], "denied");
}
