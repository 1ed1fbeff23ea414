#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use super::super::directory::{DirectorySnapshot, UserStatus};
use super::super::error::DomainError;
use super::super::ids::{AppId, EntitlementId, GrantId, GroupId, UserId};
use super::super::policy::tests::{directory, u, user};
use super::super::policy::{ApprovalStep, ApproverSource, AssignmentTier, FallbackReason};
use super::super::roles::{Role, RoleSet};
use super::super::time::{MILLIS_PER_DAY, Timestamp};
use super::scope::MAX_GRANTED_WITHIN_DAYS;
use super::*;

const NOW: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

fn later(days: i64) -> Timestamp {
    NOW.plus_millis(days * MILLIS_PER_DAY)
}

fn super_admin() -> RoleSet {
    RoleSet::new([Role::SuperAdmin])
}

fn campaign_admin() -> RoleSet {
    RoleSet::new([Role::CampaignAdmin])
}

/// "admin" is a Super Admin, "owner" a Campaign Administrator, everyone else a Basic User.
fn owner_roles() -> BTreeMap<UserId, RoleSet> {
    BTreeMap::from([(u("admin"), super_admin()), (u("owner"), campaign_admin())])
}

fn fields() -> CampaignFields {
    CampaignFields {
        name: "Q3 SOC 2 review".into(),
        description: "Quarterly review of production access".into(),
        owners: vec![u("owner")],
        due_at: Some(later(14)),
        instructions: "Deny anything you do not recognise.".into(),
        scope: CampaignScope {
            apps: vec![AppId::from("aws")],
            ..CampaignScope::default()
        },
        review_policy: ReviewPolicy::default(),
        settings: CampaignSettings::default(),
    }
}

fn draft() -> Campaign {
    Campaign::draft(
        CampaignId::from("c1"),
        fields(),
        &u("owner"),
        &campaign_admin(),
        &owner_roles(),
        NOW,
    )
    .unwrap()
}

fn running() -> Campaign {
    draft()
        .stage(&u("owner"), &campaign_admin(), NOW)
        .unwrap()
        .start(&u("owner"), &campaign_admin(), NOW)
        .unwrap()
}

fn facts(grant: &str, subject: &str) -> GrantFacts {
    GrantFacts {
        grant: GrantId::from(grant),
        subject: u(subject),
        app: AppId::from("aws"),
        entitlement: EntitlementId::from("ent-1"),
        granted_at: NOW.plus_millis(-MILLIS_PER_DAY),
        expires_at: None,
        active: true,
    }
}

fn task(id: &str, subject: &str, reviewers: &[&str]) -> ReviewTask {
    ReviewTask::open(
        ReviewTaskId::from(id),
        CampaignId::from("c1"),
        facts(&format!("g-{id}"), subject),
        reviewers.iter().map(|r| u(r)).collect(),
    )
}

fn basic() -> RoleSet {
    RoleSet::new([])
}

// ----- lifecycle -----

#[test]
fn a_campaign_goes_from_draft_through_staged_running_and_ended_to_completed() {
    let (owner, roles) = (u("owner"), campaign_admin());
    let c = draft();
    assert_eq!(c.status(), CampaignStatus::Draft);
    let c = c.stage(&owner, &roles, NOW).unwrap();
    assert_eq!(c.status(), CampaignStatus::Staged);
    let c = c.start(&owner, &roles, later(1)).unwrap();
    assert_eq!(c.status(), CampaignStatus::Running);
    let c = c.end(&owner, &roles, OpenReviews::Skip, later(2)).unwrap();
    assert_eq!(c.status(), CampaignStatus::Ended);
    let c = c.complete(&owner, &roles, later(3)).unwrap();
    assert_eq!(c.status(), CampaignStatus::Completed);
    assert_eq!(c.version, 5);
    let CampaignState::Completed {
        staged,
        started,
        ended,
        open_reviews,
        completed,
    } = &c.state
    else {
        panic!("{:?}", c.state)
    };
    assert_eq!(
        (staged.at, started.at, ended.at, completed.at),
        (NOW, later(1), later(2), later(3))
    );
    assert_eq!(*open_reviews, OpenReviews::Skip);
}

