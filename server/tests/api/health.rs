use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check_answers_200_while_the_database_is_reachable() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check_answers_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.pool.close().await;
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.status().as_u16(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "unreachable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check_needs_no_sign_in_and_sets_security_headers() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_failure_shows_a_generic_500_page_without_internals() {
    let app = spawn_app().await;
    app.sign_in_as("ada@example.com", app::domain::Role::BasicUser)
        .await;
    app.db.pool.close().await;
    let response = app.get("/").await;
    assert_eq!(response.status().as_u16(), 500);
    let html = response.text().await.unwrap();
    assert!(html.contains("Something went wrong"), "{html}");
    for internal in ["sqlx", "pool", "PoolClosed", "closed", "panicked"] {
        assert!(
            !html.contains(internal),
            "the page leaks {internal:?}: {html}"
        );
    }
}
