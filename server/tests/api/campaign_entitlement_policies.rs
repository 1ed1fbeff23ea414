//! Entitlement review policies (issue 12 §1): an entitlement's own review policy, saved from the
//! console, shown to Super Admins only, guarded against deletion, and used by staging for the
//! grants of that entitlement when the campaign says "use the entitlement's own review policy
//! when it has one"; everyone else's grants keep the campaign's reviewers. In catalog files it is
//! the entitlement key `review_policy` (`latch apply` / `latch export`).

use app::api::campaigns::CampaignDetail;
use app::api::catalog::catalog_overview::CatalogOverview;
use app::api::policies::delete_policy::DeletePolicy;
use app::domain::campaign::{
    CampaignFields, CampaignScope, CampaignSettings, ReviewOutcome, ReviewPolicy, ReviewTask,
};
use app::domain::catalog_code::CatalogTree;
use app::domain::{
    AppId, EntitlementId, Grant, GrantId, GrantState, PolicyId, RequestId, Role, RoleSet, UserId,
};
use app::shapes::CatalogEntitlement;
use app::ssr::access::{Actor, campaigns as repo, grants, new_id, now, user_id};
use app::ssr::flows::apply::{self, ApplyActor, ApplyError, ApplyOptions};
use app::ssr::flows::campaigns;
use latch_server::catalog_files::parse_file;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};

/// The review policy's name: Dave first, then the holder's manager (only the first step
/// reviews).
const DAVE_REVIEWS: &str = "Dave reviews";

fn actor(p: &Person) -> Actor {
    Actor::for_user(user_id(p.user.id), RoleSet::new([p.user.role]))
}

fn uid(p: &Person) -> UserId {
    user_id(p.user.id)
}

/// An active grant of `entitlement` to `subject`, written through the grants repository.
async fn insert_grant(app: &TestApp, subject: &UserId, app_id: &str, entitlement: &str) -> String {
    let at = now();
    let g = Grant {
        id: GrantId::new(new_id()),
        subject: subject.clone(),
        app: AppId::new(app_id),
        entitlement: EntitlementId::new(entitlement),
        granted_at: at,
        period_start: at,
        expires_at: None,
        source_request: RequestId::new("seeded"),
        extensions: Vec::new(),
        state: GrantState::Active,
        version: 1,
    };
    let mut tx = app.db.begin().await.unwrap();
    grants::save_grant(&mut tx, None, &g, at).await.unwrap();
    tx.commit().await.unwrap();
    g.id.to_string()
}

/// A campaign over the whole app, reviewed by the holders' managers, deferring to entitlements'
/// own review policies or not.
fn fields(l: &Loop, app_id: &str, use_entitlement_policies: bool) -> CampaignFields {
    CampaignFields {
        name: format!("Review, own policies {use_entitlement_policies}"),
        description: String::new(),
        owners: vec![uid(&l.admin)],
        due_at: Some(now().plus_millis(7 * 86_400_000)),
        instructions: String::new(),
        scope: CampaignScope {
            apps: vec![AppId::new(app_id)],
            ..CampaignScope::default()
        },
        review_policy: ReviewPolicy {
            use_entitlement_policies,
            ..ReviewPolicy::default()
        },
        settings: CampaignSettings::default(),
    }
}

/// Every review task of campaign `id`.
async fn tasks(app: &TestApp, id: &str) -> Vec<ReviewTask> {
    let mut all = Vec::new();
    for outcome in ReviewOutcome::ALL {
        all.extend(
            repo::tasks_page(&app.db, id, *outcome, "", 1_000)
                .await
                .unwrap(),
        );
    }
    all
}

fn reviewers_of(all: &[ReviewTask], grant: &str) -> Vec<UserId> {
    all.iter()
        .find(|t| t.grant.grant.as_str() == grant)
        .unwrap_or_else(|| panic!("no review of grant {grant}: {all:?}"))
        .reviewers
        .clone()
}

fn reader_in<'a>(catalog: &'a app::shapes::CatalogOverview, id: &str) -> &'a CatalogEntitlement {
    catalog
        .apps
        .iter()
        .flat_map(|a| &a.entitlements)
        .find(|e| e.id.as_str() == id)
        .unwrap_or_else(|| panic!("no entitlement {id} in {catalog:?}"))
}

