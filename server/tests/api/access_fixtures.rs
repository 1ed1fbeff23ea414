//! Helpers for the access-core tests: people with their own signed-in clients, typed
//! server-function calls, and a catalog with a two-step policy and manual provisioning.
//!
//! A test calls a server function by building the argument struct `#[server]` generates for it
//! (`DecideRequest { id, step, verdict, .. }`) and gets back the function's declared output type
//! (`RequestDetail`, `Vec<GrantRow>`…): renaming an argument, or changing what a function returns,
//! breaks the test build instead of a test run. The methods on [`Person`] and [`Loop`] name the
//! steps tests repeat (`bob.approve(..)`, `alice.detail(..)`, `l.approve_both_steps(..)`).

// The argument structs the fixtures' forms are built from, for tests to fill in further.
pub use app::api::approvals::decide_request::DecideRequest;
pub use app::api::catalog::save_app::SaveApp;
pub use app::api::catalog::save_entitlement::SaveEntitlement;
pub use app::api::directory::update_directory_user::UpdateDirectoryUser;
pub use app::api::grants::complete_task::CompleteTask;
pub use app::api::grants::list_grants::ListGrants;
use app::api::grants::my_grants::MyGrants;
use app::api::grants::my_tasks::MyTasks;
use app::api::policies::list_policies::ListPolicies;
pub use app::api::policies::save_policy::SavePolicy;
pub use app::api::requests::create_request::CreateRequest;
use app::api::requests::request_detail::RequestDetail as RequestDetailCall;
// The domain values tests compare statuses and outcomes with.
use app::domain::Role;
pub use app::domain::{GrantStatus, Outcome, RemovalReason, RequestStatus, TaskOutcome, Verdict};
use app::error::AppError;
use app::session::CurrentUser;
use app::shapes::{GrantRow, RequestDetail, TaskRow};
use leptos::server_fn::ServerFn;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use crate::helpers::Refusal;
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

impl Person {
    /// Calls the server function whose generated argument struct `args` is, as this person
    /// (see [`helpers::call_server_fn`]): the function's declared output, or what refused it.
    pub async fn call<F>(&self, app: &TestApp, args: F) -> Result<F::Output, Refusal>
    where
        F: ServerFn<Error = AppError> + Serialize,
        F::Output: DeserializeOwned,
    {
        helpers::call_server_fn(app, &self.client, args).await
    }

    /// Like [`Person::call`], but the call must succeed.
    pub async fn ok<F>(&self, app: &TestApp, args: F) -> F::Output
    where
        F: ServerFn<Error = AppError> + Serialize,
        F::Output: DeserializeOwned,
    {
        let path = F::PATH;
        self.call(app, args)
            .await
            .unwrap_or_else(|refusal| panic!("{path} failed: {refusal:?}"))
    }

    /// Files a request (see [`new_request`]); returns its number ("REQ-1").
    pub async fn request(&self, app: &TestApp, request: CreateRequest) -> String {
        self.ok(app, request).await
    }

    /// Decides step `step` (1-based) of request `id` with no reason and the asked-for length.
    pub async fn decide(
        &self,
        app: &TestApp,
        id: &str,
        step: usize,
        verdict: Verdict,
    ) -> Result<String, Refusal> {
        self.call(app, decision(id, step, verdict)).await
    }

    /// Approves step `step` (1-based) of request `id`; the approval must be accepted.
    pub async fn approve(&self, app: &TestApp, id: &str, step: usize) {
        self.ok(app, decision(id, step, Verdict::Approved)).await;
    }

    /// Request `number` ("REQ-1") as this person's request page shows it.
    pub async fn detail(&self, app: &TestApp, number: &str) -> RequestDetail {
        self.ok(
            app,
            RequestDetailCall {
                number: number.to_string(),
            },
        )
        .await
    }

    /// This person's grants ("My access").
    pub async fn grants(&self, app: &TestApp) -> Vec<GrantRow> {
        self.ok(app, MyGrants {}).await
    }

    /// The provisioning tasks this person can see.
    pub async fn tasks(&self, app: &TestApp) -> Vec<TaskRow> {
        self.ok(app, MyTasks {}).await
    }

    /// The id of the only open task this person can see.
    pub async fn only_task(&self, app: &TestApp) -> String {
        let tasks = self.tasks(app).await;
        assert_eq!(tasks.len(), 1, "expected exactly one open task: {tasks:?}");
        tasks[0].id.clone()
    }

    /// Completes the only open task this person can see with `outcome` and no note.
    pub async fn complete_only_task(&self, app: &TestApp, outcome: TaskOutcome) {
        let id = self.only_task(app).await;
        self.ok(app, completion(&id, outcome, None)).await;
    }
}