#[test]
fn steps_cannot_be_skipped_or_repeated() {
    let (owner, roles) = (u("owner"), campaign_admin());
    let c = draft();
    assert!(c.start(&owner, &roles, NOW).is_err());
    assert!(c.end(&owner, &roles, OpenReviews::Skip, NOW).is_err());
    assert!(c.complete(&owner, &roles, NOW).is_err());
    let staged = c.stage(&owner, &roles, NOW).unwrap();
    let err = staged.stage(&owner, &roles, NOW).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot stage the campaign: the campaign is staged"
    );
    assert!(running().start(&owner, &roles, NOW).is_err());
}

#[test]
fn staging_needs_a_due_date_and_something_in_scope() {
    let mut c = draft();
    c.fields.due_at = None;
    assert_eq!(
        c.stage(&u("owner"), &campaign_admin(), NOW),
        Err(DomainError::Required {
            field: "a due date".into()
        })
    );
    let mut no_scope = fields();
    no_scope.scope.apps.clear();
    assert!(matches!(
        Campaign::draft(
            CampaignId::from("c2"),
            no_scope,
            &u("owner"),
            &campaign_admin(),
            &owner_roles(),
            NOW
        ),
        Err(DomainError::Required { .. })
    ));
}

#[test]
fn scope_and_reviewers_freeze_at_staging_while_instructions_stay_editable_while_running() {
    let (owner, roles, owners) = (u("owner"), campaign_admin(), owner_roles());
    let staged = draft().stage(&owner, &roles, NOW).unwrap();
    let mut wider = staged.fields.clone();
    wider.scope.entitlements.push(EntitlementId::from("ent-2"));
    let err = staged.edit(wider, &owner, &roles, &owners).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot change the scope: it is fixed once the campaign is staged"
    );

    let run = staged.start(&owner, &roles, NOW).unwrap();
    let mut clearer = run.fields.clone();
    clearer.instructions = "Deny anything unused for 90 days.".into();
    clearer.due_at = Some(later(21));
    let edited = run.edit(clearer, &owner, &roles, &owners).unwrap();
    assert_eq!(
        edited.fields.instructions,
        "Deny anything unused for 90 days."
    );
    assert_eq!(edited.version, run.version + 1);

    let mut reviewers = run.fields.clone();
    reviewers.review_policy.reviewers = vec![ApproverSource::AppOwners];
    assert!(run.edit(reviewers, &owner, &roles, &owners).is_err());
    let mut immediate = run.fields.clone();
    immediate.settings.remediate_immediately = true;
    assert!(run.edit(immediate, &owner, &roles, &owners).is_err());
}

#[test]
fn a_completed_campaign_is_read_only() {
    let (owner, roles) = (u("owner"), campaign_admin());
    let done = running()
        .end(&owner, &roles, OpenReviews::Skip, NOW)
        .unwrap()
        .complete(&owner, &roles, NOW)
        .unwrap();
    let mut same = done.fields.clone();
    same.description = "Findings: none".into();
    let err = done
        .edit(same.clone(), &owner, &roles, &owner_roles())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot edit the campaign: it is completed and read-only"
    );
    assert!(
        done.edit(same, &u("admin"), &super_admin(), &owner_roles())
            .is_err()
    );
}

