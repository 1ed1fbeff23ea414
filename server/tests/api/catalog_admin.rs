//! Super Admins edit the catalog (apps and entitlements) and the directory's groups: edits change
//! what is stored and what requesters see, bad edits are refused with errors that name the field
//! and change nothing, non-admins are refused, and every change is audited with before and after.

use serde_json::Value;
use sqlx::Row;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};
use app::session::Role;

/// The stored JSON body of entitlement or app `id`.
async fn body(app: &TestApp, table: &str, id: &str) -> Value {
    let row = sqlx::query(&format!("SELECT body FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    serde_json::from_str(&row.try_get::<String, _>("body").unwrap()).unwrap()
}

/// The latest audit event with `action`: (target, before, after) as JSON.
async fn last_audit(app: &TestApp, action: &str) -> (String, Value, Value) {
    let row = sqlx::query(
        "SELECT target, before_json, after_json FROM audit_events WHERE action = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(action)
    .fetch_one(&app.db.pool)
    .await
    .unwrap_or_else(|e| panic!("no audit event {action}: {e}"));
    let json = |c: &str| {
        row.try_get::<Option<String>, _>(c)
            .unwrap()
            .map_or(Value::Null, |t| serde_json::from_str(&t).unwrap())
    };
    (
        row.try_get("target").unwrap(),
        json("before_json"),
        json("after_json"),
    )
}

/// The loop's catalog plus the ids the edit forms carry.
struct Catalog {
    l: Loop,
    app_id: String,
    policy_id: String,
}

async fn catalog(app: &TestApp) -> Catalog {
    let l = jit_loop(app).await;
    let ent = body(app, "entitlements", &l.entitlement_id).await;
    Catalog {
        app_id: text(&ent["app_id"]),
        policy_id: text(&ent["request_policy"]),
        l,
    }
}

/// The entitlement form as the edit page fills it (the loop's current values), with `changes`.
fn entitlement_form<'a>(c: &'a Catalog, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<(&str, &str)> = vec![
        ("id", &c.l.entitlement_id),
        ("app_id", &c.app_id),
        ("display_name", "Admin"),
        ("slug", "admin"),
        ("description", ""),
        ("alias", ""),
        ("risk", "high"),
        ("owners", ""),
        ("max_duration", "7d"),
        ("request_policy", &c.policy_id),
        ("emergency_policy", ""),
        ("provisioning", "manual"),
        ("provisioners", "carol@example.com"),
        ("webhook_url", ""),
        ("visibility", "everyone"),
        ("visible_to", ""),
    ];
    for (k, v) in changes {
        match form.iter_mut().find(|(f, _)| f == k) {
            Some(field) => field.1 = v,
            None => form.push((k, v)),
        }
    }
    form
}

fn app_form<'a>(c: &'a Catalog, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<(&str, &str)> = vec![
        ("id", &c.app_id),
        ("name", "Prod DB"),
        ("description", "The production database"),
        ("owners", "carol@example.com"),
        ("instructions", "Add the user to the `admins` role."),
        ("default_policy", ""),
    ];
    for (k, v) in changes {
        if let Some(field) = form.iter_mut().find(|(f, _)| f == k) {
            field.1 = v;
        }
    }
    form
}

fn requestable_max(list: &Value, entitlement_id: &str) -> Option<String> {
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == entitlement_id)
        .map(|e| text(&e["max"]))
}

