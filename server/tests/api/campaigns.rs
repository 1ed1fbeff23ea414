//! Access review campaigns through the flows, as the console and Slack will call them: people are
//! directory ids with their roles. Grants come from the real access loop (Alice's) and from the
//! grants repository (the others), on the loop's catalog (app "Prod DB", entitlement "Admin",
//! manual provisioning by Carol).

use app::domain::campaign::{
    CampaignFields, CampaignScope, CampaignSettings, CampaignStatus, OpenReviews, ReviewOutcome,
    ReviewPolicy, ReviewTask, ReviewVerdict,
};
use app::domain::{
    AppId, ApproverSource, AuditActor, DomainError, EntitlementId, Grant, GrantId, GrantState,
    RemovalReason, RequestId, RoleSet, Timestamp, UserId,
};
use app::ssr::access::{AccessError, Actor, campaigns as repo, grants, new_id, now, user_id};
use app::ssr::flows::{access_loop, campaigns};

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};

/// The loop's people as flow actors, and its catalog.
struct Cast {
    l: Loop,
    app_id: String,
    admin: Actor,
    alice: Actor,
    bob: Actor,
    carol: Actor,
}

fn actor(p: &Person) -> Actor {
    Actor::for_user(user_id(p.user.id), RoleSet::new([p.user.role]))
}

async fn cast(app: &TestApp) -> Cast {
    let l = jit_loop(app).await;
    let app_id = app_id_of(app, &l.entitlement_id).await;
    Cast {
        admin: actor(&l.admin),
        alice: actor(&l.alice),
        bob: actor(&l.bob),
        carol: actor(&l.carol),
        app_id,
        l,
    }
}

/// A grant written straight through the grants repository (no request behind it).
async fn insert_grant(
    app: &TestApp,
    subject: &UserId,
    app_id: &str,
    entitlement: &str,
    expires_at: Option<Timestamp>,
) -> String {
    let at = now();
    let g = Grant {
        id: GrantId::new(new_id()),
        subject: subject.clone(),
        app: AppId::new(app_id),
        entitlement: EntitlementId::new(entitlement),
        granted_at: at,
        period_start: at,
        expires_at,
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

/// A campaign over the loop's entitlement, owned by `owner`, due in a week, reviewed by managers.
fn fields(c: &Cast) -> CampaignFields {
    CampaignFields {
        name: "Q3 SOC 2 access review".into(),
        description: "Production database access".into(),
        owners: vec![c.admin.id.clone()],
        due_at: Some(now().plus_millis(7 * 86_400_000)),
        instructions: "Deny access you do not recognise.".into(),
        scope: CampaignScope {
            entitlements: vec![EntitlementId::new(c.l.entitlement_id.clone())],
            ..CampaignScope::default()
        },
        review_policy: ReviewPolicy::default(),
        settings: CampaignSettings::default(),
    }
}

/// Every review task of campaign `id`, whatever its state.
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

fn task_of<'a>(all: &'a [ReviewTask], grant: &str) -> &'a ReviewTask {
    all.iter()
        .find(|t| t.grant.grant.as_str() == grant)
        .unwrap_or_else(|| panic!("no review of grant {grant}: {all:?}"))
}

async fn grant_state(app: &TestApp, id: &str) -> GrantState {
    grants::load_grant(&app.db, id).await.unwrap().state
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    scalar(
        app,
        &format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"),
    )
    .await
}

async fn open_removal_tasks(app: &TestApp, grant: &str) -> i64 {
    scalar(
        app,
        &format!(
            "SELECT COUNT(*) FROM provisioning_tasks WHERE grant_id = '{grant}' AND kind = 'deprovision' AND open = 1"
        ),
    )
    .await
}