#[test]
fn a_running_campaign_past_its_due_date_keeps_running_unless_auto_end_is_set() {
    let c = running();
    assert_eq!(c.auto_end_due(later(30)), None);
    assert!(c.end_automatically(later(30)).is_err());

    let mut auto = running();
    auto.fields.settings.auto_end = Some(OpenReviews::Revoke);
    assert_eq!(auto.auto_end_due(later(13)), None, "not due yet");
    assert_eq!(auto.auto_end_due(later(14)), Some(OpenReviews::Revoke));
    let ended = auto.end_automatically(later(14)).unwrap();
    let CampaignState::Ended {
        ended,
        open_reviews,
        ..
    } = &ended.state
    else {
        panic!()
    };
    assert_eq!(
        (ended.by.clone(), *open_reviews),
        (None, OpenReviews::Revoke)
    );
}

// ----- who -----

#[test]
fn only_campaign_administrators_and_super_admins_create_campaigns() {
    let create = |who: &str, roles: RoleSet| {
        Campaign::draft(
            CampaignId::from("c"),
            fields(),
            &u(who),
            &roles,
            &owner_roles(),
            NOW,
        )
    };
    assert_eq!(
        create("bob", basic()).unwrap_err(),
        DomainError::CannotCreateCampaign
    );
    assert_eq!(
        create("bob", RoleSet::new([Role::ReadOnlyAdmin])).unwrap_err(),
        DomainError::ReadOnlyAdmin
    );
    assert!(create("admin", super_admin()).is_ok());
    // A Campaign Administrator must own what they create.
    assert!(matches!(
        create("owner2", campaign_admin()),
        Err(DomainError::InvalidValue { .. })
    ));
}

#[test]
fn every_owner_must_be_a_campaign_administrator_or_a_super_admin() {
    let mut f = fields();
    f.owners = vec![u("owner"), u("bob")];
    let err = Campaign::draft(
        CampaignId::from("c"),
        f,
        &u("owner"),
        &campaign_admin(),
        &owner_roles(),
        NOW,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bob cannot own a campaign: owners must be Campaign Administrators or Super Admins"
    );
}

#[test]
fn campaign_administrators_manage_only_the_campaigns_they_own() {
    let c = draft();
    assert!(c.can_manage(&u("owner"), &campaign_admin()));
    assert!(!c.can_manage(&u("owner2"), &campaign_admin()));
    assert!(c.can_manage(&u("admin"), &super_admin()));
    assert!(
        !c.can_manage(&u("owner"), &basic()),
        "owner without the role"
    );
    assert_eq!(
        c.stage(&u("owner2"), &campaign_admin(), NOW).unwrap_err(),
        DomainError::NotCampaignManager
    );
}

#[test]
fn an_owner_gets_the_creator_when_none_is_named() {
    let mut f = fields();
    f.owners.clear();
    let c = Campaign::draft(
        CampaignId::from("c"),
        f,
        &u("owner"),
        &campaign_admin(),
        &owner_roles(),
        NOW,
    )
    .unwrap();
    assert_eq!(c.fields.owners, vec![u("owner")]);
}

// ----- scope -----

#[test]
fn scope_takes_grants_of_the_named_apps_or_entitlements_that_still_give_access() {
    let d = directory();
    let scope = CampaignScope {
        apps: vec![AppId::from("gcp")],
        entitlements: vec![EntitlementId::from("ent-1")],
        ..CampaignScope::default()
    }
    .resolve(&d, NOW);
    assert!(scope.includes(&facts("g1", "alice"), &d), "by entitlement");
    let gcp = GrantFacts {
        app: AppId::from("gcp"),
        entitlement: EntitlementId::from("gcp-x"),
        ..facts("g2", "alice")
    };
    assert!(scope.includes(&gcp, &d), "by app");
    let other = GrantFacts {
        app: AppId::from("okta"),
        entitlement: EntitlementId::from("okta-x"),
        ..facts("g3", "alice")
    };
    assert!(!scope.includes(&other, &d));
    let removing = GrantFacts {
        active: false,
        ..facts("g4", "alice")
    };
    assert!(!scope.includes(&removing, &d), "being removed already");
}

