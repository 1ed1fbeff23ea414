//! Who is signed in: the shape shared by the server and the browser.

use serde::{Deserialize, Serialize};

/// A console role. Later features add owners, reviewers and auditors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    SuperAdmin,
    User,
}

impl Role {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::User => "user",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "super_admin" => Some(Role::SuperAdmin),
            "user" => Some(Role::User),
            _ => None,
        }
    }

    /// How the role is shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::SuperAdmin => "Super Admin",
            Role::User => "User",
        }
    }
}

/// The signed-in person, as every page and server function sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn is_super_admin(&self) -> bool {
        self.role == Role::SuperAdmin
    }
}

/// The signed-in person, loaded once per page (in `shell::App`) and shared by the layout and the
/// pages.
#[derive(Clone, Copy)]
pub struct CurrentUserResource(
    pub leptos::prelude::OnceResource<Result<Option<CurrentUser>, crate::error::AppError>>,
);
