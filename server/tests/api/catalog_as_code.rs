//! Catalog and policies as code (issue 15): `latch apply` (plan, idempotence, prune safety,
//! errors with file and line, all or nothing), the console lock of objects managed in code, the
//! audit trail, and `latch export` → `latch apply --plan` showing no changes.

use std::path::Path;
use std::process::Command;

use app::api::directory::save_group::SaveGroup;
use app::api::settings::set_console_edits_of_code::SetConsoleEditsOfCode;
use app::domain::Role;
use app::domain::catalog_code::{Action, CatalogTree};
use app::ssr::flows::apply::{self, ApplyActor, ApplyError, ApplyOptions, ApplyReport};
use latch_server::catalog_files::{parse_file, read_tree};

use crate::access_fixtures::{
    Person, SaveApp, SaveEntitlement, SavePolicy, app_form, entitlement_form, new_request, person,
};
use crate::helpers::{TestApp, spawn_app};

const PROD_DB: &str = "\
groups:
  - name: DBAs
policies:
  - name: DBA approval
    steps:
      - kind: approval
        groups: [DBAs]
        require_approval_reason: true
apps:
  - name: Prod DB
    description: The production database.
    owners: [owner@example.com]
    entitlements:
      - name: Admin
        slug: admin
        alias: prod-db-admin
        risk_level: high
        maximum_duration: 7d
        request_policy: DBA approval
        catalog_visibility: [DBAs]
      - name: Reader
        slug: reader
        alias: prod-db-reader
        maximum_duration: 30d
        webhook_url: https://provisioner.example.com/hooks/latch
";

fn tree(files: &[(&str, &str)]) -> CatalogTree {
    CatalogTree {
        files: files
            .iter()
            .map(|(path, text)| parse_file(path, text).unwrap())
            .collect(),
    }
}

async fn run(app: &TestApp, tree: CatalogTree, options: ApplyOptions) -> ApplyReport {
    apply::apply(&app.db, tree, options, ApplyActor::Cli)
        .await
        .unwrap_or_else(|e| panic!("apply failed: {e}"))
}

