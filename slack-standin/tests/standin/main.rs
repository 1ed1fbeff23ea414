//! Integration tests for the Slack stand-in, one module per area. Every test
//! talks to a running stand-in over HTTP with reqwest, like an app would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod contracts;
mod dms_and_history;
mod events;
mod inspection;
mod interactivity;
mod oauth;
mod persistence;
mod rate_limits;
mod signing_driver;
mod simulator;
mod web_api;
mod webhooks_and_response_url;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use slack_standin::{Channel, NewUser, SlackStandin, StandinConfig, Team, User};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const CLIENT_ID: &str = "2141029472.691202649728";
pub const CLIENT_SECRET: &str = "c1ient5ecret";
pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
pub const REDIRECT: &str = "http://127.0.0.1:9/slack/oauth/callback";

/// Every bot scope the Web API tests need.
pub const ALL_SCOPES: &[&str] = &[
    "chat:write",
    "channels:manage",
    "channels:join",
    "channels:read",
    "groups:read",
    "groups:write",
    "pins:write",
    "users:read",
    "users:read.email",
    "commands",
    "im:write",
];

pub fn config() -> StandinConfig {
    let mut c = StandinConfig::new(CLIENT_ID, CLIENT_SECRET, SIGNING_SECRET);
    c.redirect_urls = vec!["http://127.0.0.1:9/slack/oauth".to_owned()];
    c.event_retry_delays = vec![
        Duration::ZERO,
        Duration::from_millis(50),
        Duration::from_millis(50),
    ];
    c
}

/// A stand-in with Acme (alice admin, bob, carol), #general, #it-access and
/// the app installed with [`ALL_SCOPES`].
pub struct Env {
    pub slack: SlackStandin,
    pub team: Team,
    pub alice: User,
    pub bob: User,
    pub carol: User,
    pub general: Channel,
    pub it_access: Channel,
    pub token: String,
    pub bot_user: String,
    pub http: reqwest::Client,
}

pub async fn env_with(config: StandinConfig) -> Env {
    build(config, true).await
}

/// Like [`env`] but without the app installed.
pub async fn bare() -> Env {
    build(config(), false).await
}

pub async fn build(config: StandinConfig, install: bool) -> Env {
    let slack = SlackStandin::start(config).await.unwrap();
    let team = slack.add_workspace("Acme", "acme").unwrap();
    let alice = slack
        .add_user(
            &team.id,
            NewUser {
                is_admin: true,
                ..NewUser::new("alice", "alice@acme.test")
            },
        )
        .unwrap();
    let bob = slack
        .add_user(&team.id, NewUser::new("bob", "bob@acme.test"))
        .unwrap();
    let carol = slack
        .add_user(&team.id, NewUser::new("carol", "carol@acme.test"))
        .unwrap();
    let general = slack
        .add_channel(&team.id, "general", false, &[&alice.id, &bob.id, &carol.id])
        .unwrap();
    let it_access = slack
        .add_channel(&team.id, "it-access", false, &[&alice.id, &bob.id])
        .unwrap();
    let (token, bot_user) = if install {
        let i = slack.install(&team.id, ALL_SCOPES).unwrap();
        (i.bot_token, i.bot_user_id)
    } else {
        (String::new(), String::new())
    };
    Env {
        slack,
        team,
        alice,
        bob,
        carol,
        general,
        it_access,
        token,
        bot_user,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

pub async fn env() -> Env {
    env_with(config()).await
}

impl Env {
    /// POST form with a Bearer token; returns the JSON envelope.
    pub async fn call(&self, method: &str, args: &[(&str, &str)]) -> Value {
        self.call_with(&self.token, method, args).await
    }

    pub async fn call_with(&self, token: &str, method: &str, args: &[(&str, &str)]) -> Value {
        let resp = self.post_form(token, method, args).await;
        assert_eq!(resp.status(), 200, "{method} status");
        resp.json().await.unwrap()
    }

    pub async fn post_form(
        &self,
        token: &str,
        method: &str,
        args: &[(&str, &str)],
    ) -> reqwest::Response {
        self.http
            .post(format!("{}/{method}", self.slack.api_url()))
            .bearer_auth(token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(args).unwrap())
            .send()
            .await
            .unwrap()
    }

    /// POST JSON (charset included) with a Bearer token.
    pub async fn call_json(&self, method: &str, body: Value) -> Value {
        self.http
            .post(format!("{}/{method}", self.slack.api_url()))
            .bearer_auth(&self.token)
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Makes the bot a member of a channel.
    pub async fn join(&self, channel: &str) {
        let r = self
            .call("conversations.join", &[("channel", channel)])
            .await;
        assert_eq!(r["ok"], true, "{r}");
    }
}

pub fn assert_error(resp: &Value, code: &str) {
    assert_eq!(resp["ok"], false, "expected {code}, got {resp}");
    assert_eq!(resp["error"], code, "got {resp}");
}

/// One request the fake app received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
    pub signature_valid: bool,
}

/// How the fake app answers.
#[derive(Clone)]
pub struct Behaviour {
    /// Status codes to return, in order (last repeats).
    pub statuses: Vec<u16>,
    /// Delay before answering.
    pub delay: Duration,
    /// Body and content type.
    pub body: String,
    pub content_type: &'static str,
    /// Add `X-Slack-No-Retry: 1`.
    pub no_retry: bool,
    /// Echo url_verification challenges.
    pub echo_challenge: bool,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            statuses: vec![200],
            delay: Duration::ZERO,
            body: String::new(),
            content_type: "text/plain",
            no_retry: false,
            echo_challenge: true,
        }
    }
}

/// A tiny app under test: verifies signatures, records requests, answers per [`Behaviour`].
pub struct FakeApp {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl FakeApp {
    pub async fn start(behaviour: Behaviour) -> Self {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let rec = Arc::clone(&received);
        let handler = move |headers: HeaderMap, body: Bytes| {
            let rec = Arc::clone(&rec);
            let b = behaviour.clone();
            async move {
                let body = String::from_utf8_lossy(&body).to_string();
                let ts: i64 = headers
                    .get("x-slack-request-timestamp")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let sig = headers
                    .get("x-slack-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let valid = slack_standin::signing::verify(
                    SIGNING_SECRET,
                    ts,
                    body.as_bytes(),
                    &sig,
                    slack_standin::ids::unix_now(),
                );
                let n = {
                    let mut r = rec.lock().unwrap();
                    r.push(Received {
                        headers,
                        body: body.clone(),
                        signature_valid: valid,
                    });
                    r.len()
                };
                tokio::time::sleep(b.delay).await;
                let status = *b.statuses.get(n - 1).or(b.statuses.last()).unwrap_or(&200);
                if b.echo_challenge
                    && let Ok(v) = serde_json::from_str::<Value>(&body)
                    && v["type"] == "url_verification"
                {
                    return (
                        StatusCode::OK,
                        v["challenge"].as_str().unwrap_or("").to_owned(),
                    )
                        .into_response();
                }
                let mut resp: Response = (
                    StatusCode::from_u16(status).unwrap(),
                    [("content-type", b.content_type)],
                    b.body.clone(),
                )
                    .into_response();
                if b.no_retry {
                    resp.headers_mut()
                        .insert("x-slack-no-retry", "1".parse().unwrap());
                }
                resp
            }
        };
        // `/slack` and anything under it (`/slack/commands`, `/slack/interactivity`, …).
        let app = axum::Router::new()
            .route("/slack", axum::routing::post(handler.clone()))
            .route("/slack/{*rest}", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/slack", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            received,
            _task: task,
        }
    }

    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

pub fn form_field(body: &str, key: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}