#[test]
fn scope_narrows_by_people_groups_and_managers_with_or_between_them() {
    let d = directory();
    let scope = |subjects: SubjectFilter| {
        CampaignScope {
            apps: vec![AppId::from("aws")],
            subjects,
            ..CampaignScope::default()
        }
        .resolve(&d, NOW)
    };
    let named = scope(SubjectFilter {
        users: vec![u("bob")],
        ..SubjectFilter::default()
    });
    assert!(named.includes(&facts("g", "bob"), &d));
    assert!(!named.includes(&facts("g", "alice"), &d));

    let group = scope(SubjectFilter {
        groups: vec![GroupId::from("security")],
        ..SubjectFilter::default()
    });
    assert!(group.includes(&facts("g", "sec1"), &d));
    assert!(!group.includes(&facts("g", "alice"), &d));

    let reports_or_sec2 = scope(SubjectFilter {
        users: vec![u("sec2")],
        managers: vec![u("mgr")],
        ..SubjectFilter::default()
    });
    assert!(
        reports_or_sec2.includes(&facts("g", "alice"), &d),
        "reports to mgr"
    );
    assert!(reports_or_sec2.includes(&facts("g", "sec2"), &d), "named");
    assert!(!reports_or_sec2.includes(&facts("g", "sec1"), &d));
}

#[test]
fn scope_narrows_by_grant_type_and_by_granted_within_the_last_n_days() {
    let d = directory();
    let temporary = GrantFacts {
        expires_at: Some(later(3)),
        ..facts("t", "alice")
    };
    let permanent = facts("p", "alice");
    let by_type = |grant_type| {
        CampaignScope {
            apps: vec![AppId::from("aws")],
            grant_type,
            ..CampaignScope::default()
        }
        .resolve(&d, NOW)
    };
    assert!(by_type(GrantTypeFilter::Temporary).includes(&temporary, &d));
    assert!(!by_type(GrantTypeFilter::Temporary).includes(&permanent, &d));
    assert!(by_type(GrantTypeFilter::Permanent).includes(&permanent, &d));
    assert!(by_type(GrantTypeFilter::Any).includes(&temporary, &d));

    let recent = CampaignScope {
        apps: vec![AppId::from("aws")],
        granted_within_days: Some(30),
        ..CampaignScope::default()
    }
    .resolve(&d, NOW);
    let old = GrantFacts {
        granted_at: later(-31),
        ..facts("o", "alice")
    };
    let edge = GrantFacts {
        granted_at: later(-30),
        ..facts("e", "alice")
    };
    assert!(recent.includes(&facts("n", "alice"), &d));
    assert!(recent.includes(&edge, &d), "exactly 30 days ago counts");
    assert!(!recent.includes(&old, &d));
}

#[test]
fn scope_validation_needs_an_app_or_entitlement_and_a_sensible_number_of_days() {
    assert!(CampaignScope::default().validate().is_err());
    let days = |n| CampaignScope {
        apps: vec![AppId::from("aws")],
        granted_within_days: Some(n),
        ..CampaignScope::default()
    };
    assert!(days(0).validate().is_err());
    assert!(days(90).validate().is_ok());
    assert!(days(MAX_GRANTED_WITHIN_DAYS + 1).validate().is_err());
}

#[test]
fn the_scope_preview_counts_everything_but_keeps_only_a_sample() {
    let mut preview = ScopePreview::default();
    for i in 0..(SCOPE_SAMPLE_SIZE + 5) {
        preview.add(facts(&format!("g{i}"), "alice"));
    }
    assert_eq!(preview.count, (SCOPE_SAMPLE_SIZE + 5) as u64);
    assert_eq!(preview.sample.len(), SCOPE_SAMPLE_SIZE);
    assert_eq!(preview.sample[0].grant, GrantId::from("g0"));
}

// ----- reviewers -----

