use std::sync::Once;

use reqwest::redirect::Policy;
use secrecy::SecretString;
use tokio::net::TcpListener;

use app::domain::Role;
use app::error::AppError;
use app::session::CurrentUser;
use app::ssr::slack::SlackConfig;
use app::ssr::users::{NewAccount, create_account};
use app::ssr::{Db, Engine, PublicUrl};
use latch_server::Application;
use latch_server::config::{LogFormat, Settings};
use leptos::server_fn::ServerFn;
use serde::Serialize;
use serde::de::DeserializeOwned;

static TRACING: Once = Once::new();

/// A running Latch with its own database, and an HTTP client that keeps cookies and does not
/// follow redirects (tests look at them).
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub setup_link: Option<String>,
    pub database_url: String,
    /// Kept so the directory lives as long as the app.
    pub _data_dir: tempfile::TempDir,
}

pub const PASSWORD: &str = "correct horse battery staple";

/// The database URL for a fresh, empty database on the engine under test.
pub async fn fresh_database_url(data_dir: &std::path::Path) -> String {
    match std::env::var("LATCH_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("latch_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Db::connect(&admin_url)
                .await
                .expect("connect to LATCH_TEST_POSTGRES_URL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin.pool)
                .await
                .expect("create test database");
            admin.pool.close().await;
            let (base, _) = admin_url.rsplit_once('/').expect("database URL has a path");
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}", data_dir.join("latch.db").display()),
    }
}

pub async fn spawn_app() -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(data_dir.path()).await;
    spawn_with(database_url, data_dir).await
}

/// Another server process on an existing database (a restart, or a second replica).
pub async fn spawn_on_database(database_url: &str) -> TestApp {
    spawn_with(
        database_url.to_string(),
        tempfile::tempdir().expect("temp dir"),
    )
    .await
}

async fn spawn_with(database_url: String, data_dir: tempfile::TempDir) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    spawn_on_listener(database_url, data_dir, listener, SlackConfig::default()).await
}

/// Starts Latch on an already bound listener (so its address can be given to others, like the
/// Slack stand-in, before it starts), with the given Slack settings.
pub async fn spawn_on_listener(
    database_url: String,
    data_dir: tempfile::TempDir,
    listener: TcpListener,
    slack: SlackConfig,
) -> TestApp {
    spawn_adjusted(database_url, data_dir, listener, slack, |_| {}).await
}

/// A fresh app whose settings `adjust` changes first (e.g. `trusted_proxies`, `public_url`).
pub async fn spawn_app_with_settings(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(data_dir.path()).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    spawn_adjusted(
        database_url,
        data_dir,
        listener,
        SlackConfig::default(),
        adjust,
    )
    .await
}

/// The secret key every test app uses unless a test changes it.
pub const TEST_SECRET_KEY: &str = "test-secret-key-test-secret-key-0123456789";

/// The settings a test app starts with: its listener's address as the public URL, the test key.
pub fn test_settings(
    database_url: &str,
    data_dir: &std::path::Path,
    listener: &TcpListener,
    slack: SlackConfig,
) -> Settings {
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    Settings {
        data_dir: data_dir.to_path_buf(),
        engine: Engine::from_url(database_url).expect("engine"),
        database_url: SecretString::from(database_url.to_string()),
        public_url: PublicUrl::new(&address),
        secret_key: Some(SecretString::from(TEST_SECRET_KEY)),
        listen_addr: listener.local_addr().expect("addr"),
        site_root: "target/site".into(),
        trusted_proxies: Default::default(),
        log: "warn".into(),
        log_format: LogFormat::Text,
        slack,
    }
}

async fn spawn_adjusted(
    database_url: String,
    data_dir: tempfile::TempDir,
    listener: TcpListener,
    slack: SlackConfig,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    TRACING.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            latch_server::telemetry::init(&filter, LogFormat::Text);
        }
    });
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let mut settings = test_settings(&database_url, data_dir.path(), &listener, slack);
    adjust(&mut settings);
    let app = Application::build_with_listener(settings, listener)
        .await
        .expect("build app");
    let db = app.state().db.clone();
    let setup_link = app.setup_link().map(str::to_string);
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        address,
        client: client(),
        db,
        setup_link,
        database_url,
        _data_dir: data_dir,
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        // A stuck server must fail the test, not hang the suite.
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Creates an account directly in the database.
    pub async fn create_user(&self, email: &str, name: &str, role: Role) -> CurrentUser {
        let hash = app::ssr::passwords::hash_password(PASSWORD).expect("hash");
        create_account(
            &self.db,
            NewAccount {
                email: &app::domain::Email::parse(email).expect("email"),
                name,
                password_hash: &hash,
                role,
            },
        )
        .await
        .expect("create account")
    }

    pub async fn post_login(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
        next: &str,
    ) -> reqwest::Response {
        client
            .post(self.url("/auth/login"))
            .form(&[("email", email), ("password", password), ("next", next)])
            .send()
            .await
            .expect("post login")
    }

    /// Creates an account and signs `self.client` in as it.
    pub async fn sign_in_as(&self, email: &str, role: Role) -> CurrentUser {
        let user = self.create_user(email, "Test Person", role).await;
        let response = self.post_login(&self.client, email, PASSWORD, "/").await;
        assert_eq!(response.status().as_u16(), 303, "sign-in should redirect");
        assert_eq!(location(&response), "/");
        user
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("get")
    }

    /// Calls a server function with `self.client`'s session (see [`call_server_fn`]).
    pub async fn call<F>(&self, args: F) -> Result<F::Output, Refusal>
    where
        F: ServerFn<Error = AppError> + Serialize,
        F::Output: DeserializeOwned,
    {
        call_server_fn(self, &self.client, args).await
    }
}