/// A request for `entitlement_id` for oneself, for the default length, neither an emergency nor
/// an extension; change the rest with `CreateRequest { duration: Some(..), ..new_request(..) }`.
pub fn new_request(entitlement_id: &str, justification: &str) -> CreateRequest {
    CreateRequest {
        entitlement_id: entitlement_id.into(),
        subject_email: None,
        duration: None,
        justification: justification.into(),
        emergency: None,
        extension: None,
    }
}

/// Completing task `id` with `outcome`, and `note` if any.
pub fn completion(id: &str, outcome: TaskOutcome, note: Option<&str>) -> CompleteTask {
    CompleteTask {
        id: id.into(),
        outcome: outcome.as_str().into(),
        note: note.map(str::to_string),
    }
}

/// A decision on step `step` (1-based) of request `id`, with no reason and the asked-for length.
pub fn decision(id: &str, step: usize, verdict: Verdict) -> DecideRequest {
    DecideRequest {
        id: id.into(),
        step,
        verdict: verdict.as_str().into(),
        reason: None,
        length: None,
    }
}

/// The entitlement form with only the app and the display name filled in (a new entitlement);
/// fill more with `SaveEntitlement { risk: Some(..), ..entitlement_form(..) }`.
pub fn entitlement_form(app_id: &str, display_name: &str) -> SaveEntitlement {
    SaveEntitlement {
        id: None,
        app_id: app_id.into(),
        display_name: display_name.into(),
        slug: None,
        description: None,
        alias: None,
        risk: None,
        owners: None,
        max_duration: None,
        request_policy: None,
        emergency_policy: None,
        review_policy: None,
        provisioning: None,
        provisioners: None,
        webhook_url: None,
        visible_to: None,
        visibility: None,
        version: None,
    }
}

/// The app form with only the name filled in (a new app).
pub fn app_form(name: &str) -> SaveApp {
    SaveApp {
        id: None,
        name: name.into(),
        description: None,
        owners: None,
        instructions: None,
        default_policy: None,
        version: None,
    }
}

/// The admin grants list with no filter.
pub fn all_grants() -> ListGrants {
    ListGrants {
        app_id: None,
        entitlement_id: None,
        user_email: None,
        expiring_within_days: None,
        include_removed: None,
    }
}

/// Calls server function `endpoint` (under /api/) with form fields; returns status and JSON.
///
/// The raw escape hatch, stringly on purpose: for tests that send what the argument struct
/// cannot express (a missing required field, a value of the wrong type, a Content-Type the
/// server-function layer must refuse). Everything else goes through [`Person::call`].
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

/// The policy [`jit_loop`] saves: Alice's manager, then the app owners.
pub const MANAGER_THEN_OWNER: &str = "Manager then owner";

/// Admin-built catalog: app "Prod DB" owned by Carol; entitlement "admin" (7 days max) with a
/// two-step policy (Alice's manager Bob, then the app owners) and manual provisioning by Carol.
pub async fn jit_loop(app: &TestApp) -> Loop {
    let admin = person(app, "admin@example.com", "Ada Admin", Role::SuperAdmin).await;
    let alice = person(app, "alice@example.com", "Alice Requester", Role::BasicUser).await;
    let bob = person(app, "bob@example.com", "Bob Manager", Role::BasicUser).await;
    let carol = person(app, "carol@example.com", "Carol Owner", Role::BasicUser).await;
    admin
        .ok(
            app,
            UpdateDirectoryUser {
                id: alice.user.id,
                name: "Alice Requester".into(),
                manager_email: Some("bob@example.com".into()),
                department: Some("Engineering".into()),
                job_title: Some("SRE".into()),
                status: "active".into(),
            },
        )
        .await;
    let policy_json = serde_json::json!({
        "name": MANAGER_THEN_OWNER,
        "steps": [
            {"kind": "approval", "manager": true, "require_denial_reason": true},
            {"kind": "approval", "app_owners": true, "require_distinct_approvers": true},
        ],
    })
    .to_string();
    let policy = admin
        .ok(
            app,
            SavePolicy {
                id: None,
                policy_json,
                version: None,
            },
        )
        .await;
    let app_id = admin
        .ok(
            app,
            SaveApp {
                description: Some("The production database".into()),
                owners: Some("carol@example.com".into()),
                instructions: Some("Add the user to the `admins` role.".into()),
                ..app_form("Prod DB")
            },
        )
        .await;
    let entitlement_id = admin
        .ok(app, admin_entitlement_form(&app_id, None, &policy))
        .await;
    Loop {
        admin,
        alice,
        bob,
        carol,
        entitlement_id,
    }
}

/// The loop's "Admin" entitlement as [`jit_loop`] saves it (`id` None: the first save).
fn admin_entitlement_form(app_id: &str, id: Option<&str>, policy: &str) -> SaveEntitlement {
    SaveEntitlement {
        id: id.map(str::to_string),
        slug: Some("admin".into()),
        risk: Some("high".into()),
        max_duration: Some("7d".into()),
        request_policy: Some(policy.into()),
        provisioning: Some("manual".into()),
        provisioners: Some("carol@example.com".into()),
        ..entitlement_form(app_id, "Admin")
    }
}

