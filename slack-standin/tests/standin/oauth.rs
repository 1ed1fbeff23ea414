//! OAuth v2: consent page, redirects, code exchange, Enterprise Grid.

use crate::{CLIENT_ID, CLIENT_SECRET, REDIRECT, assert_error, bare as env, config};
use base64::Engine;
use serde_json::Value;
use slack_standin::{Consent, ConsentMode, NewUser, SlackStandin};
use std::time::Duration;

fn authorize_query(scope: &str) -> String {
    serde_urlencoded::to_string([
        ("client_id", CLIENT_ID),
        ("scope", scope),
        ("redirect_uri", REDIRECT),
        ("state", "st4te"),
    ])
    .unwrap()
}

fn code_of(location: &str) -> String {
    let query = location.split_once('?').unwrap().1;
    crate::form_field(query, "code").expect("code in callback")
}

async fn exchange(http: &reqwest::Client, slack: &SlackStandin, args: &[(&str, &str)]) -> Value {
    http.post(format!("{}/oauth.v2.access", slack.api_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(args).unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Exchanges `code` for tokens with the app's credentials and the redirect it was issued for.
async fn exchange_code(http: &reqwest::Client, slack: &SlackStandin, code: &str) -> Value {
    exchange(
        http,
        slack,
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await
}

/// Posts the consent page's form (Allow or Cancel, as `form` says), without following redirects.
async fn decide(e: &crate::Env, form: &[(&str, &str)]) -> reqwest::Response {
    e.http
        .post(e.slack.authorize_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_consent_page_shows_workspace_scopes_and_a_channel_picker_for_incoming_webhooks() {
    let e = env().await;
    let url = format!(
        "{}?{}",
        e.slack.authorize_url(),
        authorize_query("commands,chat:write,incoming-webhook")
    );
    let resp = e.http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Acme"));
    assert!(html.contains("chat:write") && html.contains("incoming-webhook"));
    assert!(html.contains("name=\"webhook_channel\""));
    assert!(html.contains("#general") || html.contains(">#general"));
    assert!(html.contains("value=\"allow\"") && html.contains("value=\"cancel\""));
}

#[tokio::test]
async fn allow_with_nobody_picked_installs_as_someone_of_the_chosen_workspace_not_of_another() {
    let e = env().await;
    // A second workspace whose people may sort before Acme's on the consent page.
    let zeta = e.slack.add_workspace("Zeta", "zeta").unwrap();
    let zed = e
        .slack
        .add_user(&zeta.id, NewUser::new("zed", "zed@zeta.test"))
        .unwrap();
    let page = e
        .http
        .get(format!(
            "{}?{}",
            e.slack.authorize_url(),
            authorize_query("commands,chat:write")
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<option value=\"\" selected>Someone in the chosen workspace"),
        "{page}"
    );
    let form = [
        ("client_id", CLIENT_ID),
        ("scope", "commands,chat:write"),
        ("redirect_uri", REDIRECT),
        ("state", "st4te"),
        ("target", e.team.id.as_str()),
        ("user_id", ""),
        ("decision", "allow"),
    ];
    let resp = decide(&e, &form).await;
    assert_eq!(resp.status(), 302, "{}", resp.text().await.unwrap());
    let code = code_of(resp.headers()["location"].to_str().unwrap());
    let body = exchange_code(&e.http, &e.slack, &code).await;
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["team"]["id"], e.team.id);
    let installer = body["authed_user"]["id"].as_str().unwrap();
    assert_ne!(installer, zed.id);
    assert!(
        [e.alice.id.as_str(), e.bob.id.as_str()].contains(&installer),
        "{installer} is one of Acme's people"
    );
}

#[tokio::test]
async fn clicking_allow_redirects_with_code_and_state_and_the_code_exchanges_for_a_bot_token() {
    let e = env().await;
    let form = [
        ("client_id", CLIENT_ID),
        ("scope", "commands,chat:write,incoming-webhook"),
        ("redirect_uri", REDIRECT),
        ("state", "st4te"),
        ("target", e.team.id.as_str()),
        ("user_id", e.alice.id.as_str()),
        ("webhook_channel", e.it_access.id.as_str()),
        ("decision", "allow"),
    ];
    let resp = decide(&e, &form).await;
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT));
    assert!(location.contains("state=st4te"));
    let code = code_of(&location);

    let body = exchange_code(&e.http, &e.slack, &code).await;
    assert_eq!(body["ok"], true, "{body}");
    assert!(body["access_token"].as_str().unwrap().starts_with("xoxb-"));
    assert_eq!(body["token_type"], "bot");
    assert_eq!(body["scope"], "commands,chat:write,incoming-webhook");
    assert!(body["bot_user_id"].as_str().unwrap().starts_with('U'));
    assert_eq!(body["app_id"], e.slack.config().app_id);
    assert_eq!(body["team"]["id"], e.team.id);
    assert_eq!(body["team"]["name"], "Acme");
    assert_eq!(body["enterprise"], Value::Null);
    assert_eq!(body["is_enterprise_install"], false);
    assert_eq!(body["authed_user"]["id"], e.alice.id);
    let hook = &body["incoming_webhook"];
    assert_eq!(hook["channel"], "#it-access");
    assert_eq!(hook["channel_id"], e.it_access.id);
    assert!(
        hook["configuration_url"]
            .as_str()
            .unwrap()
            .starts_with("https://acme.slack.com/services/B")
    );
    assert!(hook["url"].as_str().unwrap().starts_with(&format!(
        "{}/services/{}/B",
        e.slack.base_url(),
        e.team.id
    )));

    let token = body["access_token"].as_str().unwrap();
    let who = e.call_with(token, "auth.test", &[]).await;
    assert_eq!(who["ok"], true);
    assert_eq!(who["team_id"], e.team.id);
}

#[tokio::test]
async fn clicking_cancel_redirects_with_access_denied_and_state() {
    let e = env().await;
    let form = [
        ("client_id", CLIENT_ID),
        ("scope", "chat:write"),
        ("redirect_uri", REDIRECT),
        ("state", "xyz"),
        ("decision", "cancel"),
    ];
    let resp = decide(&e, &form).await;
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()["location"],
        format!("{REDIRECT}?error=access_denied&state=xyz")
    );
}

#[tokio::test]
async fn an_unknown_client_id_shows_an_error_page_and_does_not_redirect() {
    let e = env().await;
    let q = serde_urlencoded::to_string([
        ("client_id", "999.999"),
        ("scope", "chat:write"),
        ("redirect_uri", REDIRECT),
    ])
    .unwrap();
    let resp = e
        .http
        .get(format!("{}?{q}", e.slack.authorize_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
    assert!(resp.text().await.unwrap().contains("invalid_client_id"));
}

#[tokio::test]
async fn a_redirect_uri_outside_the_configured_urls_shows_an_error_page() {
    let e = env().await;
    let q = serde_urlencoded::to_string([
        ("client_id", CLIENT_ID),
        ("scope", "chat:write"),
        ("redirect_uri", "https://evil.example/cb"),
    ])
    .unwrap();
    let resp = e
        .http
        .get(format!("{}?{q}", e.slack.authorize_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
    assert!(resp.text().await.unwrap().contains("bad_redirect_uri"));
}

#[tokio::test]
async fn auto_deny_mode_redirects_with_access_denied() {
    let e = env().await;
    e.slack.set_consent_mode(ConsentMode::AutoDeny);
    let resp = e
        .http
        .get(format!(
            "{}?{}",
            e.slack.authorize_url(),
            authorize_query("chat:write")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error=access_denied&state=st4te")
    );
}

#[tokio::test]
async fn a_used_oauth_code_is_rejected_with_invalid_code() {
    let e = env().await;
    e.slack.set_consent_mode(ConsentMode::AutoApprove);
    let resp = e
        .http
        .get(format!(
            "{}?{}",
            e.slack.authorize_url(),
            authorize_query("chat:write")
        ))
        .send()
        .await
        .unwrap();
    let code = code_of(resp.headers()["location"].to_str().unwrap());
    let args = [
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    assert_eq!(exchange(&e.http, &e.slack, &args).await["ok"], true);
    assert_error(&exchange(&e.http, &e.slack, &args).await, "invalid_code");
    let unknown = [
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", "123.456.abc"),
    ];
    assert_error(&exchange(&e.http, &e.slack, &unknown).await, "invalid_code");
}

#[tokio::test]
async fn an_expired_oauth_code_is_rejected_with_invalid_code() {
    let mut c = config();
    c.oauth_code_ttl = Duration::from_millis(50);
    let e = crate::build(c, false).await;
    let location = e
        .slack
        .approve_install(
            &format!(
                "{}?{}",
                e.slack.authorize_url(),
                authorize_query("chat:write")
            ),
            Consent::default(),
        )
        .unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let code = code_of(&location);
    let args = [
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    assert_error(&exchange(&e.http, &e.slack, &args).await, "invalid_code");
}

#[tokio::test]
async fn a_wrong_client_secret_is_rejected_with_bad_client_secret() {
    let e = env().await;
    let location = e
        .slack
        .approve_install(
            &format!("?{}", authorize_query("chat:write")),
            Consent::default(),
        )
        .unwrap();
    let code = code_of(&location);
    let args = [
        ("client_id", CLIENT_ID),
        ("client_secret", "nope"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    assert_error(
        &exchange(&e.http, &e.slack, &args).await,
        "bad_client_secret",
    );
    let args = [
        ("client_id", "1.2"),
        ("client_secret", CLIENT_SECRET),
        ("code", code.as_str()),
    ];
    assert_error(
        &exchange(&e.http, &e.slack, &args).await,
        "invalid_client_id",
    );
}

#[tokio::test]
async fn a_redirect_uri_that_differs_from_the_authorize_request_is_rejected_with_bad_redirect_uri()
{
    let e = env().await;
    let location = e
        .slack
        .approve_install(
            &format!("?{}", authorize_query("chat:write")),
            Consent::default(),
        )
        .unwrap();
    let code = code_of(&location);
    let args = [
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", code.as_str()),
        ("redirect_uri", "http://127.0.0.1:9/slack/oauth/other"),
    ];
    assert_error(
        &exchange(&e.http, &e.slack, &args).await,
        "bad_redirect_uri",
    );
    let missing = [
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", code.as_str()),
    ];
    assert_error(
        &exchange(&e.http, &e.slack, &missing).await,
        "bad_redirect_uri",
    );
}

#[tokio::test]
async fn the_code_exchange_accepts_http_basic_client_auth_over_get() {
    let e = env().await;
    let location = e
        .slack
        .approve_install(
            &format!("?{}", authorize_query("chat:write")),
            Consent::default(),
        )
        .unwrap();
    let code = code_of(&location);
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let q =
        serde_urlencoded::to_string([("code", code.as_str()), ("redirect_uri", REDIRECT)]).unwrap();
    let body: Value = e
        .http
        .get(format!("{}/oauth.v2.access?{q}", e.slack.api_url()))
        .header("authorization", format!("Basic {basic}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["authed_user"]["id"], e.alice.id);
}

#[tokio::test]
async fn an_org_wide_install_returns_a_null_team_and_the_enterprise() {
    let slack = SlackStandin::start(config()).await.unwrap();
    let org = slack.add_enterprise("Starship");
    let ws = slack
        .add_workspace_in(&org.id, "Starship Eng", "starship-eng")
        .unwrap();
    let admin = slack
        .add_user(
            &ws.id,
            NewUser {
                is_admin: true,
                ..NewUser::new("root", "root@starship.test")
            },
        )
        .unwrap();
    slack.set_consent_mode(ConsentMode::AutoApproveOrgWide);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http
        .get(format!(
            "{}?{}",
            slack.authorize_url(),
            authorize_query("chat:write,channels:manage")
        ))
        .send()
        .await
        .unwrap();
    let code = code_of(resp.headers()["location"].to_str().unwrap());
    let body = exchange_code(&http, &slack, &code).await;
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["team"], Value::Null);
    assert_eq!(body["enterprise"]["id"], org.id);
    assert_eq!(body["enterprise"]["name"], "Starship");
    assert_eq!(body["is_enterprise_install"], true);
    assert!(body["bot_user_id"].as_str().unwrap().starts_with('W'));
    assert_eq!(body["authed_user"]["id"], admin.id);

    // Org tokens must name the workspace for conversations.create.
    let token = body["access_token"].as_str().unwrap();
    let create = |args: Vec<(&'static str, String)>| {
        let http = http.clone();
        let url = format!("{}/conversations.create", slack.api_url());
        let token = token.to_owned();
        async move {
            http.post(url)
                .bearer_auth(token)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(args).unwrap())
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_error(
        &create(vec![("name", "ops".into())]).await,
        "missing_argument",
    );
    let ok = create(vec![("name", "ops".into()), ("team_id", ws.id.clone())]).await;
    assert_eq!(ok["ok"], true, "{ok}");
    assert_eq!(ok["channel"]["context_team_id"], ws.id);
}

#[tokio::test]
async fn a_user_scope_install_returns_a_user_token_inside_authed_user() {
    let e = env().await;
    let q = serde_urlencoded::to_string([
        ("client_id", CLIENT_ID),
        ("scope", "chat:write"),
        ("user_scope", "search:read"),
        ("redirect_uri", REDIRECT),
        ("state", "s"),
    ])
    .unwrap();
    let location = e
        .slack
        .approve_install(
            &format!("?{q}"),
            Consent {
                user_id: Some(e.bob.id.clone()),
                ..Consent::default()
            },
        )
        .unwrap();
    let code = code_of(&location);
    let body = exchange_code(&e.http, &e.slack, &code).await;
    assert_eq!(body["authed_user"]["id"], e.bob.id);
    assert_eq!(body["authed_user"]["scope"], "search:read");
    assert_eq!(body["authed_user"]["token_type"], "user");
    assert!(
        body["authed_user"]["access_token"]
            .as_str()
            .unwrap()
            .starts_with("xoxp-")
    );
}
