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