/// The loop's catalog plus Dave, the "Dave reviews" policy and a "Reader" entitlement whose
/// review policy it is (saved from the console's form). Returns (app id, Reader's id, policy id,
/// Dave).
async fn catalog_with_a_review_policy(app: &TestApp, l: &Loop) -> (String, String, String, UserId) {
    let dave = person(app, "dave@example.com", "Dave Reviewer", Role::BasicUser).await;
    let policy_json = serde_json::json!({
        "name": DAVE_REVIEWS,
        "steps": [
            {"kind": "approval", "users": "dave@example.com"},
            {"kind": "approval", "manager": true},
        ],
    })
    .to_string();
    let policy = l
        .admin
        .ok(
            app,
            SavePolicy {
                id: None,
                policy_json,
                version: None,
            },
        )
        .await;
    let app_id = app_id_of(app, &l.entitlement_id).await;
    let reader = l
        .admin
        .ok(
            app,
            SaveEntitlement {
                max_duration: Some("7d".into()),
                review_policy: Some(policy.clone()),
                ..entitlement_form(&app_id, "Reader")
            },
        )
        .await;
    (app_id, reader, policy, uid(&dave))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entitlements_review_policy_is_saved_shown_to_admins_only_and_cannot_be_deleted_while_used()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (app_id, reader, policy, _) = catalog_with_a_review_policy(&app, &l).await;

    // Stored in the entitlement and in its column.
    let column: Option<String> =
        sqlx::query_scalar("SELECT review_policy FROM entitlements WHERE id = $1")
            .bind(&reader)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(column.as_deref(), Some(policy.as_str()));

    // The admin's catalog has it (the edit form's part); a plain user's has no admin part.
    let admins = l.admin.ok(&app, CatalogOverview {}).await;
    let stored = &reader_in(&admins, &reader).admin.as_ref().unwrap().stored;
    assert_eq!(stored.review_policy, Some(PolicyId::new(policy.clone())));
    let alices = l.alice.ok(&app, CatalogOverview {}).await;
    assert_eq!(reader_in(&alices, &reader).admin, None);
    assert!(
        !serde_json::to_string(&alices)
            .unwrap()
            .contains("review_policy"),
        "a plain user's catalog names no review policy"
    );

    // An unknown policy is refused, naming the field.
    let refusal = l
        .admin
        .call(
            &app,
            SaveEntitlement {
                max_duration: Some("7d".into()),
                review_policy: Some("no-such-policy".into()),
                ..entitlement_form(&app_id, "Writer")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422, "{refusal:?}");
    assert!(
        refusal.message.contains("review policy") && refusal.message.contains("no-such-policy"),
        "{refusal:?}"
    );

    // Deleting the policy is refused while the entitlement uses it for reviews, as for requests.
    let refusal = l
        .admin
        .call(&app, DeletePolicy { id: policy.clone() })
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422);
    assert_eq!(
        refusal.message,
        format!(
            "Invalid policy: \"{DAVE_REVIEWS}\" is still used by entitlement \"Reader — reader\" of Prod DB (review policy)"
        )
    );

    // Saved again with "none" (the campaign's reviewers), the policy is free to go.
    l.admin
        .ok(
            &app,
            SaveEntitlement {
                id: Some(reader.clone()),
                max_duration: Some("7d".into()),
                review_policy: Some(String::new()),
                ..entitlement_form(&app_id, "Reader")
            },
        )
        .await;
    let admins = l.admin.ok(&app, CatalogOverview {}).await;
    let stored = &reader_in(&admins, &reader).admin.as_ref().unwrap().stored;
    assert_eq!(stored.review_policy, None);
    l.admin.ok(&app, DeletePolicy { id: policy }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_option_on_an_entitlements_review_policy_picks_its_grants_reviewers_and_off_the_campaigns_do()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (app_id, reader, _, dave) = catalog_with_a_review_policy(&app, &l).await;
    // Alice (whose manager is Bob) holds the loop's Admin and Reader.
    let admin_grant = insert_grant(&app, &uid(&l.alice), &app_id, &l.entitlement_id).await;
    let reader_grant = insert_grant(&app, &uid(&l.alice), &app_id, &reader).await;
    let admin = actor(&l.admin);

    for (use_entitlement_policies, reader_reviewers) in
        [(true, vec![dave.clone()]), (false, vec![uid(&l.bob)])]
    {
        let draft = campaigns::create_draft(
            &app.db,
            &admin,
            fields(&l, &app_id, use_entitlement_policies),
        )
        .await
        .unwrap();
        let id = draft.id.to_string();

        // The campaign page says which reviewers apply, and the form shows the option as set.
        let page = l.admin.ok(&app, CampaignDetail { id: id.clone() }).await;
        let says_so = page
            .reviewers
            .iter()
            .any(|line| line == "An entitlement's own review policy is used when it has one");
        assert_eq!(says_so, use_entitlement_policies, "{:?}", page.reviewers);
        assert_eq!(
            page.scope_form.unwrap().use_entitlement_policies,
            use_entitlement_policies
        );

        let staged = campaigns::stage(&app.db, &admin, &id).await.unwrap();
        assert_eq!(staged.review_tasks, 2);
        let all = tasks(&app, &id).await;
        assert_eq!(
            reviewers_of(&all, &reader_grant),
            reader_reviewers,
            "Reader's grant, own policies {use_entitlement_policies}"
        );
        assert_eq!(
            reviewers_of(&all, &admin_grant),
            vec![uid(&l.bob)],
            "Admin has no review policy: the campaign's reviewers (the manager)"
        );
    }
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_of_one_app_and_another_apps_entitlement_finds_the_review_policies_of_both() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (app_id, reader, policy, dave) = catalog_with_a_review_policy(&app, &l).await;
    // A second app, Wiki, whose Editor has Dave's policy too.
    let wiki = l.admin.ok(&app, app_form("Wiki")).await;
    let editor = l
        .admin
        .ok(
            &app,
            SaveEntitlement {
                max_duration: Some("7d".into()),
                review_policy: Some(policy),
                ..entitlement_form(&wiki, "Editor")
            },
        )
        .await;
    // Alice (whose manager is Bob) holds the loop's Admin, Reader and Editor.
    let admin_grant = insert_grant(&app, &uid(&l.alice), &app_id, &l.entitlement_id).await;
    let reader_grant = insert_grant(&app, &uid(&l.alice), &app_id, &reader).await;
    let editor_grant = insert_grant(&app, &uid(&l.alice), &wiki, &editor).await;

    // The scope: all of Wiki, and Reader alone of the loop's app.
    let draft = campaigns::create_draft(
        &app.db,
        &actor(&l.admin),
        CampaignFields {
            scope: CampaignScope {
                apps: vec![AppId::new(wiki.as_str())],
                entitlements: vec![EntitlementId::new(reader.as_str())],
                ..CampaignScope::default()
            },
            ..fields(&l, &app_id, true)
        },
    )
    .await
    .unwrap();
    let id = draft.id.to_string();
    let staged = campaigns::stage(&app.db, &actor(&l.admin), &id)
        .await
        .unwrap();
    assert_eq!(staged.review_tasks, 2);
    let all = tasks(&app, &id).await;
    assert_eq!(
        reviewers_of(&all, &reader_grant),
        vec![dave.clone()],
        "Reader"
    );
    assert_eq!(reviewers_of(&all, &editor_grant), vec![dave], "Editor");
    assert!(
        all.iter().all(|t| t.grant.grant.as_str() != admin_grant),
        "Admin is out of scope: {all:?}"
    );
}

/// A catalog file whose Reader names a review policy (lines matter: errors cite them).
const REVIEWED_CATALOG: &str = "\
policies:
  - name: Quarterly reviewers
    steps:
      - kind: approval
        users: owner@example.com
apps:
  - name: Billing
    owners: [owner@example.com]
    entitlements:
      - name: Reader
        slug: reader
        maximum_duration: 30d
        review_policy: Quarterly reviewers
";

fn catalog_tree(text: &str) -> CatalogTree {
    CatalogTree {
        files: vec![parse_file("catalog/billing.yaml", text).unwrap()],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_policy_is_a_catalog_as_code_key_that_applies_exports_and_plans_no_changes() {
    let app = spawn_app().await;
    person(&app, "owner@example.com", "Olive Owner", Role::SuperAdmin).await;

    // An unknown name is refused with the file and the key's line, and nothing is applied.
    let unknown = REVIEWED_CATALOG.replace(
        "review_policy: Quarterly reviewers",
        "review_policy: Yearly reviewers",
    );
    let outcome = apply::apply(
        &app.db,
        catalog_tree(&unknown),
        ApplyOptions::default(),
        ApplyActor::Cli,
    )
    .await;
    let Err(ApplyError::Invalid(errors)) = outcome else {
        panic!("expected problems, got {outcome:?}");
    };
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        vec![
            "catalog/billing.yaml:13: entitlement `reader`: review_policy: unknown policy `Yearly reviewers`"
        ]
    );

    // Applied: the entitlement reviews with the policy, in its body and its column.
    apply::apply(
        &app.db,
        catalog_tree(REVIEWED_CATALOG),
        ApplyOptions::default(),
        ApplyActor::Cli,
    )
    .await
    .unwrap();
    let (policy, column): (String, Option<String>) = sqlx::query_as(
        "SELECT p.id, e.review_policy FROM policies p, entitlements e \
         WHERE p.name = 'Quarterly reviewers' AND e.slug = 'reader'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(column.as_deref(), Some(policy.as_str()));

    // Exported, the key names the policy, and applying the export plans nothing.
    let exported = apply::export(&app.db).await.unwrap();
    let entitlement = exported
        .iter()
        .flat_map(|f| &f.apps)
        .flat_map(|a| &a.entitlements)
        .find(|e| e["slug"] == "reader")
        .unwrap();
    assert_eq!(entitlement["review_policy"], "Quarterly reviewers");
    let replanned = apply::apply(
        &app.db,
        CatalogTree { files: exported },
        ApplyOptions {
            plan_only: true,
            ..ApplyOptions::default()
        },
        ApplyActor::Cli,
    )
    .await
    .unwrap();
    assert!(!replanned.plan.has_changes(), "{replanned:?}");

    // Removing the key is an update naming it.
    let without = REVIEWED_CATALOG.replace("        review_policy: Quarterly reviewers\n", "");
    let report = apply::apply(
        &app.db,
        catalog_tree(&without),
        ApplyOptions {
            plan_only: true,
            ..ApplyOptions::default()
        },
        ApplyActor::Cli,
    )
    .await
    .unwrap();
    let fields: Vec<&str> = report
        .plan
        .changes
        .iter()
        .flat_map(|c| &c.fields)
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(fields, vec!["review_policy"]);
}
