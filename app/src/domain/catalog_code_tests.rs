#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::domain::{ApprovalStep, PolicyStep};

/// A policy builder for tests: approval steps by app owners or named groups, deny otherwise.
fn build(
    input: &PolicyInput,
    names: &CatalogNames,
    id: PolicyId,
    revision: u64,
) -> (Policy, Vec<PolicyProblem>) {
    let mut problems = Vec::new();
    let steps = input
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut approvers = Vec::new();
            if s.app_owners {
                approvers.push(ApproverSource::AppOwners);
            }
            for g in &s.groups {
                match names.group(g) {
                    Some(id) => approvers.push(ApproverSource::GroupMembers(id)),
                    None => problems.push(PolicyProblem::step(
                        i + 1,
                        "groups",
                        format!("unknown group {g}"),
                    )),
                }
            }
            PolicyStep::Approval(ApprovalStep {
                approvers,
                allow_self_approval: false,
                require_approval_reason: false,
                require_denial_reason: false,
                require_distinct_approvers: false,
                allow_reassignment: true,
                fallback_users: Vec::new(),
            })
        })
        .collect();
    (
        Policy {
            id,
            name: input.name.clone(),
            revision,
            steps,
        },
        problems,
    )
}

fn ids() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("id-{n}")
    }
}

fn file(path: &str, json: serde_json::Value, lines: &[(&str, usize)]) -> CatalogFile {
    let lines = lines.iter().map(|(p, l)| (p.to_string(), *l)).collect();
    let (file, errors) = CatalogFile::from_value(path, json, lines);
    assert!(errors.is_empty(), "{errors:?}");
    file
}

fn current() -> Current {
    Current {
        users: vec![(UserId::from("1"), "alice@example.com".into())],
        builtin_policies: vec![Policy::builtin_app_owner_approval()],
        ..Current::default()
    }
}

fn sample() -> CatalogTree {
    CatalogTree {
        files: vec![file(
            "apps/prod-db.yaml",
            serde_json::json!({
                "groups": [{"name": "DBAs"}],
                "policies": [{"name": "DBA approval", "steps": [{"kind": "approval", "groups": ["DBAs"]}]}],
                "apps": [{
                    "name": "Prod DB",
                    "owners": ["alice@example.com"],
                    "entitlements": [{
                        "name": "Admin",
                        "alias": "prod-db-admin",
                        "risk_level": "high",
                        "maximum_duration": "7d",
                        "request_policy": "DBA approval",
                        "catalog_visibility": ["DBAs"]
                    }]
                }]
            }),
            &[],
        )],
    }
}

/// The state after applying `plan` to `current` (what the flow's writes amount to).
fn applied(mut current: Current, plan: &Plan) -> Current {
    for c in &plan.changes {
        let managed_by = c.file.clone();
        match (c.action, c.object.clone().unwrap()) {
            (Action::Unchanged | Action::Delete, _) => {}
            (_, Object::Group { id, name }) => {
                current.groups.retain(|g| g.id != id);
                current.groups.push(CurrentGroup {
                    id,
                    name,
                    managed_by,
                });
            }
            (_, Object::Policy(policy)) => {
                current.policies.retain(|p| p.policy.id != policy.id);
                current.policies.push(CurrentPolicy { policy, managed_by });
            }
            (_, Object::App { app, description }) => {
                current.apps.retain(|a| a.app.id != app.id);
                current.apps.push(CurrentApp {
                    app,
                    description,
                    managed_by,
                });
            }
            (_, Object::Entitlement { entitlement, .. }) => {
                current
                    .entitlements
                    .retain(|e| e.entitlement.id != entitlement.id);
                current.entitlements.push(CurrentEntitlement {
                    entitlement: *entitlement,
                    managed_by,
                    in_use: None,
                });
            }
        }
    }
    current
}

