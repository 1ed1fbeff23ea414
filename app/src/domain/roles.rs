//! Roles and the permission checks the request flow needs.
//!
//! Roles are additive, with one exception: a Read-Only Admin (for auditors) sees everything but can
//! never request access or complete tasks, whatever else they hold, unless they are also a Super Admin.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use super::catalog::App;
use super::directory::Directory;
use super::error::{DomainError, DomainResult};
use super::ids::UserId;

string_enum! {
    pub enum Role: "role" {
        /// Everyone's default: request for themselves (and their reports, if a manager), approve what is
        /// assigned to them, complete assigned provisioning tasks.
        BasicUser => "basic_user",
        /// Basic User plus requests for any active user.
        AccessRequestHelpdesk => "access_request_helpdesk",
        /// Profiles and enrollment, plus requests for anyone.
        AccessRequestAdmin => "access_request_admin",
        /// Apps they own.
        ApplicationAdmin => "application_admin",
        CampaignAdmin => "campaign_admin",
        ConnectorAdmin => "connector_admin",
        /// Views everything; cannot request or complete tasks.
        ReadOnlyAdmin => "read_only_admin",
        /// Everything.
        SuperAdmin => "super_admin",
    }
}

impl Role {
    /// How the role is shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::BasicUser => "User",
            Role::AccessRequestHelpdesk => "Access Request Helpdesk",
            Role::AccessRequestAdmin => "Access Request Admin",
            Role::ApplicationAdmin => "Application Admin",
            Role::CampaignAdmin => "Campaign Administrator",
            Role::ConnectorAdmin => "Connector Admin",
            Role::ReadOnlyAdmin => "Read-Only Admin",
            Role::SuperAdmin => "Super Admin",
        }
    }
}

/// The roles one user holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoleSet(BTreeSet<Role>);

impl RoleSet {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        let mut set: BTreeSet<Role> = roles.into_iter().collect();
        set.insert(Role::BasicUser);
        RoleSet(set)
    }

    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn is_super_admin(&self) -> bool {
        self.has(Role::SuperAdmin)
    }

    /// True for auditors: they may look but not act.
    pub fn is_read_only(&self) -> bool {
        self.has(Role::ReadOnlyAdmin) && !self.is_super_admin()
    }

    /// May file requests for any active user.
    pub fn can_request_for_anyone(&self) -> bool {
        self.has(Role::AccessRequestHelpdesk)
            || self.has(Role::AccessRequestAdmin)
            || self.is_super_admin()
    }

    /// Fails for read-only admins; call before any request, decision or task completion.
    pub fn check_can_act(&self) -> DomainResult<()> {
        if self.is_read_only() {
            Err(DomainError::ReadOnlyAdmin)
        } else {
            Ok(())
        }
    }

    /// Application Admins act only on apps they own; Super Admins on all.
    pub fn can_manage_app(&self, user: &UserId, app: &App) -> bool {
        self.is_super_admin() || (self.has(Role::ApplicationAdmin) && app.owners.contains(user))
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }
}

/// Who may request access for whom: anyone for themselves; managers for their reports; helpdesk and
/// admins for anyone. The subject must be active: requests for suspended or deleted users are refused.
pub fn check_can_request_for(
    roles: &RoleSet,
    requester: &UserId,
    subject: &UserId,
    directory: &dyn Directory,
) -> DomainResult<()> {
    roles.check_can_act()?;
    if !directory.is_active(requester) {
        return Err(DomainError::UserNotActive {
            user: requester.to_string(),
            status: status_str(directory, requester),
            action: "request access".into(),
        });
    }
    if requester != subject
        && !roles.can_request_for_anyone()
        && !directory.is_manager_of(requester, subject)
    {
        return Err(DomainError::CannotRequestForOthers {
            hint: " or for your direct reports".into(),
        });
    }
    if !directory.is_active(subject) {
        return Err(DomainError::UserNotActive {
            user: subject.to_string(),
            status: status_str(directory, subject),
            action: "receive access".into(),
        });
    }
    Ok(())
}

pub(crate) fn status_str(directory: &dyn Directory, user: &UserId) -> String {
    directory
        .user_status(user)
        .map_or("unknown", |s| s.as_str())
        .to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::policy::tests::{directory, u};
    use super::*;

    #[test]
    fn anyone_may_request_for_themselves_and_managers_for_their_reports() {
        let d = directory();
        let basic = RoleSet::new([]);
        assert!(check_can_request_for(&basic, &u("alice"), &u("alice"), &d).is_ok());
        assert!(check_can_request_for(&basic, &u("mgr"), &u("alice"), &d).is_ok());
        assert!(matches!(
            check_can_request_for(&basic, &u("bob"), &u("alice"), &d),
            Err(DomainError::CannotRequestForOthers { .. })
        ));
        let helpdesk = RoleSet::new([Role::AccessRequestHelpdesk]);
        assert!(check_can_request_for(&helpdesk, &u("bob"), &u("alice"), &d).is_ok());
    }

    #[test]
    fn requests_for_suspended_or_deleted_users_are_refused() {
        let d = directory();
        let admin = RoleSet::new([Role::SuperAdmin]);
        let err = check_can_request_for(&admin, &u("admin"), &u("away"), &d).unwrap_err();
        assert_eq!(
            err.to_string(),
            "away is suspended and cannot receive access"
        );
        assert!(check_can_request_for(&admin, &u("gone"), &u("gone"), &d).is_err());
    }

    #[test]
    fn read_only_admins_cannot_request_or_complete_tasks() {
        let d = directory();
        let auditor = RoleSet::new([Role::ReadOnlyAdmin, Role::AccessRequestHelpdesk]);
        assert_eq!(
            check_can_request_for(&auditor, &u("alice"), &u("alice"), &d),
            Err(DomainError::ReadOnlyAdmin)
        );
        assert!(
            RoleSet::new([Role::ReadOnlyAdmin, Role::SuperAdmin])
                .check_can_act()
                .is_ok()
        );
    }

    #[test]
    fn application_admins_manage_only_apps_they_own() {
        let app = super::super::catalog::tests::app();
        let r = RoleSet::new([Role::ApplicationAdmin]);
        assert!(r.can_manage_app(&u("app-owner"), &app));
        assert!(!r.can_manage_app(&u("bob"), &app));
        assert!(RoleSet::new([Role::SuperAdmin]).can_manage_app(&u("bob"), &app));
    }
}
