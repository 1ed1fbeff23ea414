//! The webhook signing secret (shown once, rotated with overlap, sealed at rest) and the receiver's
//! side of the signature, verified with the recipe in docs/webhooks.md, written here independently
//! of Latch's own signing code.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sqlx::Row;

use app::api::settings::reveal_webhook_secret::RevealWebhookSecret;
use app::api::settings::rotate_webhook_secret::RotateWebhookSecret;
use app::api::settings::webhook_secret_status::GetWebhookSecretStatus;
use app::domain::Role;

use crate::access_fixtures::*;
use crate::access_webhooks::{
    outcome_of, request_reader, save_webhook_entitlement, webhook_entitlement,
};
use crate::helpers::spawn_app;

/// docs/webhooks.md, step by step: split the header, check `t` within 300 s, HMAC-SHA256 over
/// `t + "." + raw body`, constant-time compare with every `v1`.
fn documented_verify(secret: &str, header: &str, raw_body: &[u8]) -> bool {
    let parts: Vec<(&str, &str)> = header
        .split(',')
        .filter_map(|p| p.split_once('='))
        .collect();
    let Some(ts) = parts.iter().find(|(k, _)| k.trim() == "t").map(|(_, v)| *v) else {
        return false;
    };
    let Ok(t) = ts.parse::<i64>() else {
        return false;
    };
    if (time::OffsetDateTime::now_utc().unix_timestamp() - t).abs() > 300 {
        return false;
    }
    parts
        .iter()
        .filter(|(k, _)| k.trim() == "v1")
        .any(|(_, sig)| {
            let Ok(given) = hex::decode(sig) else {
                return false;
            };
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(ts.as_bytes());
            mac.update(b".");
            mac.update(raw_body);
            mac.verify_slice(&given).is_ok()
        })
}

type Verdicts = Arc<Mutex<Vec<bool>>>;

