//! One email parser: every door that creates an account uses `domain::Email::parse`, so whoever
//! can sign in is in the directory the approver rules read, and an address the parser refuses is
//! refused at creation with a clear error rather than dropped from the directory later.

use app::domain::Directory;
use app::ssr::access::{directory, user_id};

use crate::helpers::{PASSWORD, TestApp, location, spawn_app};

async fn submit_setup(app: &TestApp, email: &str) -> reqwest::Response {
    let link = app.setup_link.as_deref().expect("a setup link");
    let token = link.split("token=").nth(1).unwrap();
    app.client
        .post(app.url("/auth/setup"))
        .form(&[
            ("token", token),
            ("name", "Ops Admin"),
            ("email", email),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}

async fn account_id(app: &TestApp, email: &str) -> Option<i64> {
    sqlx::query_as::<_, (i64,)>("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&app.db.pool)
        .await
        .unwrap()
        .map(|(id,)| id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_admin_with_an_unusual_but_valid_address_is_an_approver_of_last_resort() {
    // Arrange: a top-level domain with a digit (RFC 3696 allows it; internal names use it).
    let app = spawn_app().await;

    // Act
    let response = submit_setup(&app, "Ops@Corp.Internal1").await;

    // Assert
    assert_eq!(
        location(&response),
        "/",
        "the setup link accepted the address"
    );
    let id = account_id(&app, "ops@corp.internal1")
        .await
        .expect("the account is stored normalised");
    let snapshot = directory::snapshot(&app.db).await.unwrap();
    assert_eq!(snapshot.super_admins(), vec![user_id(id)]);
    assert_eq!(
        snapshot.users[&user_id(id)].email.as_str(),
        "ops@corp.internal1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_setup_link_refuses_an_address_the_directory_could_not_hold() {
    let app = spawn_app().await;

    let response = submit_setup(&app, "ops@my_corp.com").await;

    assert!(
        location(&response).ends_with("&error=email"),
        "{}",
        location(&response)
    );
    let (accounts,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_stored_before_strict_parsing_still_signs_in_and_stays_an_approver() {
    // Arrange: a Super Admin whose address an older Latch admitted with a laxer check.
    let app = spawn_app().await;
    let hash = app::ssr::passwords::hash_password(PASSWORD).unwrap();
    sqlx::query(
        "INSERT INTO users (email, display_name, password_hash, role, status, created_at, updated_at) \
         VALUES ('ops@my_corp.com', 'Legacy Ops', $1, 'super_admin', 'active', 0, 0)",
    )
    .bind(&hash)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let id = account_id(&app, "ops@my_corp.com").await.unwrap();

    // Act
    let sign_in = app
        .post_login(&app.client, "ops@my_corp.com", PASSWORD, "/")
        .await;
    let snapshot = directory::snapshot(&app.db).await.unwrap();

    // Assert
    assert_eq!(location(&sign_in), "/", "the account can sign in");
    assert_eq!(snapshot.super_admins(), vec![user_id(id)]);
    assert!(snapshot.is_active(&user_id(id)));
    assert_eq!(
        snapshot.users[&user_id(id)].email.as_str(),
        "ops@my_corp.com"
    );
}
