//! The one place server-function plumbing lives (server only): who is calling, checkbox values,
//! and the HTTP status a failure answers with. Every `#[server]` body is
//! `respond(async move { let (db, actor) = signed_in()?; … }).await`.

use std::future::Future;

use crate::error::AppError;
use crate::ssr::Db;
use crate::ssr::access::Actor;

/// Runs a server function's work and gives a failure the HTTP status of its error (403, 409,
/// 422…) instead of the transport's default 500, so scripts and tests can tell "not allowed" from
/// "broken".
///
/// Except for a plain HTML form post (JavaScript off): there the server-function layer answers
/// with a redirect back to the page, the error in its address, and the page shows it next to the
/// form; setting the status would turn that redirect into a bare error body.
pub async fn respond<T>(work: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = work.await;
    if let Err(error) = &result
        && !is_html_form_post()
    {
        crate::components::status::set_status(error.status());
    }
    result
}

/// The database and the signed-in person (401 when signed out).
pub fn signed_in() -> Result<(Db, Actor), AppError> {
    let user = crate::ssr::auth::require_user()?;
    Ok((crate::ssr::state()?.db, Actor::new(user)))
}

/// As [`signed_in`], for Super Admins only (403 otherwise).
pub fn super_admin() -> Result<(Db, Actor), AppError> {
    let user = crate::ssr::auth::require_super_admin()?;
    Ok((crate::ssr::state()?.db, Actor::new(user)))
}

/// A checkbox posts "on" when ticked and nothing otherwise; scripts may post "true"/"false".
pub fn checked(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "false")
}

/// A plain HTML form post (JavaScript off): the answer will be a redirect back to the page.
pub fn is_html_form_post() -> bool {
    leptos::prelude::use_context::<http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
    })
}

#[cfg(test)]
mod tests {
    use super::checked;

    #[test]
    fn a_checkbox_is_ticked_by_any_value_but_empty_or_false() {
        assert!(checked(&Some("on".into())));
        assert!(checked(&Some("true".into())));
        assert!(!checked(&Some(String::new())));
        assert!(!checked(&Some("false".into())));
        assert!(!checked(&None));
    }
}
