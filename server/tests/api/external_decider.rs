//! External decider policy steps (issue 15) against a small local decider: it checks Latch's
//! signature with the documented webhook scheme and approves low-risk requests with a good
//! justification, abstaining on the rest; other modes deny, stall past the timeout, answer
//! garbage or HTTP 500, or refuse connections. Approve/deny decide the step as the decider; every
//! other outcome passes it to the fallback humans, never approving; retries are bounded; a call
//! queued before a crash is made by the next holder of the job.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

use app::api::settings::reveal_webhook_secret::RevealWebhookSecret;
use app::shapes::RequestDetail;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Approve low risk with a justification of 20+ characters naming a ticket; else abstain.
    Smart,
    Deny,
    /// Answers after 3 s (the steps here wait 1 s).
    Slow,
    Garbage,
    Http500,
}

/// What the decider received: the body and whether its signature verified.
#[derive(Default)]
struct Seen {
    bodies: Vec<Value>,
    raw: Vec<String>,
    signed: Vec<bool>,
}

struct TestDecider {
    url: String,
    seen: Arc<Mutex<Seen>>,
}

/// The local decider; `secret` is the webhook signing secret it verifies with.
async fn decider(mode: Mode, secret: String) -> TestDecider {
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let recorded = seen.clone();
    let router = axum::Router::new().route(
        "/decide",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let recorded = recorded.clone();
            let secret = secret.clone();
            async move {
                let header = headers
                    .get("latch-signature")
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default();
                let signed = app::domain::webhook::verify(
                    secret.as_bytes(),
                    header,
                    body.as_bytes(),
                    app::ssr::access::now(),
                    300,
                )
                .is_ok();
                let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                {
                    let mut seen = recorded.lock().unwrap();
                    seen.bodies.push(value.clone());
                    seen.raw.push(body.clone());
                    seen.signed.push(signed);
                }
                if !signed {
                    return (StatusCode::UNAUTHORIZED, String::new());
                }
                let answer = |d: &str, r: &str| json!({"decision": d, "reason": r}).to_string();
                match mode {
                    Mode::Smart => {
                        let risk = value["entitlement"]["risk"].as_str().unwrap_or_default();
                        let why = value["request"]["justification"]
                            .as_str()
                            .unwrap_or_default();
                        if risk == "low" && why.len() >= 20 && why.contains("INC-") {
                            (
                                StatusCode::OK,
                                answer("approve", "low risk, ticketed justification"),
                            )
                        } else {
                            (
                                StatusCode::OK,
                                answer("abstain", &format!("{risk} risk needs a person")),
                            )
                        }
                    }
                    Mode::Deny => (StatusCode::OK, answer("deny", "outside the on-call rota")),
                    Mode::Slow => {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        (StatusCode::OK, answer("approve", "too late to count"))
                    }
                    Mode::Garbage => (StatusCode::OK, "<html>sure, why not</html>".into()),
                    Mode::Http500 => (StatusCode::INTERNAL_SERVER_ERROR, "boom".into()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/decide",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    TestDecider { url, seen }
}

/// A URL nothing listens on.
async fn refused_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/decide")
}

async fn app_id(app: &TestApp) -> String {
    sqlx::query("SELECT id FROM apps")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap()
}

/// Saves a policy "risk-bot at `url`, fallback Carol; then Alice's manager" and an entitlement
/// `slug` of the loop's app with `risk` using it; returns the entitlement's id.
async fn decided_entitlement(app: &TestApp, l: &Loop, slug: &str, risk: &str, url: &str) -> String {
    let policy_json = json!({
        "name": format!("Risk bot for {slug}"),
        "steps": [
            {"kind": "external_decider", "decider_name": "risk-bot", "decider_url": url,
             "decider_timeout_secs": 1, "users": "carol@example.com"},
            {"kind": "approval", "manager": true},
        ],
    })
    .to_string();
    let policy = l
        .admin
        .ok(
            app,
            SavePolicy {
                id: None,
                policy_json,
                version: None,
            },
        )
        .await;
    let app_id = app_id(app).await;
    l.admin
        .ok(
            app,
            SaveEntitlement {
                slug: Some(slug.into()),
                risk: Some(risk.into()),
                max_duration: Some("7d".into()),
                request_policy: Some(policy),
                provisioning: Some("manual".into()),
                provisioners: Some("carol@example.com".into()),
                ..entitlement_form(&app_id, &format!("Reader {slug}"))
            },
        )
        .await
}

async fn ask(app: &TestApp, l: &Loop, entitlement: &str, why: &str) -> String {
    l.alice
        .request(
            app,
            CreateRequest {
                duration: Some("4h".into()),
                ..new_request(entitlement, why)
            },
        )
        .await
}

/// Waits until the request's history has a line containing `needle`; returns that history.
async fn wait_history(app: &TestApp, who: &Person, number: &str, needle: &str) -> RequestDetail {
    for _ in 0..200 {
        let detail = who.detail(app, number).await;
        if detail.history.iter().any(|h| h.detail.contains(needle)) {
            return detail;
        }
        // Retries wait a few seconds: bring them forward, as time passing would.
        sqlx::query(
            "UPDATE decider_calls SET due_at = 0 WHERE due_at > 0 AND last_error IS NOT NULL",
        )
        .execute(&app.db.pool)
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let detail = who.detail(app, number).await;
    panic!("{number} never showed {needle:?}: {:#?}", detail.history);
}

async fn audit_actions(app: &TestApp, number: &str) -> Vec<(String, Option<String>, String)> {
    sqlx::query("SELECT action, rule, after_json FROM audit_events WHERE target = $1 ORDER BY seq")
        .bind(format!("request:{number}"))
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.try_get("action").unwrap(),
                r.try_get("rule").unwrap(),
                r.try_get::<Option<String>, _>("after_json")
                    .unwrap()
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn never_approved_by_the_decider(detail: &RequestDetail) {
    assert!(
        !detail
            .history
            .iter()
            .any(|h| h.detail.contains("approved by External decider")),
        "{:#?}",
        detail.history
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_risk_request_with_a_good_justification_is_approved_by_the_decider_and_goes_on_to_the_next_step()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let secret = l.admin.ok(&app, RevealWebhookSecret {}).await;
    let d = decider(Mode::Smart, secret.clone()).await;
    let low = decided_entitlement(&app, &l, "low", "low", &d.url).await;
    // Another entitlement of the app provisioned by webhook: its URL must not reach the decider.
    let hook = "https://hooks.example.com/provision-secret-path";
    let app_id = app_id(&app).await;
    l.admin
        .ok(
            &app,
            SaveEntitlement {
                slug: Some("hooked".into()),
                max_duration: Some("7d".into()),
                request_policy: Some("builtin-auto-approval".into()),
                provisioning: Some("webhook".into()),
                webhook_url: Some(hook.into()),
                ..entitlement_form(&app_id, "Hooked")
            },
        )
        .await;
    let number = ask(&app, &l, &low, "Investigating INC-42 on the replica").await;
    let detail = wait_history(&app, &l.alice, &number, "approved by External decider").await;
    let line = detail
        .history
        .iter()
        .find(|h| h.detail.contains("approved by External decider"))
        .unwrap();
    assert_eq!(
        line.detail,
        "Step 1 approved by External decider (risk-bot): low risk, ticketed justification"
    );
    assert_eq!(line.actor, "Latch");
    // The policy went on: step 2 waits for Alice's manager.
    assert_eq!(detail.summary.status, RequestStatus::PendingApproval);
    assert_eq!(detail.assignees, vec!["Bob Manager".to_string()]);
    l.bob.approve(&app, &detail.summary.id, 2).await;
    assert_eq!(
        l.alice.detail(&app, &number).await.summary.status,
        RequestStatus::Provisioning
    );
    // The audit log: the decision with the rule and reason, and the call.
    let audit = audit_actions(&app, &number).await;
    let step = audit
        .iter()
        .find(|(a, ..)| a == "request.step_approved")
        .unwrap();
    assert_eq!(step.1.as_deref(), Some("external_decider"));
    assert!(step.2.contains("risk-bot") && step.2.contains("low risk, ticketed justification"));
    assert!(audit.iter().any(|(a, ..)| a == "decider.called"));
    // Granted; a second request shows the decider the first one and the grant.
    l.carol.complete_only_task(&app, TaskOutcome::Done).await;
    let other = decided_entitlement(&app, &l, "other", "low", &d.url).await;
    let second = ask(&app, &l, &other, "Investigating INC-43 on the replica").await;
    wait_history(&app, &l.alice, &second, "approved by External decider").await;
    let seen = d.seen.lock().unwrap();
    let later = &seen.bodies[1];
    assert_eq!(later["recent_requests"][0]["number"], json!(number));
    assert_eq!(
        later["recent_requests"][0]["entitlement"],
        json!("Reader low")
    );
    assert_eq!(later["recent_requests"][0]["outcome"], json!("granted"));
    assert_eq!(
        later["active_grants"][0]["entitlement"],
        json!("Reader low")
    );
    // What the decider saw: signed, the context it needs, no secret, no webhook URL.
    assert_eq!(seen.signed, vec![true, true]);
    let body = &seen.bodies[0];
    assert_eq!(body["request"]["number"], json!(number));
    assert_eq!(body["entitlement"]["risk"], json!("low"));
    assert_eq!(body["entitlement"]["max_length"], json!("1 week"));
    assert_eq!(body["subject"]["email"], json!("alice@example.com"));
    assert_eq!(body["subject"]["department"], json!("Engineering"));
    assert_eq!(body["subject"]["title"], json!("SRE"));
    assert_eq!(
        body["subject"]["managers"][0]["email"],
        json!("bob@example.com")
    );
    assert_eq!(body["requester"]["email"], json!("alice@example.com"));
    assert_eq!(body["recent_requests"], json!([]));
    assert_eq!(body["active_grants"], json!([]));
    for raw in &seen.raw {
        assert!(!raw.contains(&secret), "the signing secret leaked");
        assert!(!raw.contains("hooks.example.com"), "a webhook URL leaked");
        assert!(
            !raw.contains("/decide"),
            "the decider's own URL is not its business"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deny_closes_the_request_with_the_deciders_reason_in_history_and_audit() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let secret = l.admin.ok(&app, RevealWebhookSecret {}).await;
    let d = decider(Mode::Deny, secret).await;
    let ent = decided_entitlement(&app, &l, "denied", "low", &d.url).await;
    let number = ask(&app, &l, &ent, "Investigating INC-42 on the replica").await;
    let detail = wait_history(&app, &l.alice, &number, "denied by External decider").await;
    assert!(
        detail.history.iter().any(|h| h.detail
            == "Step 1 denied by External decider (risk-bot): outside the on-call rota")
    );
    assert_eq!(detail.summary.outcome, Some(Outcome::Denied));
    assert_eq!(detail.note.as_deref(), Some("outside the on-call rota"));
    let audit = audit_actions(&app, &number).await;
    let denied = audit
        .iter()
        .find(|(a, ..)| a == "request.step_denied")
        .unwrap();
    assert_eq!(denied.1.as_deref(), Some("external_decider"));
    assert!(denied.2.contains("outside the on-call rota"));
    assert!(audit.iter().any(|(a, ..)| a == "request.denied"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abstention_passes_the_step_to_the_fallback_humans_with_the_reason_and_never_approves() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let secret = l.admin.ok(&app, RevealWebhookSecret {}).await;
    let d = decider(Mode::Smart, secret).await;
    let high = decided_entitlement(&app, &l, "high", "high", &d.url).await;
    let low = decided_entitlement(&app, &l, "low", "low", &d.url).await;
    // High risk, and low risk with a poor justification: both abstained on.
    for (ent, why) in [
        (&high, "Investigating INC-42 on the replica"),
        (&low, "need it"),
    ] {
        let number = ask(&app, &l, ent, why).await;
        let detail = wait_history(&app, &l.admin, &number, "passed to people").await;
        let line = detail
            .history
            .iter()
            .find(|h| h.detail.contains("passed to people"))
            .unwrap();
        assert!(
            line.detail.starts_with(
                "Step 1 passed to people by External decider (risk-bot): the decider abstained: "
            ),
            "{}",
            line.detail
        );
        never_approved_by_the_decider(&detail);
        assert_eq!(detail.summary.status, RequestStatus::PendingApproval);
        assert_eq!(detail.assignees, vec!["Carol Owner".to_string()]);
        assert!(
            l.carol.detail(&app, &number).await.actions.decide,
            "the fallback human decides"
        );
        // Carol decides step 1 as a person; the manager's step follows.
        l.carol.approve(&app, &detail.summary.id, 1).await;
        assert_eq!(
            l.alice.detail(&app, &number).await.assignees,
            vec!["Bob Manager".to_string()]
        );
    }
    assert_eq!(
        d.seen.lock().unwrap().bodies.len(),
        2,
        "no retry after an answer"
    );
}

/// Waits for the request to be passed to people; returns the history line.
async fn passed(app: &TestApp, l: &Loop, number: &str) -> (RequestDetail, String) {
    let detail = wait_history(app, &l.admin, number, "passed to people").await;
    let line = detail
        .history
        .iter()
        .find(|h| h.detail.contains("passed to people"))
        .unwrap()
        .detail
        .clone();
    never_approved_by_the_decider(&detail);
    assert_eq!(detail.assignees, vec!["Carol Owner".to_string()]);
    (detail, line)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_decider_is_asked_three_times_then_the_step_passes_to_the_fallback_humans() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let secret = l.admin.ok(&app, RevealWebhookSecret {}).await;
    let d = decider(Mode::Slow, secret).await;
    let ent = decided_entitlement(&app, &l, "slow", "low", &d.url).await;
    let number = ask(&app, &l, &ent, "Investigating INC-42 on the replica").await;
    let (_, line) = passed(&app, &l, &number).await;
    assert_eq!(
        line,
        "Step 1 passed to people by External decider (risk-bot): the decider did not answer in 1 s (after 3 attempts)"
    );
    assert_eq!(d.seen.lock().unwrap().bodies.len(), 3);
    let audit = audit_actions(&app, &number).await;
    assert_eq!(
        audit.iter().filter(|(a, ..)| a == "decider.failed").count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_passes_at_once_while_http_500_and_a_refused_connection_are_retried_three_times() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let secret = l.admin.ok(&app, RevealWebhookSecret {}).await;
    let garbage = decider(Mode::Garbage, secret.clone()).await;
    let failing = decider(Mode::Http500, secret).await;
    let g = decided_entitlement(&app, &l, "garbage", "low", &garbage.url).await;
    let f = decided_entitlement(&app, &l, "failing", "low", &failing.url).await;
    let r = decided_entitlement(&app, &l, "refused", "low", &refused_url().await).await;
    let why = "Investigating INC-42 on the replica";
    let (gn, fnum, rn) = (
        ask(&app, &l, &g, why).await,
        ask(&app, &l, &f, why).await,
        ask(&app, &l, &r, why).await,
    );
    let (_, line) = passed(&app, &l, &gn).await;
    assert_eq!(
        line,
        "Step 1 passed to people by External decider (risk-bot): the decider's answer could not be read (the answer is not the expected JSON)"
    );
    assert_eq!(garbage.seen.lock().unwrap().bodies.len(), 1);
    let (_, line) = passed(&app, &l, &fnum).await;
    assert!(
        line.ends_with("the decider answered HTTP 500 (after 3 attempts)"),
        "{line}"
    );
    assert_eq!(failing.seen.lock().unwrap().bodies.len(), 3);
    let (_, line) = passed(&app, &l, &rn).await;
    assert!(
        line.ends_with("the decider could not be reached (connection failed) (after 3 attempts)"),
        "{line}"
    );
    let calls: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM decider_calls")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(calls, 0, "every call is settled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_queued_when_the_job_was_not_running_is_made_by_the_next_holder_and_nobody_decides_meanwhile()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let secret = l.admin.ok(&app, RevealWebhookSecret {}).await;
    let d = decider(Mode::Smart, secret).await;
    let ent = decided_entitlement(&app, &l, "crash", "low", &d.url).await;
    // A process that died holding the job's lease: nobody makes calls until it lapses.
    sqlx::query(
        "INSERT INTO leases (name, holder, expires_at) VALUES ('external-deciders', 'dead-process', $1) \
         ON CONFLICT (name) DO UPDATE SET holder = 'dead-process', expires_at = $1",
    )
    .bind(i64::MAX / 2)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let number = ask(&app, &l, &ent, "Investigating INC-42 on the replica").await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(d.seen.lock().unwrap().bodies.is_empty());
    let waiting = l.admin.detail(&app, &number).await;
    assert_eq!(waiting.summary.status, RequestStatus::PendingApproval);
    // Nobody is assigned yet: the page says it waits for the decider.
    assert_eq!(
        waiting.assignees,
        vec!["External decider (risk-bot)".to_string()]
    );
    let assigned: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM request_assignees")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(assigned, 0);
    assert!(
        !waiting.actions.decide,
        "nobody decides a step waiting for its decider"
    );
    let refusal = l
        .admin
        .call(
            &app,
            DecideRequest {
                id: waiting.summary.id.clone(),
                step: 1,
                verdict: "approved".into(),
                reason: None,
                length: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        refusal.message.contains("waiting for its external decider"),
        "{refusal:?}"
    );
    // The lease lapses: the running process takes the job over and makes the queued call.
    sqlx::query("UPDATE leases SET expires_at = 0 WHERE name = 'external-deciders'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    wait_history(&app, &l.alice, &number, "approved by External decider").await;
    assert_eq!(d.seen.lock().unwrap().bodies.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_editor_refuses_an_unsafe_or_unbacked_decider_and_shows_a_saved_one_back() {
    use app::api::policies::policy_overview::PolicyOverview as PolicyOverviewCall;
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let save = |steps: Value| SavePolicy {
        id: None,
        policy_json: json!({"name": "Risk bot", "steps": steps}).to_string(),
        version: None,
    };
    let refusal = l
        .admin
        .call(
            &app,
            save(
                json!([{"kind": "external_decider", "decider_name": "risk-bot",
                "decider_url": "http://decider.example.com/latch", "decider_timeout_secs": 0}]),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422, "{refusal:?}");
    for needle in [
        "Step 1, decider URL: ",
        "Step 1, timeout: the timeout must be between 1 and 30 seconds",
        "Step 1, approvers: the decider needs people to fall back to",
    ] {
        assert!(refusal.message.contains(needle), "{needle}: {refusal:?}");
    }
    l.admin
        .ok(
            &app,
            save(json!([
                {"kind": "external_decider", "decider_name": "risk-bot",
                 "decider_url": "https://decider.example.com/latch", "decider_timeout_secs": 7,
                 "groups": [], "users": "carol@example.com", "require_denial_reason": true},
            ])),
        )
        .await;
    let overview = l.admin.ok(&app, PolicyOverviewCall {}).await;
    let row = overview
        .policies
        .iter()
        .find(|p| p.name == "Risk bot")
        .unwrap();
    assert_eq!(
        row.summary,
        "1. External decider (risk-bot) (timeout 7 s); if it does not decide: Approval by \
         carol@example.com (reason required to deny)"
    );
    let step = &row.input.steps[0];
    assert_eq!(step.kind, "external_decider");
    assert_eq!(step.decider_name, "risk-bot");
    assert_eq!(step.decider_url, "https://decider.example.com/latch");
    assert_eq!(step.decider_timeout_secs, 7);
    assert_eq!(step.users, "carol@example.com");
    assert!(step.require_denial_reason);
}
