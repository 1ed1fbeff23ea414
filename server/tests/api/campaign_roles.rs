//! Who runs access reviews, as stored: the Campaign Administrator role a Super Admin grants and
//! removes in Admin > Directory (audited, seen by open sessions at once), campaigns created and
//! owned by Campaign Administrators and not by plain users; a subject suspended or deleted in the
//! directory losing their open reviews in the same change; and the auto-end job's round.

use app::api::auth::current_user::GetCurrentUser;
use app::api::directory::list_directory::ListDirectory;
use app::api::directory::set_directory_role::SetDirectoryRole;
use app::domain::campaign::{
    CampaignFields, CampaignScope, CampaignSettings, CampaignStatus, OpenReviews, ReviewOutcome,
    ReviewPolicy,
};
use app::domain::{DomainError, EntitlementId, Role, UserId};
use app::ssr::access::{AccessError, Actor, campaigns as repo, now, user_id};
use app::ssr::flows::campaigns;
use app::ssr::{lease, users};

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};

/// The actor of account `id` with the roles stored for it, as a console session loads them.
async fn stored_actor(app: &TestApp, id: i64) -> Actor {
    let account = users::find_by_id(&app.db, id).await.unwrap().unwrap();
    Actor::new(account.user)
}

/// A campaign over the loop's entitlement owned by `owners`, due in a week.
fn fields(l: &Loop, owners: Vec<UserId>) -> CampaignFields {
    CampaignFields {
        name: "Q3 SOC 2 access review".into(),
        description: String::new(),
        owners,
        due_at: Some(now().plus_millis(7 * 86_400_000)),
        instructions: String::new(),
        scope: CampaignScope {
            entitlements: vec![EntitlementId::new(l.entitlement_id.clone())],
            ..CampaignScope::default()
        },
        review_policy: ReviewPolicy::default(),
        settings: CampaignSettings::default(),
    }
}

fn set_role(id: i64, role: &str, granted: bool) -> SetDirectoryRole {
    SetDirectoryRole {
        id,
        role: role.into(),
        granted: Some(granted.to_string()),
    }
}

