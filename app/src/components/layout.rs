//! The console frame: header with the signed-in person and sign out, navigation, content.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::session::CurrentUser;
use crate::session::CurrentUserResource;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let user = expect_context::<CurrentUserResource>().0;
    let nav_open = RwSignal::new(true);
    // Flips to true only in the browser, once hydration has attached the event handlers; the
    // browser tests wait for it before clicking.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <div class="app" data-hydrated=move || hydrated.get().to_string()>
            <header class="topbar">
                <button
                    type="button"
                    class="nav-toggle"
                    aria-controls="primary-nav"
                    aria-expanded=move || nav_open.get().to_string()
                    on:click=move |_| nav_open.update(|open| *open = !*open)
                >
                    <span class="visually-hidden">"Toggle navigation"</span>
                    "☰"
                </button>
                <A href="/" attr:class="brand">
                    "Latch"
                </A>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match user.await {
                            Ok(Some(user)) => view! { <SignedInAs user/> }.into_any(),
                            _ => ().into_any(),
                        }
                    })}
                </Suspense>
            </header>
            <div class="frame">
                <nav id="primary-nav" class="nav" class:collapsed=move || !nav_open.get()>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let is_admin = matches!(&user.await, Ok(Some(u)) if u.is_super_admin());
                            view! { <NavLinks is_admin/> }
                        })}
                    </Suspense>
                </nav>
                <main class="content">{children()}</main>
            </div>
        </div>
    }
}

#[component]
fn NavLinks(is_admin: bool) -> impl IntoView {
    view! {
        <ul>
            <NavLink href="/requests" label="Requests"/>
            <NavLink href="/access-reviews" label="Access reviews"/>
            <NavLink href="/apps" label="Apps"/>
        </ul>
        <Show when=move || is_admin>
            <p class="nav-heading">"Admin"</p>
            <ul>
                <NavLink href="/admin/directory" label="Directory"/>
                <NavLink href="/admin/policies" label="Policies"/>
                <NavLink href="/admin/grants" label="Grants"/>
                <NavLink href="/admin/removals" label="Overdue removals"/>
                <NavLink href="/admin/audit" label="Audit log"/>
                <NavLink href="/admin/tokens" label="API tokens"/>
                <NavLink href="/admin/settings" label="Settings"/>
                <NavLink href="/admin/settings/notifications" label="Notifications"/>
            </ul>
        </Show>
    }
}

#[component]
fn NavLink(href: &'static str, label: &'static str) -> impl IntoView {
    let location = use_location();
    let current = move || location.pathname.get() == href;
    view! {
        <li>
            <a href=href class:active=current aria-current=move || current().then_some("page")>
                {label}
            </a>
        </li>
    }
}

#[component]
fn SignedInAs(user: CurrentUser) -> impl IntoView {
    view! {
        <div class="account">
            <span class="account-name" title=user.email.clone()>
                {user.name.clone()}
            </span>
            <span class="account-role">{user.title().label()}</span>
            <form method="post" action="/auth/logout" class="inline">
                <button type="submit" class="button-link">
                    "Sign out"
                </button>
            </form>
        </div>
    }
}
