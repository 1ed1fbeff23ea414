//! Who is signed in: the shape shared by the server and the browser.

use serde::{Deserialize, Serialize};

use crate::domain::{Role, RoleSet};

/// The signed-in person, as every page and server function sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// The account's role: `SuperAdmin` or `BasicUser` (the domain's one `Role` type; the
    /// other roles are added with the features that need them).
    pub role: Role,
}

impl CurrentUser {
    pub fn is_super_admin(&self) -> bool {
        self.role == Role::SuperAdmin
    }

    /// The roles the access rules check (`BasicUser` is always among them).
    pub fn roles(&self) -> RoleSet {
        RoleSet::new([self.role])
    }
}

/// The signed-in person, loaded once per page (in `shell::App`) and shared by the layout and the
/// pages.
#[derive(Clone, Copy)]
pub struct CurrentUserResource(
    pub leptos::prelude::OnceResource<Result<Option<CurrentUser>, crate::error::AppError>>,
);