/// A server function's refusal: the HTTP status it answered with (403, 404, 409, 422…) and the
/// error's message as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

/// Calls the server function whose generated argument struct `args` is, with `client`'s cookies:
/// the struct posted form-encoded (the `PostUrl` encoding every function here uses) to the
/// function's own `PATH`, with a same-origin `Origin` header as a browser sends. Answers the
/// function's declared output, or what refused it. A renamed argument or a changed output type
/// breaks the test build.
pub async fn call_server_fn<F>(
    app: &TestApp,
    client: &reqwest::Client,
    args: F,
) -> Result<F::Output, Refusal>
where
    F: ServerFn<Error = AppError> + Serialize,
    F::Output: DeserializeOwned,
{
    call_server_fn_at(&app.address, client, args).await
}

/// [`call_server_fn`] against the app at `address` ("http://127.0.0.1:port"), for a call made
/// on a task of its own, which cannot borrow the [`TestApp`].
pub async fn call_server_fn_at<F>(
    address: &str,
    client: &reqwest::Client,
    args: F,
) -> Result<F::Output, Refusal>
where
    F: ServerFn<Error = AppError> + Serialize,
    F::Output: DeserializeOwned,
{
    let response = client
        .post(format!("{address}{}", F::PATH))
        .header(reqwest::header::ACCEPT, "application/json")
        .header(reqwest::header::ORIGIN, address)
        .form(&args)
        .send()
        .await
        .unwrap_or_else(|e| panic!("call {}: {e}", F::PATH));
    let status = response.status().as_u16();
    let body = response.text().await.expect("body");
    if status == 200 {
        return Ok(serde_json::from_str(&body).unwrap_or_else(|e| {
            panic!(
                "{} answered {body:?}, not its declared output: {e}",
                F::PATH
            )
        }));
    }
    // Errors come as the JSON of `AppError`; a failure below the server functions (the guard's
    // "Cross-site request refused.") comes as plain text.
    let message = serde_json::from_str::<AppError>(&body)
        .map(|error| error.to_string())
        .unwrap_or(body);
    Err(Refusal { status, message })
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

pub const SLACK_CLIENT_ID: &str = "2141029472.691202649728";
pub const SLACK_CLIENT_SECRET: &str = "test-slack-client-secret-0123456789";
pub const SLACK_SIGNING_SECRET: &str = "test-slack-signing-secret-0123456789";

/// A running Latch connected to a fresh Slack stand-in: Latch's LATCH_SLACK_* settings point at
/// the stand-in, and the stand-in knows Latch's redirect and events URLs. Slack calls time out
/// after 2 s so the slow-Slack tests stay quick.
pub async fn spawn_app_with_slack() -> (TestApp, slack_standin::SlackStandin) {
    spawn_app_with_slack_config(|_| {}).await
}

/// Like [`spawn_app_with_slack`], with a chance to change Latch's Slack settings first.
pub async fn spawn_app_with_slack_config(
    adjust: impl FnOnce(&mut SlackConfig),
) -> (TestApp, slack_standin::SlackStandin) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(data_dir.path()).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let slack = slack_standin::SlackStandin::start(slack_standin::StandinConfig {
        redirect_urls: vec![format!("{address}/slack/oauth/callback")],
        events_url: Some(format!("{address}/slack/events")),
        ..slack_standin::StandinConfig::new(
            SLACK_CLIENT_ID,
            SLACK_CLIENT_SECRET,
            SLACK_SIGNING_SECRET,
        )
    })
    .await
    .expect("start the Slack stand-in");
    let mut config = SlackConfig {
        client_id: Some(SLACK_CLIENT_ID.into()),
        client_secret: Some(SecretString::from(SLACK_CLIENT_SECRET)),
        signing_secret: Some(SecretString::from(SLACK_SIGNING_SECRET)),
        api_url: slack.api_url(),
        authorize_url: slack.authorize_url(),
        timeout: std::time::Duration::from_secs(2),
        ..SlackConfig::default()
    };
    adjust(&mut config);
    let app = spawn_on_listener(database_url, data_dir, listener, config).await;
    (app, slack)
}

/// POSTs headers declaring a `declared`-byte body to `path` on a fresh connection, sends none of
/// it, and returns the status the server answers.
pub async fn raw_post_status(
    app: &TestApp,
    path: &str,
    content_type: &str,
    declared: usize,
) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = |framing: String| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nAccept: application/json\r\n{framing}\r\n"
        )
    };
    // Headers only: the server must answer from the declared length alone.
    stream
        .write_all(head(format!("Content-Length: {declared}\r\n")).as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "{path}: the connection closed without an answer");
        answer.extend_from_slice(&buf[..n]);
    }
    let status_line = String::from_utf8_lossy(&answer);
    status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}