#[test]
fn reviewers_come_from_the_policy_sources_like_a_request_step() {
    let d = directory();
    let policy = ReviewPolicy {
        reviewers: vec![ApproverSource::Manager, ApproverSource::AppOwners],
        ..ReviewPolicy::default()
    };
    let r = resolve_reviewers(
        &policy.step_for(None, &[u("owner2")]),
        &facts("g", "alice"),
        &d,
    );
    assert_eq!(r.users, vec![u("mgr"), u("owner")]);
    assert_eq!(r.tier, Some(AssignmentTier::Approvers));

    let group = ReviewPolicy {
        reviewers: vec![ApproverSource::GroupMembers(GroupId::from("security"))],
        ..ReviewPolicy::default()
    };
    let r = resolve_reviewers(&group.step_for(None, &[]), &facts("g", "alice"), &d);
    assert_eq!(r.users, vec![u("sec1"), u("sec2")]);
}

#[test]
fn reviewers_fall_back_to_the_campaign_owners_then_to_the_super_admins() {
    let d = directory();
    let manager = ReviewPolicy::default();
    // "owner" has no manager: the campaign owners review.
    let r = resolve_reviewers(
        &manager.step_for(None, &[u("owner2")]),
        &facts("g", "owner"),
        &d,
    );
    assert_eq!(r.users, vec![u("owner2")]);
    assert_eq!(r.tier, Some(AssignmentTier::Fallback));
    assert_eq!(r.fallback_reason, Some(FallbackReason::NoApproverFound));
    // Nobody reviews their own access: the only owner is the subject, so the Super Admins do.
    let r = resolve_reviewers(
        &manager.step_for(None, &[u("owner")]),
        &facts("g", "owner"),
        &d,
    );
    assert_eq!(r.users, vec![u("admin")]);
    assert_eq!(r.tier, Some(AssignmentTier::SuperAdmins));
    // An empty policy: the owners review everything.
    let owners_only = ReviewPolicy {
        reviewers: Vec::new(),
        ..ReviewPolicy::default()
    };
    let r = resolve_reviewers(
        &owners_only.step_for(None, &[u("owner2")]),
        &facts("g", "alice"),
        &d,
    );
    assert_eq!(r.users, vec![u("owner2")]);
}

#[test]
fn inactive_people_never_review_and_nobody_at_all_leaves_the_review_unassigned() {
    let mut d = DirectorySnapshot::default();
    d.add_user(user("alice", &["away"], UserStatus::Active));
    d.add_user(user("away", &[], UserStatus::Suspended));
    let r = resolve_reviewers(
        &ReviewPolicy::default().step_for(None, &[u("away")]),
        &facts("g", "alice"),
        &d,
    );
    assert_eq!(r.users, Vec::<UserId>::new());
    assert_eq!(r.tier, None);
}

#[test]
fn the_entitlements_own_review_step_is_used_only_when_the_policy_defers_to_it() {
    let d = directory();
    let own = ApprovalStep {
        approvers: vec![ApproverSource::EntitlementOwners],
        ..ApprovalStep::default()
    };
    let campaign_policy = ReviewPolicy::default();
    let deferring = ReviewPolicy {
        use_entitlement_policies: true,
        ..ReviewPolicy::default()
    };
    let g = facts("g", "alice");
    assert_eq!(
        resolve_reviewers(&campaign_policy.step_for(Some(&own), &[]), &g, &d).users,
        vec![u("mgr")]
    );
    assert_eq!(
        resolve_reviewers(&deferring.step_for(Some(&own), &[]), &g, &d).users,
        vec![u("ent-owner")]
    );
    assert_eq!(
        resolve_reviewers(&deferring.step_for(None, &[]), &g, &d).users,
        vec![u("mgr")],
        "no own policy: the campaign's"
    );
}

