use app::domain::Role;

use crate::helpers::{PASSWORD, client, location, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_visitors_are_sent_to_login_and_back_afterwards() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;

    let response = app.get("/requests?filter=open").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        location(&response),
        "/login?next=%2Frequests%3Ffilter%3Dopen"
    );

    let response = app
        .post_login(
            &app.client,
            "ada@example.com",
            PASSWORD,
            "/requests?filter=open",
        )
        .await;
    assert_eq!(location(&response), "/requests?filter=open");
    let page = app.get("/requests?filter=open").await;
    assert_eq!(page.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_page_renders_a_form_that_works_without_javascript() {
    let app = spawn_app().await;
    let response = app.get("/login?next=%2Fapps").await;
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"<form method="post" action="/auth/login""#),
        "{html}"
    );
    assert!(html.contains(r#"name="next" value="/apps""#), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_and_unknown_emails_get_the_same_generic_message() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;

    let wrong = app
        .post_login(&app.client, "ada@example.com", "not the password", "/")
        .await;
    let unknown = app
        .post_login(&app.client, "nobody@example.com", "not the password", "/")
        .await;
    assert_eq!(location(&wrong), "/login?error=invalid");
    assert_eq!(location(&unknown), "/login?error=invalid");

    let html = app.get("/login?error=invalid").await.text().await.unwrap();
    assert!(html.contains("Wrong email or password."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_are_matched_without_regard_to_case() {
    let app = spawn_app().await;
    app.create_user("Ada@Example.com", "Ada", Role::BasicUser)
        .await;
    let response = app
        .post_login(&app.client, "ADA@example.COM", PASSWORD, "/")
        .await;
    assert_eq!(location(&response), "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_slow_down_the_account_even_with_the_right_password() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    for _ in 0..5 {
        let response = app
            .post_login(&app.client, "ada@example.com", "guess", "/")
            .await;
        assert_eq!(location(&response), "/login?error=invalid");
    }
    let response = app
        .post_login(&app.client, "ada@example.com", PASSWORD, "/")
        .await;
    assert_eq!(location(&response), "/login?error=throttled");
    let html = app
        .get("/login?error=throttled")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Too many failed sign-in attempts"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_from_one_address_slow_down_every_account() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    for n in 0..20 {
        let response = app
            .post_login(&app.client, &format!("guess{n}@example.com"), "guess", "/")
            .await;
        assert_eq!(location(&response), "/login?error=invalid");
    }
    let response = app
        .post_login(&app.client, "ada@example.com", PASSWORD, "/")
        .await;
    assert_eq!(location(&response), "/login?error=throttled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookies_are_http_only_and_same_site_lax() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    let response = app
        .post_login(&app.client, "ada@example.com", PASSWORD, "/")
        .await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("latch_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain-http public URL must not set Secure: {cookie}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_session() {
    let app = spawn_app().await;
    app.sign_in_as("ada@example.com", Role::BasicUser).await;
    assert_eq!(app.get("/").await.status().as_u16(), 200);

    let response = app
        .client
        .post(app.url("/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/login?signed_out=1");
    assert_eq!(app.get("/").await.status().as_u16(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_survive_a_restart_of_the_server() {
    let app = spawn_app().await;
    app.sign_in_as("ada@example.com", Role::BasicUser).await;
    // A second server on the same database stands in for the restarted process. Cookies are
    // scoped to the host, not the port, so the client presents the same session to it.
    let restarted = crate::helpers::spawn_on_database(&app.database_url).await;
    let response = app.client.get(restarted.url("/")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let signed_out = client().get(restarted.url("/")).send().await.unwrap();
    assert_eq!(signed_out.status().as_u16(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_account_is_signed_out_on_its_next_request() {
    let app = spawn_app().await;
    let user = app.sign_in_as("ada@example.com", Role::BasicUser).await;
    sqlx::query("UPDATE users SET status = 'suspended' WHERE id = $1")
        .bind(user.id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(app.get("/").await.status().as_u16(), 303);
    let response = app
        .post_login(&app.client, "ada@example.com", PASSWORD, "/")
        .await;
    assert_eq!(location(&response), "/login?error=invalid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_never_redirects_off_site() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    let response = app
        .post_login(
            &app.client,
            "ada@example.com",
            PASSWORD,
            "https://evil.example/",
        )
        .await;
    assert_eq!(location(&response), "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_form_posts_are_refused() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    let response = app
        .client
        .post(app.url("/auth/login"))
        .header("origin", "https://evil.example")
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
}

/// (actor, action, target) of the audit events with `action` prefix `prefix`, oldest first.
async fn audit_events(
    app: &crate::helpers::TestApp,
    prefix: &str,
) -> Vec<(String, String, String)> {
    use sqlx::Row;
    sqlx::query("SELECT actor, action, target FROM audit_events WHERE action LIKE $1 ORDER BY seq")
        .bind(format!("{prefix}%"))
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("actor"), r.get("action"), r.get("target")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_failures_and_sign_outs_are_in_the_audit_log() {
    let app = spawn_app().await;
    let ada = app
        .create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    app.post_login(&app.client, "Ada@Example.com", "not the password", "/")
        .await;
    app.post_login(&app.client, "ada@example.com", PASSWORD, "/")
        .await;
    app.client
        .post(app.url("/auth/logout"))
        .send()
        .await
        .unwrap();
    // Signing out without a session records nothing: there is nobody to name.
    app.client
        .post(app.url("/auth/logout"))
        .send()
        .await
        .unwrap();

    let me = format!("user:{}", ada.id);
    let events = audit_events(&app, "auth.").await;
    assert_eq!(
        events,
        vec![
            (
                "system".to_string(),
                "auth.sign_in_failed".to_string(),
                "email:ada@example.com".to_string()
            ),
            (me.clone(), "auth.signed_in".to_string(), me.clone()),
            (me.clone(), "auth.signed_out".to_string(), me.clone()),
        ]
    );
    let accounts = audit_events(&app, "account.").await;
    assert_eq!(
        accounts,
        vec![("system".to_string(), "account.created".to_string(), me)]
    );
    crate::access_fixtures::chain_is_intact(&app).await;
}

/// What the login form posts back when the page was opened as `/login?next=/%09/evil.example`:
/// the decoded value, with a real tab, which a browser following `Location` drops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_that_a_browser_reads_as_another_site_is_not_followed() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    for attack in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "/\t\\evil.example",
        "https:evil.example",
    ] {
        let response = app
            .post_login(&client(), "ada@example.com", PASSWORD, attack)
            .await;
        assert_eq!(response.status().as_u16(), 303, "{attack:?}");
        assert_eq!(location(&response), "/", "{attack:?}");
    }
    // Failed sign-ins carry `next` back to the form: it is cleaned the same way.
    let response = app
        .post_login(&client(), "ada@example.com", "wrong", "/\t/evil.example")
        .await;
    assert_eq!(location(&response), "/login?error=invalid");
    // A local path written oddly still works, re-encoded.
    let response = app
        .post_login(
            &client(),
            "ada@example.com",
            PASSWORD,
            "/requests?filter=open&x=a b",
        )
        .await;
    assert_eq!(location(&response), "/requests?filter=open&x=a%20b");
}

/// The audit found 32 of 50 concurrent guesses had their password checked; the account allows 5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_guesses_get_no_more_password_checks_than_the_throttle_allows() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..50 {
        let url = app.url("/auth/login");
        guesses.spawn(async move {
            let form = [
                ("email", "ada@example.com".to_string()),
                ("password", format!("guess {n}")),
                ("next", "/".to_string()),
            ];
            location(&client().post(url).form(&form).send().await.unwrap())
        });
    }
    let answers = guesses.join_all().await;
    let checked = answers
        .iter()
        .filter(|a| *a == "/login?error=invalid")
        .count();
    let throttled = answers
        .iter()
        .filter(|a| *a == "/login?error=throttled")
        .count();
    assert_eq!(checked + throttled, 50, "{answers:?}");
    let limit = app::ssr::throttle::ACCOUNT_POLICY.free_failures as usize;
    assert!(
        checked <= limit,
        "{checked} passwords were checked, the limit is {limit}"
    );
    assert!(checked >= 1);
    let failures = audit_events(&app, "auth.sign_in_failed").await.len();
    assert_eq!(
        failures, checked,
        "every checked guess and only those is a failed sign-in"
    );
}

async fn post_login_from(
    app: &crate::helpers::TestApp,
    forwarded_for: &str,
    email: &str,
    password: &str,
) -> String {
    let response = client()
        .post(app.url("/auth/login"))
        .header("x-forwarded-for", forwarded_for)
        .form(&[("email", email), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap();
    location(&response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_forwarded_for_does_not_dodge_the_address_limit() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    for n in 0..20 {
        let answer = post_login_from(
            &app,
            &format!("198.51.100.{n}"),
            &format!("guess{n}@example.com"),
            "guess",
        )
        .await;
        assert_eq!(answer, "/login?error=invalid");
    }
    // No trusted proxies: the header is ignored and every guess came from 127.0.0.1.
    assert_eq!(
        post_login_from(&app, "198.51.100.99", "ada@example.com", PASSWORD).await,
        "/login?error=throttled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_address_limit() {
    let app = crate::helpers::spawn_app_with_settings(|settings| {
        settings.trusted_proxies =
            latch_server::http::client_address::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    app.create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    for n in 0..20 {
        // The left-most entry is forged by the client; the proxy appended the real address.
        let chain = format!("10.9.9.{n}, 203.0.113.5");
        let answer = post_login_from(&app, &chain, &format!("guess{n}@example.com"), "guess").await;
        assert_eq!(answer, "/login?error=invalid");
    }
    assert_eq!(
        post_login_from(&app, "203.0.113.5", "ada@example.com", PASSWORD).await,
        "/login?error=throttled"
    );
    assert_eq!(
        post_login_from(&app, "203.0.113.6", "ada@example.com", PASSWORD).await,
        "/"
    );
    use sqlx::Row;
    let peer: String = sqlx::query("SELECT after_json FROM audit_events WHERE action = 'auth.sign_in_failed' ORDER BY seq LIMIT 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get("after_json");
    assert!(peer.contains("203.0.113.5"), "{peer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_typed_email_reaches_the_audit_log_capped_and_marked() {
    let app = spawn_app().await;
    let typed = format!("{}\n\u{1b}[31m@example.com", "a".repeat(100_000));
    let response = app.post_login(&client(), &typed, "guess", "/").await;
    assert_eq!(location(&response), "/login?error=invalid");
    use sqlx::Row;
    let row = sqlx::query(
        "SELECT target, after_json FROM audit_events WHERE action = 'auth.sign_in_failed'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let target: String = row.get("target");
    let after: String = row.get("after_json");
    assert!(target.starts_with("email:aaa"), "{target}");
    assert_eq!(
        target.chars().count(),
        "email:".len() + app::domain::audit::TYPED_TEXT_MAX_CHARS
    );
    assert!(!target.chars().any(char::is_control));
    assert!(after.contains("\"email_truncated\":true"), "{after}");
    crate::access_fixtures::chain_is_intact(&app).await;
}
