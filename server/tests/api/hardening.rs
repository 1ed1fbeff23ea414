//! The HTTP edge and start-up refuse what they should: a second process with another secret key,
//! pages without a Content-Security-Policy, plain-http downgrades on https, oversized bodies.

use app::domain::Role;
use tokio::net::TcpListener;

use crate::helpers::{TEST_SECRET_KEY, spawn_app, spawn_app_with_settings, test_settings};

/// The audit found processes on one PostgreSQL database with different keys could not open each
/// other's sealed Slack tokens, silently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_with_another_secret_key_refuses_to_start() {
    let app = spawn_app().await;
    let data_dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut settings = test_settings(
        &app.database_url,
        data_dir.path(),
        &listener,
        Default::default(),
    );
    settings.secret_key = Some(secrecy::SecretString::from(
        "a-different-secret-key-a-different-secret-key",
    ));
    let error = match latch_server::Application::build_with_listener(settings, listener).await {
        Ok(_) => panic!("a process with another secret key started on the same database"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("LATCH_SECRET_KEY"), "{error}");
    assert!(error.contains("secret.key"), "{error}");
    assert!(error.contains("different secret key"), "{error}");
    assert!(
        !error.contains(TEST_SECRET_KEY) && !error.contains("a-different-secret-key"),
        "never print a key: {error}"
    );

    // The command line says the same and exits non-zero.
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_latch"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LATCH_DATA_DIR", dir.path())
        .env("LATCH_DATABASE_URL", &app.database_url)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("different secret key"));

    // The same key starts fine.
    let again = crate::helpers::spawn_on_database(&app.database_url).await;
    assert_eq!(again.get("/healthz").await.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_fingerprint_is_not_the_key_nor_its_plain_hash() {
    use sha2::Digest;
    use sqlx::Row;
    let app = spawn_app().await;
    let stored: String =
        sqlx::query("SELECT fingerprint FROM key_fingerprints WHERE purpose = 'secret_key'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .get("fingerprint");
    assert_eq!(stored, app::ssr::secret_key::fingerprint(TEST_SECRET_KEY));
    assert!(!stored.contains(TEST_SECRET_KEY));
    assert_ne!(
        stored,
        hex::encode(sha2::Sha256::digest(TEST_SECRET_KEY.as_bytes()))
    );
}

fn csp(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The nonce the policy allows, if it names one.
fn policy_nonce(policy: &str) -> Option<String> {
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let end = policy[start..].find('\'')? + start;
    Some(policy[start..end].to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_a_content_security_policy_whose_nonce_matches_their_scripts() {
    let app = spawn_app().await;
    app.sign_in_as("ada@example.com", Role::BasicUser).await;
    let mut nonces = Vec::new();
    for path in ["/", "/login", "/no-such-page"] {
        let response = if path == "/login" {
            crate::helpers::client()
                .get(app.url(path))
                .send()
                .await
                .unwrap()
        } else {
            app.get(path).await
        };
        let policy = csp(&response);
        for directive in [
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "'wasm-unsafe-eval'",
        ] {
            assert!(
                policy.contains(directive),
                "{path}: {directive} missing from {policy:?}"
            );
        }
        assert!(
            !policy.contains("'unsafe-inline'") && !policy.contains("'unsafe-eval'"),
            "{path}: {policy}"
        );
        let nonce =
            policy_nonce(&policy).unwrap_or_else(|| panic!("{path}: no nonce in {policy:?}"));
        let html = response.text().await.unwrap();
        // Every inline script carries the nonce (hydration and the serialised data).
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{path}: {html}");
        for tag in html.split("<script").skip(1) {
            let opening = tag.split('>').next().unwrap_or_default();
            assert!(
                opening.contains(&format!("nonce=\"{nonce}\"")),
                "{path}: a script without the nonce: <script{opening}>"
            );
        }
        nonces.push(nonce);
    }
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "a fresh nonce for every response");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_outside_the_pages_carry_a_policy_without_inline_scripts() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    let policy = csp(&response);
    assert!(policy.contains("default-src 'self'"), "{policy:?}");
    assert!(
        policy.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{policy:?}"
    );
    assert!(policy_nonce(&policy).is_none(), "{policy:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_are_told_to_keep_to_https_only_when_latch_is_served_over_https() {
    let plain = spawn_app().await;
    assert!(
        plain
            .get("/healthz")
            .await
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
    let https = spawn_app_with_settings(|settings| {
        settings.public_url = app::ssr::PublicUrl::new("https://latch.example.com");
    })
    .await;
    let response = https.get("/healthz").await;
    let hsts = response
        .headers()
        .get("strict-transport-security")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(hsts.starts_with("max-age="), "{hsts:?}");
    let max_age: u64 = hsts
        .trim_start_matches("max-age=")
        .split(';')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(max_age >= 15_552_000, "at least 180 days: {hsts}");
}

/// A server-function body over the limit was a 500 (an internal error) instead of a 413.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_server_function_body_is_refused_with_413() {
    let app = spawn_app().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let over = 3 * 1024 * 1024;
    // Over raw TCP, so the answer is read whatever happens to the rest of the upload: a client
    // that keeps writing after the server has answered 413 and closed gets a broken pipe instead.
    for (path, content_type) in [
        (
            "/api/settings/set_pending_expiry",
            "application/x-www-form-urlencoded",
        ),
        ("/api/settings/set_pending_expiry", "application/json"),
        ("/api/no_such_function", "application/x-www-form-urlencoded"),
        ("/auth/login", "application/x-www-form-urlencoded"),
    ] {
        // A declared length over the limit is refused before any of the body is read. (A
        // chunked body is cut at the limit by the same layer; its test would race the server's
        // close against the client's upload, so the rule is shown with the declared length.)
        assert_eq!(
            crate::helpers::raw_post_status(&app, path, content_type, over).await,
            413,
            "{path} ({content_type})"
        );
    }
    // A normal-sized call still works.
    let response = app
        .client
        .post(app.url("/api/settings/get_pending_expiry"))
        .header("accept", "application/json")
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_ne!(response.status().as_u16(), 413);
}

/// The policy allows no inline event handlers (`onclick="…"`), so a page that renders one has a
/// control that silently does nothing in the browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_pages_render_no_inline_event_handlers_the_policy_would_block() {
    let app = spawn_app().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    for path in [
        "/",
        "/requests",
        "/apps",
        "/admin/grants",
        "/admin/audit",
        "/admin/policies",
        "/admin/settings",
        "/admin/settings/notifications",
    ] {
        let html = app.get(path).await.text().await.unwrap();
        if path == "/admin/settings/notifications" {
            assert!(
                html.contains("Copy manifest"),
                "the manifest's copy button is rendered: {html}"
            );
        }
        let lower = html.to_ascii_lowercase();
        for handler in [
            " onclick=",
            " onchange=",
            " onsubmit=",
            " oninput=",
            " onload=",
            " onerror=",
            "javascript:",
        ] {
            assert!(!lower.contains(handler), "{path} renders {handler}");
        }
    }
}
