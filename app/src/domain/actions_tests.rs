//! "Offered exactly when accepted": for tables of requests, grants and provisioning tasks in
//! every state and tables of viewers, each flag of `actions_for` equals whether the matching
//! transition succeeds for that viewer. A button the console shows always works; one it hides
//! always fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::catalog::{App, Entitlement, ProvisioningMethod};
use super::directory::DirectorySnapshot;
use super::duration::GrantDuration;
use super::grant::{Grant, GrantActions};
use super::ids::{GrantId, PolicyId, ProvisioningTaskId, UserId};
use super::policy::tests::{approval, u};
use super::policy::{ApproverSource, Policy, PolicyStep, Verdict};
use super::provisioning::{NewTask, ProvisioningTask, TaskActions, TaskKind, TaskOutcome};
use super::request::tests::{T0, fixture, new_request};
use super::request::{Request, RequestActions, Viewer, create_request};
use super::roles::{Role, RoleSet};
use super::time::Timestamp;

/// A request in some state, with the app and entitlement it is for.
struct Case {
    name: &'static str,
    request: Request,
    app: App,
    ent: Entitlement,
}

/// The emergency policy: one manager approval, so an emergency request can wait too.
fn emergency_policy() -> Policy {
    Policy {
        id: PolicyId::from("break-glass"),
        name: "Emergency".into(),
        revision: 1,
        steps: vec![PolicyStep::Approval(approval(vec![
            ApproverSource::Manager,
        ]))],
    }
}

/// How a case is built from a fresh request: bob (helpdesk) asks for alice; step 1 is alice's
/// manager (mgr), step 2 the app's owner (owner).
struct Recipe {
    name: &'static str,
    /// The steps allow reassignment.
    reassignable: bool,
    /// The entitlement has an emergency policy.
    emergency_policy: bool,
    /// The request is an emergency request.
    emergency: bool,
    /// What happens after creation.
    then: fn(Request, &DirectorySnapshot) -> Request,
}

fn as_is(r: Request, _: &DirectorySnapshot) -> Request {
    r
}

fn approve(r: Request, by: &str, dir: &DirectorySnapshot) -> Request {
    let step = r.current_assignment().unwrap().step;
    r.decide(
        step,
        &u(by),
        &RoleSet::default(),
        Verdict::Approved,
        None,
        None,
        dir,
        T0,
    )
    .unwrap()
    .request
}

fn at_second_step(r: Request, dir: &DirectorySnapshot) -> Request {
    approve(r, "mgr", dir)
}

fn provisioning(r: Request, dir: &DirectorySnapshot) -> Request {
    let r = approve(r, "mgr", dir);
    approve(r, "owner", dir)
}

fn provisioning_failed(r: Request, dir: &DirectorySnapshot) -> Request {
    provisioning(r, dir)
        .mark_provisioning_failed("API 500", T0)
        .unwrap()
        .request
}

fn granted(r: Request, dir: &DirectorySnapshot) -> Request {
    provisioning(r, dir).mark_granted(T0).unwrap().request
}

fn denied(r: Request, dir: &DirectorySnapshot) -> Request {
    r.decide(
        0,
        &u("mgr"),
        &RoleSet::default(),
        Verdict::Denied,
        None,
        None,
        dir,
        T0,
    )
    .unwrap()
    .request
}

fn cancelled(r: Request, _: &DirectorySnapshot) -> Request {
    r.cancel(&u("bob"), &RoleSet::default(), None, T0)
        .unwrap()
        .request
}

const RECIPES: &[Recipe] = &[
    Recipe {
        name: "pending at a step that allows reassignment",
        reassignable: true,
        emergency_policy: true,
        emergency: false,
        then: as_is,
    },
    Recipe {
        name: "pending at a step that forbids reassignment",
        reassignable: false,
        emergency_policy: true,
        emergency: false,
        then: as_is,
    },
    Recipe {
        name: "pending, no emergency policy",
        reassignable: true,
        emergency_policy: false,
        emergency: false,
        then: as_is,
    },
    Recipe {
        name: "pending at the second step",
        reassignable: true,
        emergency_policy: true,
        emergency: false,
        then: at_second_step,
    },
    Recipe {
        name: "pending second step that forbids reassignment",
        reassignable: false,
        emergency_policy: true,
        emergency: false,
        then: at_second_step,
    },
    Recipe {
        name: "emergency request pending",
        reassignable: true,
        emergency_policy: true,
        emergency: true,
        then: as_is,
    },
    Recipe {
        name: "provisioning",
        reassignable: true,
        emergency_policy: true,
        emergency: false,
        then: provisioning,
    },
    Recipe {
        name: "provisioning failed",
        reassignable: true,
        emergency_policy: true,
        emergency: false,
        then: provisioning_failed,
    },
    Recipe {
        name: "granted",
        reassignable: true,
        emergency_policy: true,
        emergency: false,
        then: granted,
    },
    Recipe {
        name: "denied",
        reassignable: true,
        emergency_policy: true,
        emergency: false,
        then: denied,
    },
    Recipe {
        name: "cancelled",
        reassignable: true,
        emergency_policy: true,
        emergency: false,
        then: cancelled,
    },
];

