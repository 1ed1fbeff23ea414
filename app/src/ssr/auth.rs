//! Who is calling. The server's session middleware resolves the signed-in account once per
//! request and stores it in the request extensions; pages and server functions read it here.

use leptos::prelude::*;

use crate::error::AppError;
use crate::session::CurrentUser;

/// The tower-sessions key holding the signed-in account's id.
pub const SESSION_USER_KEY: &str = "latch.user_id";

/// The signed-in person for the request being handled, if any.
pub fn current_user() -> Option<CurrentUser> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CurrentUser>().cloned())
}

/// The signed-in person, or 401.
pub fn require_user() -> Result<CurrentUser, AppError> {
    current_user().ok_or(AppError::Unauthenticated)
}

/// A signed-in Super Admin, or 401/403.
pub fn require_super_admin() -> Result<CurrentUser, AppError> {
    let user = require_user()?;
    if user.is_super_admin() {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}
