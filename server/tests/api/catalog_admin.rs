//! Super Admins edit the catalog (apps and entitlements) and the directory's groups: edits change
//! what is stored and what requesters see, bad edits are refused with errors that name the field
//! and change nothing, non-admins are refused, and every change is audited with before and after.

use serde_json::Value;
use sqlx::Row;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};
use app::api::catalog::catalog_overview::CatalogOverview;
use app::api::catalog::set_grant_cap::SetGrantCap;
use app::api::directory::delete_group::DeleteGroup;
use app::api::directory::import_directory_csv::ImportDirectoryCsv;
use app::api::directory::list_directory::ListDirectory;
use app::api::directory::list_groups::ListGroups;
use app::api::directory::remove_group_member::RemoveGroupMember;
use app::api::directory::save_group::SaveGroup;
use app::api::requests::requestable_entitlements::RequestableEntitlements;
use app::domain::Role;
use app::shapes::{ImportOutcome, RequestableEntitlement};
use leptos::server_fn::ServerFn;

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

/// Some text, for a form field.
fn some(value: &str) -> Option<String> {
    Some(value.to_string())
}

/// The entitlement form as the edit page fills it (the loop's current values, no version).
fn edit_entitlement(c: &Catalog) -> SaveEntitlement {
    SaveEntitlement {
        id: Some(c.l.entitlement_id.clone()),
        slug: some("admin"),
        description: some(""),
        alias: some(""),
        risk: some("high"),
        owners: some(""),
        max_duration: some("7d"),
        request_policy: Some(c.policy_id.clone()),
        emergency_policy: some(""),
        provisioning: some("manual"),
        provisioners: some("carol@example.com"),
        webhook_url: some(""),
        visibility: some("everyone"),
        visible_to: some(""),
        ..entitlement_form(&c.app_id, "Admin")
    }
}

/// The app form as the edit page fills it (the loop's current values, no version).
fn edit_app(c: &Catalog) -> SaveApp {
    SaveApp {
        id: Some(c.app_id.clone()),
        description: some("The production database"),
        owners: some("carol@example.com"),
        instructions: some("Add the user to the `admins` role."),
        default_policy: some(""),
        ..app_form("Prod DB")
    }
}

/// The entitlement edit form with `change` made to it.
fn entitlement_edited(c: &Catalog, change: impl FnOnce(&mut SaveEntitlement)) -> SaveEntitlement {
    let mut form = edit_entitlement(c);
    change(&mut form);
    form
}

/// The app edit form with `change` made to it.
fn app_edited(c: &Catalog, change: impl FnOnce(&mut SaveApp)) -> SaveApp {
    let mut form = edit_app(c);
    change(&mut form);
    form
}

/// The longest length `who` may ask for entitlement `entitlement_id`, if they may ask at all.
async fn requestable_max(app: &TestApp, who: &Person, entitlement_id: &str) -> Option<String> {
    let list: Vec<RequestableEntitlement> = who.ok(app, RequestableEntitlements {}).await;
    list.into_iter()
        .find(|e| e.id == entitlement_id)
        .map(|e| e.max)
}

