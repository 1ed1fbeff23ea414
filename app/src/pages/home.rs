use leptos::prelude::*;
use leptos_meta::Title;

use crate::session::CurrentUserResource;

/// The start page: where each part of the console is.
#[component]
pub fn HomePage() -> impl IntoView {
    let user = expect_context::<CurrentUserResource>().0;
    view! {
        <Title text=""/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let name = match user.await {
                    Ok(Some(user)) => user.name,
                    _ => String::new(),
                };
                view! { <h1>"Welcome, " {name}</h1> }
            })}
        </Suspense>
        <p class="lead">
            "Latch grants access just in time: people ask for what they need, for as long as they need it, and it is removed when the time is up."
        </p>
        <div class="cards">
            <a class="card" href="/requests">
                <h2>"Requests"</h2>
                <p>"Ask for time-bound access and follow your requests and approvals."</p>
            </a>
            <a class="card" href="/access-reviews">
                <h2>"Access reviews"</h2>
                <p>"Certify who still needs the access they hold."</p>
            </a>
            <a class="card" href="/apps">
                <h2>"Apps"</h2>
                <p>"The applications and entitlements people can request."</p>
            </a>
        </div>
    }
}