fn plan_only() -> ApplyOptions {
    ApplyOptions {
        plan_only: true,
        ..ApplyOptions::default()
    }
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn catalog_counts(app: &TestApp) -> [i64; 4] {
    [
        count(app, "SELECT COUNT(*) FROM apps").await,
        count(app, "SELECT COUNT(*) FROM entitlements").await,
        count(app, "SELECT COUNT(*) FROM policies").await,
        count(app, "SELECT COUNT(*) FROM groups").await,
    ]
}

async fn with_owner(app: &TestApp) -> Person {
    person(app, "owner@example.com", "Olive Owner", Role::SuperAdmin).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_lists_the_creates_and_changes_nothing_and_a_second_apply_reports_no_changes() {
    let app = spawn_app().await;
    with_owner(&app).await;
    let files = [("catalog/prod-db.yaml", PROD_DB)];

    let plan = run(&app, tree(&files), plan_only()).await;
    assert!(!plan.applied);
    let creates: Vec<&str> = plan
        .plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(
        creates,
        vec![
            "group `DBAs`",
            "policy `DBA approval`",
            "app `Prod DB`",
            "entitlement `Prod DB/admin`",
            "entitlement `Prod DB/reader`",
        ]
    );
    assert_eq!(
        catalog_counts(&app).await,
        [0, 0, 0, 0],
        "a plan writes nothing"
    );

    let applied = run(
        &app,
        tree(&files),
        ApplyOptions {
            source_ref: Some("abc1234".into()),
            ..ApplyOptions::default()
        },
    )
    .await;
    assert!(applied.applied);
    assert_eq!(catalog_counts(&app).await, [1, 2, 1, 1]);
    let managed: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT managed_by, managed_ref FROM entitlements ORDER BY slug")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        managed,
        vec![(Some("catalog/prod-db.yaml".into()), Some("abc1234".into())); 2]
    );

    // Every change is audited as coming from apply, with the source ref.
    let events: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT actor, action, rule FROM audit_events WHERE action LIKE 'catalog.%' OR action LIKE 'policy.%' OR action LIKE 'directory.%' ORDER BY seq",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(events.len(), 5, "{events:?}");
    for (actor, _, rule) in &events {
        assert_eq!(actor, "system");
        assert_eq!(rule.as_deref(), Some("apply source_ref=abc1234"));
    }

    let again = run(&app, tree(&files), ApplyOptions::default()).await;
    assert!(!again.plan.has_changes());
    assert!(!again.applied);
    assert!(again.to_string().contains("No changes"), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_in_the_tree_is_planned_as_an_update_naming_the_fields_that_differ() {
    let app = spawn_app().await;
    with_owner(&app).await;
    run(
        &app,
        tree(&[("catalog/prod-db.yaml", PROD_DB)]),
        ApplyOptions::default(),
    )
    .await;
    let edited = PROD_DB
        .replace("maximum_duration: 7d", "maximum_duration: 14d")
        .replace("risk_level: high", "risk_level: critical");
    let plan = run(
        &app,
        tree(&[("catalog/prod-db.yaml", &edited)]),
        plan_only(),
    )
    .await;
    let updates: Vec<_> = plan
        .plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Unchanged)
        .collect();
    assert_eq!(updates.len(), 1, "{}", plan);
    assert_eq!(updates[0].label, "entitlement `Prod DB/admin`");
    let fields: Vec<(&str, &str, &str)> = updates[0]
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.before.as_str(), f.after.as_str()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("risk_level", "high", "critical"),
            ("maximum_duration", "1 week", "2 weeks"),
        ]
    );
    let stored: String = sqlx::query_scalar("SELECT body FROM entitlements WHERE slug = 'admin'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(stored.contains("\"high\""), "a plan changes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_file_line_and_field_all_at_once_and_nothing_is_applied() {
    let app = spawn_app().await;
    with_owner(&app).await;
    let broken = PROD_DB
        .replace(
            "request_policy: DBA approval",
            "request_policy: Manager then owner",
        )
        .replace("owners: [owner@example.com]", "owners: [ghost@example.com]")
        .replace(
            "webhook_url: https://provisioner",
            "webhook_url: http://provisioner",
        );
    let outcome = apply::apply(
        &app.db,
        tree(&[("catalog/prod-db.yaml", &broken)]),
        ApplyOptions::default(),
        ApplyActor::Cli,
    )
    .await;
    let Err(ApplyError::Invalid(errors)) = outcome else {
        panic!("expected problems, got {outcome:?}");
    };
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 3, "{shown:#?}");
    assert!(
        shown[0].starts_with("catalog/prod-db.yaml:12: app `Prod DB`: owners: no one in the directory has the email `ghost@example.com`"),
        "{shown:#?}"
    );
    assert_eq!(
        shown[1],
        "catalog/prod-db.yaml:19: entitlement `admin`: request_policy: unknown policy `Manager then owner`"
    );
    assert!(
        shown[2].starts_with("catalog/prod-db.yaml:25: entitlement `reader`: webhook_url:"),
        "{shown:#?}"
    );
    assert_eq!(catalog_counts(&app).await, [0, 0, 0, 0]);

    // A malformed file is reported with the line of the offending key, alongside others.
    let typo = "apps:\n  - name: X\n    entitlements:\n      - name: E\n        risk: high\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("catalog")).unwrap();
    std::fs::write(dir.path().join("catalog/a.yaml"), typo).unwrap();
    std::fs::write(dir.path().join("catalog/b.yaml"), "apps: [unclosed\n").unwrap();
    let errors = read_tree(&dir.path().join("catalog")).unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(
        shown[0].starts_with("catalog/a.yaml:5: entitlement `E`: risk: unknown field `risk`"),
        "{shown:#?}"
    );
    assert!(shown[1].starts_with("catalog/b.yaml:"), "{shown:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_deletes_what_left_the_tree_refuses_what_is_in_use_and_never_touches_console_objects()
{
    let app = spawn_app().await;
    let admin = with_owner(&app).await;
    let files = [("catalog/prod-db.yaml", PROD_DB)];
    run(&app, tree(&files), ApplyOptions::default()).await;
    // Made in the console: an app, and an entitlement of it that uses the tree's policy.
    let console_app = admin.ok(&app, app_form("Console App")).await;
    let policy_id: String = sqlx::query_scalar("SELECT id FROM policies")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    admin
        .ok(
            &app,
            SaveEntitlement {
                request_policy: Some(policy_id),
                max_duration: Some("30d".into()),
                ..entitlement_form(&console_app, "Console Reader")
            },
        )
        .await;
    // The reader entitlement has been requested, so it has history.
    let reader: String = sqlx::query_scalar("SELECT id FROM entitlements WHERE slug = 'reader'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    admin.request(&app, new_request(&reader, "reading")).await;

    // Without the policy and the reader in the tree, prune refuses both, saying why.
    let without = PROD_DB
        .replace(
            "  - name: DBA approval\n    steps:\n      - kind: approval\n        groups: [DBAs]\n        require_approval_reason: true\n",
            "",
        )
        .replace("policies:\n", "")
        .replace("        request_policy: DBA approval\n", "");
    let without = without[..without.find("      - name: Reader").unwrap()].to_string();
    let outcome = apply::apply(
        &app.db,
        tree(&[("catalog/prod-db.yaml", &without)]),
        ApplyOptions {
            prune: true,
            ..ApplyOptions::default()
        },
        ApplyActor::Cli,
    )
    .await;
    let Err(ApplyError::Invalid(errors)) = outcome else {
        panic!("expected refusals, got {outcome:?}");
    };
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(
        shown.iter().any(|e| e.contains("policy `DBA approval`")
            && e.contains("entitlement `Console App/console-reader` (request policy)")),
        "{shown:#?}"
    );
    assert!(
        shown
            .iter()
            .any(|e| e.contains("entitlement `Prod DB/reader`")
                && e.contains("1 request(s)")
                && e.contains("catalog_visibility: nobody")),
        "{shown:#?}"
    );
    assert_eq!(
        catalog_counts(&app).await,
        [2, 3, 1, 1],
        "nothing was pruned"
    );

    // Keep the reader (retired), drop only the group from the tree: the group goes, the console
    // app and its entitlement stay, and without --prune nothing is deleted at all.
    let retired = PROD_DB.replace("groups:\n  - name: DBAs\n", "").replace(
        "        catalog_visibility: [DBAs]\n",
        "        catalog_visibility: nobody\n",
    );
    let no_prune = run(
        &app,
        tree(&[("catalog/prod-db.yaml", &retired)]),
        ApplyOptions::default(),
    )
    .await;
    assert!(
        no_prune
            .plan
            .changes
            .iter()
            .all(|c| c.action != Action::Delete)
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM groups").await, 1);
    let pruned = run(
        &app,
        tree(&[(
            "catalog/prod-db.yaml",
            &retired.replace("groups: [DBAs]", "app_owners: true"),
        )]),
        ApplyOptions {
            prune: true,
            ..ApplyOptions::default()
        },
    )
    .await;
    let deletes: Vec<&str> = pruned
        .plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(deletes, vec!["group `DBAs`"]);
    assert_eq!(catalog_counts(&app).await, [2, 3, 1, 0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_halfway_through_the_writes_rolls_back_everything() {
    let app = spawn_app().await;
    with_owner(&app).await;
    run(
        &app,
        tree(&[("catalog/prod-db.yaml", PROD_DB)]),
        ApplyOptions::default(),
    )
    .await;
    let before: Vec<(String, i64)> =
        sqlx::query_as("SELECT body, version FROM entitlements ORDER BY slug")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let audit_before = count(&app, "SELECT COUNT(*) FROM audit_events").await;
    // A new app (written first), a description change, and the two aliases swapped: the plan
    // is valid (the final state has distinct aliases) but the first entitlement written meets
    // the other's old alias in the unique index, halfway through the writes.
    let swapped = PROD_DB
        .replace("alias: prod-db-admin", "alias: TMP")
        .replace("alias: prod-db-reader", "alias: prod-db-admin")
        .replace("alias: TMP", "alias: prod-db-reader")
        .replace("The production database.", "Changed.");
    let extra = "apps:\n  - name: Another App\n";
    let outcome = apply::apply(
        &app.db,
        tree(&[
            ("catalog/another.yaml", extra),
            ("catalog/prod-db.yaml", &swapped),
        ]),
        ApplyOptions::default(),
        ApplyActor::Cli,
    )
    .await;
    let Err(ApplyError::Invalid(errors)) = outcome else {
        panic!("expected a write-time failure, got {outcome:?}");
    };
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .contains("alias `prod-db-reader` is still held"),
        "{}",
        errors[0]
    );
    let after: Vec<(String, i64)> =
        sqlx::query_as("SELECT body, version FROM entitlements ORDER BY slug")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(after, before);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM apps").await,
        1,
        "the new app was rolled back"
    );
    let description: String = sqlx::query_scalar("SELECT description FROM apps")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(description, "The production database.");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events").await,
        audit_before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_refuses_to_edit_objects_managed_in_code_until_unlocked() {
    let app = spawn_app().await;
    let admin = with_owner(&app).await;
    run(
        &app,
        tree(&[("catalog/prod-db.yaml", PROD_DB)]),
        ApplyOptions::default(),
    )
    .await;
    let app_id: String = sqlx::query_scalar("SELECT id FROM apps")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let edit = SaveApp {
        id: Some(app_id.clone()),
        description: Some("Edited in the console".into()),
        owners: Some("owner@example.com".into()),
        ..app_form("Prod DB")
    };
    // The console marks what is managed in code.
    for page in ["/apps/prod-db", "/admin/policies"] {
        let html = admin
            .client
            .get(app.url(page))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("data-testid=\"managed-in-code\"")
                && html.contains("Managed in code: catalog/prod-db.yaml"),
            "{page} shows no mark"
        );
    }
    let refusal = admin.call(&app, edit.clone()).await.unwrap_err();
    assert_eq!(refusal.status, 409, "{refusal:?}");
    assert!(
        refusal
            .message
            .contains("managed in code (catalog/prod-db.yaml)")
            && refusal.message.contains("unlock console edits"),
        "{refusal:?}"
    );
    let policy_id: String = sqlx::query_scalar("SELECT id FROM policies")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let policy_refusal = admin
        .call(
            &app,
            SavePolicy {
                id: Some(policy_id),
                policy_json:
                    r#"{"name":"DBA approval","steps":[{"kind":"approval","app_owners":true}]}"#
                        .into(),
                version: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(policy_refusal.status, 409, "{policy_refusal:?}");
    // A console-made group is still the console's to edit.
    admin
        .ok(
            &app,
            SaveGroup {
                name: "Console group".into(),
                members: None,
            },
        )
        .await;

    admin
        .ok(
            &app,
            SetConsoleEditsOfCode {
                unlocked: "on".into(),
            },
        )
        .await;
    admin.ok(&app, edit).await;
    let description: String = sqlx::query_scalar("SELECT description FROM apps")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(description, "Edited in the console");
    // The next apply puts Git's version back.
    let report = run(
        &app,
        tree(&[("catalog/prod-db.yaml", PROD_DB)]),
        ApplyOptions::default(),
    )
    .await;
    assert!(report.plan.has_changes());
    let description: String = sqlx::query_scalar("SELECT description FROM apps")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(description, "The production database.");
}

fn latch(app: &TestApp, dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latch"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LATCH_DATA_DIR", app._data_dir.path())
        .env("LATCH_DATABASE_URL", &app.database_url)
        .env("LATCH_SECRET_KEY", crate::helpers::TEST_SECRET_KEY)
        .current_dir(dir);
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_apply_plan_shows_no_changes_for_a_catalog_built_in_the_console() {
    let app = spawn_app().await;
    let admin = with_owner(&app).await;
    admin
        .ok(
            &app,
            SaveGroup {
                name: "Site Reliability".into(),
                members: Some("owner@example.com".into()),
            },
        )
        .await;
    let policy = admin
        .ok(
            &app,
            SavePolicy {
                id: None,
                policy_json: r#"{"name":"Manager then SRE","steps":[{"kind":"approval","manager":true,"allow_reassignment":true},{"kind":"approval","groups":["Site Reliability"],"require_approval_reason":true,"allow_reassignment":false}]}"#.into(),
                version: None,
            },
        )
        .await;
    let db_app = admin
        .ok(
            &app,
            SaveApp {
                description: Some("Line one.\n\nLine: two # still text".into()),
                owners: Some("owner@example.com".into()),
                instructions: Some("Ask in #db.\n".into()),
                default_policy: Some(policy.clone()),
                ..app_form("Prod DB: EU")
            },
        )
        .await;
    admin
        .ok(
            &app,
            SaveEntitlement {
                alias: Some("eu-admin".into()),
                risk: Some("high".into()),
                max_duration: Some("36h".into()),
                emergency_policy: Some(policy),
                visible_to: Some("Site Reliability".into()),
                provisioning: Some("webhook".into()),
                webhook_url: Some("https://hooks.example.com/latch?team=db".into()),
                ..entitlement_form(&db_app, "Admin (EU)")
            },
        )
        .await;
    admin
        .ok(
            &app,
            SaveEntitlement {
                visibility: Some("nobody".into()),
                max_duration: Some("2w".into()),
                provisioners: Some("owner@example.com".into()),
                ..entitlement_form(&db_app, "Retired")
            },
        )
        .await;

    let dir = tempfile::tempdir().unwrap();
    let out = latch(&app, dir.path())
        .args(["export", "catalog"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 webhook URL(s)"),
        "export warns about webhook URLs"
    );
    let plan = latch(&app, dir.path())
        .args(["apply", "catalog", "--plan"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&plan.stdout);
    assert!(
        plan.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    assert!(
        stdout.contains("0 to create, 0 to update, 0 to delete, 5 to adopt"),
        "{stdout}"
    );

    // Applying adopts them; then the console refuses edits and a plan is empty.
    let applied = latch(&app, dir.path())
        .args(["apply", "catalog", "--source-ref", "deadbeef"])
        .output()
        .unwrap();
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let plan = latch(&app, dir.path())
        .args(["apply", "catalog", "--plan"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&plan.stdout).contains("No changes"),
        "{}",
        String::from_utf8_lossy(&plan.stdout)
    );
    let managed: i64 = count(
        &app,
        "SELECT COUNT(*) FROM entitlements WHERE managed_by IS NOT NULL",
    )
    .await;
    assert_eq!(managed, 2);

    // A broken tree exits non-zero and prints every problem with its file and line.
    std::fs::write(
        dir.path().join("catalog/broken.yaml"),
        "apps:\n  - name: Broken\n    default_request_policy: Nope\n    owners: [nobody@example.com]\n",
    )
    .unwrap();
    let failed = latch(&app, dir.path())
        .args(["apply", "catalog"])
        .output()
        .unwrap();
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains(
            "catalog/broken.yaml:3: app `Broken`: default_request_policy: unknown policy `Nope`"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("catalog/broken.yaml:4: app `Broken`: owners:"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was applied"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_example_tree_applies_and_then_plans_no_changes() {
    let app = spawn_app().await;
    for (email, name) in [
        ("alice@example.com", "Alice"),
        ("bob@example.com", "Bob"),
        ("dana@example.com", "Dana"),
    ] {
        app.create_user(email, name, Role::BasicUser).await;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/catalog");
    let example = read_tree(&root).unwrap_or_else(|errors| panic!("{errors:#?}"));
    let report = run(&app, example.clone(), ApplyOptions::default()).await;
    assert!(report.applied, "{report}");
    assert_eq!(catalog_counts(&app).await, [2, 4, 3, 2]);
    let again = run(&app, example, plan_only()).await;
    assert!(!again.plan.has_changes(), "{again}");
}