/// A receiver that accepts a call only when its signature verifies with `secret` (else 401).
async fn verifying_receiver(secret: String) -> (String, Verdicts) {
    let verdicts: Verdicts = Arc::default();
    let recorded = verdicts.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let recorded = recorded.clone();
            let secret = secret.clone();
            async move {
                let header = headers
                    .get("latch-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let genuine = documented_verify(&secret, header, &body);
                recorded.lock().unwrap().push(genuine);
                if genuine {
                    StatusCode::OK
                } else {
                    StatusCode::UNAUTHORIZED
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hook",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, verdicts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_verifies_a_real_call_with_the_documented_recipe() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let secret = l.admin.ok(&app, RevealWebhookSecret {}).await;
    assert!(
        secret.starts_with("lwhsec_") && secret.len() > 60,
        "{secret}"
    );
    let (url, verdicts) = verifying_receiver(secret).await;
    let entitlement = webhook_entitlement(&app, &l, &url).await;

    let number = request_reader(&app, &l, &entitlement).await;

    assert_eq!(outcome_of(&app, &l.alice, &number).await, Outcome::Granted);
    assert_eq!(verdicts.lock().unwrap().as_slice(), &[true]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_with_the_wrong_secret_refuses_the_call() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (url, verdicts) = verifying_receiver("lwhsec_not-the-secret".into()).await;
    let entitlement = webhook_entitlement(&app, &l, &url).await;

    request_reader(&app, &l, &entitlement).await;

    for _ in 0..100 {
        if !verdicts.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        verdicts.lock().unwrap().first(),
        Some(&false),
        "the recipe must reject a wrong secret"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_is_shown_once_and_a_rotation_keeps_the_old_one_signing_for_a_day() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let first = l.admin.ok(&app, RevealWebhookSecret {}).await;
    let again = l
        .admin
        .call(&app, RevealWebhookSecret {})
        .await
        .unwrap_err();
    assert_eq!(again.status, 409, "{again:?}");
    assert!(again.message.contains("rotate"), "{again:?}");

    let second = l.admin.ok(&app, RotateWebhookSecret {}).await;
    assert_ne!(first, second);
    let status = l.admin.ok(&app, GetWebhookSecretStatus {}).await;
    assert!(status.previous_valid_until.is_some(), "{status:?}");
    assert!(status.revealed_at.is_some(), "{status:?}");

    // A receiver still holding the old secret keeps accepting calls during the overlap.
    let (url, verdicts) = verifying_receiver(first).await;
    let entitlement = webhook_entitlement(&app, &l, &url).await;
    let number = request_reader(&app, &l, &entitlement).await;
    assert_eq!(outcome_of(&app, &l.alice, &number).await, Outcome::Granted);
    assert_eq!(verdicts.lock().unwrap().as_slice(), &[true]);

    let actions: Vec<String> = sqlx::query(
        "SELECT action FROM audit_events WHERE action LIKE 'settings.webhook_secret%' ORDER BY seq",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<String, _>("action"))
    .collect();
    assert_eq!(
        actions,
        [
            "settings.webhook_secret_revealed",
            "settings.webhook_secret_rotated"
        ]
    );
    let audit_text: Vec<String> =
        sqlx::query("SELECT COALESCE(after_json, '') AS after FROM audit_events")
            .fetch_all(&app.db.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("after"))
            .collect();
    assert!(
        audit_text.iter().all(|a| !a.contains(&second)),
        "the audit log never holds the secret"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_is_sealed_at_rest_and_a_legacy_clear_text_secret_is_sealed_on_first_use() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    // Before sealing existed, the secret sat in `settings` in clear.
    sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('webhook_secret', 'legacy-clear-secret-0123456789', 0)")
        .execute(&app.db.pool)
        .await
        .unwrap();

    let shown = l.admin.ok(&app, RevealWebhookSecret {}).await;

    assert_eq!(
        shown, "legacy-clear-secret-0123456789",
        "receivers configured with it keep working"
    );
    let values: Vec<(String, String)> = sqlx::query("SELECT key, value FROM settings")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<String, _>("key"), r.get::<String, _>("value")))
        .collect();
    assert!(
        values
            .iter()
            .all(|(_, v)| !v.contains("legacy-clear-secret")),
        "{values:?}"
    );
    assert!(
        values.iter().all(|(k, _)| k != "webhook_secret"),
        "the clear-text row is gone"
    );
    let rotated = l.admin.ok(&app, RotateWebhookSecret {}).await;
    let values: String = sqlx::query("SELECT value FROM settings")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("value"))
        .collect();
    assert!(!values.contains(&rotated));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_super_admins_can_see_or_rotate_the_webhook_secret() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let owner = person(&app, "owner2@example.com", "Olga Owner", Role::BasicUser).await;
    for who in [&l.alice, &owner] {
        let status = who.call(&app, GetWebhookSecretStatus {}).await.map(drop);
        let reveal = who.call(&app, RevealWebhookSecret {}).await.map(drop);
        let rotate = who.call(&app, RotateWebhookSecret {}).await.map(drop);
        for (function, answer) in [("status", status), ("reveal", reveal), ("rotate", rotate)] {
            assert_eq!(
                answer.map_err(|refusal| refusal.status),
                Err(403),
                "{function}"
            );
        }
    }
    // Nothing was shown to anyone, so the admin can still see it once.
    l.admin.ok(&app, RevealWebhookSecret {}).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_url_hiding_its_host_behind_user_info_is_refused() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    for url in [
        "http://127.0.0.1:x@other-host/",
        "https://user:pass@example.com/hook",
        "https://169.254.169.254/latest",
    ] {
        let refusal = save_webhook_entitlement(&app, &l, url).await.unwrap_err();
        assert_eq!(refusal.status, 422, "{url}: {refusal:?}");
        assert!(refusal.message.contains("webhook URL"), "{refusal:?}");
    }
    let stored: i64 = sqlx::query("SELECT COUNT(*) AS n FROM entitlements WHERE slug = 'reader'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get("n");
    assert_eq!(stored, 0);
}
