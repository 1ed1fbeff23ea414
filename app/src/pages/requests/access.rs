//! My access: what the person holds through Latch, with "I'm done" and extension requests.

use leptos::prelude::*;

use super::PageActions;
use crate::api::grants::my_grants;
use crate::components::async_list::list_or_empty;
use crate::components::forms::ActionError;
use crate::shapes::GrantRow;

#[component]
pub(super) fn MyAccess() -> impl IntoView {
    let PageActions {
        complete,
        release,
        closed,
        ..
    } = expect_context();
    let grants = Resource::new(
        move || {
            (
                complete.version().get(),
                release.version().get(),
                closed.get(),
            )
        },
        |_| my_grants(),
    );
    view! {
        <section id="my-access">
            <h2>"My access"</h2>
            <ActionError action=release/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    list_or_empty(grants.await, "You hold no access through Latch.", |rows| view! {
                        <ul class="grants">
                            {rows.into_iter().map(|g| view! { <GrantItem g/> }).collect_view()}
                        </ul>
                    })
                })}
            </Suspense>
        </section>
    }
}

/// One grant I hold: release it while active, or ask to extend a time-limited one.
#[component]
fn GrantItem(g: GrantRow) -> impl IntoView {
    let PageActions {
        create, release, ..
    } = expect_context();
    let gid = g.id.clone();
    let eid = g.entitlement_id.clone();
    view! {
        <li data-grant=g.id.clone()>
            {format!("{} — {}: {} ({}) ", g.app, g.entitlement, g.status_label, g.remaining)}
            {g.actions.release.then(|| view! {
                <ActionForm action=release attr:class="inline">
                    <input type="hidden" name="id" value=gid/>
                    <button type="submit" class="button">"I'm done"</button>
                </ActionForm>
            })}
            {g.actions.extend.then(|| view! {
                <details class="extend">
                    <summary>"Extend"</summary>
                    <ActionForm action=create attr:class="stacked">
                        <input type="hidden" name="entitlement_id" value=eid/>
                        <input type="hidden" name="extension" value="on"/>
                        <label>"Extend by"<input name="duration" placeholder="e.g. 1d"/></label>
                        <label>"Justification"<input name="justification" required/></label>
                        <button type="submit" class="button">"Request extension"</button>
                    </ActionForm>
                </details>
            })}
        </li>
    }
}