/// (actor, target) of the audit events named `action`, oldest first.
async fn audited(app: &TestApp, action: &str) -> Vec<(String, String)> {
    sqlx::query_as("SELECT actor, target FROM audit_events WHERE action = $1 ORDER BY seq")
        .bind(action)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

fn is_refused_creation<T: std::fmt::Debug>(result: &Result<T, AccessError>) -> bool {
    matches!(
        result,
        Err(AccessError::Domain(DomainError::CannotCreateCampaign))
    )
}

fn is_refused_owner<T: std::fmt::Debug>(result: &Result<T, AccessError>) -> bool {
    matches!(
        result,
        Err(AccessError::Domain(DomainError::CampaignOwnerRole { .. }))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_administrator_creates_and_owns_campaigns_and_a_plain_user_cannot() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    l.granted(&app).await;
    let dana = person(&app, "dana@example.com", "Dana Lead", Role::CampaignAdmin).await;
    let admin = stored_actor(&app, l.admin.user.id).await;
    let dana_actor = stored_actor(&app, dana.user.id).await;
    let bob = stored_actor(&app, l.bob.user.id).await;
    assert!(dana_actor.roles.has(Role::CampaignAdmin));
    assert!(!dana_actor.roles.is_super_admin());

    // Her own campaign: she is its owner, and manages it.
    let hers = campaigns::create_draft(&app.db, &dana_actor, fields(&l, Vec::new()))
        .await
        .unwrap();
    assert_eq!(hers.fields.owners, vec![dana_actor.id.clone()]);
    let staged = campaigns::stage(&app.db, &dana_actor, hers.id.as_str())
        .await
        .unwrap();
    assert_eq!(staged.campaign.status(), CampaignStatus::Staged);
    // A Super Admin's campaign may name her as a co-owner.
    let shared = campaigns::create_draft(
        &app.db,
        &admin,
        fields(&l, vec![admin.id.clone(), dana_actor.id.clone()]),
    )
    .await
    .unwrap();
    assert!(shared.fields.owners.contains(&dana_actor.id));

    // A plain user neither creates nor owns one.
    let by_bob = campaigns::create_draft(&app.db, &bob, fields(&l, Vec::new())).await;
    assert!(is_refused_creation(&by_bob), "{by_bob:?}");
    let owned_by_bob =
        campaigns::create_draft(&app.db, &admin, fields(&l, vec![bob.id.clone()])).await;
    assert!(is_refused_owner(&owned_by_bob), "{owned_by_bob:?}");

    // Suspended, she can no longer be named an owner.
    l.admin
        .ok(
            &app,
            UpdateDirectoryUser {
                id: dana.user.id,
                name: "Dana Lead".into(),
                manager_email: None,
                department: None,
                job_title: None,
                status: "suspended".into(),
            },
        )
        .await;
    let owned_by_suspended = campaigns::create_draft(
        &app.db,
        &admin,
        fields(&l, vec![admin.id.clone(), dana_actor.id.clone()]),
    )
    .await;
    assert!(
        is_refused_owner(&owned_by_suspended),
        "{owned_by_suspended:?}"
    );
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_super_admin_grants_and_removes_campaign_administrator_audited_and_sessions_see_it_at_once()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let bob_id = l.bob.user.id;
    let admin_id = l.admin.user.id;

    let by_bob = l
        .bob
        .call(&app, set_role(bob_id, "campaign_admin", true))
        .await;
    assert_eq!(by_bob.map_err(|r| r.status), Err(403));
    let me = l.bob.ok(&app, GetCurrentUser {}).await.unwrap();
    assert!(me.granted_roles.is_empty());

    l.admin
        .ok(&app, set_role(bob_id, "campaign_admin", true))
        .await;
    // Granting a role held already changes nothing (and audits nothing).
    l.admin
        .ok(&app, set_role(bob_id, "campaign_admin", true))
        .await;
    let listed = l.admin.ok(&app, ListDirectory {}).await;
    let bob_row = listed.iter().find(|u| u.id == bob_id).unwrap();
    assert!(bob_row.campaign_admin && !bob_row.super_admin);
    // Bob's open session holds the role on its next request, without signing in again.
    let me = l.bob.ok(&app, GetCurrentUser {}).await.unwrap();
    assert_eq!(me.granted_roles, vec![Role::CampaignAdmin]);
    assert_eq!(me.title(), Role::CampaignAdmin);
    let bob = stored_actor(&app, bob_id).await;
    let draft = campaigns::create_draft(&app.db, &bob, fields(&l, Vec::new())).await;
    assert!(draft.is_ok(), "{draft:?}");

    // A Super Admin holds every permission already; the tier is not granted here.
    let to_admin = l
        .admin
        .call(&app, set_role(admin_id, "campaign_admin", true))
        .await;
    assert_eq!(to_admin.map_err(|r| r.status), Err(422));
    let super_admin = l
        .admin
        .call(&app, set_role(bob_id, "super_admin", true))
        .await;
    assert_eq!(super_admin.map_err(|r| r.status), Err(422));

    l.admin
        .ok(&app, set_role(bob_id, "campaign_admin", false))
        .await;
    let me = l.bob.ok(&app, GetCurrentUser {}).await.unwrap();
    assert!(me.granted_roles.is_empty());
    let bob = stored_actor(&app, bob_id).await;
    let refused = campaigns::create_draft(&app.db, &bob, fields(&l, Vec::new())).await;
    assert!(is_refused_creation(&refused), "{refused:?}");

    let by_admin = (format!("user:{admin_id}"), format!("user:{bob_id}"));
    assert_eq!(
        audited(&app, "directory.role_granted").await,
        vec![by_admin.clone()]
    );
    assert_eq!(
        audited(&app, "directory.role_removed").await,
        vec![by_admin]
    );
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_subject_in_the_directory_cancels_their_open_reviews_in_the_same_change() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    l.granted(&app).await;
    let admin = stored_actor(&app, l.admin.user.id).await;
    let draft = campaigns::create_draft(&app.db, &admin, fields(&l, Vec::new()))
        .await
        .unwrap();
    let id = draft.id.to_string();
    campaigns::stage(&app.db, &admin, &id).await.unwrap();
    campaigns::start(&app.db, &admin, &id, false).await.unwrap();
    let open = repo::tasks_page(&app.db, &id, ReviewOutcome::Open, "", 100)
        .await
        .unwrap();
    assert_eq!(open.len(), 1, "Alice's grant");

    // A refused change (no name) cancels nothing.
    let refused = l
        .admin
        .call(
            &app,
            UpdateDirectoryUser {
                id: l.alice.user.id,
                name: " ".into(),
                manager_email: None,
                department: None,
                job_title: None,
                status: "deleted".into(),
            },
        )
        .await;
    assert_eq!(refused.map_err(|r| r.status), Err(422));
    assert!(audited(&app, "review.cancelled").await.is_empty());

    l.admin
        .ok(
            &app,
            UpdateDirectoryUser {
                id: l.alice.user.id,
                name: "Alice Requester".into(),
                manager_email: Some("bob@example.com".into()),
                department: None,
                job_title: None,
                status: "deleted".into(),
            },
        )
        .await;
    let cancelled = repo::tasks_page(&app.db, &id, ReviewOutcome::Cancelled, "", 100)
        .await
        .unwrap();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(
        audited(&app, "review.cancelled").await,
        vec![(
            format!("user:{}", l.admin.user.id),
            format!("review:{}", cancelled[0].id)
        )]
    );
    // The directory change and the cancellation are one change: saving again cancels nothing.
    assert_eq!(
        campaigns::cancel_reviews_of_subject(
            &app.db,
            app::domain::AuditActor::System,
            &user_id(l.alice.user.id)
        )
        .await
        .unwrap(),
        0
    );
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_campaign_auto_end_jobs_round_ends_overdue_auto_end_campaigns_under_its_lease() {
    use latch_server::startup::{
        CAMPAIGN_AUTO_END_EVERY, CAMPAIGN_AUTO_END_JOB, campaign_auto_end_round,
    };
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    l.granted(&app).await;
    let admin = stored_actor(&app, l.admin.user.id).await;
    let mut overdue = fields(&l, Vec::new());
    overdue.due_at = Some(now().plus_millis(-60_000));
    overdue.settings.auto_end = Some(OpenReviews::Skip);
    let draft = campaigns::create_draft(&app.db, &admin, overdue)
        .await
        .unwrap();
    let id = draft.id.to_string();
    campaigns::stage(&app.db, &admin, &id).await.unwrap();
    campaigns::start(&app.db, &admin, &id, false).await.unwrap();

    // The app's own worker holds the job's lease: this round runs under a lease of its own.
    let lease_name = format!("{CAMPAIGN_AUTO_END_JOB}-under-test");
    let round = || async {
        let held = lease::acquire(&app.db, &lease_name, "test-process", 180_000)
            .await
            .unwrap()
            .expect("the lease is free");
        latch_server::background::run_round(
            &app.db,
            held,
            CAMPAIGN_AUTO_END_EVERY,
            campaign_auto_end_round(app.db.clone()),
        )
        .await
    };
    round().await.unwrap();
    assert_eq!(
        repo::load(&app.db, &id).await.unwrap().status(),
        CampaignStatus::Ended
    );
    assert_eq!(
        audited(&app, "campaign.ended").await,
        vec![("system".to_string(), format!("campaign:{id}"))]
    );
    // Nothing left to end: the next round changes nothing.
    round().await.unwrap();
    assert_eq!(audited(&app, "campaign.ended").await.len(), 1);
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_page_grants_campaign_administrator_with_a_form_that_works_without_javascript()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let page = |app: &TestApp| {
        let admin = l.admin.client.clone();
        let url = app.url("/admin/directory");
        async move { admin.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let before = page(&app).await;
    assert!(before.contains("Make Campaign Administrator"), "{before}");
    assert!(!before.contains("Remove Campaign Administrator"));
    // The row's form, posted by a browser without JavaScript: a redirect back, the role granted.
    let response = l
        .admin
        .client
        .post(app.url("/api/directory/set_role"))
        .header("Accept", "text/html")
        .header("Referer", app.url("/admin/directory"))
        .header("Origin", app.address.as_str())
        .form(&[
            ("id", l.bob.user.id.to_string()),
            ("role", "campaign_admin".to_string()),
            ("granted", "true".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    assert!(!crate::helpers::location(&response).contains("__err="));
    let after = page(&app).await;
    assert!(after.contains("Remove Campaign Administrator"), "{after}");
    let me = l.bob.ok(&app, GetCurrentUser {}).await.unwrap();
    assert_eq!(me.granted_roles, vec![Role::CampaignAdmin]);
}