fn cases(dir: &DirectorySnapshot) -> Vec<Case> {
    RECIPES
        .iter()
        .map(|recipe| {
            let mut f = fixture();
            f.roles = RoleSet::new([Role::AccessRequestHelpdesk]);
            for step in &mut f.policy.steps {
                if let PolicyStep::Approval(a) = step {
                    a.allow_reassignment = recipe.reassignable;
                }
            }
            if recipe.emergency_policy {
                f.ent.emergency_policy = Some(emergency_policy().id);
            }
            let emergency = emergency_policy();
            let mut new = new_request(&f, "bob", "alice");
            new.emergency = recipe.emergency;
            if recipe.emergency {
                new.policy = &emergency;
            }
            let created = create_request(new, dir, T0).unwrap().request;
            Case {
                name: recipe.name,
                request: (recipe.then)(created, dir),
                app: f.app.clone(),
                ent: f.ent.clone(),
            }
        })
        .collect()
}

/// Everyone who might look at a request: (who, their id, their roles).
fn viewers() -> Vec<(&'static str, UserId, RoleSet)> {
    let basic = || RoleSet::new([]);
    vec![
        (
            "requester",
            u("bob"),
            RoleSet::new([Role::AccessRequestHelpdesk]),
        ),
        ("subject", u("alice"), basic()),
        ("manager (first approver)", u("mgr"), basic()),
        (
            "manager who is a read-only admin",
            u("mgr"),
            RoleSet::new([Role::ReadOnlyAdmin]),
        ),
        ("app owner approver (second step)", u("owner"), basic()),
        ("app owner (retries provisioning)", u("app-owner"), basic()),
        ("provisioner", u("prov"), basic()),
        ("Super Admin", u("admin"), RoleSet::new([Role::SuperAdmin])),
        (
            "read-only admin",
            u("sec1"),
            RoleSet::new([Role::ReadOnlyAdmin]),
        ),
        ("stranger", u("sec2"), basic()),
    ]
}

/// What each transition says for one viewer, as [`RequestActions`].
fn accepted(case: &Case, id: &UserId, roles: &RoleSet, dir: &DirectorySnapshot) -> RequestActions {
    let r = &case.request;
    let step = r.current_assignment().map_or(0, |a| a.step);
    RequestActions {
        decide: r
            .decide(
                step,
                id,
                roles,
                Verdict::Approved,
                Some("looks right"),
                None,
                dir,
                T0,
            )
            .is_ok(),
        cancel: r.cancel(id, roles, None, T0).is_ok(),
        // "fallback" is active and uninvolved: a valid new assignee in every case.
        reassign: r
            .reassign(id, roles, &u("fallback"), "covering this week", dir, T0)
            .is_ok(),
        escalate: r
            .escalate_to_emergency(
                id,
                roles,
                &case.app,
                &case.ent,
                &emergency_policy(),
                dir,
                T0,
            )
            .is_ok(),
        retry: r
            .retry_provisioning(id, roles, &case.app, &case.ent)
            .is_ok(),
    }
}

fn offered(case: &Case, id: &UserId, roles: &RoleSet, dir: &DirectorySnapshot) -> RequestActions {
    case.request.actions_for(
        &Viewer {
            id,
            roles,
            directory: dir,
        },
        &case.app,
        &case.ent,
    )
}

