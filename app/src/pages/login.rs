use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// What the login form says after a failed attempt. The server redirects back here with
/// `?error=<code>`; the codes are the only thing the URL carries.
pub fn login_error_message(code: &str) -> Option<&'static str> {
    match code {
        "invalid" => Some("Wrong email or password."),
        "throttled" => {
            Some("Too many failed sign-in attempts. Wait a few minutes before trying again.")
        }
        "missing" => Some("Enter your email and password."),
        _ => None,
    }
}

/// The sign-in form. A plain HTML form posting to `/auth/login`, so it works without JavaScript.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next").unwrap_or_default());
    let error = move || query.with(|q| q.get("error").and_then(|c| login_error_message(&c)));
    let signed_out = move || query.with(|q| q.get("signed_out").is_some());

    view! {
        <Title text="Sign in"/>
        <main class="auth-page">
            <form class="auth-card" method="post" action="/auth/login">
                <h1>"Sign in to Latch"</h1>
                <Show when=signed_out>
                    <p class="notice" role="status">"You have signed out."</p>
                </Show>
                {move || error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                <input type="hidden" name="next" prop:value=next value=next/>
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required autofocus/>
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <button type="submit" class="button primary">"Sign in"</button>
            </form>
        </main>
    }
}
