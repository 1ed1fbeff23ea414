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