#[test]
fn a_new_tree_plans_a_create_for_each_object_in_dependency_order() {
    let plan = plan(&sample(), &current(), false, &build, &mut ids()).unwrap();
    let labels: Vec<(Action, &str)> = plan
        .changes
        .iter()
        .map(|c| (c.action, c.label.as_str()))
        .collect();
    assert_eq!(
        labels,
        vec![
            (Action::Create, "group `DBAs`"),
            (Action::Create, "policy `DBA approval`"),
            (Action::Create, "app `Prod DB`"),
            (Action::Create, "entitlement `Prod DB/admin`"),
        ]
    );
    assert!(plan.has_changes());
}

#[test]
fn planning_the_same_tree_after_applying_it_shows_no_changes() {
    let first = plan(&sample(), &current(), false, &build, &mut ids()).unwrap();
    let after = applied(current(), &first);
    let second = plan(&sample(), &after, false, &build, &mut ids()).unwrap();
    assert!(!second.has_changes());
    assert!(
        second.changes.iter().all(|c| c.action == Action::Unchanged),
        "{second:?}"
    );
}

#[test]
fn an_edited_field_is_an_update_naming_the_field_before_and_after() {
    let after = applied(
        current(),
        &plan(&sample(), &current(), false, &build, &mut ids()).unwrap(),
    );
    let mut tree = sample();
    let ent = &mut tree.files[0].apps[0].entitlements[0];
    ent["maximum_duration"] = "14d".into();
    let plan = plan(&tree, &after, false, &build, &mut ids()).unwrap();
    let update: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Update)
        .collect();
    assert_eq!(update.len(), 1);
    assert_eq!(update[0].label, "entitlement `Prod DB/admin`");
    assert_eq!(
        update[0].fields,
        vec![FieldChange {
            field: "maximum_duration".into(),
            before: "1 week".into(),
            after: "2 weeks".into()
        }]
    );
}

#[test]
fn every_problem_is_reported_at_once_with_file_line_and_field() {
    let tree = CatalogTree {
        files: vec![file(
            "catalog/prod-db.yaml",
            serde_json::json!({
                "apps": [{
                    "name": "Prod DB",
                    "owners": ["nobody@example.com"],
                    "entitlements": [{"name": "Admin", "slug": "admin", "request_policy": "Manager then owner", "risk_level": "extreme"}]
                }]
            }),
            &[
                ("/apps/0/owners/0", 3),
                ("/apps/0/entitlements/0", 5),
                ("/apps/0/entitlements/0/request_policy", 14),
                ("/apps/0/entitlements/0/risk_level", 15),
            ],
        )],
    };
    let errors = plan(&tree, &current(), false, &build, &mut ids()).unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 3, "{shown:#?}");
    assert!(
        shown[0].starts_with("catalog/prod-db.yaml:3: app `Prod DB`: owners: no one"),
        "{shown:#?}"
    );
    assert_eq!(
        shown[1],
        "catalog/prod-db.yaml:14: entitlement `admin`: request_policy: unknown policy `Manager then owner`"
    );
    assert!(
        shown[2].starts_with("catalog/prod-db.yaml:15: entitlement `admin`: risk_level:"),
        "{shown:#?}"
    );
}

#[test]
fn an_unknown_field_is_reported_on_its_own_line() {
    let (_, errors) = CatalogFile::from_value(
        "a.yaml",
        serde_json::json!({"apps": [{"name": "X", "entitlements": [{"name": "E", "risk": "high"}]}]}),
        [
            ("/apps/0/entitlements/0".to_string(), 4),
            ("/apps/0/entitlements/0/risk".to_string(), 6),
        ]
        .into(),
    );
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, Some(6));
    assert_eq!(errors[0].field, "risk");
    assert_eq!(errors[0].object, "entitlement `E`");
}

#[test]
fn prune_deletes_code_objects_gone_from_the_tree_and_never_console_ones() {
    let mut state = applied(
        current(),
        &plan(&sample(), &current(), false, &build, &mut ids()).unwrap(),
    );
    state.groups.push(CurrentGroup {
        id: GroupId::from("console-group"),
        name: "Made in console".into(),
        managed_by: None,
    });
    let mut tree = sample();
    tree.files[0].apps.clear();
    let plan_without = plan(&tree, &state, false, &build, &mut ids()).unwrap();
    assert!(
        !plan_without.has_changes(),
        "without --prune nothing is deleted"
    );
    let pruned = plan(&tree, &state, true, &build, &mut ids()).unwrap();
    let deletes: Vec<&str> = pruned
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(
        deletes,
        vec!["entitlement `Prod DB/admin`", "app `Prod DB`"]
    );
}