#[test]
fn every_action_is_offered_exactly_when_its_transition_accepts_it() {
    let dir = super::policy::tests::directory();
    let mut ever_offered = RequestActions::default();
    let mut ever_refused = RequestActions {
        decide: true,
        cancel: true,
        reassign: true,
        escalate: true,
        retry: true,
    };
    for case in cases(&dir) {
        for (who, id, roles) in viewers() {
            let offered = offered(&case, &id, &roles, &dir);
            assert_eq!(
                offered,
                accepted(&case, &id, &roles, &dir),
                "{}, seen by the {who}",
                case.name
            );
            ever_offered.decide |= offered.decide;
            ever_offered.cancel |= offered.cancel;
            ever_offered.reassign |= offered.reassign;
            ever_offered.escalate |= offered.escalate;
            ever_offered.retry |= offered.retry;
            ever_refused.decide &= offered.decide;
            ever_refused.cancel &= offered.cancel;
            ever_refused.reassign &= offered.reassign;
            ever_refused.escalate &= offered.escalate;
            ever_refused.retry &= offered.retry;
        }
    }
    // The tables reach both answers for every action, so the equality above is not vacuous.
    let all = RequestActions {
        decide: true,
        cancel: true,
        reassign: true,
        escalate: true,
        retry: true,
    };
    assert_eq!(ever_offered, all, "some action is never offered");
    assert_eq!(
        ever_refused,
        RequestActions::default(),
        "some action is always offered"
    );
}

/// The drift the console had: named cases, so a regression names itself.
#[test]
fn reassign_and_cancel_are_not_offered_where_the_rules_refuse_them() {
    let dir = super::policy::tests::directory();
    let cases = cases(&dir);
    let case = |name: &str| cases.iter().find(|c| c.name == name).unwrap();
    let basic = RoleSet::new([]);
    let read_only = RoleSet::new([Role::ReadOnlyAdmin]);
    let helpdesk = RoleSet::new([Role::AccessRequestHelpdesk]);

    // An assignee may decide but not reassign a step that forbids reassignment.
    let locked = offered(
        case("pending at a step that forbids reassignment"),
        &u("mgr"),
        &basic,
        &dir,
    );
    assert!(locked.decide && !locked.reassign, "{locked:?}");
    let open = offered(
        case("pending at a step that allows reassignment"),
        &u("mgr"),
        &basic,
        &dir,
    );
    assert!(open.decide && open.reassign, "{open:?}");
    // A Super Admin may reassign any waiting step.
    let admin = RoleSet::new([Role::SuperAdmin]);
    assert!(
        offered(
            case("pending at a step that forbids reassignment"),
            &u("admin"),
            &admin,
            &dir
        )
        .reassign
    );
    // A read-only admin is offered nothing, even as the step's assignee or the requester.
    for c in &cases {
        assert_eq!(
            offered(c, &u("mgr"), &read_only, &dir),
            RequestActions::default(),
            "{}",
            c.name
        );
        assert_eq!(
            offered(c, &u("sec1"), &read_only, &dir),
            RequestActions::default(),
            "{}",
            c.name
        );
    }
    // The requester may cancel while it waits, and not once provisioning started.
    assert!(
        offered(
            case("pending at the second step"),
            &u("bob"),
            &helpdesk,
            &dir
        )
        .cancel
    );
    assert!(!offered(case("provisioning"), &u("bob"), &helpdesk, &dir).cancel);
}

/// A grant in some state, and the moment it is looked at.
struct GrantCase {
    name: &'static str,
    grant: Grant,
    now: Timestamp,
}

fn grant_cases() -> Vec<GrantCase> {
    let f = fixture();
    let approved = super::request::tests::approved(&f);
    // Issued at T0 for 7 days; looked at a day later unless said otherwise.
    let issued = Grant::issue(GrantId::from("g1"), &approved, T0).unwrap();
    let day_later = T0.plus(GrantDuration::days(1));
    let released = issued.release(&u("alice"), day_later).unwrap();
    let mut indefinite = issued.clone();
    indefinite.expires_at = None;
    vec![
        GrantCase {
            name: "active with an expiry ahead",
            grant: issued.clone(),
            now: day_later,
        },
        GrantCase {
            name: "active without expiry",
            grant: indefinite,
            now: day_later,
        },
        GrantCase {
            name: "past its expiry, not swept yet",
            grant: issued.clone(),
            now: T0.plus(GrantDuration::days(8)),
        },
        GrantCase {
            name: "released, removal pending",
            grant: released.clone(),
            now: day_later,
        },
        GrantCase {
            name: "removed",
            grant: released.confirm_removed(day_later).unwrap(),
            now: day_later,
        },
    ]
}

fn grant_viewers() -> Vec<(&'static str, UserId, RoleSet)> {
    let basic = || RoleSet::new([]);
    vec![
        ("holder", u("alice"), basic()),
        (
            "holder who became a read-only admin",
            u("alice"),
            RoleSet::new([Role::ReadOnlyAdmin]),
        ),
        ("holder's manager", u("mgr"), basic()),
        (
            "helpdesk",
            u("bob"),
            RoleSet::new([Role::AccessRequestHelpdesk]),
        ),
        (
            "application admin owning the app",
            u("app-owner"),
            RoleSet::new([Role::ApplicationAdmin]),
        ),
        ("app owner without the admin role", u("app-owner"), basic()),
        ("Super Admin", u("admin"), RoleSet::new([Role::SuperAdmin])),
        (
            "read-only admin",
            u("sec1"),
            RoleSet::new([Role::ReadOnlyAdmin]),
        ),
        ("stranger", u("sec2"), basic()),
    ]
}

