//! The audit log: filters, and CSV / JSON export of the same selection.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::audit::list_audit;
use crate::components::async_list::list_or_empty;
use crate::components::require::RequireSuperAdmin;
use crate::components::time::utc_minute_ms;
use crate::shapes::AuditRow;

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |k: &'static str| query.with(|q| q.get(k).unwrap_or_default());
    let events = Resource::new(
        move || query.get(),
        |q| {
            let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
            list_audit(get("action"), get("target"), get("actor"))
        },
    );
    let export = move |format: &'static str| {
        let q = query.with(|q| q.to_query_string());
        let q = q.trim_start_matches('?').to_string();
        if q.is_empty() {
            format!("/admin/audit/export?format={format}")
        } else {
            format!("/admin/audit/export?format={format}&{q}")
        }
    };
    view! {
        <Title text="Audit log"/>
        <RequireSuperAdmin>
            <h1>"Audit log"</h1>
            <form method="get" class="filters">
                <label>"Action starts with"<input name="action" value=move || field("action") placeholder="request."/></label>
                <label>"Target contains"<input name="target" value=move || field("target") placeholder="REQ-12"/></label>
                <label>"Actor"<input name="actor" value=move || field("actor") placeholder="user:3 or system"/></label>
                <button type="submit" class="button">"Filter"</button>
            </form>
            <p>
                <a href=move || export("csv") rel="external" download="latch-audit.csv">"Export CSV"</a>
                " · "
                <a href=move || export("json") rel="external" download="latch-audit.json">"Export JSON"</a>
            </p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    list_or_empty(events.await, "No events match.", |rows| view! {
                        <table class="list audit">
                            <thead><tr><th>"#"</th><th>"When"</th><th>"Actor"</th><th>"Action"</th><th>"Target"</th><th>"Rule"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|e| view! { <AuditItem e/> }).collect_view()}
                            </tbody>
                        </table>
                    })
                })}
            </Suspense>
        </RequireSuperAdmin>
    }
}

/// One audit event. The export carries the exact timestamp; the page shows it to the minute,
/// like every other time in the console.
#[component]
fn AuditItem(e: AuditRow) -> impl IntoView {
    view! {
        <tr data-action=e.action.clone()>
            <td>{e.seq}</td>
            <td>{utc_minute_ms(e.at)}</td>
            <td>{e.actor.clone()}</td>
            <td>{e.action.clone()}</td>
            <td>{e.target.clone()}</td>
            <td>{e.rule.clone().unwrap_or_default()}</td>
        </tr>
    }
}

crate::pages::lazy_page!(AuditRoute, AuditPage);