#[test]
fn prune_refuses_a_policy_a_console_entitlement_uses_and_says_why() {
    let mut state = applied(
        current(),
        &plan(&sample(), &current(), false, &build, &mut ids()).unwrap(),
    );
    let policy = state.policies[0].policy.id.clone();
    let mut console = state.entitlements[0].entitlement.clone();
    console.id = EntitlementId::from("console-ent");
    console.slug = Slug::parse("reader").unwrap();
    console.alias = None;
    console.request_policy = Some(policy);
    state.entitlements.push(CurrentEntitlement {
        entitlement: console,
        managed_by: None,
        in_use: None,
    });
    let mut tree = sample();
    tree.files[0].policies.clear();
    tree.files[0].apps[0].entitlements[0]["request_policy"] = serde_json::Value::Null;
    let errors = plan(&tree, &state, true, &build, &mut ids()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].object, "policy `DBA approval`");
    assert!(
        errors[0]
            .message
            .contains("entitlement `Prod DB/reader` (request policy)"),
        "{}",
        errors[0]
    );
}

#[test]
fn an_export_reads_back_into_the_same_objects() {
    let state = applied(
        current(),
        &plan(&sample(), &current(), false, &build, &mut ids()).unwrap(),
    );
    let mut names = CatalogNames::default();
    names.add_user(&UserId::from("1"), "alice@example.com");
    for g in &state.groups {
        names.add_group(&g.id, &g.name);
    }
    for p in &state.policies {
        names.add_policy(&p.policy.id, &p.policy.name);
    }
    let ents: Vec<&Entitlement> = state.entitlements.iter().map(|e| &e.entitlement).collect();
    let app = app_spec(
        &state.apps[0].app,
        &state.apps[0].description,
        &ents,
        &names,
    )
    .unwrap();
    let mut tree = sample();
    tree.files[0].apps = vec![app];
    let plan = plan(&tree, &state, false, &build, &mut ids()).unwrap();
    assert!(!plan.has_changes(), "{plan:?}");
}

#[test]
fn policy_spec_leaves_out_the_fields_at_their_defaults() {
    let input = PolicyInput {
        name: "P".into(),
        steps: vec![StepInput {
            manager: true,
            ..StepInput::default()
        }],
    };
    let spec = policy_spec(&input).unwrap();
    assert_eq!(
        spec.steps,
        vec![serde_json::json!({"kind": "approval", "manager": true})]
    );
}

#[test]
fn a_console_object_the_tree_names_unchanged_is_adopted_not_updated() {
    let mut state = applied(
        current(),
        &plan(&sample(), &current(), false, &build, &mut ids()).unwrap(),
    );
    for g in &mut state.groups {
        g.managed_by = None;
    }
    let plan = plan(&sample(), &state, false, &build, &mut ids()).unwrap();
    let group = plan
        .changes
        .iter()
        .find(|c| c.label == "group `DBAs`")
        .unwrap();
    assert_eq!(group.action, Action::Adopt);
    assert_eq!(
        group.fields,
        vec![FieldChange {
            field: "managed_by".into(),
            before: "console".into(),
            after: "apps/prod-db.yaml".into()
        }]
    );
    assert!(!plan.has_changes(), "adopting changes no content");
    assert_eq!(plan.counts(), (0, 0, 0, 1));
}

#[test]
fn a_name_defined_twice_and_a_built_in_redefined_are_refused() {
    let mut tree = sample();
    let second = file(
        "other.yaml",
        serde_json::json!({
            "groups": [{"name": "dbas"}],
            "policies": [{"name": "App Owner Approval", "steps": []}]
        }),
        &[("/groups/0/name", 2), ("/policies/0/name", 4)],
    );
    tree.files.push(second);
    let errors = plan(&tree, &current(), false, &build, &mut ids()).unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        vec![
            "other.yaml:2: group `dbas`: name: this group is also defined in apps/prod-db.yaml",
            "other.yaml:4: policy `App Owner Approval`: name: this policy is built in; refer to it by name without defining it",
        ]
    );
}

