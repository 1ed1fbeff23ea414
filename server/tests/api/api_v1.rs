//! The automation API (`/api/v1`) and its tokens: a token is shown once and only the hash of its
//! secret is stored; each endpoint needs its scope; expired, revoked, unknown and missing tokens
//! are 401 with a stable code, and a browser session is no credential; requests are filed on
//! behalf of a person under that person's rules; grants are listed and revoked; the audit log
//! pages back and names the token; the OpenAPI document lists exactly the routes served; every
//! error is JSON carrying the request id.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, client, spawn_app};
use app::api::requests::create_request::CreateRequest;
use app::api::tokens::create_api_token::CreateApiToken;
use app::api::tokens::list_api_tokens::ListApiTokens;
use app::api::tokens::revoke_api_token::RevokeApiToken;
use app::domain::Role;
use app::domain::api_tokens::Scope;

/// A token with `scopes`, created by `admin` in the console; its text.
async fn token(app: &TestApp, admin: &Person, name: &str, scopes: &[Scope]) -> String {
    let tick = |scope: Scope| scopes.contains(&scope).then(|| "on".to_string());
    admin
        .ok(
            app,
            CreateApiToken {
                name: name.into(),
                catalog_read: tick(Scope::CatalogRead),
                catalog_write: tick(Scope::CatalogWrite),
                requests_read: tick(Scope::RequestsRead),
                requests_write: tick(Scope::RequestsWrite),
                grants_revoke: tick(Scope::GrantsRevoke),
                audit_read: tick(Scope::AuditRead),
                expires_in_days: None,
            },
        )
        .await
        .token
}

/// One API answer: status, JSON body (Null if none) and the response's request id.
struct Answer {
    status: u16,
    body: Value,
    request_id: String,
}

async fn api(
    app: &TestApp,
    bearer: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    api_with(&client(), app, bearer, method, path, body).await
}

async fn api_with(
    http: &reqwest::Client,
    app: &TestApp,
    bearer: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut call = http.request(method, app.url(path));
    if let Some(token) = bearer {
        call = call.bearer_auth(token);
    }
    if let Some(body) = body {
        call = call.json(&body);
    }
    let response = call.send().await.expect("call the API");
    let status = response.status().as_u16();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"))
    };
    Answer {
        status,
        body,
        request_id,
    }
}

/// The answer is the JSON error `code` with `status`, naming the response's request id.
fn assert_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], code, "{}", answer.body);
    assert!(
        !answer.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
    assert!(!answer.request_id.is_empty());
    assert_eq!(answer.body["error"]["request_id"], answer.request_id);
}

/// Every operation the API serves: method, path as documented, a path to call it at, a body,
/// and the scope it needs.
fn operations() -> Vec<(Method, &'static str, String, Option<Value>, Scope)> {
    vec![
        (
            Method::GET,
            "/api/v1/catalog",
            "/api/v1/catalog".into(),
            None,
            Scope::CatalogRead,
        ),
        (
            Method::POST,
            "/api/v1/catalog/apply",
            "/api/v1/catalog/apply".into(),
            Some(json!({"tree": {"files": []}, "plan": true})),
            Scope::CatalogWrite,
        ),
        (
            Method::GET,
            "/api/v1/requests",
            "/api/v1/requests".into(),
            None,
            Scope::RequestsRead,
        ),
        (
            Method::POST,
            "/api/v1/requests",
            "/api/v1/requests".into(),
            Some(json!({
                "on_behalf_of": "nobody@example.com",
                "entitlement_id": "none",
                "justification": "scope check",
            })),
            Scope::RequestsWrite,
        ),
        (
            Method::GET,
            "/api/v1/grants",
            "/api/v1/grants".into(),
            None,
            Scope::GrantsRevoke,
        ),
        (
            Method::POST,
            "/api/v1/grants/{id}/revoke",
            "/api/v1/grants/no-such-grant/revoke".into(),
            None,
            Scope::GrantsRevoke,
        ),
        (
            Method::GET,
            "/api/v1/audit",
            "/api/v1/audit".into(),
            None,
            Scope::AuditRead,
        ),
    ]
}

