//! Webhook provisioning: signed calls, success decided by the response, retries with backoff and
//! the fall-back to a manual task for the app owners.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use sqlx::Row;

use app::api::settings::reveal_webhook_secret::RevealWebhookSecret;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};

pub(crate) type Calls = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver that records every call and answers `status`.
pub(crate) async fn receiver(status: u16) -> (String, Calls) {
    let calls: Calls = Arc::default();
    let recorded = calls.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let recorded = recorded.clone();
            async move {
                recorded.lock().unwrap().push((headers, body));
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hook",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, calls)
}

/// Saves an auto-approved entitlement "reader" of the loop's app, provisioned by webhook to
/// `url`: its id, or what refused it.
pub(crate) async fn save_webhook_entitlement(
    app: &TestApp,
    l: &Loop,
    url: &str,
) -> Result<String, Refusal> {
    let app_id: String = sqlx::query("SELECT id FROM apps")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    l.admin
        .call(
            app,
            SaveEntitlement {
                slug: Some("reader".into()),
                max_duration: Some("7d".into()),
                request_policy: Some("builtin-auto-approval".into()),
                provisioning: Some("webhook".into()),
                webhook_url: Some(url.into()),
                ..entitlement_form(&app_id, "Reader")
            },
        )
        .await
}

/// An auto-approved entitlement of the loop's app, provisioned by webhook to `url`.
pub(crate) async fn webhook_entitlement(app: &TestApp, l: &Loop, url: &str) -> String {
    save_webhook_entitlement(app, l, url)
        .await
        .unwrap_or_else(|refusal| panic!("saving the webhook entitlement failed: {refusal:?}"))
}

/// Alice asks for `entitlement_id` for four hours; returns the request's number.
pub(crate) async fn request_reader(app: &TestApp, l: &Loop, entitlement_id: &str) -> String {
    l.alice
        .request(
            app,
            CreateRequest {
                duration: Some("4h".into()),
                ..new_request(entitlement_id, "read-only look")
            },
        )
        .await
}

async fn wait_calls(calls: &Calls, n: usize) {
    for _ in 0..100 {
        if calls.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "expected {n} webhook calls, got {}",
        calls.lock().unwrap().len()
    );
}

/// Waits until the webhook task is waiting for attempt `n`.
async fn wait_attempt(app: &TestApp, n: usize) {
    let needle = format!("\"attempt\":{n},");
    for _ in 0..100 {
        let body: String = sqlx::query("SELECT body FROM provisioning_tasks")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .try_get("body")
            .unwrap();
        if body.contains(&needle) && body.contains("webhook_pending") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the task never reached attempt {n}");
}

/// The outcome of request `number` once it has one.
pub(crate) async fn outcome_of(app: &TestApp, who: &Person, number: &str) -> Outcome {
    for _ in 0..100 {
        if let Some(outcome) = who.detail(app, number).await.summary.outcome {
            return outcome;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{number} never closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_answering_2xx_grants_the_access_and_the_call_is_signed() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (url, calls) = receiver(200).await;
    let ent = webhook_entitlement(&app, &l, &url).await;
    let number = request_reader(&app, &l, &ent).await;

    assert_eq!(outcome_of(&app, &l.alice, &number).await, Outcome::Granted);
    let (headers, body) = calls.lock().unwrap()[0].clone();
    let secret = l.admin.ok(&app, RevealWebhookSecret {}).await;
    let header = headers.get("latch-signature").unwrap().to_str().unwrap();
    app::domain::webhook::verify(
        secret.as_bytes(),
        header,
        body.as_bytes(),
        app::ssr::access::now(),
        300,
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["action"], "provision");
    assert_eq!(json["subject"]["email"], "alice@example.com");
    assert_eq!(json["entitlement"]["slug"], "reader");
    let grants = l.alice.grants(&app).await;
    assert_eq!(grants[0].status, GrantStatus::Active);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_webhook_is_retried_with_backoff_then_falls_back_to_a_manual_task_for_the_app_owners()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (url, calls) = receiver(500).await;
    let ent = webhook_entitlement(&app, &l, &url).await;
    let number = request_reader(&app, &l, &ent).await;

    wait_calls(&calls, 1).await;
    // The next attempt waits for the backoff (30 s first).
    let due: i64 = loop {
        let row = sqlx::query("SELECT due_at, body FROM provisioning_tasks")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        let body: String = row.try_get("body").unwrap();
        if body.contains("\"attempt\":2") {
            break row.try_get("due_at").unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let wait = due - app::ssr::clock::now_ms();
    assert!(
        (25_000..=31_000).contains(&wait),
        "first retry after ~30 s, not {wait} ms"
    );

    // Make every retry due at once instead of waiting 1¾ hours.
    for n in 2..=app::domain::webhook::MAX_ATTEMPTS as usize {
        // Only once the previous failure is recorded (else its new due time would win).
        wait_attempt(&app, n).await;
        sqlx::query(
            "UPDATE provisioning_tasks SET due_at = 0 WHERE open = 1 AND due_at IS NOT NULL",
        )
        .execute(&app.db.pool)
        .await
        .unwrap();
        wait_calls(&calls, n).await;
    }
    let task = loop {
        if let Some(t) = l.carol.tasks(&app).await.first() {
            break t.id.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        calls.lock().unwrap().len(),
        app::domain::webhook::MAX_ATTEMPTS as usize
    );
    l.carol
        .ok(
            &app,
            completion(&task, TaskOutcome::Done, Some("added by hand")),
        )
        .await;
    assert_eq!(outcome_of(&app, &l.alice, &number).await, Outcome::Granted);
    let gave_up = sqlx::query(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'provisioning.webhook_gave_up'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
    .try_get::<i64, _>(0)
    .unwrap();
    assert_eq!(gave_up, 1);
}
