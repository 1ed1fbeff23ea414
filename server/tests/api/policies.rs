//! Request policies through the structured editor's input: what is stored, step-numbered errors
//! that store nothing, revisions that never touch requests in flight, deletion only when unused,
//! admin-only access and the audit trail.

use app::api::approvals::assigned_to_me::AssignedToMe;
use app::api::directory::delete_group::DeleteGroup;
use app::api::directory::save_group::SaveGroup;
use app::api::policies::delete_policy::DeletePolicy;
use app::api::policies::policy_overview::PolicyOverview as PolicyOverviewCall;
use app::domain::Role;
use app::domain::{ApprovalStep, ApproverSource, GroupId, Policy, PolicyStep, UserId};
use app::shapes::{PolicyOverview, PolicyRow};
use serde_json::{Value, json};
use sqlx::Row;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};

fn uid(p: &Person) -> UserId {
    UserId::new(p.user.id.to_string())
}

/// Saves `input` (the editor's JSON) as a new policy, or as an edit of `id`; returns its id.
async fn save(
    app: &TestApp,
    who: &Person,
    id: Option<&str>,
    input: &Value,
) -> Result<String, Refusal> {
    who.call(
        app,
        SavePolicy {
            id: id.map(str::to_string),
            policy_json: input.to_string(),
            version: None,
        },
    )
    .await
}

/// The policies page's data, as `who` sees it.
async fn overview(app: &TestApp, who: &Person) -> PolicyOverview {
    who.ok(app, PolicyOverviewCall {}).await
}

/// A group called `name` with the members listed in `members` (emails); returns its id.
async fn save_group(app: &TestApp, admin: &Person, name: &str, members: &str) -> String {
    admin
        .ok(
            app,
            SaveGroup {
                name: name.into(),
                members: Some(members.into()),
            },
        )
        .await
}

async fn stored(app: &TestApp, id: &str) -> (Policy, i64) {
    let row = sqlx::query("SELECT body, revision FROM policies WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let policy: Policy = serde_json::from_str(&row.try_get::<String, _>("body").unwrap()).unwrap();
    (policy, row.try_get("revision").unwrap())
}

/// (before, after) of the audit events with this action, oldest first.
async fn audit_of(app: &TestApp, action: &str) -> Vec<(Option<String>, Option<String>)> {
    sqlx::query("SELECT before_json, after_json FROM audit_events WHERE action = $1 ORDER BY seq")
        .bind(action)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get("before_json").unwrap(),
                r.try_get("after_json").unwrap(),
            )
        })
        .collect()
}