/// Stages and starts a campaign made of `fields`; returns its id.
async fn running(app: &TestApp, c: &Cast, fields: CampaignFields) -> String {
    let draft = campaigns::create_draft(&app.db, &c.admin, fields)
        .await
        .unwrap();
    let id = draft.id.to_string();
    campaigns::stage(&app.db, &c.admin, &id).await.unwrap();
    campaigns::start(&app.db, &c.admin, &id, false)
        .await
        .unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staging_snapshots_exactly_the_active_grants_in_scope_and_not_those_made_later() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let alices = c.l.granted(&app).await;
    let carols = insert_grant(&app, &c.carol.id, &c.app_id, &c.l.entitlement_id, None).await;
    // Out of scope: another entitlement, and a grant already being removed.
    insert_grant(&app, &c.bob.id, "other-app", "other-entitlement", None).await;
    let bobs_revoked = insert_grant(&app, &c.bob.id, &c.app_id, &c.l.entitlement_id, None).await;
    access_loop::revoke(&app.db, &c.admin, &bobs_revoked)
        .await
        .unwrap();

    let preview = campaigns::preview_scope(&app.db, &c.admin, &fields(&c).scope)
        .await
        .unwrap();
    assert_eq!(preview.count, 2);
    let mut sampled: Vec<String> = preview.sample.iter().map(|g| g.grant.to_string()).collect();
    sampled.sort();
    let mut expected = vec![alices.clone(), carols.clone()];
    expected.sort();
    assert_eq!(sampled, expected);

    let draft = campaigns::create_draft(&app.db, &c.admin, fields(&c))
        .await
        .unwrap();
    let id = draft.id.to_string();
    assert!(repo::counts(&app.db, &id).await.unwrap().is_empty());
    let staged = campaigns::stage(&app.db, &c.admin, &id).await.unwrap();
    assert_eq!(staged.review_tasks, 2);
    assert_eq!(staged.campaign.status(), CampaignStatus::Staged);

    // Granted after the snapshot: not in it.
    insert_grant(&app, &c.bob.id, &c.app_id, &c.l.entitlement_id, None).await;
    let all = tasks(&app, &id).await;
    assert_eq!(all.len(), 2, "{all:?}");
    // Alice's manager reviews hers; Carol has no manager, so the campaign owner reviews hers.
    let alice_review = task_of(&all, &alices);
    assert_eq!(alice_review.reviewers, vec![c.bob.id.clone()]);
    assert_eq!(alice_review.grant.subject, c.alice.id);
    assert!(
        alice_review.grant.expires_at.is_some(),
        "the loop's grant is for a day"
    );
    assert_eq!(task_of(&all, &carols).reviewers, vec![c.admin.id.clone()]);

    // The scope is frozen now.
    let mut wider = staged.campaign.fields.clone();
    wider.scope.apps.push(AppId::new("other-app"));
    let refused = campaigns::edit(&app.db, &c.admin, &id, staged.campaign.version, wider).await;
    assert!(
        matches!(
            refused,
            Err(AccessError::Domain(DomainError::InvalidTransition { .. }))
        ),
        "{refused:?}"
    );
    assert_eq!(audit_count(&app, "campaign.created").await, 1);
    assert_eq!(audit_count(&app, "campaign.staged").await, 1);
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_review_is_removed_when_the_campaign_ends_and_skip_leaves_the_rest() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let alices = c.l.granted(&app).await;
    let carols = insert_grant(&app, &c.carol.id, &c.app_id, &c.l.entitlement_id, None).await;
    let id = running(&app, &c, fields(&c)).await;
    let all = tasks(&app, &id).await;
    let alice_review = task_of(&all, &alices).id.to_string();

    let no_reason =
        campaigns::decide(&app.db, &c.bob, &alice_review, ReviewVerdict::Deny, None).await;
    assert!(
        matches!(
            no_reason,
            Err(AccessError::Domain(DomainError::ReasonRequired { .. }))
        ),
        "{no_reason:?}"
    );
    let not_hers = campaigns::decide(
        &app.db,
        &c.carol,
        &alice_review,
        ReviewVerdict::Certify,
        None,
    )
    .await;
    assert!(
        matches!(
            not_hers,
            Err(AccessError::Domain(DomainError::NotAReviewer))
        ),
        "{not_hers:?}"
    );
    campaigns::decide(
        &app.db,
        &c.bob,
        &alice_review,
        ReviewVerdict::Deny,
        Some("Alice moved to the data team"),
    )
    .await
    .unwrap();
    // Pending until submitted.
    assert!(
        repo::load_task(&app.db, &alice_review)
            .await
            .unwrap()
            .is_open()
    );

    let submitted = campaigns::submit(&app.db, &c.bob, &id).await.unwrap();
    assert_eq!((submitted.submitted, submitted.denied), (1, 1));
    assert_eq!(
        submitted.removals_started, 0,
        "removed when the campaign ends"
    );
    assert_eq!(grant_state(&app, &alices).await, GrantState::Active);

    let ended = campaigns::end(&app.db, &c.admin, &id, OpenReviews::Skip)
        .await
        .unwrap();
    assert_eq!(
        (ended.skipped, ended.revoked, ended.removals_started),
        (1, 0, 1)
    );
    assert!(matches!(
        grant_state(&app, &alices).await,
        GrantState::PendingRemoval { reason: RemovalReason::Revoked, by: Some(ref by), .. } if *by == c.bob.id
    ));
    assert_eq!(open_removal_tasks(&app, &alices).await, 1);
    let late = campaigns::submit(&app.db, &c.bob, &id).await;
    assert!(
        matches!(&late, Err(AccessError::Domain(DomainError::InvalidTransition { reason, .. })) if reason == "the campaign is ended"),
        "{late:?}"
    );
    // Skipped: Carol keeps her access.
    assert_eq!(grant_state(&app, &carols).await, GrantState::Active);
    assert_eq!(open_removal_tasks(&app, &carols).await, 0);
    let counts = repo::counts(&app.db, &id).await.unwrap();
    assert_eq!(counts.get(&ReviewOutcome::Denied), Some(&1));
    assert_eq!(counts.get(&ReviewOutcome::Skipped), Some(&1));

    // The removal is the access loop's: Carol, the provisioner, confirms it.
    c.l.carol.complete_only_task(&app, TaskOutcome::Done).await;
    assert!(matches!(
        grant_state(&app, &alices).await,
        GrantState::Removed { .. }
    ));

    let done = campaigns::complete(&app.db, &c.admin, &id).await.unwrap();
    assert_eq!(done.status(), CampaignStatus::Completed);
    let mut notes = done.fields.clone();
    notes.description = "One removal".into();
    assert!(
        campaigns::edit(&app.db, &c.admin, &id, done.version, notes)
            .await
            .is_err(),
        "completed campaigns are read-only"
    );
    for action in [
        "campaign.started",
        "review.denied",
        "review.submitted",
        "review.remediation_started",
        "campaign.ended",
        "campaign.completed",
    ] {
        assert_eq!(audit_count(&app, action).await, 1, "{action}");
    }
    let revoked_by_review = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'grant.revoked' AND rule = 'access_review' AND target = 'grant:{alices}'"
        ),
    )
    .await;
    assert_eq!(revoked_by_review, 1);
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remediating_immediately_removes_on_submit_and_ending_with_revoke_removes_open_reviews() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let alices = c.l.granted(&app).await;
    let carols = insert_grant(&app, &c.carol.id, &c.app_id, &c.l.entitlement_id, None).await;
    let mut f = fields(&c);
    f.settings.remediate_immediately = true;
    let id = running(&app, &c, f).await;
    let alice_review = task_of(&tasks(&app, &id).await, &alices).id.to_string();

    campaigns::decide(
        &app.db,
        &c.bob,
        &alice_review,
        ReviewVerdict::Deny,
        Some("unused"),
    )
    .await
    .unwrap();
    let submitted = campaigns::submit(&app.db, &c.bob, &id).await.unwrap();
    assert_eq!(submitted.removals_started, 1);
    assert!(matches!(
        grant_state(&app, &alices).await,
        GrantState::PendingRemoval { .. }
    ));
    assert_eq!(open_removal_tasks(&app, &alices).await, 1);

    let ended = campaigns::end(&app.db, &c.admin, &id, OpenReviews::Revoke)
        .await
        .unwrap();
    assert_eq!((ended.skipped, ended.revoked), (0, 1));
    assert_eq!(
        ended.removals_started, 1,
        "Carol's; Alice's had started already"
    );
    assert!(matches!(
        grant_state(&app, &carols).await,
        GrantState::PendingRemoval { reason: RemovalReason::Revoked, by: Some(ref by), .. } if *by == c.admin.id
    ));
    assert_eq!(open_removal_tasks(&app, &carols).await, 1);
    assert_eq!(open_removal_tasks(&app, &alices).await, 1, "no second task");
    let carol_review = task_of(&tasks(&app, &id).await, &carols).clone();
    assert_eq!(carol_review.outcome(), ReviewOutcome::Revoked);
    assert_eq!(
        carol_review.remediation(),
        Some(app::domain::campaign::Remediation::Started)
    );
    assert_eq!(audit_count(&app, "review.revoked").await, 1);
    assert_eq!(audit_count(&app, "review.remediation_started").await, 2);
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_decided_by_another_reviewer_first_is_counted_and_reassignment_moves_it() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let alices = c.l.granted(&app).await;
    let carols = insert_grant(&app, &c.carol.id, &c.app_id, &c.l.entitlement_id, None).await;
    let mut f = fields(&c);
    f.review_policy.reviewers = vec![ApproverSource::Manager, ApproverSource::AppOwners];
    let id = running(&app, &c, f).await;
    let all = tasks(&app, &id).await;
    let alice_review = task_of(&all, &alices);
    assert_eq!(
        alice_review.reviewers,
        vec![c.bob.id.clone(), c.carol.id.clone()]
    );
    let alice_review = alice_review.id.to_string();

    campaigns::decide(&app.db, &c.bob, &alice_review, ReviewVerdict::Certify, None)
        .await
        .unwrap();
    campaigns::decide(
        &app.db,
        &c.carol,
        &alice_review,
        ReviewVerdict::Deny,
        Some("?"),
    )
    .await
    .unwrap();
    campaigns::submit(&app.db, &c.bob, &id).await.unwrap();
    let late = campaigns::submit(&app.db, &c.carol, &id).await.unwrap();
    assert_eq!((late.submitted, late.certified, late.denied), (1, 0, 0));
    assert_eq!(late.decided_elsewhere.len(), 1);
    assert_eq!(late.decided_elsewhere[0].1, Some(c.bob.id.clone()));
    assert_eq!(grant_state(&app, &alices).await, GrantState::Active);
    let submissions = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM review_submissions WHERE campaign_id = '{id}'"),
    )
    .await;
    assert_eq!(submissions, 2);

    // Carol's own access goes to the owner (Ada); Ada hands it to Bob, with a reason.
    let carol_review = task_of(&all, &carols).id.to_string();
    let no_reason = campaigns::reassign(
        &app.db,
        &c.admin,
        &carol_review,
        std::slice::from_ref(&c.bob.id),
        "",
    )
    .await;
    assert!(no_reason.is_err());
    let to_self = campaigns::reassign(
        &app.db,
        &c.admin,
        &carol_review,
        std::slice::from_ref(&c.carol.id),
        "hers",
    )
    .await;
    assert!(
        matches!(
            to_self,
            Err(AccessError::Domain(DomainError::InvalidReassignee { .. }))
        ),
        "{to_self:?}"
    );
    let moved = campaigns::reassign(
        &app.db,
        &c.admin,
        &carol_review,
        std::slice::from_ref(&c.bob.id),
        "Bob runs the team now",
    )
    .await
    .unwrap();
    assert_eq!(moved.reviewers, vec![c.bob.id.clone()]);
    assert_eq!(
        repo::load_task(&app.db, &carol_review)
            .await
            .unwrap()
            .reviewers,
        vec![c.bob.id.clone()]
    );
    campaigns::decide(&app.db, &c.bob, &carol_review, ReviewVerdict::Certify, None)
        .await
        .unwrap();
    assert_eq!(audit_count(&app, "review.reassigned").await, 1);
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_subjects_open_reviews_are_cancelled() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let alices = c.l.granted(&app).await;
    let carols = insert_grant(&app, &c.carol.id, &c.app_id, &c.l.entitlement_id, None).await;
    let id = running(&app, &c, fields(&c)).await;
    assert_eq!(
        campaigns::cancel_reviews_of_subject(&app.db, AuditActor::System, &c.alice.id)
            .await
            .unwrap(),
        0,
        "Alice is active"
    );
    c.l.admin
        .ok(
            &app,
            UpdateDirectoryUser {
                id: c.l.alice.user.id,
                name: "Alice Requester".into(),
                manager_email: Some("bob@example.com".into()),
                department: None,
                job_title: None,
                status: "suspended".into(),
            },
        )
        .await;
    // The directory's change cancelled them, in the same transaction: nothing is left to cancel.
    let cancelled = campaigns::cancel_reviews_of_subject(&app.db, AuditActor::System, &c.alice.id)
        .await
        .unwrap();
    assert_eq!(cancelled, 0);
    let all = tasks(&app, &id).await;
    assert_eq!(task_of(&all, &alices).outcome(), ReviewOutcome::Cancelled);
    assert!(task_of(&all, &carols).is_open(), "Carol is still active");
    let refused = campaigns::decide(
        &app.db,
        &c.bob,
        &task_of(&all, &alices).id.to_string(),
        ReviewVerdict::Certify,
        None,
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(AccessError::Domain(
                DomainError::ReviewAlreadyDecided { .. }
            ))
        ),
        "{refused:?}"
    );
    assert_eq!(audit_count(&app, "review.cancelled").await, 1);
    chain_is_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_are_made_by_super_admins_and_owned_by_people_with_a_campaign_role() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let by_a_user = campaigns::create_draft(&app.db, &c.alice, fields(&c)).await;
    assert!(
        matches!(
            by_a_user,
            Err(AccessError::Domain(DomainError::CannotCreateCampaign))
        ),
        "{by_a_user:?}"
    );
    let mut owned_by_bob = fields(&c);
    owned_by_bob.owners = vec![c.admin.id.clone(), c.bob.id.clone()];
    let refused = campaigns::create_draft(&app.db, &c.admin, owned_by_bob).await;
    assert!(
        matches!(
            refused,
            Err(AccessError::Domain(DomainError::CampaignOwnerRole { .. }))
        ),
        "{refused:?}"
    );
    let draft = campaigns::create_draft(&app.db, &c.admin, fields(&c))
        .await
        .unwrap();
    let staging_by_bob = campaigns::stage(&app.db, &c.bob, draft.id.as_str()).await;
    assert!(
        matches!(
            staging_by_bob,
            Err(AccessError::Domain(DomainError::NotCampaignManager))
        ),
        "{staging_by_bob:?}"
    );
    assert_eq!(audit_count(&app, "campaign.created").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_past_its_due_date_ends_on_its_own_only_with_auto_end() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let alices = c.l.granted(&app).await;
    let overdue = |auto_end| {
        let mut f = fields(&c);
        f.due_at = Some(now().plus_millis(-60_000));
        f.settings.auto_end = auto_end;
        f
    };
    let keeps_running = running(&app, &c, overdue(None)).await;
    let auto = running(&app, &c, overdue(Some(OpenReviews::Revoke))).await;
    assert_eq!(campaigns::end_due(&app.db).await.unwrap(), 1);
    assert_eq!(
        repo::load(&app.db, &keeps_running).await.unwrap().status(),
        CampaignStatus::Running
    );
    assert_eq!(
        repo::load(&app.db, &auto).await.unwrap().status(),
        CampaignStatus::Ended
    );
    // Its open review was revoked by Latch itself.
    assert!(matches!(
        grant_state(&app, &alices).await,
        GrantState::PendingRemoval {
            reason: RemovalReason::Revoked,
            by: None,
            ..
        }
    ));
    assert_eq!(campaigns::end_due(&app.db).await.unwrap(), 0, "once");
    chain_is_intact(&app).await;
}
