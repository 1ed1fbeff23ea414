use crate::helpers::{location, spawn_app, spawn_on_database};

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_string()
}

async fn submit(
    app: &crate::helpers::TestApp,
    token: &str,
    email: &str,
    password: &str,
    confirm: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/auth/setup"))
        .form(&[
            ("token", token),
            ("name", "Root Admin"),
            ("email", email),
            ("password", password),
            ("password_confirm", confirm),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_install_logs_a_setup_link_that_creates_the_first_admin_once() {
    let app = spawn_app().await;
    let link = app
        .setup_link
        .clone()
        .expect("a setup link while no admin exists");
    assert!(link.starts_with(&app.address));
    let token = token_of(&link);

    let form = app
        .get(&format!("/setup?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(form.contains("Create the first administrator"));

    let response = submit(
        &app,
        &token,
        "root@example.com",
        "a very long password",
        "a very long password",
    )
    .await;
    assert_eq!(location(&response), "/");
    let home = app.get("/admin/settings").await;
    assert_eq!(home.status().as_u16(), 200, "the new admin is signed in");
    let (created,): (String,) =
        sqlx::query_as("SELECT after_json FROM audit_events WHERE action = 'account.created'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(
        created.contains("root@example.com") && created.contains("setup link"),
        "{created}"
    );

    let again = crate::helpers::client()
        .get(app.url(&format!("/setup?token={token}")))
        .send()
        .await
        .unwrap();
    assert!(again.text().await.unwrap().contains("no longer valid"));
    let replay = submit(
        &app,
        &token,
        "mallory@example.com",
        "a very long password",
        "a very long password",
    )
    .await;
    assert!(location(&replay).starts_with("/setup?token="));
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM users WHERE email = 'mallory@example.com'")
            .fetch_optional(&app.db.pool)
            .await
            .unwrap();
    assert!(row.is_none());

    let restarted = spawn_on_database(&app.database_url).await;
    assert!(
        restarted.setup_link.is_none(),
        "no link once an admin exists"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_setup_token_creates_nothing() {
    let app = spawn_app().await;
    let response = submit(
        &app,
        "forged",
        "root@example.com",
        "a very long password",
        "a very long password",
    )
    .await;
    assert_eq!(location(&response), "/setup?token=forged");
    let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_form_errors_keep_the_link_usable() {
    let app = spawn_app().await;
    let token = token_of(app.setup_link.as_deref().unwrap());
    let short = submit(&app, &token, "root@example.com", "short", "short").await;
    assert_eq!(location(&short), format!("/setup?token={token}&error=weak"));
    let mismatch = submit(
        &app,
        &token,
        "root@example.com",
        "a very long password",
        "another long password",
    )
    .await;
    assert_eq!(
        location(&mismatch),
        format!("/setup?token={token}&error=mismatch")
    );
    let html = app.get(&location(&mismatch)).await.text().await.unwrap();
    assert!(html.contains("The two passwords are different."));
    let ok = submit(
        &app,
        &token,
        "root@example.com",
        "a very long password",
        "a very long password",
    )
    .await;
    assert_eq!(location(&ok), "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_setup_submissions_create_exactly_one_admin() {
    let app = spawn_app().await;
    let token = token_of(app.setup_link.as_deref().unwrap());
    let mut handles = Vec::new();
    for n in 0..4 {
        let url = app.url("/auth/setup");
        let token = token.clone();
        handles.push(tokio::spawn(async move {
            crate::helpers::client()
                .post(url)
                .form(&[
                    ("token", token.as_str()),
                    ("name", "Admin"),
                    ("email", &format!("admin{n}@example.com")),
                    ("password", "a very long password"),
                    ("password_confirm", "a very long password"),
                ])
                .send()
                .await
                .unwrap()
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'super_admin'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count.0, 1);
}