#[test]
fn an_entitlements_review_policy_is_planned_exported_and_read_back_unchanged() {
    let mut tree = sample();
    tree.files[0].apps[0].entitlements[0]["review_policy"] = "DBA approval".into();
    let state = applied(
        current(),
        &plan(&tree, &current(), false, &build, &mut ids()).unwrap(),
    );
    let policy = state.policies[0].policy.id.clone();
    assert_eq!(
        state.entitlements[0].entitlement.review_policy,
        Some(policy.clone())
    );
    let mut names = CatalogNames::default();
    names.add_user(&UserId::from("1"), "alice@example.com");
    for g in &state.groups {
        names.add_group(&g.id, &g.name);
    }
    names.add_policy(&policy, "DBA approval");
    let ents: Vec<&Entitlement> = state.entitlements.iter().map(|e| &e.entitlement).collect();
    let app = app_spec(
        &state.apps[0].app,
        &state.apps[0].description,
        &ents,
        &names,
    )
    .unwrap();
    assert_eq!(
        app.entitlements[0]["review_policy"],
        serde_json::json!("DBA approval")
    );
    let mut exported = sample();
    exported.files[0].apps = vec![app];
    let replanned = plan(&exported, &state, false, &build, &mut ids()).unwrap();
    assert!(!replanned.has_changes(), "{replanned:?}");

    // Dropping the key is an update back to the campaign's reviewers, named as such.
    let dropped = plan(&sample(), &state, false, &build, &mut ids()).unwrap();
    let update: Vec<&Change> = dropped
        .changes
        .iter()
        .filter(|c| c.action == Action::Update)
        .collect();
    assert_eq!(update.len(), 1, "{dropped:?}");
    assert_eq!(update[0].fields.len(), 1, "{:?}", update[0].fields);
    assert_eq!(update[0].fields[0].field, "review_policy");
}

#[test]
fn an_unknown_review_policy_is_reported_with_its_file_and_line() {
    let mut json = serde_json::json!({
        "apps": [{
            "name": "Prod DB",
            "entitlements": [{"name": "Admin", "slug": "admin", "review_policy": "Quarterly reviewers"}]
        }]
    });
    json["apps"][0]["owners"] = serde_json::json!(["alice@example.com"]);
    let tree = CatalogTree {
        files: vec![file(
            "catalog/prod-db.yaml",
            json,
            &[
                ("/apps/0/entitlements/0", 5),
                ("/apps/0/entitlements/0/review_policy", 9),
            ],
        )],
    };
    let errors = plan(&tree, &current(), false, &build, &mut ids()).unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        vec![
            "catalog/prod-db.yaml:9: entitlement `admin`: review_policy: unknown policy `Quarterly reviewers`"
        ]
    );
}

#[test]
fn prune_refuses_a_policy_a_console_entitlement_reviews_with() {
    let mut state = applied(
        current(),
        &plan(&sample(), &current(), false, &build, &mut ids()).unwrap(),
    );
    let policy = state.policies[0].policy.id.clone();
    let mut console = state.entitlements[0].entitlement.clone();
    console.id = EntitlementId::from("console-ent");
    console.slug = Slug::parse("reader").unwrap();
    console.alias = None;
    console.request_policy = None;
    console.review_policy = Some(policy);
    state.entitlements.push(CurrentEntitlement {
        entitlement: console,
        managed_by: None,
        in_use: None,
    });
    let mut tree = sample();
    tree.files[0].policies.clear();
    tree.files[0].apps[0].entitlements[0]["request_policy"] = serde_json::Value::Null;
    let errors = plan(&tree, &state, true, &build, &mut ids()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .message
            .contains("entitlement `Prod DB/reader` (review policy)"),
        "{}",
        errors[0]
    );
}
