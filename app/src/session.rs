//! Who is signed in: the shape shared by the server and the browser.

use serde::{Deserialize, Serialize};

use crate::domain::{Role, RoleSet};

/// The signed-in person, as every page and server function sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// The account's tier: `SuperAdmin` or `BasicUser` (the domain's one `Role` type).
    pub role: Role,
    /// Roles granted on top of the tier (today the Campaign Administrator), read with the account
    /// on every request, so a grant or removal reaches open sessions at once.
    #[serde(default)]
    pub granted_roles: Vec<Role>,
}

impl CurrentUser {
    pub fn is_super_admin(&self) -> bool {
        self.role == Role::SuperAdmin
    }

    /// The roles the access rules check (`BasicUser` is always among them).
    pub fn roles(&self) -> RoleSet {
        RoleSet::new(std::iter::once(self.role).chain(self.granted_roles.iter().copied()))
    }

    /// The role shown beside the person's name: the tier, or for a plain user the first role
    /// granted on top of it.
    pub fn title(&self) -> Role {
        match self.granted_roles.first() {
            Some(granted) if self.role == Role::BasicUser => *granted,
            _ => self.role,
        }
    }
}

/// The signed-in person, loaded once per page (in `shell::App`) and shared by the layout and the
/// pages.
#[derive(Clone, Copy)]
pub struct CurrentUserResource(
    pub leptos::prelude::OnceResource<Result<Option<CurrentUser>, crate::error::AppError>>,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn account(role: Role, granted_roles: Vec<Role>) -> CurrentUser {
        CurrentUser {
            id: 7,
            email: "ada@example.com".into(),
            name: "Ada".into(),
            role,
            granted_roles,
        }
    }

    #[test]
    fn granted_roles_add_up_with_the_tier_and_name_a_plain_users_title() {
        let lead = account(Role::BasicUser, vec![Role::CampaignAdmin]);
        assert_eq!(
            lead.roles(),
            RoleSet::new([Role::BasicUser, Role::CampaignAdmin])
        );
        assert!(!lead.is_super_admin());
        assert_eq!(lead.title(), Role::CampaignAdmin);
        let plain = account(Role::BasicUser, Vec::new());
        assert_eq!(plain.roles(), RoleSet::new([]));
        assert_eq!(plain.title(), Role::BasicUser);
        let admin = account(Role::SuperAdmin, vec![Role::CampaignAdmin]);
        assert_eq!(admin.title(), Role::SuperAdmin);
        assert!(admin.roles().is_super_admin());
    }
}