/// A group called `name` with the members listed in `members` (emails, or none); returns its id.
async fn save_group(app: &TestApp, admin: &Person, name: &str, members: Option<&str>) -> String {
    admin
        .ok(
            app,
            SaveGroup {
                name: name.into(),
                members: members.map(str::to_string),
            },
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_an_entitlement_changes_what_is_stored_and_caps_new_requests_at_the_new_maximum() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    let before = body(&app, "entitlements", &c.l.entitlement_id).await;
    assert_eq!(
        requestable_max(&app, &c.l.alice, &c.l.entitlement_id).await,
        Some("1 week".into())
    );

    let id =
        c.l.admin
            .ok(
                &app,
                SaveEntitlement {
                    display_name: "Administrator".into(),
                    description: some("Full control of the database"),
                    alias: some("prod-db-admin"),
                    risk: some("critical"),
                    owners: some("bob@example.com"),
                    max_duration: some("2d"),
                    emergency_policy: some("builtin-auto-approval"),
                    ..edit_entitlement(&c)
                },
            )
            .await;
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
    assert_eq!(
        requestable_max(&app, &c.l.alice, &c.l.entitlement_id).await,
        Some("2 days".into())
    );
    let refusal =
        c.l.alice
            .call(
                &app,
                CreateRequest {
                    duration: some("3d"),
                    ..new_request(&c.l.entitlement_id, "Longer than allowed")
                },
            )
            .await
            .unwrap_err();
    assert_eq!(refusal.status, 422, "{refusal:?}");
    assert!(refusal.message.contains("2 days"), "{refusal:?}");
    c.l.alice
        .request(
            &app,
            CreateRequest {
                duration: some("2d"),
                ..new_request(&c.l.entitlement_id, "Within the new maximum")
            },
        )
        .await;

    // The catalog page's data shows the whole configuration with names, not ids.
    let overview = c.l.alice.ok(&app, CatalogOverview {}).await;
    let ent = &overview.apps[0].entitlements[0];
    assert_eq!(
        ent.alias.as_ref().map(|a| a.as_str()),
        Some("prod-db-admin")
    );
    let bob_id = c.l.bob.user.id.to_string();
    assert_eq!(
        overview.people.get(&bob_id).map(String::as_str),
        Some("bob@example.com")
    );

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
    save_group(&app, &c.l.admin, "Database Team", Some("bob@example.com")).await;
    c.l.admin
        .ok(
            &app,
            SaveEntitlement {
                visibility: some("groups"),
                visible_to: some("Database Team"),
                ..edit_entitlement(&c)
            },
        )
        .await;

    for (who, sees) in [(&c.l.alice, false), (&c.l.bob, true)] {
        assert_eq!(
            requestable_max(&app, who, &c.l.entitlement_id)
                .await
                .is_some(),
            sees,
            "{}",
            who.user.email
        );
        let overview = who.ok(&app, CatalogOverview {}).await;
        let shown = overview.apps[0].entitlements.len();
        assert_eq!(shown, usize::from(sees), "{}: {overview:?}", who.user.email);
    }
    let refusal =
        c.l.alice
            .call(
                &app,
                CreateRequest {
                    duration: some("1d"),
                    ..new_request(&c.l.entitlement_id, "Not for me")
                },
            )
            .await
            .unwrap_err();
    assert_eq!(refusal.status, 403, "{refusal:?}");
    // Admins still see it, with the group's name.
    let overview = c.l.admin.ok(&app, CatalogOverview {}).await;
    assert_eq!(overview.apps[0].entitlements.len(), 1);
    assert!(
        overview.groups.values().any(|name| name == "Database Team"),
        "{overview:?}"
    );

    // "Nobody" hides it from everyone, and a later edit to "everyone" shows it again.
    c.l.admin
        .ok(
            &app,
            SaveEntitlement {
                visibility: some("nobody"),
                ..edit_entitlement(&c)
            },
        )
        .await;
    let stored = body(&app, "entitlements", &c.l.entitlement_id).await;
    assert_eq!(stored["visibility"]["kind"], "groups");
    assert_eq!(stored["visibility"]["groups"].as_array().unwrap().len(), 0);
    assert!(
        requestable_max(&app, &c.l.bob, &c.l.entitlement_id)
            .await
            .is_none()
    );
    c.l.admin.ok(&app, edit_entitlement(&c)).await;
    assert!(
        requestable_max(&app, &c.l.alice, &c.l.entitlement_id)
            .await
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_an_app_changes_its_owners_instructions_and_default_policy_with_an_audited_before_and_after()
 {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    c.l.admin
        .ok(
            &app,
            SaveApp {
                name: "Production DB".into(),
                description: some("Primary PostgreSQL"),
                owners: some("bob@example.com, carol@example.com"),
                instructions: some("Run `grant-admin <user>` on the bastion."),
                default_policy: some("builtin-auto-approval"),
                ..edit_app(&c)
            },
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

    let overview = c.l.alice.ok(&app, CatalogOverview {}).await;
    assert_eq!(overview.apps[0].description, "Primary PostgreSQL");

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
    c.l.admin.ok(&app, SetGrantCap { days: 30 }).await;
    let stored = body(&app, "entitlements", &c.l.entitlement_id).await;
    let events = scalar(&app, "SELECT COUNT(*) FROM audit_events").await;

    for max in ["45d", "indefinite"] {
        let refusal =
            c.l.admin
                .call(
                    &app,
                    SaveEntitlement {
                        max_duration: some(max),
                        alias: some("should-not-stick"),
                        ..edit_entitlement(&c)
                    },
                )
                .await
                .unwrap_err();
        assert_eq!(refusal.status, 422, "{max}: {refusal:?}");
        assert!(
            refusal.message.contains("organisation-wide maximum"),
            "{refusal:?}"
        );
        assert!(refusal.message.contains("maximum duration"), "{refusal:?}");
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
    c.l.admin
        .ok(
            &app,
            SaveEntitlement {
                max_duration: some("30d"),
                ..edit_entitlement(&c)
            },
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_catalog_edits_name_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    // A second entitlement that already uses the alias "prod".
    c.l.admin
        .ok(
            &app,
            SaveEntitlement {
                alias: some("prod"),
                max_duration: some("7d"),
                ..entitlement_form(&c.app_id, "Read only")
            },
        )
        .await;
    let other_app = c.l.admin.ok(&app, app_form("Billing")).await;
    let stored = body(&app, "entitlements", &c.l.entitlement_id).await;
    let stored_app = body(&app, "apps", &c.app_id).await;

    let cases: Vec<(SaveEntitlement, &str)> = vec![
        (
            entitlement_edited(&c, |f| f.alias = some("Prod Admin")),
            "alias",
        ),
        (
            entitlement_edited(&c, |f| f.alias = some("prod")),
            "already the alias",
        ),
        (entitlement_edited(&c, |f| f.slug = some("Admin!")), "slug"),
        (
            entitlement_edited(&c, |f| f.slug = some("read-only")),
            "slug",
        ),
        (
            entitlement_edited(&c, |f| f.max_duration = some("forever")),
            "maximum length",
        ),
        (
            entitlement_edited(&c, |f| f.owners = some("nobody@example.com")),
            "owner",
        ),
        (
            entitlement_edited(&c, |f| f.provisioners = some("ghost@example.com")),
            "provisioner",
        ),
        (
            entitlement_edited(&c, |f| {
                f.provisioning = some("webhook");
                f.webhook_url = some("http://example.com/hook");
            }),
            "webhook URL",
        ),
        (
            entitlement_edited(&c, |f| {
                f.visibility = some("groups");
                f.visible_to = some("No Such Team");
            }),
            "visibility group",
        ),
        (
            entitlement_edited(&c, |f| {
                f.visibility = some("groups");
                f.visible_to = some("");
            }),
            "group",
        ),
        (
            entitlement_edited(&c, |f| f.request_policy = some("deleted-policy")),
            "request policy",
        ),
        (
            entitlement_edited(&c, |f| f.display_name = String::new()),
            "name",
        ),
        (
            entitlement_edited(&c, |f| f.app_id = other_app.clone()),
            "another app",
        ),
    ];
    for (form, field) in cases {
        let refusal = c.l.admin.call(&app, form.clone()).await.unwrap_err();
        assert_eq!(refusal.status, 422, "{form:?}: {refusal:?}");
        assert!(
            refusal
                .message
                .to_lowercase()
                .contains(&field.to_lowercase()),
            "{form:?} should name {field}: {refusal:?}"
        );
    }
    assert_eq!(
        body(&app, "entitlements", &c.l.entitlement_id).await,
        stored
    );

    for (form, field) in [
        (
            app_edited(&c, |f| f.owners = some("stranger@example.com")),
            "owner",
        ),
        (
            app_edited(&c, |f| f.default_policy = some("no-such-policy")),
            "default request policy",
        ),
        (app_edited(&c, |f| f.name = String::new()), "app name"),
    ] {
        let refusal = c.l.admin.call(&app, form.clone()).await.unwrap_err();
        assert_eq!(refusal.status, 422, "{form:?}: {refusal:?}");
        assert!(
            refusal.message.to_lowercase().contains(field),
            "{form:?} should name {field}: {refusal:?}"
        );
    }
    assert_eq!(body(&app, "apps", &c.app_id).await, stored_app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_who_are_not_super_admins_cannot_edit_the_catalog_or_groups() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    let group = save_group(&app, &c.l.admin, "Engineering", Some("alice@example.com")).await;
    let stored = body(&app, "entitlements", &c.l.entitlement_id).await;
    let stored_app = body(&app, "apps", &c.app_id).await;

    // Carol owns the app, and still is no Super Admin.
    for who in [&c.l.alice, &c.l.carol] {
        let answers = [
            (
                SaveEntitlement::PATH,
                who.call(
                    &app,
                    entitlement_edited(&c, |f| f.max_duration = some("1h")),
                )
                .await
                .map(drop),
            ),
            (
                SaveApp::PATH,
                who.call(&app, app_edited(&c, |f| f.name = "Mine now".into()))
                    .await
                    .map(drop),
            ),
            (
                RemoveGroupMember::PATH,
                who.call(
                    &app,
                    RemoveGroupMember {
                        group_id: group.clone(),
                        user_id: c.l.alice.user.id,
                    },
                )
                .await,
            ),
            (
                DeleteGroup::PATH,
                who.call(
                    &app,
                    DeleteGroup {
                        group_id: group.clone(),
                    },
                )
                .await,
            ),
            (
                ListGroups::PATH,
                who.call(&app, ListGroups {}).await.map(drop),
            ),
        ];
        for (function, answer) in answers {
            assert_eq!(
                answer.map_err(|refusal| refusal.status),
                Err(403),
                "{} calling {function}",
                who.user.email
            );
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
    let alice = person(&app, "alice@example.com", "Alice", Role::BasicUser).await;
    person(&app, "bob@example.com", "Bob", Role::BasicUser).await;
    let group = save_group(
        &app,
        &admin,
        "On-call SRE",
        Some("alice@example.com, bob@example.com"),
    )
    .await;
    let groups = admin.ok(&app, ListGroups {}).await;
    assert_eq!(groups[0].name, "On-call SRE");
    assert_eq!(groups[0].members.len(), 2);

    let remove_alice = RemoveGroupMember {
        group_id: group.clone(),
        user_id: alice.user.id,
    };
    admin.ok(&app, remove_alice.clone()).await;
    let groups = admin.ok(&app, ListGroups {}).await;
    let members = &groups[0].members;
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].1, "bob@example.com");
    let users = admin.ok(&app, ListDirectory {}).await;
    let alice_row = users
        .iter()
        .find(|u| u.email == "alice@example.com")
        .unwrap();
    assert_eq!(alice_row.groups.len(), 0);

    let (target, before, after) = last_audit(&app, "directory.group_member_removed").await;
    assert_eq!(target, "group:On-call SRE");
    assert_eq!(
        before["members"],
        serde_json::json!(["alice@example.com", "bob@example.com"])
    );
    assert_eq!(after["members"], serde_json::json!(["bob@example.com"]));

    // Removing her again is a conflict that says why, not a silent success.
    let refusal = admin.call(&app, remove_alice).await.unwrap_err();
    assert_eq!(refusal.status, 409, "{refusal:?}");
    assert!(refusal.message.contains("not a member"), "{refusal:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_still_used_by_an_entitlement_or_a_policy_cannot_be_deleted_and_the_error_names_the_user()
 {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    let eng = save_group(&app, &c.l.admin, "Engineering", Some("alice@example.com")).await;
    let sec = save_group(&app, &c.l.admin, "Security", None).await;
    let spare = save_group(&app, &c.l.admin, "Old team", Some("bob@example.com")).await;
    c.l.admin
        .ok(
            &app,
            SaveEntitlement {
                visibility: some("groups"),
                visible_to: some("Engineering"),
                ..edit_entitlement(&c)
            },
        )
        .await;
    let policy_json = serde_json::json!({
        "name": "Security review",
        "steps": [{"kind": "approval", "groups": ["Security"]}],
    })
    .to_string();
    c.l.admin
        .ok(
            &app,
            SavePolicy {
                id: None,
                policy_json,
                version: None,
            },
        )
        .await;

    let groups = c.l.admin.ok(&app, ListGroups {}).await;
    let used_by = |name: &str| {
        groups
            .iter()
            .find(|g| g.name == name)
            .map(|g| g.used_by.clone())
            .unwrap()
    };
    assert!(
        used_by("Engineering")
            .iter()
            .any(|u| u.contains("Admin — admin"))
    );
    assert!(
        used_by("Security")
            .iter()
            .any(|u| u.contains("Security review"))
    );
    assert!(used_by("Old team").is_empty());

    for (group, names) in [(&eng, "Admin — admin"), (&sec, "Security review")] {
        let refusal =
            c.l.admin
                .call(
                    &app,
                    DeleteGroup {
                        group_id: group.clone(),
                    },
                )
                .await
                .unwrap_err();
        assert_eq!(refusal.status, 409, "{refusal:?}");
        assert!(refusal.message.contains(names), "{refusal:?}");
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM groups").await, 3);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM group_members").await, 2);

    c.l.admin.ok(&app, DeleteGroup { group_id: spare }).await;
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM groups").await, 2);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM group_members").await, 1);
    let (target, before, after) = last_audit(&app, "directory.group_deleted").await;
    assert_eq!(target, "group:Old team");
    assert_eq!(before["members"], serde_json::json!(["bob@example.com"]));
    assert_eq!(after, Value::Null);

    // Once nothing uses it, Engineering can go too.
    c.l.admin.ok(&app, edit_entitlement(&c)).await;
    c.l.admin.ok(&app, DeleteGroup { group_id: eng }).await;
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM groups").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_edit_records_before_and_after_and_an_admin_cannot_suspend_themselves() {
    let app = spawn_app().await;
    let c = catalog(&app).await;
    c.l.admin
        .ok(
            &app,
            UpdateDirectoryUser {
                id: c.l.alice.user.id,
                name: "Alice Lead".into(),
                manager_email: some("carol@example.com"),
                department: some("Platform"),
                job_title: some("Staff SRE"),
                status: "suspended".into(),
            },
        )
        .await;
    let users = c.l.admin.ok(&app, ListDirectory {}).await;
    let alice = users
        .iter()
        .find(|u| u.email == "alice@example.com")
        .unwrap();
    assert_eq!(alice.name, "Alice Lead");
    assert_eq!(alice.manager_id, Some(c.l.carol.user.id));
    assert_eq!(alice.department.as_deref(), Some("Platform"));
    assert_eq!(alice.job_title.as_deref(), Some("Staff SRE"));
    assert_eq!(alice.status, "suspended");
    let (_, before, after) = last_audit(&app, "directory.user_updated").await;
    assert_eq!(before["name"], "Alice Requester");
    assert_eq!(before["status"], "active");
    assert_eq!(before["manager_id"], c.l.bob.user.id);
    assert_eq!(after["status"], "suspended");

    let refusal =
        c.l.admin
            .call(
                &app,
                UpdateDirectoryUser {
                    id: c.l.admin.user.id,
                    name: "Ada Admin".into(),
                    manager_email: None,
                    department: None,
                    job_title: None,
                    status: "suspended".into(),
                },
            )
            .await
            .unwrap_err();
    assert_eq!(refusal.status, 422, "{refusal:?}");
    assert!(refusal.message.contains("your own account"), "{refusal:?}");
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
    let at_version = |max: &str, version: Option<u64>| SaveEntitlement {
        max_duration: some(max),
        version,
        ..edit_entitlement(&c)
    };
    c.l.admin.ok(&app, at_version("3d", Some(1))).await;
    let first = body(&app, "entitlements", &c.l.entitlement_id).await["max_duration"].clone();
    assert_ne!(first, original);
    let refusal = second
        .call(&app, at_version("5d", Some(1)))
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 409, "{refusal:?}");
    assert!(
        refusal
            .message
            .contains("someone else changed this entitlement"),
        "{refusal:?}"
    );
    assert_eq!(
        body(&app, "entitlements", &c.l.entitlement_id).await["max_duration"],
        first
    );

    c.l.admin
        .ok(
            &app,
            SaveApp {
                name: "Prod DB (primary)".into(),
                version: Some(1),
                ..edit_app(&c)
            },
        )
        .await;
    let refusal = second
        .call(
            &app,
            SaveApp {
                version: Some(1),
                ..edit_app(&c)
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 409, "{refusal:?}");
    assert_eq!(
        body(&app, "apps", &c.app_id).await["name"],
        "Prod DB (primary)"
    );

    // Opened after those saves (version 2), the second admin's edit goes through; a client that
    // sends no version is checked against what was just read.
    second.ok(&app, at_version("5d", Some(2))).await;
    second.ok(&app, at_version("6d", None)).await;
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
    c.l.admin
        .ok(
            &app,
            SaveApp {
                instructions: some(instructions),
                ..edit_app(&c)
            },
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
        let form = |name: &str| SaveEntitlement {
            alias: Some(alias.clone()),
            max_duration: some("7d"),
            provisioning: some("manual"),
            provisioners: some("carol@example.com"),
            ..entitlement_form(&c.app_id, name)
        };
        let (first, second) = tokio::join!(
            c.l.admin.call(&app, form(&names[0])),
            c.l.admin.call(&app, form(&names[1])),
        );
        let loser = match (&first, &second) {
            (Ok(_), Err(loser)) | (Err(loser), Ok(_)) => loser,
            _ => panic!("exactly one save wins the alias: {first:?} {second:?}"),
        };
        assert_eq!(loser.status, 422, "{loser:?}");
        assert!(loser.message.contains("alias"), "{loser:?}");
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
    person(&app, "alice@example.com", "Alice", Role::BasicUser).await;
    person(&app, "bob@example.com", "Bob", Role::BasicUser).await;
    save_group(&app, &admin, "Oncall", Some("bob@example.com")).await;
    let csv = "email,name,manager_email,department,title,groups\n\
               alice@example.com,Alice,bob@example.com,Eng,SRE,Oncall;Platform\n\
               bob@example.com,Bob,,Eng,Lead,Oncall\n\
               zed@example.com,Zed,alice@example.com,Eng,SRE,Platform\n";
    let import = ImportDirectoryCsv { csv: csv.into() };
    let outcome = admin.ok(&app, import.clone()).await;
    assert!(
        matches!(outcome, ImportOutcome::Imported { .. }),
        "{outcome:?}"
    );

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
    admin.ok(&app, import).await;
    assert_eq!(audits(&app, "directory.manager_changed").await.len(), 2);
    assert_eq!(audits(&app, "directory.group_member_added").await.len(), 3);
    let (_, _, summary) = last_audit(&app, "directory.csv_imported").await;
    assert_eq!(summary["changes"], 0);
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_alias_is_told_apart_from_other_unique_violations_on_either_engine() {
    use app::ssr::access::catalog::ENTITLEMENTS_ALIAS;
    let app = spawn_app().await;
    let c = catalog(&app).await;
    c.l.admin
        .ok(
            &app,
            SaveEntitlement {
                alias: some("prod"),
                max_duration: some("7d"),
                ..entitlement_form(&c.app_id, "Read only")
            },
        )
        .await;
    // Written past the save's own check, as a racing save would: only the index stops it.
    let alias_taken = sqlx::query("UPDATE entitlements SET alias = 'prod' WHERE id = $1")
        .bind(&c.l.entitlement_id)
        .execute(&app.db.pool)
        .await
        .expect_err("the alias index refuses a second 'prod'");
    assert!(
        ENTITLEMENTS_ALIAS.violated_by(&alias_taken),
        "{alias_taken}"
    );

    let slug_taken = sqlx::query(
        "UPDATE entitlements SET slug = (SELECT slug FROM entitlements WHERE alias = 'prod') WHERE id = $1",
    )
    .bind(&c.l.entitlement_id)
    .execute(&app.db.pool)
    .await
    .expect_err("the slug is unique per app");
    assert!(!ENTITLEMENTS_ALIAS.violated_by(&slug_taken), "{slug_taken}");
}
