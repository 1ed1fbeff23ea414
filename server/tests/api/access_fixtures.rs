//! Helpers for the access-core tests: people with their own signed-in clients, server-function
//! calls, and a catalog with a two-step policy and manual provisioning.

use app::session::{CurrentUser, Role};
use serde_json::Value;

use crate::helpers::{self, PASSWORD, TestApp};

/// A signed-in person with their own cookie jar.
pub struct Person {
    pub user: CurrentUser,
    pub client: reqwest::Client,
}

pub async fn person(app: &TestApp, email: &str, name: &str, role: Role) -> Person {
    let user = app.create_user(email, name, role).await;
    let client = helpers::client();
    let response = app.post_login(&client, email, PASSWORD, "/").await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "sign-in of {email} should redirect"
    );
    Person { user, client }
}

/// Calls server function `endpoint` (under /api/) with form fields; returns status and JSON.
pub async fn call(
    app: &TestApp,
    who: &Person,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let response = who
        .client
        .post(app.url(&format!("/api/{endpoint}")))
        .header("Accept", "application/json")
        .form(form)
        .send()
        .await
        .expect("call server function");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}

/// Like [`call`], but the call must succeed.
pub async fn ok(app: &TestApp, who: &Person, endpoint: &str, form: &[(&str, &str)]) -> Value {
    let (status, json) = call(app, who, endpoint, form).await;
    assert_eq!(status, 200, "{endpoint} failed: {json}");
    json
}

pub fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

/// The cast of the JIT loop: an admin, a requester, her manager and the app owner who provisions.
pub struct Loop {
    pub admin: Person,
    pub alice: Person,
    pub bob: Person,
    pub carol: Person,
    pub entitlement_id: String,
}

/// Admin-built catalog: app "Prod DB" owned by Carol; entitlement "admin" (7 days max) with a
/// two-step policy (Alice's manager Bob, then the app owners) and manual provisioning by Carol.
pub async fn jit_loop(app: &TestApp) -> Loop {
    let admin = person(app, "admin@example.com", "Ada Admin", Role::SuperAdmin).await;
    let alice = person(app, "alice@example.com", "Alice Requester", Role::User).await;
    let bob = person(app, "bob@example.com", "Bob Manager", Role::User).await;
    let carol = person(app, "carol@example.com", "Carol Owner", Role::User).await;
    ok(
        app,
        &admin,
        "directory/update_user",
        &[
            ("id", &alice.user.id.to_string()),
            ("name", "Alice Requester"),
            ("manager_email", "bob@example.com"),
            ("department", "Engineering"),
            ("job_title", "SRE"),
            ("status", "active"),
        ],
    )
    .await;
    let policy_json = serde_json::json!({
        "name": "Manager then owner",
        "steps": [
            {"kind": "approval", "manager": true, "require_denial_reason": true},
            {"kind": "approval", "app_owners": true, "require_distinct_approvers": true},
        ],
    })
    .to_string();
    let policy = text(
        &ok(
            app,
            &admin,
            "policies/save",
            &[("policy_json", &policy_json)],
        )
        .await,
    );
    let app_id = text(
        &ok(
            app,
            &admin,
            "catalog/save_app",
            &[
                ("name", "Prod DB"),
                ("description", "The production database"),
                ("owners", "carol@example.com"),
                ("instructions", "Add the user to the `admins` role."),
            ],
        )
        .await,
    );
    let entitlement_id = text(
        &ok(
            app,
            &admin,
            "catalog/save_entitlement",
            &[
                ("app_id", &app_id),
                ("display_name", "Admin"),
                ("slug", "admin"),
                ("risk", "high"),
                ("max_duration", "7d"),
                ("request_policy", &policy),
                ("provisioning", "manual"),
                ("provisioners", "carol@example.com"),
            ],
        )
        .await,
    );
    Loop {
        admin,
        alice,
        bob,
        carol,
        entitlement_id,
    }
}

/// Alice asks for the admin entitlement for a day; returns (request id, number).
pub async fn request_admin(app: &TestApp, l: &Loop) -> (String, String) {
    let number = text(
        &ok(
            app,
            &l.alice,
            "requests/create",
            &[
                ("entitlement_id", &l.entitlement_id),
                ("duration", "1d"),
                ("justification", "Investigating INC-42"),
            ],
        )
        .await,
    );
    let detail = ok(app, &l.alice, "requests/detail", &[("number", &number)]).await;
    (text(&detail["summary"]["id"]), number)
}

