use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::check_setup_link;

fn setup_error_message(code: &str) -> Option<&'static str> {
    match code {
        "mismatch" => Some("The two passwords are different."),
        "weak" => Some("Choose a password of at least 12 characters."),
        "email" => Some("Enter a valid email address."),
        "name" => Some("Enter your name."),
        "taken" => Some("An account with this email already exists."),
        _ => None,
    }
}

/// First-run page: the one-time link that `latch serve` logs while no admin exists.
#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let link = Resource::new(token, check_setup_link);
    let error = move || query.with(|q| q.get("error").and_then(|c| setup_error_message(&c)));

    view! {
        <Title text="Set up Latch"/>
        <main class="auth-page">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match link.await {
                        Ok(true) => view! {
                            <form class="auth-card" method="post" action="/auth/setup">
                                <h1>"Create the first administrator"</h1>
                                <p>"This account becomes a Super Admin. The link stops working once it exists."</p>
                                {move || error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                                <input type="hidden" name="token" value=token/>
                                <label>"Name" <input type="text" name="name" required autocomplete="name"/></label>
                                <label>"Email" <input type="email" name="email" required autocomplete="username"/></label>
                                <label>"Password" <input type="password" name="password" required minlength="12" autocomplete="new-password"/></label>
                                <label>"Repeat password" <input type="password" name="password_confirm" required minlength="12" autocomplete="new-password"/></label>
                                <button type="submit" class="button primary">"Create administrator"</button>
                            </form>
                        }.into_any(),
                        _ => view! {
                            <section class="auth-card">
                                <h1>"This setup link is no longer valid"</h1>
                                <p>"An administrator already exists, or the link was replaced when Latch restarted. Sign in, or use the newest link from the server log."</p>
                                <p><a href="/login">"Go to sign in"</a></p>
                            </section>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

crate::pages::lazy_page!(SetupRoute, SetupPage);
