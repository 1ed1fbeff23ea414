//! The error edge: what a refusal or a failure looks like to a script, a browser and the log.
//! Server functions answer the JSON of `AppError` with its status; plain handlers answer a page
//! through `AppError`'s `IntoResponse`; an internal failure shows only the request id, the same
//! id the `x-request-id` header and the log line carry.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use app::api::requests::create_request::CreateRequest;
use app::api::settings::get_pending_expiry::GetPendingExpiry;
use app::domain::RequestNumber;
use app::domain::Role;
use app::error::AppError;
use leptos::server_fn::ServerFn;

use crate::access_fixtures::{jit_loop, new_request};
use crate::helpers::{TestApp, client, spawn_app};

/// Every log line this test process writes, for tests that look for a request's id in the log.
/// One subscriber for the whole process (tests may share one), installed before any app starts.
fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        tracing_subscriber::fmt()
            .with_env_filter("warn")
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .try_init()
            .expect("the log capture is the first subscriber of this process (unset TEST_LOG)");
        log
    })
    .clone()
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log lines that mention `text`.
fn log_lines_with(log: &Mutex<Vec<u8>>, text: &str) -> Vec<String> {
    String::from_utf8_lossy(&log.lock().unwrap())
        .lines()
        .filter(|line| line.contains(text))
        .map(str::to_string)
        .collect()
}

fn request_id_header(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .expect("every response carries x-request-id")
        .to_str()
        .unwrap()
        .to_string()
}

/// Breaks a table the way a failed migration or a lost disk would: queries on it fail.
async fn break_table(app: &TestApp, table: &str) {
    sqlx::query(&format!("ALTER TABLE {table} RENAME TO {table}_broken"))
        .execute(&app.db.pool)
        .await
        .unwrap();
}

/// Posts a server function's arguments as a script does (JSON back), with a same-origin `Origin`;
/// the raw response, to look at the error's JSON and the headers.
async fn post_server_fn<F: ServerFn + serde::Serialize>(
    app: &TestApp,
    client: &reqwest::Client,
    args: &F,
) -> reqwest::Response {
    client
        .post(app.url(F::PATH))
        .header("accept", "application/json")
        .header("origin", &app.address)
        .form(args)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_json_server_function_call_is_401_with_the_error_as_json() {
    let app = spawn_app().await;
    let response = post_server_fn(&app, &client(), &GetPendingExpiry {}).await;
    assert_eq!(response.status().as_u16(), 401);
    assert!(!request_id_header(&response).is_empty());
    let error: AppError = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(error, AppError::Unauthenticated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_handler_refusal_is_an_error_page_with_its_status_and_message() {
    let app = spawn_app().await;
    app.sign_in_as("ada@example.com", Role::BasicUser).await;
    let response = app.get("/admin/audit/export?format=json").await;
    assert_eq!(response.status().as_u16(), 403);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"data-status="403""#), "{html}");
    assert!(
        html.contains("Only Super Admins can export the audit log."),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_sign_in_shows_the_500_page_with_the_id_in_the_header_and_the_log() {
    let log = captured_log();
    let app = spawn_app().await;
    app.create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    break_table(&app, "login_throttle").await;

    let response = app
        .post_login(&client(), "ada@example.com", "whatever", "/")
        .await;
    assert_eq!(response.status().as_u16(), 500);
    let id = request_id_header(&response);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!(
            r#"quote this id: <code class="request-id">{id}</code>"#
        )),
        "the page shows the header's id {id}: {html}"
    );
    for internal in ["login_throttle", "sqlx", "no such table", "relation"] {
        assert!(
            !html.contains(internal),
            "the page leaks {internal:?}: {html}"
        );
    }

    let lines = log_lines_with(&log, &id);
    assert!(
        lines
            .iter()
            .any(|line| line.contains("sign-in throttle lookup failed")
                && line.contains("login_throttle")),
        "the log line of the failure has the id {id} and the cause: {lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_server_function_answers_500_with_the_id_in_the_error_the_header_and_the_log() {
    let log = captured_log();
    let app = spawn_app().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    break_table(&app, "settings").await;

    let response = post_server_fn(&app, &app.client, &GetPendingExpiry {}).await;
    assert_eq!(response.status().as_u16(), 500);
    let id = request_id_header(&response);
    let body = response.text().await.unwrap();
    let error: AppError = serde_json::from_str(&body).unwrap();
    assert_eq!(error.internal_id(), Some(id.as_str()), "{body}");
    assert!(
        error.to_string().ends_with(&format!("quote this id: {id}")),
        "{error}"
    );
    assert!(!body.contains("settings_broken") && !body.contains("no such table"));

    let lines = log_lines_with(&log, &id);
    assert!(
        lines.iter().any(|line| line.contains("internal error")),
        "the failure is logged under {id}: {lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_sent_by_the_client_is_replaced_by_a_fresh_one() {
    let app = spawn_app().await;
    let first = client()
        .get(app.url("/healthz"))
        .header("x-request-id", "chosen-by-the-caller")
        .send()
        .await
        .unwrap();
    let second = client().get(app.url("/healthz")).send().await.unwrap();
    let (first, second) = (request_id_header(&first), request_id_header(&second));
    assert_ne!(first, "chosen-by-the-caller");
    assert_ne!(first, second, "each request gets its own id");
    for id in [first, second] {
        assert_eq!(
            uuid::Uuid::parse_str(&id).map(|u| u.get_version_num()),
            Ok(4),
            "{id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_request_is_a_conflict_that_names_the_open_request_in_a_field() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let number = l
        .alice
        .request(&app, new_request(&l.entitlement_id, "Investigating INC-42"))
        .await;

    let again: CreateRequest = new_request(&l.entitlement_id, "Still investigating");
    let response = post_server_fn(&app, &l.alice.client, &again).await;
    assert_eq!(response.status().as_u16(), 409);
    let error: AppError = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(
        error.about_request(),
        Some(RequestNumber::parse(&number).unwrap())
    );
    assert!(error.to_string().contains(&number), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_function_call_the_guard_cannot_serve_gets_the_json_error_with_its_id() {
    let app = spawn_app().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    // The signed-in account can no longer be loaded (the session store keeps working).
    app.db.pool.close().await;

    let response = post_server_fn(&app, &app.client, &GetPendingExpiry {}).await;
    assert_eq!(response.status().as_u16(), 500);
    let id = request_id_header(&response);
    let error: AppError = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(error.internal_id(), Some(id.as_str()));

    let page = app.get("/").await;
    assert_eq!(page.status().as_u16(), 500);
    let id = request_id_header(&page);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&id),
        "the page shows its own request's id {id}: {html}"
    );
}