impl Loop {
    /// Alice asks for the admin entitlement for a day; returns (request id, number).
    pub async fn request_admin(&self, app: &TestApp) -> (String, String) {
        let number = self
            .alice
            .request(
                app,
                CreateRequest {
                    duration: Some("1d".into()),
                    ..new_request(&self.entitlement_id, "Investigating INC-42")
                },
            )
            .await;
        let detail = self.alice.detail(app, &number).await;
        (detail.summary.id, number)
    }

    /// Approves request `id` of the loop's entitlement at both steps: Bob (the manager), then
    /// Carol (the app owner).
    pub async fn approve_both_steps(&self, app: &TestApp, id: &str) {
        self.bob.approve(app, id, 1).await;
        self.carol.approve(app, id, 2).await;
    }

    /// Runs the loop up to an active grant of the loop's entitlement (both approvals, the app
    /// owner's provisioning); returns the grant's id.
    pub async fn granted(&self, app: &TestApp) -> String {
        let (id, _) = self.request_admin(app).await;
        self.approve_both_steps(app, &id).await;
        self.carol.complete_only_task(app, TaskOutcome::Done).await;
        let grants = self.alice.grants(app).await;
        grants[0].id.clone()
    }

    /// The loop's "Admin" entitlement form as [`jit_loop`] saved it, ready to save again with
    /// changes: `l.admin.ok(&app, SaveEntitlement { emergency_policy: .., ..form })`.
    pub async fn admin_entitlement(&self, app: &TestApp) -> SaveEntitlement {
        let app_id = app_id_of(app, &self.entitlement_id).await;
        let policy = policy_id(app, &self.admin, MANAGER_THEN_OWNER).await;
        admin_entitlement_form(&app_id, Some(&self.entitlement_id), &policy)
    }

    /// Saves the loop's "Admin" entitlement again as [`jit_loop`] made it, with `change` applied
    /// (an emergency policy, webhook provisioning, other provisioners…).
    pub async fn resave_admin_entitlement(
        &self,
        app: &TestApp,
        change: impl FnOnce(&mut SaveEntitlement),
    ) {
        let mut form = self.admin_entitlement(app).await;
        change(&mut form);
        self.admin.ok(app, form).await;
    }
}

/// Alice asks for the admin entitlement for a day; returns (request id, number). (The free form
/// of [`Loop::request_admin`], which role_matrix.rs uses.)
pub async fn request_admin(app: &TestApp, l: &Loop) -> (String, String) {
    l.request_admin(app).await
}

/// The id of the only open task visible to `who` ([`Person::only_task`], for role_matrix.rs).
pub async fn only_task(app: &TestApp, who: &Person) -> String {
    who.only_task(app).await
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
    let policies = admin.ok(app, ListPolicies {}).await;
    policies
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.id.as_str().to_string())
        .unwrap_or_else(|| panic!("no policy called {name}: {policies:?}"))
}

/// Saves a policy with one approval step by the app owners; returns its id.
pub async fn owner_approval_policy(app: &TestApp, admin: &Person, name: &str) -> String {
    let policy_json = serde_json::json!({
        "name": name,
        "steps": [{"kind": "approval", "app_owners": true}],
    })
    .to_string();
    admin
        .ok(
            app,
            SavePolicy {
                id: None,
                policy_json,
                version: None,
            },
        )
        .await
}

/// Saves the loop's "Admin" entitlement again as [`jit_loop`] made it, with the fields in
/// `changes` replaced or added. String-keyed, kept for role_matrix.rs; the typed form is
/// [`Loop::resave_admin_entitlement`].
pub async fn resave_admin_entitlement(app: &TestApp, l: &Loop, changes: &[(&str, &str)]) {
    let app_id = app_id_of(app, &l.entitlement_id).await;
    let policy = policy_id(app, &l.admin, MANAGER_THEN_OWNER).await;
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

/// `who` completes the only open task they can see with `outcome` ("done", "wont_do",
/// "errored"): [`Person::complete_only_task`] as role_matrix.rs calls it.
pub async fn complete_only_task(app: &TestApp, who: &Person, outcome: &str) {
    let outcome = TaskOutcome::parse(outcome).expect("a task outcome");
    who.complete_only_task(app, outcome).await;
}

/// The id of the app that entitlement `entitlement_id` belongs to.
pub async fn app_id_of(app: &TestApp, entitlement_id: &str) -> String {
    sqlx::query_scalar("SELECT app_id FROM entitlements WHERE id = $1")
        .bind(entitlement_id)
        .fetch_one(&app.db.pool)
        .await
        .expect("the entitlement's app")
}
