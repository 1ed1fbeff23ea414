use leptos::prelude::*;

use crate::error::AppError;
use crate::session::CurrentUser;

/// Who is signed in, or `None`. The server's session middleware has already resolved it.
#[server(endpoint = "session/current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    Ok(crate::ssr::auth::current_user())
}