fn policy_row<'a>(overview: &'a PolicyOverview, name: &str) -> &'a PolicyRow {
    overview
        .policies
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no policy {name} in {overview:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_step_policy_from_the_editor_is_stored_as_the_domain_policy_and_listed_with_its_summary()
 {
    let app = spawn_app().await;
    let admin = person(&app, "admin@example.com", "Ada Admin", Role::SuperAdmin).await;
    let alice = person(&app, "alice@example.com", "Alice", Role::BasicUser).await;
    let bob = person(&app, "bob@example.com", "Bob", Role::BasicUser).await;
    let security = save_group(&app, &admin, "Security", "bob@example.com").await;

    let id = save(
        &app,
        &admin,
        None,
        &json!({
            "name": "  Manager, then owners ",
            "steps": [
                {"kind": "approval", "manager": true, "require_denial_reason": true},
                {"kind": "approval", "app_owners": true, "users": "Bob@Example.com",
                 "groups": ["security"], "require_distinct_approvers": true,
                 "allow_reassignment": false, "fallback_users": "alice@example.com"},
                {"kind": "auto_approve", "message": "Logged for the quarterly review"},
            ],
        }),
    )
    .await
    .unwrap();

    let (policy, revision) = stored(&app, &id).await;
    assert_eq!(revision, 1);
    assert_eq!(policy.name, "Manager, then owners");
    assert_eq!(policy.revision, 1);
    assert_eq!(
        policy.steps,
        vec![
            PolicyStep::Approval(ApprovalStep {
                approvers: vec![ApproverSource::Manager],
                require_denial_reason: true,
                ..ApprovalStep::default()
            }),
            PolicyStep::Approval(ApprovalStep {
                approvers: vec![
                    ApproverSource::AppOwners,
                    ApproverSource::Users(vec![uid(&bob)]),
                    ApproverSource::GroupMembers(GroupId::new(security)),
                ],
                require_distinct_approvers: true,
                allow_reassignment: false,
                fallback_users: vec![uid(&alice)],
                ..ApprovalStep::default()
            }),
            PolicyStep::AutoApprove {
                message: Some("Logged for the quarterly review".into())
            },
        ]
    );

    // The list reads it back in words, with the editor's input (emails and group names).
    let overview = overview(&app, &admin).await;
    let row = policy_row(&overview, "Manager, then owners");
    assert_eq!(
        row.summary,
        "1. Approval by manager (reason required to deny) → 2. Approval by app owners or \
         bob@example.com or members of Security (distinct approvers, no reassignment); \
         fallback: alice@example.com → 3. Auto-approve (“Logged for the quarterly review”)"
    );
    assert_eq!(row.revision, 1);
    assert!(!row.builtin);
    assert!(row.used_by.is_empty());
    assert_eq!(row.input.steps[1].users, "bob@example.com");
    assert_eq!(row.input.steps[1].groups, ["Security"]);
    assert_eq!(overview.groups, ["Security"]);
    let builtin = policy_row(&overview, "Auto approval");
    assert!(builtin.builtin);
    assert_eq!(builtin.summary, "1. Auto-approve");

    // Created with an audit event holding the stored policy.
    let events = audit_of(&app, "policy.created").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, None);
    let after: Policy = serde_json::from_str(events[0].1.as_deref().unwrap()).unwrap();
    assert_eq!(after, policy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_editor_input_is_refused_with_step_numbered_errors_and_stores_nothing() {
    let app = spawn_app().await;
    let admin = person(&app, "admin@example.com", "Ada Admin", Role::SuperAdmin).await;
    let _alice = person(&app, "alice@example.com", "Alice", Role::BasicUser).await;

    let refusal = save(
        &app,
        &admin,
        None,
        &json!({
            "name": " ",
            "steps": [
                {"kind": "approval", "manager": true, "require_denial_reason": true},
                {"kind": "approval", "app_owners": true, "users": "alice@example.com, bob@nowhere.example",
                 "groups": ["Nope"], "fallback_users": "carol"},
                {"kind": "approval"},
                {"kind": "deny", "message": "No."},
            ],
        }),
    )
    .await
    .unwrap_err();
    assert_eq!(refusal.status, 422, "{refusal:?}");
    let lines: Vec<String> = refusal.message.lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        vec![
            "Invalid policy: Name: the policy needs a name".to_string(),
            "Step 2, named users: unknown user \"bob@nowhere.example\"".into(),
            "Step 2, groups: unknown group \"Nope\"".into(),
            "Step 2, fallback users: \"carol\" is not a valid email address: it has no @".into(),
            "Step 3, approvers: the step has no approvers: choose at least one approver or a fallback user".into(),
        ]
    );

    // Too many steps.
    let step = json!({"kind": "approval", "manager": true});
    let refusal = save(
        &app,
        &admin,
        None,
        &json!({"name": "Long", "steps": vec![step; 17]}),
    )
    .await
    .unwrap_err();
    assert_eq!(refusal.status, 422);
    assert_eq!(
        refusal.message,
        "Invalid policy: Steps: a policy can have at most 16 steps (this one has 17)"
    );

    // A terminal step before the end, and a policy without steps.
    let refusal = save(
        &app,
        &admin,
        None,
        &json!({"name": "Deny first", "steps": [{"kind": "deny"}, {"kind": "approval", "manager": true}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(refusal.status, 422);
    assert_eq!(
        refusal.message,
        "Invalid policy: Step 1, kind: deny ends the request, so the steps after it would never run"
    );
    let refusal = save(&app, &admin, None, &json!({"name": "Empty", "steps": []}))
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422);
    assert!(
        refusal
            .message
            .contains("Steps: the policy needs at least one step"),
        "{refusal:?}"
    );

    // A plain form post (no JavaScript) sends no policy: refused, and it says nothing was saved.
    let refusal = admin
        .call(
            &app,
            SavePolicy {
                id: None,
                policy_json: String::new(),
                version: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422);
    assert!(
        refusal.message.starts_with("Nothing was saved"),
        "{refusal:?}"
    );
    // From a browser without JavaScript it goes back to the page, with the error for it to show
    // (a raw post: it is the page's HTML form, not a server-function call, under test here).
    let response = admin
        .client
        .post(app.url("/api/policies/save"))
        .header("Accept", "text/html")
        .header("Referer", app.url("/admin/policies?edit=x"))
        .form(&[("policy_json", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let location = crate::helpers::location(&response);
    assert!(
        location.starts_with(&app.url("/admin/policies?edit=x")) && location.contains("__err="),
        "{location}"
    );

    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM policies").await, 0);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action LIKE 'policy.%'"
        )
        .await,
        0
    );

    // Names are unique, ignoring case, and built-in names are taken too.
    let good = |name: &str| json!({"name": name, "steps": [{"kind": "approval", "manager": true}]});
    save(&app, &admin, None, &good("Managers")).await.unwrap();
    for name in ["managers", "AUTO APPROVAL"] {
        let refusal = save(&app, &admin, None, &good(name)).await.unwrap_err();
        assert_eq!(refusal.status, 422, "{name}: {refusal:?}");
        assert_eq!(
            refusal.message,
            format!("Invalid policy: Name: a policy named \"{name}\" already exists")
        );
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM policies").await, 1);
    assert_eq!(audit_of(&app, "policy.created").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_policy_bumps_its_revision_and_leaves_requests_in_flight_unchanged() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (request_id, _number) = l.request_admin(&app).await;
    let snapshot = |body: String| -> Policy {
        let request: Value = serde_json::from_str(&body).unwrap();
        serde_json::from_value(request["policy"].clone()).unwrap()
    };
    let request_body = || async {
        sqlx::query("SELECT body FROM requests WHERE id = $1")
            .bind(&request_id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .try_get::<String, _>("body")
            .unwrap()
    };
    let before_edit = snapshot(request_body().await);
    let policy_id = before_edit.id.to_string();
    let (original, revision) = stored(&app, &policy_id).await;
    assert_eq!(revision, 1);
    assert_eq!(before_edit, original);

    // Edit: a single auto-approve step, renamed.
    let saved = save(
        &app,
        &l.admin,
        Some(&policy_id),
        &json!({"name": "Just approve", "steps": [{"kind": "auto_approve"}]}),
    )
    .await
    .unwrap();
    assert_eq!(saved, policy_id);
    let (edited, revision) = stored(&app, &policy_id).await;
    assert_eq!(revision, 2);
    assert_eq!(edited.revision, 2);
    assert_eq!(edited.name, "Just approve");
    assert_eq!(
        edited.steps,
        vec![PolicyStep::AutoApprove { message: None }]
    );

    // The request in flight keeps its snapshot and still waits for Bob, then for Carol.
    assert_eq!(snapshot(request_body().await), original);
    l.bob.approve(&app, &request_id, 1).await;
    let after_step_one = snapshot(request_body().await);
    assert_eq!(after_step_one.revision, 1);
    assert_eq!(after_step_one.steps.len(), 2);
    let assigned = l.carol.ok(&app, AssignedToMe {}).await;
    assert_eq!(assigned.len(), 1, "{assigned:?}");

    // The edit is audited with the policy before and after.
    let events = audit_of(&app, "policy.updated").await;
    assert_eq!(events.len(), 1);
    let before: Policy = serde_json::from_str(events[0].0.as_deref().unwrap()).unwrap();
    let after: Policy = serde_json::from_str(events[0].1.as_deref().unwrap()).unwrap();
    assert_eq!(before, original);
    assert_eq!(after, edited);

    // A refused edit changes nothing.
    let refusal = save(
        &app,
        &l.admin,
        Some(&policy_id),
        &json!({"name": "Just approve", "steps": [{"kind": "approval", "users": "nobody@example.com"}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(refusal.status, 422);
    assert_eq!(stored(&app, &policy_id).await.1, 2);

    // Built-in policies cannot be edited.
    let refusal = save(
        &app,
        &l.admin,
        Some("builtin-auto-approval"),
        &json!({"name": "Mine now", "steps": [{"kind": "deny"}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(refusal.status, 422);
    assert!(refusal.message.contains("built in"), "{refusal:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_policy_cannot_be_deleted_and_the_error_names_the_entitlement_that_uses_it() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let listed = overview(&app, &l.admin).await;
    let row = policy_row(&listed, MANAGER_THEN_OWNER);
    let used_id = row.id.clone();
    assert_eq!(
        row.used_by,
        ["entitlement \"Admin — admin\" of Prod DB (request policy)"]
    );

    let refusal = l
        .admin
        .call(
            &app,
            DeletePolicy {
                id: used_id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422);
    assert_eq!(
        refusal.message,
        "Invalid policy: \"Manager then owner\" is still used by entitlement \"Admin — admin\" of Prod DB (request policy)"
    );
    assert_eq!(stored(&app, &used_id).await.1, 1);

    // An unused one goes, with an audit event holding what was deleted.
    let unused = save(
        &app,
        &l.admin,
        None,
        &json!({"name": "Spare", "steps": [{"kind": "deny", "message": "Not offered"}]}),
    )
    .await
    .unwrap();
    l.admin.ok(&app, DeletePolicy { id: unused }).await;
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM policies WHERE name = 'Spare'").await,
        0
    );
    let events = audit_of(&app, "policy.deleted").await;
    assert_eq!(events.len(), 1);
    let before: Policy = serde_json::from_str(events[0].0.as_deref().unwrap()).unwrap();
    assert_eq!(before.name, "Spare");
    assert_eq!(events[0].1, None);

    // Also listed where it is an app's default policy or an entitlement's emergency policy.
    let glass = save(
        &app,
        &l.admin,
        None,
        &json!({"name": "Break glass", "steps": [{"kind": "approval", "users": "carol@example.com"}]}),
    )
    .await
    .unwrap();
    let wiki = l
        .admin
        .ok(
            &app,
            SaveApp {
                owners: Some("carol@example.com".into()),
                default_policy: Some(glass.clone()),
                ..app_form("Wiki")
            },
        )
        .await;
    l.admin
        .ok(
            &app,
            SaveEntitlement {
                slug: Some("editor".into()),
                risk: Some("low".into()),
                max_duration: Some("1d".into()),
                request_policy: Some(used_id.clone()),
                emergency_policy: Some(glass.clone()),
                provisioning: Some("manual".into()),
                provisioners: Some("carol@example.com".into()),
                ..entitlement_form(&wiki, "Editor")
            },
        )
        .await;
    let listed = overview(&app, &l.admin).await;
    assert_eq!(
        policy_row(&listed, "Break glass").used_by,
        [
            "app \"Wiki\" (default request policy)",
            "entitlement \"Editor — editor\" of Wiki (emergency policy)"
        ]
    );
    assert_eq!(policy_row(&listed, MANAGER_THEN_OWNER).used_by.len(), 2);
    let refusal = l
        .admin
        .call(&app, DeletePolicy { id: glass })
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422);
    assert_eq!(
        refusal.message,
        "Invalid policy: \"Break glass\" is still used by app \"Wiki\" (default request policy) and 1 other(s)"
    );

    // Built-ins are never deleted.
    let refusal = l
        .admin
        .call(
            &app,
            DeletePolicy {
                id: "builtin-app-owner-approval".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_who_are_not_super_admins_cannot_see_save_or_delete_policies() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let policy_id = policy_row(&overview(&app, &l.admin).await, MANAGER_THEN_OWNER)
        .id
        .clone();
    let input = json!({"name": "Sneaky", "steps": [{"kind": "auto_approve"}]});

    let refusal = l.alice.call(&app, PolicyOverviewCall {}).await.unwrap_err();
    assert_eq!(refusal.status, 403);
    let refusal = save(&app, &l.alice, None, &input).await.unwrap_err();
    assert_eq!(refusal.status, 403);
    let refusal = save(&app, &l.alice, Some(&policy_id), &input)
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 403);
    let refusal = l
        .alice
        .call(
            &app,
            DeletePolicy {
                id: policy_id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 403);

    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM policies").await, 1);
    assert_eq!(stored(&app, &policy_id).await.0.name, "Manager then owner");
    let response = l
        .alice
        .client
        .get(app.url("/admin/policies"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_save_over_someone_elses_newer_edit_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let named =
        |name: &str| json!({"name": name, "steps": [{"kind": "approval", "manager": true}]});
    let id = save(&app, &l.admin, None, &named("Reviewers"))
        .await
        .unwrap();
    let edit = |name: &'static str, version: Option<u64>| {
        let (app, admin, id) = (&app, &l.admin, id.clone());
        async move {
            admin
                .call(
                    app,
                    SavePolicy {
                        id: Some(id),
                        policy_json: named(name).to_string(),
                        version,
                    },
                )
                .await
        }
    };
    // Two admins open the editor at revision 1; the first saves.
    edit("Reviewers (first)", Some(1)).await.unwrap();
    assert_eq!(stored(&app, &id).await.1, 2);
    // The second's save, from revision 1, would silently undo the first: refused.
    let refusal = edit("Reviewers (second)", Some(1)).await.unwrap_err();
    assert_eq!(refusal.status, 409, "{refusal:?}");
    assert!(
        refusal.message.contains("since you opened it"),
        "{refusal:?}"
    );
    let (policy, revision) = stored(&app, &id).await;
    assert_eq!((policy.name.as_str(), revision), ("Reviewers (first)", 2));
    assert_eq!(audit_of(&app, "policy.updated").await.len(), 1);
    // After reloading (revision 2) it saves, as does a script that sends no version.
    edit("Reviewers (second)", Some(2)).await.unwrap();
    edit("Reviewers (script)", None).await.unwrap();
    let (policy, revision) = stored(&app, &id).await;
    assert_eq!((policy.name.as_str(), revision), ("Reviewers (script)", 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_policy_while_an_entitlement_is_saved_with_it_never_leaves_the_entitlement_pointing_at_nothing()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let app_id = app_id_of(&app, &l.entitlement_id).await;
    for round in 0..8 {
        let policy = owner_approval_policy(&app, &l.admin, &format!("Short-lived {round}")).await;
        let slug = format!("racer-{round}");
        let delete = DeletePolicy { id: policy.clone() };
        let entitlement = SaveEntitlement {
            slug: Some(slug.clone()),
            max_duration: Some("7d".into()),
            request_policy: Some(policy.clone()),
            ..entitlement_form(&app_id, &slug)
        };
        let (deleted, saved) =
            tokio::join!(l.admin.call(&app, delete), l.admin.call(&app, entitlement),);
        let policy_left = scalar(
            &app,
            &format!("SELECT COUNT(*) FROM policies WHERE id = '{policy}'"),
        )
        .await;
        let users = scalar(
            &app,
            &format!("SELECT COUNT(*) FROM entitlements WHERE request_policy = '{policy}'"),
        )
        .await;
        assert!(
            !(policy_left == 0 && users > 0),
            "round {round}: the policy was deleted ({deleted:?}) while entitlement {slug} was saved with it ({saved:?})"
        );
        assert!(
            deleted.is_ok() || saved.is_ok(),
            "round {round}: one of the two must win ({deleted:?}, {saved:?})"
        );
    }
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_group_while_a_policy_is_saved_naming_it_never_leaves_the_policy_naming_nothing()
{
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    for round in 0..8 {
        let name = format!("Reviewers {round}");
        let group = save_group(&app, &l.admin, &name, "bob@example.com").await;
        let policy = json!({
            "name": format!("Group review {round}"),
            "steps": [{"kind": "approval", "groups": [name]}],
        });
        let delete = DeleteGroup {
            group_id: group.clone(),
        };
        let (deleted, saved) = tokio::join!(
            l.admin.call(&app, delete),
            save(&app, &l.admin, None, &policy),
        );
        let group_left = scalar(
            &app,
            &format!("SELECT COUNT(*) FROM groups WHERE id = '{group}'"),
        )
        .await;
        let naming = sqlx::query("SELECT body FROM policies")
            .fetch_all(&app.db.pool)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.try_get::<String, _>("body").unwrap().contains(&group))
            .count();
        assert!(
            !(group_left == 0 && naming > 0),
            "round {round}: the group was deleted ({deleted:?}) while a policy naming it was saved ({saved:?})"
        );
        assert!(
            deleted.is_ok() || saved.is_ok(),
            "round {round}: one of the two must win ({deleted:?}, {saved:?})"
        );
    }
    chain_is_intact(&app).await;
}
