//! Active grants across the organisation, filterable, with revoke.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::catalog::list_apps;
use crate::api::grants::{RevokeGrant, list_grants};
use crate::components::async_list::list_or_empty;
use crate::components::forms::ActionError;
use crate::components::require::RequireSuperAdmin;
use crate::shapes::GrantRow;

#[component]
pub fn GrantsPage() -> impl IntoView {
    let query = use_query_map();
    let revoke = ServerAction::<RevokeGrant>::new();
    let grants = Resource::new(
        move || (query.get(), revoke.version().get()),
        |(q, _)| {
            let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
            list_grants(
                get("app_id"),
                get("entitlement_id"),
                get("user_email"),
                get("expiring_within_days").and_then(|d| d.parse().ok()),
                get("include_removed"),
            )
        },
    );
    view! {
        <Title text="Grants"/>
        <RequireSuperAdmin>
            <h1>"Active grants"</h1>
            <GrantFilters/>
            <ActionError action=revoke/>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    list_or_empty(grants.await, "No grants match.", |rows| view! {
                        <table class="list">
                            <thead><tr><th>"Who"</th><th>"Access"</th><th>"Status"</th><th>"Remaining"</th><th></th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|g| view! { <GrantItem g revoke/> }).collect_view()}
                            </tbody>
                        </table>
                    })
                })}
            </Suspense>
        </RequireSuperAdmin>
    }
}

/// The filter form; it submits as a plain GET, so the selection is in the address.
#[component]
fn GrantFilters() -> impl IntoView {
    let query = use_query_map();
    let catalog = Resource::new(|| (), |_| list_apps());
    view! {
        <form method="get" class="filters">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let apps = catalog.await.unwrap_or_default();
                    let chosen = |k: &'static str| query.with_untracked(|q| q.get(k).unwrap_or_default());
                    let (app_now, ent_now) = (chosen("app_id"), chosen("entitlement_id"));
                    let entitlements: Vec<(String, String)> = apps
                        .iter()
                        .flat_map(|l| l.entitlements.iter().map(move |e| (e.id.to_string(), format!("{} — {}", l.app.name, e.display_name))))
                        .collect();
                    view! {
                        <label>"App"
                            <select name="app_id">
                                <option value="">"Any"</option>
                                {apps.iter().map(|l| {
                                    let id = l.app.id.to_string();
                                    let selected = id == app_now;
                                    view! { <option value=id selected=selected>{l.app.name.clone()}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        <label>"Entitlement"
                            <select name="entitlement_id">
                                <option value="">"Any"</option>
                                {entitlements.into_iter().map(|(id, label)| {
                                    let selected = id == ent_now;
                                    view! { <option value=id selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    }
                })}
            </Suspense>
            <label>"User email"<input name="user_email" value=move || query.with(|q| q.get("user_email").unwrap_or_default())/></label>
            <label>"Expiring within (days)"<input name="expiring_within_days" type="number" min="0" value=move || query.with(|q| q.get("expiring_within_days").unwrap_or_default())/></label>
            <label class="inline"><input type="checkbox" name="include_removed" value="on"/>" Include removed"</label>
            <button type="submit" class="button">"Filter"</button>
        </form>
    }
}

/// One grant, revocable while the rules allow it (until it is removed).
#[component]
fn GrantItem(g: GrantRow, revoke: ServerAction<RevokeGrant>) -> impl IntoView {
    let gid = g.id.clone();
    view! {
        <tr data-grant=g.id.clone()>
            <td>{g.subject.clone()}</td>
            <td>{format!("{} — {}", g.app, g.entitlement)}</td>
            <td>{g.status_label.clone()}</td>
            <td>{g.remaining.clone()}</td>
            <td>{g.actions.revoke.then(|| view! {
                <ActionForm action=revoke attr:class="inline">
                    <input type="hidden" name="id" value=gid/>
                    <button type="submit" class="button">"Revoke"</button>
                </ActionForm>
            })}</td>
        </tr>
    }
}

crate::pages::lazy_page!(GrantsRoute, GrantsPage);