/// The id of the only open task visible to `who`.
pub async fn only_task(app: &TestApp, who: &Person) -> String {
    let tasks = ok(app, who, "grants/tasks", &[]).await;
    let tasks = tasks.as_array().expect("tasks list");
    assert_eq!(tasks.len(), 1, "expected exactly one open task: {tasks:?}");
    text(&tasks[0]["id"])
}

/// Moves a grant's expiry into the past (stored column and domain body alike).
pub async fn backdate_grant(app: &TestApp, grant_id: &str) {
    use sqlx::Row;
    let row = sqlx::query("SELECT body FROM grants WHERE id = $1")
        .bind(grant_id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let mut body: Value = serde_json::from_str(&row.try_get::<String, _>("body").unwrap()).unwrap();
    let past = app::ssr::clock::now_ms() - 1_000;
    body["expires_at"] = Value::from(past);
    sqlx::query("UPDATE grants SET body = $1, expires_at = $2 WHERE id = $3")
        .bind(body.to_string())
        .bind(past)
        .bind(grant_id)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

/// The single integer `sql` selects (a count, usually).
pub async fn scalar(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

/// The id of the policy called `name`.
pub async fn policy_id(app: &TestApp, admin: &Person, name: &str) -> String {
    let policies = ok(app, admin, "policies/list", &[]).await;
    policies
        .as_array()
        .expect("policy list")
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| text(&p["id"]))
        .unwrap_or_else(|| panic!("no policy called {name}: {policies}"))
}

/// Saves a policy with one approval step by the app owners; returns its id.
pub async fn owner_approval_policy(app: &TestApp, admin: &Person, name: &str) -> String {
    let policy = serde_json::json!({
        "name": name,
        "steps": [{"kind": "approval", "app_owners": true}],
    })
    .to_string();
    text(&ok(app, admin, "policies/save", &[("policy_json", &policy)]).await)
}

/// Saves the loop's "Admin" entitlement again as [`jit_loop`] made it, with the fields in
/// `changes` replaced or added (e.g. an emergency policy, or webhook provisioning).
pub async fn resave_admin_entitlement(app: &TestApp, l: &Loop, changes: &[(&str, &str)]) {
    let app_id = app_id_of(app, &l.entitlement_id).await;
    let policy = policy_id(app, &l.admin, "Manager then owner").await;
    let mut form: Vec<(&str, &str)> = vec![
        ("id", &l.entitlement_id),
        ("app_id", &app_id),
        ("display_name", "Admin"),
        ("slug", "admin"),
        ("risk", "high"),
        ("max_duration", "7d"),
        ("request_policy", &policy),
        ("provisioning", "manual"),
        ("provisioners", "carol@example.com"),
    ];
    for (key, value) in changes {
        form.retain(|(k, _)| k != key);
        form.push((key, value));
    }
    ok(app, &l.admin, "catalog/save_entitlement", &form).await;
}

/// Asserts that the audit log's hash chain verifies.
pub async fn chain_is_intact(app: &TestApp) {
    use app::ssr::access::audit::{self, Verification};
    let verification = audit::verify(&app.db).await.unwrap();
    assert!(
        matches!(verification, Verification::Intact { .. }),
        "{verification:?}"
    );
}

/// `who` completes the only open task they can see with `outcome` ("done", "wont_do", "errored").
pub async fn complete_only_task(app: &TestApp, who: &Person, outcome: &str) {
    let task = only_task(app, who).await;
    ok(
        app,
        who,
        "grants/complete_task",
        &[("id", &task), ("outcome", outcome)],
    )
    .await;
}

/// The id of the app that entitlement `entitlement_id` belongs to.
pub async fn app_id_of(app: &TestApp, entitlement_id: &str) -> String {
    sqlx::query_scalar("SELECT app_id FROM entitlements WHERE id = $1")
        .bind(entitlement_id)
        .fetch_one(&app.db.pool)
        .await
        .expect("the entitlement's app")
}

/// Runs the loop up to an active grant of the loop's entitlement (both approvals, the app
/// owner's provisioning); returns the grant's id.
pub async fn granted(app: &TestApp, l: &Loop) -> String {
    let (id, _) = request_admin(app, l).await;
    approve_both_steps(app, l, &id).await;
    complete_only_task(app, &l.carol, "done").await;
    let grants = ok(app, &l.alice, "grants/mine", &[]).await;
    text(&grants[0]["id"])
}

/// Approves request `id` of the loop's entitlement at both steps: Bob (the manager), then Carol
/// (the app owner).
pub async fn approve_both_steps(app: &TestApp, l: &Loop, id: &str) {
    for (who, step) in [(&l.bob, "1"), (&l.carol, "2")] {
        ok(
            app,
            who,
            "approvals/decide",
            &[("id", id), ("step", step), ("verdict", "approved")],
        )
        .await;
    }
}
