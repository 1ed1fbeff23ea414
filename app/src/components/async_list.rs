//! The three ways a loaded list can turn out (rows, none, or an error), written once so every
//! page says "nothing here" and "that failed" the same way.

use leptos::prelude::*;

use crate::error::AppError;

/// Renders `rows` with `render`; an empty list as `empty`; a failed load as an alert.
pub fn list_or_empty<T, V: IntoView + 'static>(
    rows: Result<Vec<T>, AppError>,
    empty: &'static str,
    render: impl FnOnce(Vec<T>) -> V,
) -> AnyView {
    match rows {
        Ok(rows) if rows.is_empty() => view! { <p class="empty-state">{empty}</p> }.into_any(),
        Ok(rows) => render(rows).into_any(),
        Err(e) => load_error(&e).into_any(),
    }
}

/// Renders a loaded value with `render`, or the load's error as an alert.
pub fn loaded<T, V: IntoView + 'static>(
    value: Result<T, AppError>,
    render: impl FnOnce(T) -> V,
) -> AnyView {
    match value {
        Ok(value) => render(value).into_any(),
        Err(e) => load_error(&e).into_any(),
    }
}

/// A load that failed, said where the data would have been.
pub fn load_error(error: &AppError) -> impl IntoView + use<> {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    /// The server-rendered HTML, without the hydration markers around dynamic text.
    fn html(view: AnyView) -> String {
        view.to_html().replace("<!>", "")
    }

    /// One `<p>` with class `error`, role `alert` and `message` as its text.
    fn is_alert(html: &str, message: &str) -> bool {
        html.starts_with("<p ")
            && html.contains(r#"class="error""#)
            && html.contains(r#"role="alert""#)
            && html.ends_with(&format!(">{message}</p>"))
    }

    #[test]
    fn an_empty_list_says_the_empty_line_and_renders_no_rows() {
        let out = html(list_or_empty(
            Ok(Vec::<u32>::new()),
            "No grants match.",
            |_| {
                view! { <ul class="rows"></ul> }
            },
        ));
        assert!(
            out.contains(r#"<p class="empty-state">No grants match.</p>"#),
            "{out}"
        );
        assert!(!out.contains("rows"), "{out}");
    }

    #[test]
    fn a_list_with_rows_renders_them_and_no_empty_line() {
        let out = html(list_or_empty(Ok(vec![1, 2]), "No grants match.", |rows| {
            view! { <ul>{rows.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul> }
        }));
        assert!(out.contains("<li>1</li><li>2</li>"), "{out}");
        assert!(!out.contains("empty-state"), "{out}");
    }

    #[test]
    fn a_failed_load_is_an_alert_with_the_error_message() {
        let error = AppError::NotFound("Request REQ-9".into());
        let out = html(list_or_empty(
            Err::<Vec<u32>, _>(error),
            "No grants match.",
            |_| (),
        ));
        assert!(is_alert(&out, "Request REQ-9 was not found."), "{out}");
        assert!(!out.contains("empty-state"), "{out}");
    }

    #[test]
    fn a_loaded_value_renders_and_a_failed_one_is_an_alert() {
        let out = html(loaded(Ok(7), |n| view! { <b>{n}</b> }));
        assert!(out.contains("<b>7</b>"), "{out}");
        let out = html(loaded(
            Err::<u32, _>(AppError::Invalid("Bad days".into())),
            |n| {
                view! { <b>{n}</b> }
            },
        ));
        assert!(is_alert(&out, "Bad days"), "{out}");
    }
}