#[test]
fn an_entitlements_review_step_is_its_review_policys_first_approval_step() {
    use super::super::ids::PolicyId;
    use super::super::policy::{Policy, PolicyStep};
    let first = ApprovalStep {
        approvers: vec![ApproverSource::Users(vec![u("x")])],
        ..ApprovalStep::default()
    };
    let second = ApprovalStep {
        approvers: vec![ApproverSource::Manager],
        ..ApprovalStep::default()
    };
    let mut policy = Policy {
        id: PolicyId::from("reviews"),
        name: "Reviews".into(),
        revision: 1,
        steps: vec![
            PolicyStep::Approval(first.clone()),
            PolicyStep::Approval(second),
        ],
    };
    assert_eq!(entitlement_review_step(&policy), Some(&first));
    policy
        .steps
        .insert(0, PolicyStep::AutoApprove { message: None });
    assert_eq!(
        entitlement_review_step(&policy),
        Some(&first),
        "steps that name no people are passed over"
    );
    policy.steps = vec![PolicyStep::AutoApprove { message: None }];
    assert_eq!(
        entitlement_review_step(&policy),
        None,
        "no approval step: no people, so the campaign's reviewers stay"
    );
}

// ----- reviews -----

#[test]
fn decisions_are_pending_until_submitted_and_need_a_reason_when_the_policy_says_so() {
    let c = running();
    let t = task("t1", "alice", &["mgr"]);
    let err = t
        .decide(
            &c,
            &u("mgr"),
            &basic(),
            ReviewVerdict::Deny,
            Some("  "),
            NOW,
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "a reason is required to deny this access");
    let pending = t
        .decide(&c, &u("mgr"), &basic(), ReviewVerdict::Certify, None, NOW)
        .unwrap();
    assert!(t.is_open(), "deciding changes nothing until submitted");
    assert_eq!(
        t.decide(&c, &u("bob"), &basic(), ReviewVerdict::Certify, None, NOW),
        Err(DomainError::NotAReviewer)
    );
    let s = submit_batch(
        &c,
        &u("mgr"),
        &basic(),
        std::slice::from_ref(&t),
        &[pending],
        later(1),
    )
    .unwrap();
    assert_eq!((s.certified, s.denied, s.submitted()), (1, 0, 1));
    let (_, after) = &s.applied[0];
    assert_eq!(after.outcome(), ReviewOutcome::Certified);
    assert_eq!(after.decided_by(), Some(&u("mgr")));
}

#[test]
fn reviews_are_decided_only_while_the_campaign_runs() {
    let staged = draft().stage(&u("owner"), &campaign_admin(), NOW).unwrap();
    let t = task("t1", "alice", &["mgr"]);
    assert!(matches!(
        t.decide(
            &staged,
            &u("mgr"),
            &basic(),
            ReviewVerdict::Certify,
            None,
            NOW
        ),
        Err(DomainError::InvalidTransition { .. })
    ));
}

#[test]
fn a_batch_counts_reviews_decided_by_someone_else_first_and_names_them() {
    let c = running();
    let t1 = task("t1", "alice", &["mgr", "owner"]);
    let t2 = task("t2", "bob", &["mgr", "owner"]);
    let by_owner = t1
        .decide(
            &c,
            &u("owner"),
            &campaign_admin(),
            ReviewVerdict::Deny,
            Some("left the team"),
            NOW,
        )
        .unwrap();
    let first = submit_batch(
        &c,
        &u("owner"),
        &campaign_admin(),
        std::slice::from_ref(&t1),
        &[by_owner],
        NOW,
    )
    .unwrap();
    let t1_now = first.applied[0].1.clone();

    let mgr_pending = vec![
        t1.decide(&c, &u("mgr"), &basic(), ReviewVerdict::Certify, None, NOW)
            .unwrap(),
        t2.decide(
            &c,
            &u("mgr"),
            &basic(),
            ReviewVerdict::Deny,
            Some("unused"),
            NOW,
        )
        .unwrap(),
    ];
    let s = submit_batch(
        &c,
        &u("mgr"),
        &basic(),
        &[t1_now, t2],
        &mgr_pending,
        later(1),
    )
    .unwrap();
    assert_eq!(s.submitted(), 2);
    assert_eq!((s.certified, s.denied), (0, 1));
    assert_eq!(
        s.decided_elsewhere,
        vec![(ReviewTaskId::from("t1"), Some(u("owner")))]
    );
    let denied = &s.applied[0].1;
    assert_eq!(denied.remediation(), Some(Remediation::Waiting));
}

