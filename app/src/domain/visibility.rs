//! Who may see what: the catalog as a requester sees it, and who may read (and comment on) a
//! request. Every read endpoint and page asks these rules, so a server function cannot show more
//! than the page that calls it.

use std::collections::BTreeSet;

use super::catalog::{App, Entitlement};
use super::directory::Directory;
use super::error::{DomainError, DomainResult};
use super::ids::{GroupId, UserId};
use super::request::Request;
use super::roles::RoleSet;

/// Who is looking at the catalog: Super Admins see every entitlement, with what the edit forms
/// need; everyone else sees the ones visible to their groups (`catalog::can_see`), and no admin
/// configuration (`ssr::read::catalog` builds the browser shape accordingly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogViewer<'a> {
    /// Super Admins configure the catalog: they see every entitlement as stored.
    Admin,
    /// Everyone else sees what they could request, without the configuration only admins need.
    Member { groups: &'a BTreeSet<GroupId> },
}

impl CatalogViewer<'_> {
    pub fn is_admin(&self) -> bool {
        matches!(self, CatalogViewer::Admin)
    }
}

/// People tied to a request outside its own record, as the storage layer finds them: everyone
/// ever assigned one of its approval steps (its history) and the assignees of its provisioning
/// tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInvolvement {
    pub step_assignees: BTreeSet<UserId>,
    pub task_assignees: BTreeSet<UserId>,
}

impl Request {
    /// Whether `user` takes part in this request: its requester or subject, the subject's
    /// manager, anyone assigned, deciding or reassigning one of its steps, and the provisioners
    /// of its tasks.
    pub fn involves(
        &self,
        user: &UserId,
        involvement: &RequestInvolvement,
        directory: &dyn Directory,
    ) -> bool {
        self.parties.requester == *user
            || self.parties.subject == *user
            || directory.is_manager_of(user, &self.parties.subject)
            || self.assignees().contains(user)
            || self
                .decisions
                .iter()
                .chain(&self.superseded_decisions)
                .any(|d| d.by.user() == Some(user))
            || self
                .reassignments
                .iter()
                .any(|r| r.to == *user || r.by == *user || r.from.contains(user))
            || involvement.step_assignees.contains(user)
            || involvement.task_assignees.contains(user)
    }

    /// Whether `user` may read this request and comment on it: the people involved
    /// ([`Self::involves`]), admins (Super Admins, and read-only admins who audit), and whoever
    /// may retry its failed provisioning (the app's owners and the entitlement's provisioners).
    /// Everyone else is told the request does not exist: whether it does is not theirs to know.
    pub fn visible_to(
        &self,
        user: &UserId,
        roles: &RoleSet,
        involvement: &RequestInvolvement,
        app: &App,
        entitlement: &Entitlement,
        directory: &dyn Directory,
    ) -> bool {
        roles.is_super_admin()
            || roles.has(super::roles::Role::ReadOnlyAdmin)
            || self.involves(user, involvement, directory)
            || self.check_retry(user, roles, app, entitlement).is_ok()
    }
}

/// The subject of a request filed for someone else, from what a lookup of `email` found.
/// People who may request only for themselves and their reports get one refusal for an email
/// nobody has and for a person who is not theirs, so the request form cannot be used to learn who
/// is in the directory. Helpdesk and admins, who may request for anyone (and see the directory),
/// are told the email is unknown.
pub fn subject_for_request(
    requester: &UserId,
    roles: &RoleSet,
    email: &str,
    found: Option<UserId>,
    directory: &dyn Directory,
) -> DomainResult<UserId> {
    if roles.can_request_for_anyone() {
        return found.ok_or_else(|| DomainError::UnknownValue {
            what: "user".into(),
            value: email.trim().to_string(),
        });
    }
    match found {
        Some(subject) if subject == *requester || directory.is_manager_of(requester, &subject) => {
            Ok(subject)
        }
        _ => Err(DomainError::CannotRequestForOthers {
            hint: " or for your direct reports".into(),
        }),
    }
}