/// What each grant transition says for one viewer: releasing, revoking, and filing an extension
/// request (as the viewer, for the holder, otherwise a valid request).
fn grant_accepted(
    case: &GrantCase,
    id: &UserId,
    roles: &RoleSet,
    dir: &DirectorySnapshot,
) -> GrantActions {
    let f = fixture();
    let g = &case.grant;
    let mut extension = new_request(&f, id.as_str(), g.subject.as_str());
    extension.requester_roles = roles;
    extension.extension = true;
    extension.existing_grant = Some(g);
    GrantActions {
        release: g.release(id, case.now).is_ok(),
        extend: create_request(extension, dir, case.now).is_ok(),
        revoke: g.revoke(id, roles, &f.app, case.now).is_ok(),
    }
}

#[test]
fn every_grant_action_is_offered_exactly_when_its_transition_accepts_it() {
    let dir = super::policy::tests::directory();
    let app = fixture().app;
    let (mut offered_any, mut refused_any) = ([false; 3], [false; 3]);
    for case in grant_cases() {
        for (who, id, roles) in grant_viewers() {
            let offered = case.grant.actions_for(
                &Viewer {
                    id: &id,
                    roles: &roles,
                    directory: &dir,
                },
                &app,
                case.now,
            );
            assert_eq!(
                offered,
                grant_accepted(&case, &id, &roles, &dir),
                "{}, seen by the {who}",
                case.name
            );
            for (i, flag) in [offered.release, offered.extend, offered.revoke]
                .into_iter()
                .enumerate()
            {
                offered_any[i] |= flag;
                refused_any[i] |= !flag;
            }
        }
    }
    assert_eq!(
        offered_any, [true; 3],
        "release, extend, revoke each offered somewhere"
    );
    assert_eq!(refused_any, [true; 3], "and each refused somewhere");
}

#[test]
fn every_task_action_is_offered_exactly_when_its_transition_accepts_it() {
    let dir = super::policy::tests::directory();
    let open = |method: ProvisioningMethod| {
        ProvisioningTask::open(
            NewTask {
                id: ProvisioningTaskId::from("t1"),
                kind: TaskKind::Provision,
                request: Some(super::ids::RequestId::from("r1")),
                grant: None,
                subject: u("alice"),
                app: super::ids::AppId::from("aws"),
                entitlement: super::ids::EntitlementId::from("ent-1"),
                method,
            },
            &dir,
            T0,
        )
    };
    let manual = open(ProvisioningMethod::Manual {
        provisioners: vec![u("sec1")],
        instructions: None,
    });
    let tasks = [
        ("waiting for a provisioner", manual.clone()),
        (
            "waiting for the webhook",
            open(ProvisioningMethod::Webhook {
                url: "https://hooks.example/provision".into(),
            }),
        ),
        (
            "completed",
            manual
                .complete(&u("sec1"), &RoleSet::new([]), TaskOutcome::Done, None, T0)
                .unwrap(),
        ),
    ];
    let basic = || RoleSet::new([]);
    let viewers = [
        ("provisioner", u("sec1"), basic()),
        (
            "provisioner who is a read-only admin",
            u("sec1"),
            RoleSet::new([Role::ReadOnlyAdmin]),
        ),
        ("subject", u("alice"), basic()),
        (
            "subject who is a Super Admin",
            u("alice"),
            RoleSet::new([Role::SuperAdmin]),
        ),
        ("Super Admin", u("admin"), RoleSet::new([Role::SuperAdmin])),
        ("stranger", u("sec2"), basic()),
    ];
    let (mut offered_any, mut refused_any) = (false, false);
    for (name, task) in &tasks {
        for (who, id, roles) in &viewers {
            let offered = task.actions_for(id, roles);
            let accepted = TaskActions {
                complete: task
                    .complete(id, roles, TaskOutcome::Done, None, T0)
                    .is_ok(),
            };
            assert_eq!(offered, accepted, "{name}, seen by the {who}");
            offered_any |= offered.complete;
            refused_any |= !offered.complete;
        }
    }
    assert!(offered_any && refused_any);
}