#[test]
fn a_denial_is_remediated_at_once_only_when_the_campaign_says_so_otherwise_at_the_end() {
    let c = running();
    let t = task("t1", "alice", &["mgr"]);
    let deny = t
        .decide(
            &c,
            &u("mgr"),
            &basic(),
            ReviewVerdict::Deny,
            Some("no longer needed"),
            NOW,
        )
        .unwrap();
    let denied = submit_batch(
        &c,
        &u("mgr"),
        &basic(),
        std::slice::from_ref(&t),
        std::slice::from_ref(&deny),
        NOW,
    )
    .unwrap()
    .applied[0]
        .1
        .clone();
    assert!(!denied.remediation_due(&c), "waits for the end");
    let ended = c
        .end(&u("owner"), &campaign_admin(), OpenReviews::Skip, NOW)
        .unwrap();
    assert!(denied.remediation_due(&ended));

    let mut immediate = running();
    immediate.fields.settings.remediate_immediately = true;
    assert!(denied.remediation_due(&immediate));
    let started = denied.remediated(Remediation::Started).unwrap();
    assert_eq!(started.remediation(), Some(Remediation::Started));
    assert!(!started.remediation_due(&ended));
    assert!(started.remediated(Remediation::Started).is_err(), "once");
}

#[test]
fn reviewers_and_managers_reassign_with_a_reason_to_active_people_other_than_the_subject() {
    let c = running();
    let d = directory();
    let t = task("t1", "alice", &["mgr"]);
    assert!(matches!(
        t.reassign(&c, &u("mgr"), &basic(), &[u("owner2")], " ", &d),
        Err(DomainError::Required { .. })
    ));
    let moved = t
        .reassign(&c, &u("mgr"), &basic(), &[u("owner2")], "I'm on leave", &d)
        .unwrap();
    assert_eq!(moved.reviewers, vec![u("owner2")]);
    assert!(moved.is_open());
    assert_eq!(
        t.reassign(&c, &u("bob"), &basic(), &[u("owner2")], "why not", &d),
        Err(DomainError::CannotReassign)
    );
    assert!(
        t.reassign(
            &c,
            &u("owner"),
            &campaign_admin(),
            &[u("bob")],
            "bob knows",
            &d
        )
        .is_ok(),
        "campaign owner"
    );
    assert!(matches!(
        t.reassign(&c, &u("mgr"), &basic(), &[u("alice")], "self", &d),
        Err(DomainError::InvalidReassignee { .. })
    ));
    assert!(matches!(
        t.reassign(&c, &u("mgr"), &basic(), &[u("away")], "away", &d),
        Err(DomainError::InvalidReassignee { .. })
    ));
    let mut strict = running();
    strict.fields.review_policy.allow_reassignment = false;
    assert_eq!(
        t.reassign(&strict, &u("mgr"), &basic(), &[u("owner2")], "leave", &d),
        Err(DomainError::CannotReassign)
    );
}

#[test]
fn a_suspended_or_deleted_subjects_open_reviews_are_cancelled_and_decided_ones_stay() {
    let t = task("t1", "alice", &["mgr"]);
    assert_eq!(CancelReason::for_status(UserStatus::Active), None);
    let why = CancelReason::for_status(UserStatus::Suspended).unwrap();
    let cancelled = t.cancel(why, NOW).unwrap();
    assert_eq!(cancelled.outcome(), ReviewOutcome::Cancelled);
    assert_eq!(cancelled.cancel(why, NOW), None);
    let c = running();
    let pending = t
        .decide(&c, &u("mgr"), &basic(), ReviewVerdict::Certify, None, NOW)
        .unwrap();
    let s = submit_batch(&c, &u("mgr"), &basic(), &[cancelled], &[pending], NOW).unwrap();
    assert_eq!(s.decided_elsewhere, vec![(ReviewTaskId::from("t1"), None)]);
}

