//! Error pages that keep the console layout and never show internals.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::error::AppError;

/// Sets the HTTP status of the server-rendered response (no-op in the browser).
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    {
        if let (Some(options), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(code),
        ) {
            options.set_status(status);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Not found"/>
        <section class="status-page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. Check the link, or go back to the start."</p>
            <p><a href="/">"Go to the start page"</a></p>
        </section>
    }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    set_status(403);
    view! {
        <Title text="Not allowed"/>
        <section class="status-page" data-status="403">
            <h1>"You don't have access to this page"</h1>
            <p>"This area is for Super Admins. Ask one of them if you need something changed here."</p>
            <p><a href="/">"Go to the start page"</a></p>
        </section>
    }
}

/// The 500 page. Given the error that caused it, it shows the request id to quote, the one the
/// server logged the cause under.
#[component]
pub fn ServerError(#[prop(optional)] error: Option<AppError>) -> impl IntoView {
    set_status(500);
    let id = error.and_then(|e| e.internal_id().map(str::to_string));
    view! {
        <Title text="Something went wrong"/>
        <section class="status-page">
            <h1>"Something went wrong"</h1>
            <p>"Latch could not show this page. The details are in the server log; try again in a moment."</p>
            {id.map(|id| view! {
                <p>"If it keeps happening, quote this id: "<code class="request-id">{id}</code></p>
            })}
        </section>
    }
}