fn message(v: &Value) -> String {
    v.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_an_entitlement_changes_what_is_stored_and_caps_new_requests_at_the_new_maximum() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    let before = body(&app, "entitlements", &c.l.entitlement_id).await;
    assert_eq!(
        requestable_max(
            &ok(&app, &c.l.alice, "requests/requestable", &[]).await,
            &c.l.entitlement_id
        ),
        Some("1 week".into())
    );

    let id = text(
        &ok(
            &app,
            &c.l.admin,
            "catalog/save_entitlement",
            &entitlement_form(
                &c,
                &[
                    ("display_name", "Administrator"),
                    ("description", "Full control of the database"),
                    ("alias", "prod-db-admin"),
                    ("risk", "critical"),
                    ("owners", "bob@example.com"),
                    ("max_duration", "2d"),
                    ("emergency_policy", "builtin-auto-approval"),
                ],
            ),
        )
        .await,
    );
    assert_eq!(id, c.l.entitlement_id, "an edit keeps the entitlement's id");

    let after = body(&app, "entitlements", &c.l.entitlement_id).await;
    assert_eq!(after["display_name"], "Administrator");
    assert_eq!(after["slug"], "admin");
    assert_eq!(after["alias"], "prod-db-admin");
    assert_eq!(after["risk"], "critical");
    assert_eq!(after["description"], "Full control of the database");
    assert_eq!(after["max_duration"]["secs"], 2 * 86_400);
    assert_eq!(after["emergency_policy"], "builtin-auto-approval");
    assert_eq!(after["request_policy"], before["request_policy"]);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM entitlement_owners").await,
        1,
        "Bob is now the only entitlement owner"
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM entitlements").await,
        1,
        "an edit does not create a second entitlement"
    );

    // Requesters see the new maximum, and a longer request is refused.
    let list = ok(&app, &c.l.alice, "requests/requestable", &[]).await;
    assert_eq!(
        requestable_max(&list, &c.l.entitlement_id),
        Some("2 days".into())
    );
    let (status, error) = call(
        &app,
        &c.l.alice,
        "requests/create",
        &[
            ("entitlement_id", &c.l.entitlement_id),
            ("duration", "3d"),
            ("justification", "Longer than allowed"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{error}");
    assert!(message(&error).contains("2 days"), "{error}");
    ok(
        &app,
        &c.l.alice,
        "requests/create",
        &[
            ("entitlement_id", &c.l.entitlement_id),
            ("duration", "2d"),
            ("justification", "Within the new maximum"),
        ],
    )
    .await;

    // The catalog page's data shows the whole configuration with names, not ids.
    let overview = ok(&app, &c.l.alice, "catalog/overview", &[]).await;
    let ent = &overview["apps"][0]["entitlements"][0];
    assert_eq!(ent["alias"], "prod-db-admin");
    let bob_id = c.l.bob.user.id.to_string();
    assert_eq!(overview["people"][&bob_id], "bob@example.com");

    // The audit event has the entitlement before and after.
    let (target, before_audit, after_audit) = last_audit(&app, "catalog.entitlement_updated").await;
    assert_eq!(target, "entitlement:prod-db/admin");
    assert_eq!(before_audit["alias"], Value::Null);
    assert_eq!(before_audit["max_duration"]["secs"], 7 * 86_400);
    assert_eq!(after_audit["alias"], "prod-db-admin");
    assert_eq!(after_audit["max_duration"]["secs"], 2 * 86_400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limiting_an_entitlement_to_a_group_hides_it_from_everyone_else() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    ok(
        &app,
        &c.l.admin,
        "directory/save_group",
        &[("name", "Database Team"), ("members", "bob@example.com")],
    )
    .await;
    ok(
        &app,
        &c.l.admin,
        "catalog/save_entitlement",
        &entitlement_form(
            &c,
            &[("visibility", "groups"), ("visible_to", "Database Team")],
        ),
    )
    .await;

    for (who, sees) in [(&c.l.alice, false), (&c.l.bob, true)] {
        let list = ok(&app, who, "requests/requestable", &[]).await;
        assert_eq!(
            requestable_max(&list, &c.l.entitlement_id).is_some(),
            sees,
            "{}: {list}",
            who.user.email
        );
        let overview = ok(&app, who, "catalog/overview", &[]).await;
        let shown = overview["apps"][0]["entitlements"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(shown, usize::from(sees), "{}: {overview}", who.user.email);
    }
    let (status, error) = call(
        &app,
        &c.l.alice,
        "requests/create",
        &[
            ("entitlement_id", &c.l.entitlement_id),
            ("duration", "1d"),
            ("justification", "Not for me"),
        ],
    )
    .await;
    assert_eq!(status, 403, "{error}");
    // Admins still see it, with the group's name.
    let overview = ok(&app, &c.l.admin, "catalog/overview", &[]).await;
    assert_eq!(
        overview["apps"][0]["entitlements"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(message(&overview["groups"]).contains("Database Team"));

    // "Nobody" hides it from everyone, and a later edit to "everyone" shows it again.
    ok(
        &app,
        &c.l.admin,
        "catalog/save_entitlement",
        &entitlement_form(&c, &[("visibility", "nobody")]),
    )
    .await;
    let stored = body(&app, "entitlements", &c.l.entitlement_id).await;
    assert_eq!(stored["visibility"]["kind"], "groups");
    assert_eq!(stored["visibility"]["groups"].as_array().unwrap().len(), 0);
    let list = ok(&app, &c.l.bob, "requests/requestable", &[]).await;
    assert!(requestable_max(&list, &c.l.entitlement_id).is_none());
    ok(
        &app,
        &c.l.admin,
        "catalog/save_entitlement",
        &entitlement_form(&c, &[]),
    )
    .await;
    let list = ok(&app, &c.l.alice, "requests/requestable", &[]).await;
    assert!(requestable_max(&list, &c.l.entitlement_id).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_an_app_changes_its_owners_instructions_and_default_policy_with_an_audited_before_and_after()
 {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    ok(
        &app,
        &c.l.admin,
        "catalog/save_app",
        &app_form(
            &c,
            &[
                ("name", "Production DB"),
                ("description", "Primary PostgreSQL"),
                ("owners", "bob@example.com, carol@example.com"),
                ("instructions", "Run `grant-admin <user>` on the bastion."),
                ("default_policy", "builtin-auto-approval"),
            ],
        ),
    )
    .await;
    let stored = body(&app, "apps", &c.app_id).await;
    assert_eq!(stored["name"], "Production DB");
    assert_eq!(stored["slug"], "prod-db", "renaming keeps the slug");
    assert_eq!(stored["default_request_policy"], "builtin-auto-approval");
    assert_eq!(
        stored["instructions"],
        "Run `grant-admin <user>` on the bastion."
    );
    assert_eq!(stored["owners"].as_array().unwrap().len(), 2);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM app_owners").await, 2);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM apps").await, 1);

    // Manual provisioning tasks will carry the new instructions.
    let ent = body(&app, "entitlements", &c.l.entitlement_id).await;
    assert_eq!(
        ent["provisioning"]["instructions"],
        "Run `grant-admin <user>` on the bastion."
    );

    let overview = ok(&app, &c.l.alice, "catalog/overview", &[]).await;
    assert_eq!(overview["apps"][0]["description"], "Primary PostgreSQL");

    let (target, before, after) = last_audit(&app, "catalog.app_updated").await;
    assert_eq!(target, "app:prod-db");
    assert_eq!(before["name"], "Prod DB");
    assert_eq!(before["default_request_policy"], Value::Null);
    assert_eq!(after["name"], "Production DB");
    assert_eq!(after["default_request_policy"], "builtin-auto-approval");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_beyond_the_organisation_wide_maximum_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    ok(&app, &c.l.admin, "catalog/set_grant_cap", &[("days", "30")]).await;
    let stored = body(&app, "entitlements", &c.l.entitlement_id).await;
    let events = scalar(&app, "SELECT COUNT(*) FROM audit_events").await;

    for max in ["45d", "indefinite"] {
        let (status, error) = call(
            &app,
            &c.l.admin,
            "catalog/save_entitlement",
            &entitlement_form(&c, &[("max_duration", max), ("alias", "should-not-stick")]),
        )
        .await;
        assert_eq!(status, 422, "{max}: {error}");
        assert!(
            message(&error).contains("organisation-wide maximum"),
            "{error}"
        );
        assert!(message(&error).contains("maximum duration"), "{error}");
    }
    assert_eq!(
        body(&app, "entitlements", &c.l.entitlement_id).await,
        stored
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM audit_events").await,
        events
    );

    // Within the cap it is accepted.
    ok(
        &app,
        &c.l.admin,
        "catalog/save_entitlement",
        &entitlement_form(&c, &[("max_duration", "30d")]),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_catalog_edits_name_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    // A second entitlement that already uses the alias "prod".
    ok(
        &app,
        &c.l.admin,
        "catalog/save_entitlement",
        &[
            ("app_id", c.app_id.as_str()),
            ("display_name", "Read only"),
            ("alias", "prod"),
            ("max_duration", "7d"),
        ],
    )
    .await;
    let other_app = text(&ok(&app, &c.l.admin, "catalog/save_app", &[("name", "Billing")]).await);
    let stored = body(&app, "entitlements", &c.l.entitlement_id).await;
    let stored_app = body(&app, "apps", &c.app_id).await;

    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("alias", "Prod Admin")], "alias"),
        (vec![("alias", "prod")], "already the alias"),
        (vec![("slug", "Admin!")], "slug"),
        (vec![("slug", "read-only")], "slug"),
        (vec![("max_duration", "forever")], "maximum length"),
        (vec![("owners", "nobody@example.com")], "owner"),
        (vec![("provisioners", "ghost@example.com")], "provisioner"),
        (
            vec![
                ("provisioning", "webhook"),
                ("webhook_url", "http://example.com/hook"),
            ],
            "webhook URL",
        ),
        (
            vec![("visibility", "groups"), ("visible_to", "No Such Team")],
            "visibility group",
        ),
        (vec![("visibility", "groups"), ("visible_to", "")], "group"),
        (vec![("request_policy", "deleted-policy")], "request policy"),
        (vec![("display_name", "")], "name"),
        (vec![("app_id", other_app.as_str())], "another app"),
    ];
    for (changes, field) in cases {
        let (status, error) = call(
            &app,
            &c.l.admin,
            "catalog/save_entitlement",
            &entitlement_form(&c, &changes),
        )
        .await;
        assert_eq!(status, 422, "{changes:?}: {error}");
        assert!(
            message(&error)
                .to_lowercase()
                .contains(&field.to_lowercase()),
            "{changes:?} should name {field}: {error}"
        );
    }
    assert_eq!(
        body(&app, "entitlements", &c.l.entitlement_id).await,
        stored
    );

    for (changes, field) in [
        (vec![("owners", "stranger@example.com")], "owner"),
        (
            vec![("default_policy", "no-such-policy")],
            "default request policy",
        ),
        (vec![("name", "")], "app name"),
    ] {
        let (status, error) = call(
            &app,
            &c.l.admin,
            "catalog/save_app",
            &app_form(&c, &changes),
        )
        .await;
        assert_eq!(status, 422, "{changes:?}: {error}");
        assert!(
            message(&error).to_lowercase().contains(field),
            "{changes:?} should name {field}: {error}"
        );
    }
    assert_eq!(body(&app, "apps", &c.app_id).await, stored_app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_who_are_not_super_admins_cannot_edit_the_catalog_or_groups() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    let group = text(
        &ok(
            &app,
            &c.l.admin,
            "directory/save_group",
            &[("name", "Engineering"), ("members", "alice@example.com")],
        )
        .await,
    );
    let stored = body(&app, "entitlements", &c.l.entitlement_id).await;
    let stored_app = body(&app, "apps", &c.app_id).await;
    let alice_id = c.l.alice.user.id.to_string();

    let attempts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "catalog/save_entitlement",
            entitlement_form(&c, &[("max_duration", "1h")]),
        ),
        ("catalog/save_app", app_form(&c, &[("name", "Mine now")])),
        (
            "directory/remove_member",
            vec![("group_id", group.as_str()), ("user_id", alice_id.as_str())],
        ),
        ("directory/delete_group", vec![("group_id", group.as_str())]),
        ("directory/groups", vec![]),
    ];
    // Carol owns the app, and still is no Super Admin.
    for who in [&c.l.alice, &c.l.carol] {
        for (endpoint, form) in &attempts {
            let (status, _) = call(&app, who, endpoint, form).await;
            assert_eq!(status, 403, "{} calling {endpoint}", who.user.email);
        }
    }
    assert_eq!(
        body(&app, "entitlements", &c.l.entitlement_id).await,
        stored
    );
    assert_eq!(body(&app, "apps", &c.app_id).await, stored_app);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM group_members").await, 1);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM groups").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_group_member_takes_only_them_out_and_is_audited() {
    let app = spawn_app().await;
    let admin = person(&app, "admin@example.com", "Ada Admin", Role::SuperAdmin).await;
    let alice = person(&app, "alice@example.com", "Alice", Role::User).await;
    person(&app, "bob@example.com", "Bob", Role::User).await;
    let group = text(
        &ok(
            &app,
            &admin,
            "directory/save_group",
            &[
                ("name", "On-call SRE"),
                ("members", "alice@example.com, bob@example.com"),
            ],
        )
        .await,
    );
    let groups = ok(&app, &admin, "directory/groups", &[]).await;
    assert_eq!(groups[0]["name"], "On-call SRE");
    assert_eq!(groups[0]["members"].as_array().unwrap().len(), 2);

    let alice_id = alice.user.id.to_string();
    ok(
        &app,
        &admin,
        "directory/remove_member",
        &[("group_id", &group), ("user_id", &alice_id)],
    )
    .await;
    let groups = ok(&app, &admin, "directory/groups", &[]).await;
    let members = groups[0]["members"].as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0][1], "bob@example.com");
    let users = ok(&app, &admin, "directory/users", &[]).await;
    let alice_row = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "alice@example.com")
        .unwrap();
    assert_eq!(alice_row["groups"].as_array().unwrap().len(), 0);

    let (target, before, after) = last_audit(&app, "directory.group_member_removed").await;
    assert_eq!(target, "group:On-call SRE");
    assert_eq!(
        before["members"],
        serde_json::json!(["alice@example.com", "bob@example.com"])
    );
    assert_eq!(after["members"], serde_json::json!(["bob@example.com"]));

    // Removing her again is a conflict that says why, not a silent success.
    let (status, error) = call(
        &app,
        &admin,
        "directory/remove_member",
        &[("group_id", &group), ("user_id", &alice_id)],
    )
    .await;
    assert_eq!(status, 409, "{error}");
    assert!(message(&error).contains("not a member"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_still_used_by_an_entitlement_or_a_policy_cannot_be_deleted_and_the_error_names_the_user()
 {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    let eng = text(
        &ok(
            &app,
            &c.l.admin,
            "directory/save_group",
            &[("name", "Engineering"), ("members", "alice@example.com")],
        )
        .await,
    );
    let sec = text(
        &ok(
            &app,
            &c.l.admin,
            "directory/save_group",
            &[("name", "Security")],
        )
        .await,
    );
    let spare = text(
        &ok(
            &app,
            &c.l.admin,
            "directory/save_group",
            &[("name", "Old team"), ("members", "bob@example.com")],
        )
        .await,
    );
    ok(
        &app,
        &c.l.admin,
        "catalog/save_entitlement",
        &entitlement_form(
            &c,
            &[("visibility", "groups"), ("visible_to", "Engineering")],
        ),
    )
    .await;
    let policy = serde_json::json!({
        "name": "Security review",
        "steps": [{"kind": "approval", "groups": ["Security"]}],
    })
    .to_string();
    ok(
        &app,
        &c.l.admin,
        "policies/save",
        &[("policy_json", &policy)],
    )
    .await;

    let groups = ok(&app, &c.l.admin, "directory/groups", &[]).await;
    let used_by = |name: &str| {
        groups
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .map(|g| message(&g["used_by"]))
            .unwrap()
    };
    assert!(used_by("Engineering").contains("Admin — admin"));
    assert!(used_by("Security").contains("Security review"));
    assert_eq!(used_by("Old team"), "[]");

    for (group, names) in [(&eng, "Admin — admin"), (&sec, "Security review")] {
        let (status, error) = call(
            &app,
            &c.l.admin,
            "directory/delete_group",
            &[("group_id", group)],
        )
        .await;
        assert_eq!(status, 409, "{error}");
        assert!(message(&error).contains(names), "{error}");
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM groups").await, 3);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM group_members").await, 2);

    ok(
        &app,
        &c.l.admin,
        "directory/delete_group",
        &[("group_id", &spare)],
    )
    .await;
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM groups").await, 2);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM group_members").await, 1);
    let (target, before, after) = last_audit(&app, "directory.group_deleted").await;
    assert_eq!(target, "group:Old team");
    assert_eq!(before["members"], serde_json::json!(["bob@example.com"]));
    assert_eq!(after, Value::Null);

    // Once nothing uses it, Engineering can go too.
    ok(
        &app,
        &c.l.admin,
        "catalog/save_entitlement",
        &entitlement_form(&c, &[]),
    )
    .await;
    ok(
        &app,
        &c.l.admin,
        "directory/delete_group",
        &[("group_id", &eng)],
    )
    .await;
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM groups").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_edit_records_before_and_after_and_an_admin_cannot_suspend_themselves() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    let alice_id = c.l.alice.user.id.to_string();
    ok(
        &app,
        &c.l.admin,
        "directory/update_user",
        &[
            ("id", &alice_id),
            ("name", "Alice Lead"),
            ("manager_email", "carol@example.com"),
            ("department", "Platform"),
            ("job_title", "Staff SRE"),
            ("status", "suspended"),
        ],
    )
    .await;
    let users = ok(&app, &c.l.admin, "directory/users", &[]).await;
    let alice = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "alice@example.com")
        .unwrap();
    assert_eq!(alice["name"], "Alice Lead");
    assert_eq!(alice["manager_id"], c.l.carol.user.id);
    assert_eq!(alice["department"], "Platform");
    assert_eq!(alice["job_title"], "Staff SRE");
    assert_eq!(alice["status"], "suspended");
    let (_, before, after) = last_audit(&app, "directory.user_updated").await;
    assert_eq!(before["name"], "Alice Requester");
    assert_eq!(before["status"], "active");
    assert_eq!(before["manager_id"], c.l.bob.user.id);
    assert_eq!(after["status"], "suspended");

    let admin_id = c.l.admin.user.id.to_string();
    let (status, error) = call(
        &app,
        &c.l.admin,
        "directory/update_user",
        &[
            ("id", &admin_id),
            ("name", "Ada Admin"),
            ("status", "suspended"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{error}");
    assert!(message(&error).contains("your own account"), "{error}");
    let admin_status: String = sqlx::query("SELECT status FROM users WHERE id = $1")
        .bind(c.l.admin.user.id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .try_get("status")
        .unwrap();
    assert_eq!(admin_status, "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_over_someone_elses_newer_edit_is_refused_and_their_edit_stands() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    let second = person(&app, "root2@example.com", "Second Admin", Role::SuperAdmin).await;
    // Both admins opened the edit forms at version 1.
    let original = body(&app, "entitlements", &c.l.entitlement_id).await["max_duration"].clone();
    ok(
        &app,
        &c.l.admin,
        "catalog/save_entitlement",
        &entitlement_form(&c, &[("max_duration", "3d"), ("version", "1")]),
    )
    .await;
    let first = body(&app, "entitlements", &c.l.entitlement_id).await["max_duration"].clone();
    assert_ne!(first, original);
    let (status, body_json) = call(
        &app,
        &second,
        "catalog/save_entitlement",
        &entitlement_form(&c, &[("max_duration", "5d"), ("version", "1")]),
    )
    .await;
    assert_eq!(status, 409, "{body_json}");
    assert!(
        message(&body_json).contains("someone else changed this entitlement"),
        "{body_json}"
    );
    assert_eq!(
        body(&app, "entitlements", &c.l.entitlement_id).await["max_duration"],
        first
    );

    ok(
        &app,
        &c.l.admin,
        "catalog/save_app",
        &app_form(&c, &[("name", "Prod DB (primary)")])
            .into_iter()
            .chain([("version", "1")])
            .collect::<Vec<_>>(),
    )
    .await;
    let (status, body_json) = call(
        &app,
        &second,
        "catalog/save_app",
        &app_form(&c, &[])
            .into_iter()
            .chain([("version", "1")])
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(status, 409, "{body_json}");
    assert_eq!(
        body(&app, "apps", &c.app_id).await["name"],
        "Prod DB (primary)"
    );

    // Opened after those saves (version 2), the second admin's edit goes through; a client that
    // sends no version is checked against what was just read.
    ok(
        &app,
        &second,
        "catalog/save_entitlement",
        &entitlement_form(&c, &[("max_duration", "5d"), ("version", "2")]),
    )
    .await;
    ok(
        &app,
        &second,
        "catalog/save_entitlement",
        &entitlement_form(&c, &[("max_duration", "6d")]),
    )
    .await;
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT version FROM entitlements WHERE id = '{}'",
                c.l.entitlement_id
            )
        )
        .await,
        4
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'catalog.entitlement_updated'"
        )
        .await,
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_instructions_are_rendered_from_markdown_without_script() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    let instructions = "Add the user to **admins** in [the console](https://db.example.com).\n\n<script>alert(1)</script>\n\nA [bad](javascript:alert(1)) link.";
    ok(
        &app,
        &c.l.admin,
        "catalog/save_app",
        &app_form(&c, &[("instructions", instructions)]),
    )
    .await;

    for who in [&c.l.admin, &c.l.alice] {
        let html = who
            .client
            .get(app.url("/apps"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("<strong>admins</strong>"), "{html}");
        assert!(
            html.contains(r#"<a href="https://db.example.com">the console</a>"#),
            "{html}"
        );
        assert!(
            !html.contains("<script>alert(1)"),
            "raw HTML must not pass through"
        );
        assert!(
            !html.contains(r#"href="javascript"#),
            "script links must not pass through"
        );
        assert!(html.contains(r##"<a href="#">bad</a>"##), "{html}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_entitlements_saved_at_once_with_the_same_alias_leave_exactly_one_holder() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    for round in 0..6 {
        let alias = format!("race-{round}");
        let names = [format!("First {round}"), format!("Second {round}")];
        let forms: Vec<Vec<(&str, &str)>> = names
            .iter()
            .map(|name| {
                vec![
                    ("app_id", c.app_id.as_str()),
                    ("display_name", name.as_str()),
                    ("alias", alias.as_str()),
                    ("max_duration", "7d"),
                    ("provisioning", "manual"),
                    ("provisioners", "carol@example.com"),
                ]
            })
            .collect();
        let (first, second) = tokio::join!(
            call(&app, &c.l.admin, "catalog/save_entitlement", &forms[0]),
            call(&app, &c.l.admin, "catalog/save_entitlement", &forms[1]),
        );
        let statuses = [first.0, second.0];
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "exactly one save wins the alias: {first:?} {second:?}"
        );
        let loser = if first.0 == 200 { &second } else { &first };
        assert_eq!(loser.0, 422, "{loser:?}");
        assert!(message(&loser.1).contains("alias"), "{loser:?}");
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT COUNT(*) FROM entitlements WHERE alias = '{alias}'")
            )
            .await,
            1
        );
    }
}

/// (target, before, after) of every audit event with `action`, oldest first.
async fn audits(app: &TestApp, action: &str) -> Vec<(String, Value, Value)> {
    sqlx::query(
        "SELECT target, before_json, after_json FROM audit_events WHERE action = $1 ORDER BY seq",
    )
    .bind(action)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
    .iter()
    .map(|row| {
        let json = |c: &str| {
            row.try_get::<Option<String>, _>(c)
                .unwrap()
                .map_or(Value::Null, |t| serde_json::from_str(&t).unwrap())
        };
        (
            row.try_get("target").unwrap(),
            json("before_json"),
            json("after_json"),
        )
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_import_audits_every_manager_and_group_change_with_its_before_and_after() {
    let app = spawn_app().await;
    let admin = person(&app, "admin@example.com", "Ada Admin", Role::SuperAdmin).await;
    person(&app, "alice@example.com", "Alice", Role::User).await;
    person(&app, "bob@example.com", "Bob", Role::User).await;
    ok(
        &app,
        &admin,
        "directory/save_group",
        &[("name", "Oncall"), ("members", "bob@example.com")],
    )
    .await;
    let csv = "email,name,manager_email,department,title,groups\n\
               alice@example.com,Alice,bob@example.com,Eng,SRE,Oncall;Platform\n\
               bob@example.com,Bob,,Eng,Lead,Oncall\n\
               zed@example.com,Zed,alice@example.com,Eng,SRE,Platform\n";
    let body = ok(&app, &admin, "directory/import", &[("csv", csv)]).await;
    assert!(body.to_string().contains("Imported"), "{body}");

    // Alice and Zed got managers; Bob's (none) did not change.
    let managers = audits(&app, "directory.manager_changed").await;
    assert_eq!(
        managers,
        [
            (
                "user:alice@example.com".to_string(),
                serde_json::json!({"email": "alice@example.com", "manager": null}),
                serde_json::json!({"email": "alice@example.com", "manager": "bob@example.com", "source": "csv_import"}),
            ),
            (
                "user:zed@example.com".to_string(),
                serde_json::json!({"email": "zed@example.com", "manager": null}),
                serde_json::json!({"email": "zed@example.com", "manager": "alice@example.com", "source": "csv_import"}),
            ),
        ]
    );
    // Three new memberships, each with the group's members before and after; Bob was already
    // in Oncall.
    let added: Vec<(String, Value, Value)> = audits(&app, "directory.group_member_added")
        .await
        .into_iter()
        .map(|(target, before, after)| {
            (target, before["members"].clone(), after["members"].clone())
        })
        .collect();
    assert_eq!(
        added,
        [
            (
                "group:Oncall".to_string(),
                serde_json::json!(["bob@example.com"]),
                serde_json::json!(["alice@example.com", "bob@example.com"]),
            ),
            (
                "group:Platform".to_string(),
                serde_json::json!([]),
                serde_json::json!(["alice@example.com"]),
            ),
            (
                "group:Platform".to_string(),
                serde_json::json!(["alice@example.com"]),
                serde_json::json!(["alice@example.com", "zed@example.com"]),
            ),
        ]
    );
    let (_, _, summary) = last_audit(&app, "directory.csv_imported").await;
    assert_eq!(summary["changes"], 5);

    // The same file again changes nothing, and says so.
    ok(&app, &admin, "directory/import", &[("csv", csv)]).await;
    assert_eq!(audits(&app, "directory.manager_changed").await.len(), 2);
    assert_eq!(audits(&app, "directory.group_member_added").await.len(), 3);
    let (_, _, summary) = last_audit(&app, "directory.csv_imported").await;
    assert_eq!(summary["changes"], 0);
    chain_is_intact(&app).await;
}