#[test]
fn ending_skips_or_revokes_the_open_reviews_and_leaves_decided_ones_alone() {
    let open = task("t1", "alice", &["mgr"]);
    let skipped = open.close_at_end(OpenReviews::Skip, NOW).unwrap();
    assert_eq!(skipped.outcome(), ReviewOutcome::Skipped);
    assert_eq!(skipped.remediation(), None, "skip leaves the access");
    let revoked = open.close_at_end(OpenReviews::Revoke, NOW).unwrap();
    assert_eq!(revoked.outcome(), ReviewOutcome::Revoked);
    assert_eq!(revoked.remediation(), Some(Remediation::Waiting));
    let ended = running()
        .end(&u("owner"), &campaign_admin(), OpenReviews::Revoke, NOW)
        .unwrap();
    assert!(revoked.remediation_due(&ended));
    assert_eq!(skipped.close_at_end(OpenReviews::Revoke, NOW), None);
    let err = skipped
        .decide(
            &running(),
            &u("mgr"),
            &basic(),
            ReviewVerdict::Certify,
            None,
            NOW,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "this access review was already skipped by Latch"
    );
}

#[test]
fn a_grant_revoked_by_a_review_keeps_who_revoked_it_without_an_admin_role() {
    use super::super::grant::{Grant, GrantState, RemovalReason};
    use super::super::ids::RequestId;
    let grant = Grant {
        id: GrantId::from("g1"),
        subject: u("alice"),
        app: AppId::from("aws"),
        entitlement: EntitlementId::from("ent-1"),
        granted_at: NOW,
        period_start: NOW,
        expires_at: None,
        source_request: RequestId::from("r1"),
        extensions: Vec::new(),
        state: GrantState::Active,
        version: 1,
    };
    let revoked = grant
        .revoke_after_review(Some(&u("mgr")), later(1))
        .unwrap();
    assert_eq!(
        revoked.state,
        GrantState::PendingRemoval {
            reason: RemovalReason::Revoked,
            since: later(1),
            by: Some(u("mgr")),
            problem: None,
        }
    );
    let removed = revoked.confirm_removed(later(2)).unwrap();
    assert!(removed.revoke_after_review(None, later(3)).is_err());
}

#[test]
fn the_actions_a_viewer_sees_are_the_checks_the_transitions_start_with() {
    let (owner, roles) = (u("owner"), campaign_admin());
    let d = draft();
    let a = d.actions_for(&owner, &roles);
    assert!(a.edit && a.stage && !a.start && !a.end && !a.complete);
    assert_eq!(
        d.actions_for(&u("bob"), &basic()),
        CampaignActions::default()
    );
    let mut no_due = draft();
    no_due.fields.due_at = None;
    assert!(!no_due.actions_for(&owner, &roles).stage);
    let run = running();
    let a = run.actions_for(&owner, &roles);
    assert!(a.edit && !a.stage && !a.start && a.end && !a.complete);

    let t = task("t1", "alice", &["mgr"]);
    let mgr = t.actions_for(&run, &u("mgr"), &basic());
    assert!(mgr.decide && mgr.reassign);
    let managing_owner = t.actions_for(&run, &owner, &roles);
    assert!(!managing_owner.decide && managing_owner.reassign);
    let stranger = t.actions_for(&run, &u("bob"), &basic());
    assert!(!stranger.decide && !stranger.reassign);
    let closed = t.close_at_end(OpenReviews::Skip, NOW).unwrap();
    assert_eq!(
        closed.actions_for(&run, &u("mgr"), &basic()),
        ReviewActions::default()
    );
}
