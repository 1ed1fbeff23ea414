//! The catalog: apps and their entitlements with their whole configuration. Everyone sees what
//! they could request; Super Admins add apps and entitlements on /apps and edit them on each
//! app's page (/apps/:slug), in forms filled with the current values ([`forms`]).

mod describe;
mod forms;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::catalog::catalog_overview;
use crate::components::async_list::loaded;
use crate::components::forms::Saved;
use crate::domain::Entitlement;
use crate::session::CurrentUserResource;
use crate::shapes::{AppListing, CatalogOverview};
use describe::app_card;
use forms::{AppForm, EntitlementForm, GrantCap};

#[component]
pub fn AppsPage() -> impl IntoView {
    let user = expect_context::<CurrentUserResource>().0;
    let saved = Saved::new();
    let overview = Resource::new(move || saved.version(), |_| catalog_overview());

    view! {
        <Title text="Apps"/>
        <h1>"Apps"</h1>
        {saved.notice()}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let is_admin = matches!(user.await, Ok(Some(u)) if u.is_super_admin());
                loaded(overview.await, |o| {
                    let app_options: Vec<(String, String)> = o.apps.iter().map(|l| (l.app.id.to_string(), l.app.name.clone())).collect();
                    view! {
                        <GrantCap cap=o.grant_cap_days is_admin saved/>
                        {o.apps.is_empty().then(|| view! { <p class="empty-state">"The catalog is empty."</p> })}
                        {o.apps.iter().map(|l| app_card(l, &o, true, is_admin)).collect_view()}
                        {is_admin.then(|| view! {
                            <section class="card" id="new-app">
                                <h2>"Add an app"</h2>
                                <AppForm existing=None overview=o.clone() saved=saved/>
                            </section>
                            <section class="card" id="new-entitlement">
                                <h2>"Add an entitlement"</h2>
                                <EntitlementForm existing=None app_id=None apps=app_options overview=o.clone() saved=saved/>
                            </section>
                        })}
                    }
                })
            })}
        </Suspense>
    }
}

/// One app: its configuration, and for Super Admins the forms to edit it and its entitlements.
#[component]
pub fn AppPage() -> impl IntoView {
    let user = expect_context::<CurrentUserResource>().0;
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let saved = Saved::new();
    let overview = Resource::new(move || saved.version(), |_| catalog_overview());

    view! {
        <p class="breadcrumbs"><a href="/apps">"Apps"</a></p>
        {saved.notice()}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let is_admin = matches!(user.await, Ok(Some(u)) if u.is_super_admin());
                let slug = slug();
                loaded(overview.await, |o| {
                    match o.apps.iter().find(|l| l.app.slug.as_str() == slug).cloned() {
                        Some(l) => view! { <AppDetails l o is_admin saved/> }.into_any(),
                        None => view! { <AppNotFound/> }.into_any(),
                    }
                })
            })}
        </Suspense>
    }
}

/// The app page for an address no app has.
#[component]
fn AppNotFound() -> impl IntoView {
    crate::components::status::set_status(404);
    view! {
        <Title text="App not found"/>
        <h1>"App not found"</h1>
        <p>"There is no app at this address. It may have been renamed; see "<a href="/apps">"all apps"</a>"."</p>
    }
}

/// An app's page: its card, and for Super Admins its edit form, one edit form per entitlement
/// and the form that adds one.
#[component]
fn AppDetails(l: AppListing, o: CatalogOverview, is_admin: bool, saved: Saved) -> impl IntoView {
    let app_id = l.app.id.to_string();
    view! {
        <Title text=l.app.name.clone()/>
        <h1>{l.app.name.clone()}</h1>
        {app_card(&l, &o, false, is_admin)}
        {is_admin.then(|| view! {
            <section class="card" id="edit-app">
                <h2>"Edit " {l.app.name.clone()}</h2>
                <AppForm existing=Some(l.clone()) overview=o.clone() saved=saved/>
            </section>
            {l.entitlements.iter().filter_map(|e| e.admin.clone()).map(|a| view! {
                <EditEntitlement
                    e=a.stored
                    version=a.version
                    app_id=app_id.clone()
                    o=o.clone()
                    saved
                />
            }).collect_view()}
            <section class="card" id="new-entitlement">
                <h2>"Add an entitlement to " {l.app.name.clone()}</h2>
                <EntitlementForm existing=None app_id=Some(app_id.clone()) apps=Vec::new() overview=o.clone() saved=saved/>
            </section>
        })}
    }
}

/// One entitlement's edit form, folded until opened.
#[component]
fn EditEntitlement(
    e: Entitlement,
    version: u64,
    app_id: String,
    o: CatalogOverview,
    saved: Saved,
) -> impl IntoView {
    view! {
        <details class="card edit-entitlement" id=format!("edit-{}", e.slug) data-edit-entitlement=e.slug.to_string()>
            <summary>"Edit entitlement " {e.picker_label()}</summary>
            <EntitlementForm existing=Some(e.clone()) version app_id=Some(app_id) apps=Vec::new() overview=o saved=saved/>
        </details>
    }
}

crate::pages::lazy_page!(AppsRoute, AppsPage);
crate::pages::lazy_page!(AppRoute, AppPage);
