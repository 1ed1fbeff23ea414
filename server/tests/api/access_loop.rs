//! The JIT loop end to end through the server functions: request → two approvals → manual
//! provisioning → grant → expiry → deprovisioning, all in a verified audit log.

use std::time::Duration;

use sqlx::Row;

use crate::access_fixtures::*;
use crate::helpers::{spawn_app, spawn_on_database};
use app::api::approvals::assigned_to_me::AssignedToMe;
use app::api::catalog::grant_cap::GrantCap;
use app::api::catalog::set_grant_cap::SetGrantCap;
use app::api::directory::import_directory_csv::ImportDirectoryCsv;
use app::api::grants::release_grant::ReleaseGrant;
use app::api::grants::revoke_grant::RevokeGrant;
use app::api::policies::delete_policy::DeletePolicy;
use app::api::policies::list_policies::ListPolicies;
use app::api::requests::cancel_request::CancelRequest;
use app::shapes::ImportOutcome;
use app::ssr::access::audit::{self, Verification};

async fn wait_for(app: &crate::helpers::TestApp, sql: &str, want: i64) {
    for _ in 0..100 {
        if scalar(app, sql).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "timed out waiting for `{sql}` to be {want} (is {})",
        scalar(app, sql).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_goes_through_two_approvals_manual_provisioning_expiry_and_removal_with_a_verified_audit_log()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (id, number) = l.request_admin(&app).await;
    assert_eq!(number, "REQ-1");

    // Step 1 is Bob's (Alice's manager); Carol cannot decide it, nor even see the request
    // until it reaches her step.
    let assigned = l.bob.ok(&app, AssignedToMe {}).await;
    assert_eq!(assigned.len(), 1);
    let refusal = l
        .carol
        .decide(&app, &id, 1, Verdict::Approved)
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 404);
    l.bob.approve(&app, &id, 1).await;
    // Step 2 goes to the app owner.
    l.carol.approve(&app, &id, 2).await;

    let detail = l.alice.detail(&app, &number).await;
    assert_eq!(detail.summary.status, RequestStatus::Provisioning);

    // Carol provisions by hand; only "Provisioned" gives access.
    let task = l.carol.only_task(&app).await;
    l.carol
        .ok(
            &app,
            completion(&task, TaskOutcome::Done, Some("added to admins")),
        )
        .await;
    let detail = l.alice.detail(&app, &number).await;
    assert_eq!(detail.summary.outcome, Some(Outcome::Granted));
    let grants = l.alice.grants(&app).await;
    let grant = &grants[0];
    assert_eq!(grant.status, GrantStatus::Active);
    let grant_id = grant.id.clone();

    // Expiry: the worker revokes it and asks Carol to remove the access.
    backdate_grant(&app, &grant_id).await;
    wait_for(
        &app,
        "SELECT COUNT(*) FROM grants WHERE state = 'pending_removal'",
        1,
    )
    .await;
    let grants = l.admin.ok(&app, all_grants()).await;
    assert_eq!(grants[0].status_label, "removal overdue");
    l.carol.complete_only_task(&app, TaskOutcome::Done).await;
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM grants WHERE state = 'removed'").await,
        1
    );

    // Every step is in the audit log, and the chain verifies.
    let actions: Vec<String> = sqlx::query("SELECT action FROM audit_events ORDER BY seq")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>("action").unwrap())
        .collect();
    for expected in [
        "auth.signed_in",
        "policy.created",
        "catalog.entitlement_created",
        "request.created",
        "request.step_approved",
        "request.approved",
        "provisioning.task_opened",
        "grant.issued",
        "request.granted",
        "grant.expired",
        "deprovisioning.task_opened",
        "grant.removed",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "missing {expected} in {actions:?}"
        );
    }
    chain_is_intact(&app).await;

    // The outbox heard about it, in the same transactions.
    for kind in [
        "request_created",
        "approval_needed",
        "request_decided",
        "provisioning_assigned",
        "access_granted",
        "access_expired",
        "deprovisioning_assigned",
    ] {
        let n = scalar(
            &app,
            &format!("SELECT COUNT(*) FROM outbox WHERE kind = '{kind}'"),
        )
        .await;
        assert!(n > 0, "no {kind} notification");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_approvers_deciding_at_once_record_exactly_one_decision_and_the_loser_is_told_who_decided()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (id, number) = l.request_admin(&app).await;
    // Bob twice at once (a double click), and Ada (Super Admin fallback can't decide: not assigned).
    let (a, b) = tokio::join!(
        l.bob.decide(&app, &id, 1, Verdict::Approved),
        l.bob.decide(&app, &id, 1, Verdict::Approved),
    );
    let loser = match (&a, &b) {
        (Ok(_), Err(loser)) | (Err(loser), Ok(_)) => loser,
        _ => panic!("expected one success and one refusal: {a:?} {b:?}"),
    };
    assert_eq!(loser.status, 409, "{a:?} {b:?}");
    assert!(
        loser.message.contains("already approved by Bob Manager"),
        "{loser:?}"
    );
    let n = scalar(
        &app,
        "SELECT COUNT(*) FROM request_events WHERE action = 'request.step_approved'",
    )
    .await;
    assert_eq!(n, 1);
    let detail = l.alice.detail(&app, &number).await;
    assert_eq!(detail.summary.current_step, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_request_for_open_access_is_refused_and_names_the_open_one() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    // Longer than the entitlement's 7-day maximum.
    let refusal = l
        .alice
        .call(
            &app,
            CreateRequest {
                duration: Some("30d".into()),
                ..new_request(&l.entitlement_id, "too long")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422, "{refusal:?}");
    assert!(
        refusal.message.contains("longer than the maximum"),
        "{refusal:?}"
    );
    // No justification.
    let refusal = l
        .alice
        .call(&app, new_request(&l.entitlement_id, " "))
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422);
    l.request_admin(&app).await;
    let refusal = l
        .alice
        .call(&app, new_request(&l.entitlement_id, "again"))
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 409);
    assert!(refusal.message.contains("REQ-1"), "{refusal:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deny_ends_the_request_and_the_requester_can_cancel_an_open_one() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (id, number) = l.request_admin(&app).await;
    // Step 1 requires a denial reason.
    let refusal = l
        .bob
        .decide(&app, &id, 1, Verdict::Denied)
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422);
    l.bob
        .ok(
            &app,
            DecideRequest {
                reason: Some("not on call".into()),
                ..decision(&id, 1, Verdict::Denied)
            },
        )
        .await;
    let detail = l.alice.detail(&app, &number).await;
    assert_eq!(detail.summary.outcome, Some(Outcome::Denied));

    let (id2, number2) = l.request_admin(&app).await;
    l.alice
        .ok(
            &app,
            CancelRequest {
                id: id2,
                reason: None,
            },
        )
        .await;
    let detail = l.alice.detail(&app, &number2).await;
    assert_eq!(detail.summary.outcome, Some(Outcome::Cancelled));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_processes_on_one_database_an_expired_grant_is_revoked_exactly_once() {
    let app = spawn_app().await;
    let second = spawn_on_database(&app.database_url).await;
    let l = jit_loop(&app).await;
    let (id, _) = l.request_admin(&app).await;
    l.approve_both_steps(&app, &id).await;
    l.carol.complete_only_task(&app, TaskOutcome::Done).await;
    let grant_id: String = sqlx::query("SELECT id FROM grants")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();

    backdate_grant(&app, &grant_id).await;
    // Both processes also sweep directly, racing the background workers.
    let (a, b) = tokio::join!(
        app::ssr::flows::sweeps::expire_due(&app.db, 100),
        app::ssr::flows::sweeps::expire_due(&second.db, 100),
    );
    a.unwrap();
    b.unwrap();
    wait_for(
        &app,
        "SELECT COUNT(*) FROM grants WHERE state = 'pending_removal'",
        1,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'grant.expired'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM provisioning_tasks WHERE kind = 'deprovision'"
        )
        .await,
        1
    );
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_in_use_cannot_be_deleted_and_the_error_names_what_uses_it() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let policies = l.admin.ok(&app, ListPolicies {}).await;
    let id = policies
        .iter()
        .find(|p| p.name == MANAGER_THEN_OWNER)
        .map(|p| p.id.as_str().to_string())
        .unwrap();
    let refusal = l
        .admin
        .call(&app, DeletePolicy { id: id.clone() })
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422);
    assert!(refusal.message.contains("Admin"), "{refusal:?}");
    let refusal = l.alice.call(&app, DeletePolicy { id }).await.unwrap_err();
    assert_eq!(refusal.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_import_with_a_bad_row_reports_its_line_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = person(
        &app,
        "admin@example.com",
        "Ada Admin",
        app::domain::Role::SuperAdmin,
    )
    .await;
    let before = scalar(&app, "SELECT COUNT(*) FROM users").await;
    let csv = "email,name,manager_email,department,title,groups\nzed@example.com,Zed,,Ops,SRE,oncall\nnot-an-email,Bad,,,,\n";
    let outcome = admin.ok(&app, ImportDirectoryCsv { csv: csv.into() }).await;
    assert!(
        matches!(&outcome, ImportOutcome::Rejected(errors) if errors.iter().any(|e| e.line == 3)),
        "{outcome:?}"
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM users").await, before);
    let good = "email,name,manager_email,department,title,groups\nzed@example.com,Zed,,Ops,SRE,oncall\nyan@example.com,Yan,zed@example.com,Ops,SRE,oncall\n";
    let outcome = admin
        .ok(&app, ImportDirectoryCsv { csv: good.into() })
        .await;
    assert!(
        matches!(outcome, ImportOutcome::Imported { .. }),
        "{outcome:?}"
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM group_members").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_pages_render_on_the_server_with_the_request_history_and_decision_buttons() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (_, number) = l.request_admin(&app).await;

    let page = l
        .alice
        .client
        .get(app.url("/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Prod DB — Admin"),
        "the request form lists the entitlement"
    );
    assert!(html.contains(&number), "My requests lists {number}");

    let page = l
        .bob
        .client
        .get(app.url(&format!("/requests/{number}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Investigating INC-42"));
    assert!(
        html.contains(r#"value="approved""#),
        "Bob sees the approve button"
    );
    assert!(html.contains("request.created"));

    // Someone not involved learns nothing, not even that the request exists.
    let page = l
        .carol
        .client
        .get(app.url(&format!("/requests/{number}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 404);

    for path in [
        "/apps",
        "/admin/grants",
        "/admin/audit",
        "/admin/policies",
        "/admin/directory",
    ] {
        let page = l.admin.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status().as_u16(), 200, "{path}");
    }
    let page = l
        .alice
        .client
        .get(app.url("/admin/audit"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_exports_as_csv_and_json_for_super_admins_only() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    l.request_admin(&app).await;
    let csv = l
        .admin
        .client
        .get(app.url("/admin/audit/export?format=csv&action=request."))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("seq,id,at,actor,action,target,before,after,rule,prev_hash,hash\n"));
    assert!(csv.contains("\"request.created\""));
    assert!(!csv.contains("auth.signed_in"), "the action filter applies");
    let json: serde_json::Value = l
        .admin
        .client
        .get(app.url("/admin/audit/export?format=json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(json.as_array().unwrap().len() > 5);
    let denied = l
        .alice
        .client
        .get(app.url("/admin/audit/export?format=json"))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status().as_u16(), 403);
}

/// Runs `latch audit verify` against the test app's database.
fn latch_audit_verify(app: &crate::helpers::TestApp) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_latch"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LATCH_DATA_DIR", dir.path())
        .env("LATCH_DATABASE_URL", &app.database_url)
        // The key the server signs the audit head with (and the database was first used with).
        .env("LATCH_SECRET_KEY", crate::helpers::TEST_SECRET_KEY)
        .args(["audit", "verify"])
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_with_the_audit_log_is_detected_by_verify() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    l.request_admin(&app).await;
    chain_is_intact(&app).await;
    let output = latch_audit_verify(&app);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("intact"));
    sqlx::query(
        "UPDATE audit_events SET target = 'request:REQ-999' WHERE action = 'request.created'",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verification::Broken { message, .. } => assert!(message.contains("hash"), "{message}"),
        other => panic!("tampering went unnoticed: {other:?}"),
    }
    let output = latch_audit_verify(&app);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("BROKEN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holder_can_release_access_early_and_only_admins_can_revoke() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let grant = l.granted(&app).await;
    // Someone else can't release it, and a user can't revoke.
    let refusal = l
        .bob
        .call(&app, ReleaseGrant { id: grant.clone() })
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 403);
    let refusal = l
        .alice
        .call(&app, RevokeGrant { id: grant.clone() })
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 403);
    l.alice.ok(&app, ReleaseGrant { id: grant }).await;
    let grants = l.alice.grants(&app).await;
    assert_eq!(grants[0].status, GrantStatus::PendingRemoval);
    l.carol.complete_only_task(&app, TaskOutcome::Done).await;

    // Access again, then an admin revokes it.
    let grant = l.granted(&app).await;
    l.admin.ok(&app, RevokeGrant { id: grant.clone() }).await;
    let listed = l
        .admin
        .ok(
            &app,
            ListGrants {
                user_email: Some("alice@example.com".into()),
                ..all_grants()
            },
        )
        .await;
    assert!(
        listed
            .iter()
            .any(|g| g.id == grant && g.status == GrantStatus::PendingRemoval)
    );
    let revoked = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'grant.revoked'",
    )
    .await;
    assert_eq!(revoked, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_extension_moves_the_expiry_of_the_existing_grant() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let grant = l.granted(&app).await;
    let before = scalar(&app, "SELECT expires_at FROM grants").await;
    // Asking again without "extension" is refused: it is already granted.
    let refusal = l
        .alice
        .call(&app, new_request(&l.entitlement_id, "more"))
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 409);
    let number = l
        .alice
        .request(
            &app,
            CreateRequest {
                duration: Some("3d".into()),
                extension: Some("on".into()),
                ..new_request(&l.entitlement_id, "incident still open")
            },
        )
        .await;
    let id = l.alice.detail(&app, &number).await.summary.id;
    l.approve_both_steps(&app, &id).await;
    l.carol.complete_only_task(&app, TaskOutcome::Done).await;
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM grants").await,
        1,
        "no second grant"
    );
    let after = scalar(&app, "SELECT expires_at FROM grants").await;
    assert!(after > before, "expiry moved from {before} to {after}");
    let grants = l.alice.grants(&app).await;
    assert_eq!(grants[0].id, grant);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holder_is_reminded_once_three_business_days_before_expiry() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let grant = l.granted(&app).await;
    // A week-long grant, one day from its end.
    let row = sqlx::query("SELECT body FROM grants WHERE id = $1")
        .bind(&grant)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let mut body: serde_json::Value =
        serde_json::from_str(&row.try_get::<String, _>("body").unwrap()).unwrap();
    let now = app::ssr::clock::now_ms();
    let expires = now + 86_400_000;
    body["period_start"] = serde_json::Value::from(now - 6 * 86_400_000);
    body["expires_at"] = serde_json::Value::from(expires);
    sqlx::query("UPDATE grants SET body = $1, expires_at = $2 WHERE id = $3")
        .bind(body.to_string())
        .bind(expires)
        .bind(&grant)
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        app::ssr::flows::sweeps::remind_expiring(&app.db)
            .await
            .unwrap(),
        1
    );
    app::ssr::flows::sweeps::remind_expiring(&app.db)
        .await
        .unwrap();
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'access_expiring'"
        )
        .await,
        1
    );
    let recipient = scalar(
        &app,
        "SELECT recipient_id FROM outbox WHERE kind = 'access_expiring'",
    )
    .await;
    assert_eq!(recipient, l.alice.user.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organisation_wide_cap_bounds_every_entitlement_and_its_change_is_audited() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    assert_eq!(l.alice.ok(&app, GrantCap {}).await, Some(90));
    let refusal = l
        .alice
        .call(&app, SetGrantCap { days: 30 })
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 403);
    l.admin.ok(&app, SetGrantCap { days: 30 }).await;
    let app_id: String = sqlx::query("SELECT id FROM apps")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let refusal = l
        .admin
        .call(
            &app,
            SaveEntitlement {
                max_duration: Some("60d".into()),
                ..entitlement_form(&app_id, "Forever")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 422, "{refusal:?}");
    assert!(
        refusal.message.contains("organisation-wide maximum"),
        "{refusal:?}"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'settings.grant_cap_changed'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_action_says_which_rule_refused_it() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let (id, _) = l.request_admin(&app).await;
    // Alice is not the approver of step 1 of her own request, and Bob may not cancel it.
    let refusal = l
        .alice
        .decide(&app, &id, 1, Verdict::Approved)
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 403);
    assert!(
        !refusal.message.contains("You don't have permission"),
        "{refusal:?}"
    );
    assert!(
        refusal
            .message
            .to_lowercase()
            .contains("approve your own request"),
        "{refusal:?}"
    );
    let refusal = l
        .bob
        .call(&app, CancelRequest { id, reason: None })
        .await
        .unwrap_err();
    assert_eq!(refusal.status, 403);
    assert!(
        refusal.message.to_lowercase().contains("requester"),
        "{refusal:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_runs_through_the_flows_for_actors_named_by_user_id_as_slack_will_call_them() {
    use app::domain::{GrantStatus, Outcome, RequestOrigin, RoleSet, TaskOutcome, Verdict};
    use app::ssr::access::{AccessError, Actor, user_id};
    use app::ssr::flows::access_loop;

    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    // No session anywhere: each person is only their directory id and roles.
    let as_user = |p: &Person| Actor::for_user(user_id(p.user.id), RoleSet::new([]));
    let (alice, bob, carol) = (as_user(&l.alice), as_user(&l.bob), as_user(&l.carol));

    let request = access_loop::create(
        &app.db,
        &alice,
        app::shapes::CreateInput {
            entitlement_id: l.entitlement_id.clone(),
            subject_email: String::new(),
            duration: "1d".into(),
            justification: "Investigating INC-7 from Slack".into(),
            emergency: false,
            extension: false,
        },
        RequestOrigin::Slack,
    )
    .await
    .unwrap();
    assert_eq!(request.origin, RequestOrigin::Slack);
    let id = request.id.to_string();

    // Carol is not involved yet (step 2 waits for step 1), so she is told it does not exist.
    // (The flows number steps from 0, as the domain does.)
    let early = access_loop::decide(&app.db, &carol, &id, 1, Verdict::Approved, None, None).await;
    assert!(matches!(early, Err(AccessError::NotFound(_))), "{early:?}");

    access_loop::decide(&app.db, &bob, &id, 0, Verdict::Approved, None, None)
        .await
        .unwrap();
    access_loop::decide(&app.db, &carol, &id, 1, Verdict::Approved, None, None)
        .await
        .unwrap();
    let task = l.carol.only_task(&app).await;
    access_loop::complete_task(&app.db, &carol, &task, TaskOutcome::Done, None)
        .await
        .unwrap();

    // The console shows what the flows did, as if it had been clicked there.
    let detail = l.alice.detail(&app, &request.number.to_string()).await;
    assert_eq!(detail.summary.outcome, Some(Outcome::Granted));
    let grants = l.alice.grants(&app).await;
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].status, GrantStatus::Active);

    access_loop::release(&app.db, &alice, &grants[0].id)
        .await
        .unwrap();
    assert_eq!(
        l.alice.grants(&app).await[0].status,
        GrantStatus::PendingRemoval
    );
    chain_is_intact(&app).await;
}