/// The refusal of a reassignment, naming the person as the caller typed them: an email nobody
/// has is refused like an inactive user ("they are not an active user"), so reassigning cannot
/// be used to learn who is in the directory either.
pub fn reassignment_refusal(error: DomainError, typed_email: &str) -> DomainError {
    match error {
        DomainError::InvalidReassignee { reason, .. } => DomainError::InvalidReassignee {
            user: typed_email.trim().to_string(),
            reason,
        },
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::catalog::tests::{app, entitlement};
    use super::super::policy::Verdict;
    use super::super::policy::tests::u;
    use super::super::request::tests::{T0, created, fixture};
    use super::super::roles::Role;
    use super::*;

    #[test]
    fn a_request_is_visible_to_the_people_involved_and_admins_only() {
        let f = fixture();
        let r = created(&f);
        let none = RequestInvolvement::default();
        let basic = RoleSet::new([]);
        let sees = |who: &str, roles: &RoleSet, inv: &RequestInvolvement| {
            r.visible_to(&u(who), roles, inv, &app(), &entitlement(), &f.dir)
        };
        // Requester, subject's manager (the current approver) and admins.
        assert!(sees("alice", &basic, &none));
        assert!(sees("mgr", &basic, &none));
        assert!(sees("bob", &RoleSet::new([Role::SuperAdmin]), &none));
        assert!(sees("bob", &RoleSet::new([Role::ReadOnlyAdmin]), &none));
        // A stranger, even the app's owner before provisioning failed, does not.
        assert!(!sees("bob", &basic, &none));
        assert!(!sees("app-owner", &basic, &none));
        // Someone assigned an earlier step, or a task of the request, does.
        let earlier = RequestInvolvement {
            step_assignees: [u("bob")].into(),
            ..RequestInvolvement::default()
        };
        assert!(sees("bob", &basic, &earlier));
        let task = RequestInvolvement {
            task_assignees: [u("bob")].into(),
            ..RequestInvolvement::default()
        };
        assert!(sees("bob", &basic, &task));
    }

    #[test]
    fn deciders_stay_involved_after_the_step_moves_on() {
        let f = fixture();
        let r = created(&f)
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                Verdict::Approved,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap()
            .request;
        assert!(!r.assignees().contains(&u("mgr")));
        let mut dir = f.dir.clone();
        // Even once the manager no longer manages the subject, their decision keeps them in.
        dir.add_user(super::super::policy::tests::user(
            "alice",
            &[],
            super::super::directory::UserStatus::Active,
        ));
        assert!(r.involves(&u("mgr"), &RequestInvolvement::default(), &dir));
        assert!(!r.involves(&u("bob"), &RequestInvolvement::default(), &dir));
    }

    #[test]
    fn an_unknown_email_and_someone_elses_colleague_get_the_same_refusal() {
        let d = super::super::policy::tests::directory();
        let basic = RoleSet::new([]);
        let unknown =
            subject_for_request(&u("bob"), &basic, "nobody@example.com", None, &d).unwrap_err();
        let not_mine =
            subject_for_request(&u("bob"), &basic, "alice@example.com", Some(u("alice")), &d)
                .unwrap_err();
        assert_eq!(unknown, not_mine);
        assert_eq!(unknown.kind(), super::super::error::ErrorKind::Forbidden);
        // Oneself and one's reports are fine.
        assert_eq!(
            subject_for_request(&u("mgr"), &basic, "alice@example.com", Some(u("alice")), &d),
            Ok(u("alice"))
        );
        assert_eq!(
            subject_for_request(&u("bob"), &basic, "bob@example.com", Some(u("bob")), &d),
            Ok(u("bob"))
        );
        // Helpdesk may request for anyone, so an unknown email is simply unknown.
        let helpdesk = RoleSet::new([Role::AccessRequestHelpdesk]);
        assert!(matches!(
            subject_for_request(&u("bob"), &helpdesk, "nobody@example.com", None, &d),
            Err(DomainError::UnknownValue { .. })
        ));
    }

    #[test]
    fn a_refused_reassignment_names_the_person_as_typed() {
        let refusal = reassignment_refusal(
            DomainError::InvalidReassignee {
                user: "17".into(),
                reason: "they are not an active user".into(),
            },
            " away@example.com ",
        );
        assert_eq!(
            refusal.to_string(),
            "away@example.com cannot be assigned this step: they are not an active user"
        );
        assert_eq!(
            reassignment_refusal(DomainError::CannotReassign, "x@example.com"),
            DomainError::CannotReassign
        );
    }
}