#[tokio::test]
async fn a_token_is_shown_once_and_only_the_hash_of_its_secret_is_stored() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let text = token(&app, &l.admin, "ci", &[Scope::AuditRead]).await;
    let secret = text.rsplit('_').next().unwrap().to_string();
    assert!(
        text.starts_with("latch_pat_") && secret.len() == 64,
        "{text}"
    );

    // The list never carries it.
    let listed = l.admin.ok(&app, ListApiTokens {}).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "ci");
    assert_eq!(listed[0].scopes, vec!["audit:read".to_string()]);
    assert!(listed[0].live);
    assert!(!format!("{listed:?}").contains(&secret));

    // The row keeps the SHA-256 of the secret, and nothing anywhere keeps the secret.
    let row = sqlx::query("SELECT secret_hash FROM api_tokens")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let stored: String = row.try_get("secret_hash").unwrap();
    assert_eq!(stored, hex::encode(Sha256::digest(secret.as_bytes())));
    // Not even the hash leaves the server: the list, and the admin's page, carry neither.
    assert!(!format!("{listed:?}").contains(&stored));
    let page = l
        .admin
        .client
        .get(app.url("/admin/tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("ci") && !page.contains(&stored) && !page.contains(&secret));
    for (table, sql) in [
        (
            "api_tokens",
            "SELECT id || name || scopes || secret_hash AS t FROM api_tokens",
        ),
        (
            "audit_events",
            "SELECT action || target || COALESCE(after_json, '') AS t FROM audit_events",
        ),
    ] {
        for row in sqlx::query(sql).fetch_all(&app.db.pool).await.unwrap() {
            let text: String = row.try_get("t").unwrap();
            assert!(!text.contains(&secret), "{table} holds the secret");
        }
    }
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'api_token.created'"
        )
        .await,
        1
    );

    // Names are unique among live tokens; plain users cannot create tokens.
    let refusal = l
        .admin
        .call(
            &app,
            CreateApiToken {
                name: "ci".into(),
                catalog_read: Some("on".into()),
                catalog_write: None,
                requests_read: None,
                requests_write: None,
                grants_revoke: None,
                audit_read: None,
                expires_in_days: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 409);
    let refusal = l
        .alice
        .call(
            &app,
            CreateApiToken {
                name: "mine".into(),
                catalog_read: Some("on".into()),
                catalog_write: None,
                requests_read: None,
                requests_write: None,
                grants_revoke: None,
                audit_read: None,
                expires_in_days: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 403);

    // And it works.
    let answer = api(&app, Some(&text), Method::GET, "/api/v1/audit", None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn each_endpoint_needs_its_own_scope_and_no_other() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    for (i, (method, documented, path, body, scope)) in operations().into_iter().enumerate() {
        let others: Vec<Scope> = Scope::ALL.iter().copied().filter(|s| *s != scope).collect();
        let without = token(&app, &l.admin, &format!("{i}: all but {scope}"), &others).await;
        let answer = api(&app, Some(&without), method.clone(), &path, body.clone()).await;
        assert_error(&answer, 403, "forbidden");
        assert!(
            answer.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(scope.as_str()),
            "{method} {documented}: {}",
            answer.body
        );

        let only = token(&app, &l.admin, &format!("{i}: only {scope}"), &[scope]).await;
        let answer = api(&app, Some(&only), method.clone(), &path, body).await;
        assert!(
            ![401, 403].contains(&answer.status),
            "{method} {documented} with {scope}: {} {}",
            answer.status,
            answer.body
        );
    }
}

#[tokio::test]
async fn missing_unknown_expired_and_revoked_tokens_are_refused_with_401() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let path = "/api/v1/requests";

    assert_error(
        &api(&app, None, Method::GET, path, None).await,
        401,
        "unauthorized",
    );
    assert_error(
        &api(&app, Some("not-a-token"), Method::GET, path, None).await,
        401,
        "unauthorized",
    );
    let good = token(&app, &l.admin, "good", &[Scope::RequestsRead]).await;
    // The right id with a wrong secret.
    let mut forged = good.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    assert_error(
        &api(&app, Some(&forged), Method::GET, path, None).await,
        401,
        "unauthorized",
    );
    assert_eq!(
        api(&app, Some(&good), Method::GET, path, None).await.status,
        200
    );

    // An expiry is given in days, within bounds.
    let with_expiry = |days: &str| CreateApiToken {
        name: format!("expires in {days}"),
        catalog_read: None,
        catalog_write: None,
        requests_read: Some("on".into()),
        requests_write: None,
        grants_revoke: None,
        audit_read: None,
        expires_in_days: Some(days.into()),
    };
    let created = l.admin.ok(&app, with_expiry("30")).await;
    let in_30_days = created.row.created_at + 30 * 86_400_000;
    let expires_at = created.row.expires_at.unwrap();
    assert!((expires_at - in_30_days).abs() < 60_000, "{created:?}");
    for days in ["0", "-1", "soon", "3651"] {
        let refusal = l.admin.call(&app, with_expiry(days)).await.unwrap_err();
        assert_eq!(refusal.status, 422, "{days}");
    }
    // A token without scopes is refused.
    let refusal = l
        .admin
        .call(
            &app,
            CreateApiToken {
                name: "nothing".into(),
                catalog_read: None,
                catalog_write: None,
                requests_read: None,
                requests_write: None,
                grants_revoke: None,
                audit_read: None,
                expires_in_days: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422);

    // Expired: its expiry has passed.
    let expiring = token(&app, &l.admin, "expiring", &[Scope::RequestsRead]).await;
    assert_eq!(
        api(&app, Some(&expiring), Method::GET, path, None)
            .await
            .status,
        200
    );
    sqlx::query("UPDATE api_tokens SET expires_at = 1 WHERE name = 'expiring'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let answer = api(&app, Some(&expiring), Method::GET, path, None).await;
    assert_error(&answer, 401, "unauthorized");
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    // Revoked in the console: refused from the next call on, and audited.
    let listed = l.admin.ok(&app, ListApiTokens {}).await;
    let id = listed.iter().find(|t| t.name == "good").unwrap().id.clone();
    l.admin.ok(&app, RevokeApiToken { id: id.clone() }).await;
    let answer = api(&app, Some(&good), Method::GET, path, None).await;
    assert_error(&answer, 401, "unauthorized");
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    let again = l.admin.call(&app, RevokeApiToken { id }).await.unwrap_err();
    assert_eq!(again.status, 409);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'api_token.revoked'"
        )
        .await,
        1
    );
    // A revoked token's name is free again.
    token(&app, &l.admin, "good", &[Scope::RequestsRead]).await;
}

#[tokio::test]
async fn a_browser_session_is_no_credential_for_the_api() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    // The Super Admin's signed-in browser, same origin and cross-site alike.
    let answer = api_with(
        &l.admin.client,
        &app,
        None,
        Method::GET,
        "/api/v1/audit",
        None,
    )
    .await;
    assert_error(&answer, 401, "unauthorized");
    let response = l
        .admin
        .client
        .post(app.url("/api/v1/grants/x/revoke"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn a_request_is_filed_on_behalf_of_a_person_under_that_persons_rules() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let bot = token(
        &app,
        &l.admin,
        "onboarding bot",
        &[Scope::RequestsWrite, Scope::RequestsRead, Scope::AuditRead],
    )
    .await;
    let new = |entitlement: &str, who: &str| {
        json!({
            "on_behalf_of": who,
            "entitlement_id": entitlement,
            "duration": "1d",
            "justification": "Onboarding",
        })
    };
    let answer = api(
        &app,
        Some(&bot),
        Method::POST,
        "/api/v1/requests",
        Some(new(&l.entitlement_id, "alice@example.com")),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let number = answer.body["number"].as_str().unwrap().to_string();
    assert_eq!(answer.body["status"], "pending_approval");

    // It is Alice's request, as if she had filed it.
    let detail = l.alice.detail(&app, &number).await;
    assert_eq!(detail.summary.requester, "Alice Requester");
    let listed = api(
        &app,
        Some(&bot),
        Method::GET,
        "/api/v1/requests?status=pending_approval&subject_email=alice@example.com",
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    let numbers: Vec<&str> = listed.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, vec![number.as_str()]);

    // A second open request for the same access conflicts, as in the console.
    let duplicate = api(
        &app,
        Some(&bot),
        Method::POST,
        "/api/v1/requests",
        Some(new(&l.entitlement_id, "alice@example.com")),
    )
    .await;
    assert_error(&duplicate, 409, "conflict");

    // An entitlement Alice may not see is refused as the console refuses her.
    let app_id = app_id_of(&app, &l.entitlement_id).await;
    let hidden = l
        .admin
        .ok(
            &app,
            SaveEntitlement {
                visibility: Some("nobody".into()),
                max_duration: Some("7d".into()),
                ..entitlement_form(&app_id, "Hidden root")
            },
        )
        .await;
    let console = l
        .alice
        .call(
            &app,
            CreateRequest {
                duration: Some("1d".into()),
                ..new_request(&hidden, "Onboarding")
            },
        )
        .await
        .unwrap_err();
    let answer = api(
        &app,
        Some(&bot),
        Method::POST,
        "/api/v1/requests",
        Some(new(&hidden, "alice@example.com")),
    )
    .await;
    assert_eq!(answer.status, console.status, "{}", answer.body);
    assert!([403, 404].contains(&answer.status));

    // Nobody by that email: not found; bad input: invalid.
    assert_error(
        &api(
            &app,
            Some(&bot),
            Method::POST,
            "/api/v1/requests",
            Some(new(&l.entitlement_id, "ghost@example.com")),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &api(
            &app,
            Some(&bot),
            Method::POST,
            "/api/v1/requests",
            Some(json!({"entitlement_id": "x"})),
        )
        .await,
        422,
        "invalid",
    );
    assert_error(
        &api(
            &app,
            Some(&bot),
            Method::GET,
            "/api/v1/requests?status=lost",
            None,
        )
        .await,
        422,
        "invalid",
    );

    // The audit log says the token filed it for Alice; the request's own events are Alice's.
    let used = api(
        &app,
        Some(&bot),
        Method::GET,
        "/api/v1/audit?action=api_token.used",
        None,
    )
    .await;
    let alice = format!("user:{}", l.alice.user.id);
    let on_behalf: Vec<Value> = used.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str(e["after"].as_str().unwrap()).unwrap())
        .filter(|after: &Value| after["endpoint"] == "requests.create")
        .collect();
    assert!(!on_behalf.is_empty());
    for after in &on_behalf {
        assert_eq!(after["token"], "onboarding bot");
        assert_eq!(after["on_behalf_of"], alice.as_str());
    }
    let created = api(
        &app,
        Some(&bot),
        Method::GET,
        &format!("/api/v1/audit?action=request.created&target={number}"),
        None,
    )
    .await;
    let events = created.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", created.body);
    assert_eq!(events[0]["actor"], alice.as_str());
}

#[tokio::test]
async fn grants_are_listed_and_revoked_through_the_api() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let grant_id = l.granted(&app).await;
    let ops = token(&app, &l.admin, "offboarding", &[Scope::GrantsRevoke]).await;

    let listed = api(
        &app,
        Some(&ops),
        Method::GET,
        "/api/v1/grants?user_email=alice@example.com",
        None,
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let grants = listed.body["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["id"], grant_id.as_str());
    assert_eq!(grants[0]["status"], "active");

    let revoked = api(
        &app,
        Some(&ops),
        Method::POST,
        &format!("/api/v1/grants/{grant_id}/revoke"),
        None,
    )
    .await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    let after = api(
        &app,
        Some(&ops),
        Method::GET,
        "/api/v1/grants?user_email=alice@example.com",
        None,
    )
    .await;
    assert_ne!(
        after.body["grants"][0]["status"], "active",
        "{}",
        after.body
    );
    // The revocation is the token creator's (a Super Admin), in the same log.
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'grant.revoked' AND actor = 'user:{}'",
                l.admin.user.id
            )
        )
        .await,
        1
    );

    assert_error(
        &api(
            &app,
            Some(&ops),
            Method::POST,
            "/api/v1/grants/no-such-grant/revoke",
            None,
        )
        .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn the_audit_log_pages_back_and_names_the_token_on_each_use() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let auditor = token(&app, &l.admin, "auditor", &[Scope::AuditRead]).await;
    let total = scalar(&app, "SELECT COUNT(*) FROM audit_events").await;

    let mut seen = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let path = match before {
            Some(seq) => format!("/api/v1/audit?limit=3&before={seq}"),
            None => "/api/v1/audit?limit=3".to_string(),
        };
        let page = api(&app, Some(&auditor), Method::GET, &path, None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let events = page.body["events"].as_array().unwrap();
        assert!(events.len() <= 3);
        seen.extend(events.iter().map(|e| e["seq"].as_i64().unwrap()));
        match page.body["next_before"].as_i64() {
            Some(seq) => before = Some(seq),
            None => break,
        }
    }
    // Newest first, no gaps, nothing twice; each page's own use is logged before it is read.
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(seen, sorted);
    assert_eq!(*seen.last().unwrap(), 1);
    assert!(seen.len() as i64 > total, "{} <= {total}", seen.len());

    let used = api(
        &app,
        Some(&auditor),
        Method::GET,
        "/api/v1/audit?action=api_token.used&limit=500",
        None,
    )
    .await;
    let events = used.body["events"].as_array().unwrap();
    assert!(!events.is_empty());
    for event in events {
        let after: Value = serde_json::from_str(event["after"].as_str().unwrap()).unwrap();
        assert_eq!(after["token"], "auditor");
        assert_eq!(after["endpoint"], "audit.read");
        assert_eq!(event["actor"], format!("user:{}", l.admin.user.id));
    }
    assert_error(
        &api(
            &app,
            Some(&auditor),
            Method::GET,
            "/api/v1/audit?limit=0",
            None,
        )
        .await,
        422,
        "invalid",
    );
    // The token's last use is on its row.
    let listed = l.admin.ok(&app, ListApiTokens {}).await;
    assert!(listed[0].last_used_at.is_some());
    chain_is_intact(&app).await;
}

#[tokio::test]
async fn the_catalog_is_read_without_webhook_addresses() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let app_id = app_id_of(&app, &l.entitlement_id).await;
    l.admin
        .ok(
            &app,
            SaveEntitlement {
                provisioning: Some("webhook".into()),
                webhook_url: Some("https://hooks.example/secret-path".into()),
                max_duration: Some("7d".into()),
                ..entitlement_form(&app_id, "Replica")
            },
        )
        .await;
    let reader = token(&app, &l.admin, "reader", &[Scope::CatalogRead]).await;
    let answer = api(&app, Some(&reader), Method::GET, "/api/v1/catalog", None).await;
    assert_eq!(answer.status, 200);
    let apps = answer.body["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0]["name"], "Prod DB");
    let names: BTreeSet<&str> = apps[0]["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["Admin", "Replica"]));
    assert!(!answer.body.to_string().contains("hooks.example"));
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_served() {
    let app = spawn_app().await;
    // Public, JSON, OpenAPI 3.
    let answer = api(&app, None, Method::GET, "/api/v1/openapi.json", None).await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.body["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.")
    );
    let documented: BTreeSet<(String, String)> = answer.body["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = operations()
        .into_iter()
        .map(|(method, path, _, _, _)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(documented, expected);
    assert!(answer.body["components"]["securitySchemes"]["bearer"].is_object());

    // Routes exist only through utoipa-axum's `routes!`, each handler documented: the one
    // plain route is the document itself.
    for (file, source) in [
        ("mod.rs", include_str!("../../src/http/api_v1/mod.rs")),
        (
            "requests.rs",
            include_str!("../../src/http/api_v1/requests.rs"),
        ),
        ("grants.rs", include_str!("../../src/http/api_v1/grants.rs")),
        ("audit.rs", include_str!("../../src/http/api_v1/audit.rs")),
        (
            "catalog.rs",
            include_str!("../../src/http/api_v1/catalog.rs"),
        ),
    ] {
        let plain_routes = source.matches(".route(").count();
        assert_eq!(
            plain_routes,
            usize::from(file == "mod.rs"),
            "{file}: a route registered outside `routes!` is missing from the document"
        );
        if file != "mod.rs" {
            assert_eq!(
                source.matches("#[utoipa::path(").count(),
                source.matches("\npub async fn ").count(),
                "{file}: every handler needs #[utoipa::path]"
            );
        }
    }
    assert!(
        include_str!("../../src/http/api_v1/mod.rs").contains(".route(\n            OPENAPI_PATH,")
    );

    // Every documented route is served (not the API's 404), and unknown paths are JSON 404s.
    let app_token = {
        let l = jit_loop(&app).await;
        token(&app, &l.admin, "everything", Scope::ALL).await
    };
    for (method, documented, path, body, _) in operations() {
        let answer = api(&app, Some(&app_token), method.clone(), &path, body).await;
        let unknown = answer.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no such endpoint"));
        assert!(!unknown, "{method} {documented} is not served");
    }
    let missing = api(&app, Some(&app_token), Method::GET, "/api/v1/nothing", None).await;
    assert_error(&missing, 404, "not_found");
    // The leptos server functions below /api/ are untouched.
    assert_eq!(
        client()
            .post(app.url("/api/catalog/overview"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
}

#[tokio::test]
async fn a_catalog_tree_is_planned_and_applied_as_the_tokens_creator() {
    let app = spawn_app().await;
    let admin = person(&app, "admin@example.com", "Ada Admin", Role::SuperAdmin).await;
    let writer = token(
        &app,
        &admin,
        "catalog repo",
        &[Scope::CatalogWrite, Scope::CatalogRead],
    )
    .await;
    let tree = json!({"files": [{
        "path": "apps/billing.yaml",
        "apps": [{
            "name": "Billing",
            "owners": ["admin@example.com"],
            "entitlements": [{"name": "Viewer", "slug": "viewer", "maximum_duration": "7d"}],
        }],
    }]});
    let apps = |answer: &Answer| answer.body["apps"].as_array().unwrap().len();

    // A plan changes nothing.
    let plan = api(
        &app,
        Some(&writer),
        Method::POST,
        "/api/v1/catalog/apply",
        Some(json!({"tree": tree, "plan": true})),
    )
    .await;
    assert_eq!(plan.status, 200, "{}", plan.body);
    assert_eq!(plan.body["applied"], false);
    let summary = plan.body["summary"].as_str().unwrap();
    assert!(summary.contains("Plan: 2 to create"), "{summary}");
    let catalog = api(&app, Some(&writer), Method::GET, "/api/v1/catalog", None).await;
    assert_eq!(apps(&catalog), 0);

    // Applied: the app is there, its events are the creator's with the source ref.
    let applied = api(
        &app,
        Some(&writer),
        Method::POST,
        "/api/v1/catalog/apply",
        Some(json!({"tree": tree, "source_ref": "abc123"})),
    )
    .await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert_eq!(applied.body["applied"], true);
    let catalog = api(&app, Some(&writer), Method::GET, "/api/v1/catalog", None).await;
    assert_eq!(apps(&catalog), 1);
    assert_eq!(
        catalog.body["apps"][0]["entitlements"][0]["display_name"],
        "Viewer"
    );
    assert!(
        scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM audit_events WHERE rule = 'apply source_ref=abc123' AND actor = 'user:{}'",
                admin.user.id
            )
        )
        .await
            >= 1
    );

    // A tree with a problem changes nothing and says what is wrong.
    let broken = json!({"files": [{
        "path": "apps/broken.yaml",
        "apps": [{"name": "Broken", "default_request_policy": "Nope"}],
    }]});
    let answer = api(
        &app,
        Some(&writer),
        Method::POST,
        "/api/v1/catalog/apply",
        Some(json!({"tree": broken})),
    )
    .await;
    assert_error(&answer, 422, "invalid");
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("broken.yaml")
    );
    let catalog = api(&app, Some(&writer), Method::GET, "/api/v1/catalog", None).await;
    assert_eq!(apps(&catalog), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_token_without_javascript_is_refused_before_anything_is_made() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    // The page's own form, posted by a browser without JavaScript: the answer is a redirect back
    // to the page, which could not show the token's text, so none may be created.
    let response = l
        .admin
        .client
        .post(app.url("/api/tokens/create"))
        .header("Accept", "text/html")
        .header("Referer", app.url("/admin/tokens"))
        .header("Origin", app.address.as_str())
        .form(&[("name", "no-js"), ("audit_read", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let location = crate::helpers::location(&response);
    assert!(location.contains("__err="), "{location}");
    let made: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(made, 0);
    // With JavaScript (a server-function call) the same form makes the token.
    token(&app, &l.admin, "with-js", &[Scope::AuditRead]).await;
}
