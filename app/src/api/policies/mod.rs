pub mod delete_policy;
pub mod list_policies;
pub mod policy_overview;
pub mod save_policy;

/// Like `ssr::access::with_status`, except for a plain HTML form post (JavaScript off): there the
/// server-function layer answers with a redirect back to the page, the error in its address, and
/// the page shows it next to the form; setting the status would turn that redirect into a bare
/// error body.
#[cfg(feature = "ssr")]
fn with_status_unless_form_post<T>(
    result: Result<T, crate::error::AppError>,
) -> Result<T, crate::error::AppError> {
    let form_post = leptos::prelude::use_context::<http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
    });
    if form_post {
        result
    } else {
        crate::ssr::access::with_status(result)
    }
}
