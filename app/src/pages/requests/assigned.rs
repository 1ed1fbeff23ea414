//! Assigned to me: requests waiting for the viewer's decision, each with approve / deny (and
//! an optional shorter length) in place.

use leptos::prelude::*;

use super::PageActions;
use super::parts::{ShortenField, emergency_badge};
use crate::api::approvals::assigned_to_me;
use crate::components::async_list::list_or_empty;
use crate::components::forms::ActionError;
use crate::shapes::RequestSummary;

#[component]
pub(super) fn AssignedToMe() -> impl IntoView {
    let PageActions { decide, .. } = expect_context();
    let assigned = Resource::new(move || decide.version().get(), |_| assigned_to_me());
    view! {
        <section id="assigned">
            <h2>"Assigned to me"</h2>
            <ActionError action=decide/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    list_or_empty(assigned.await, "Nothing is waiting for your decision.", |rows| view! {
                        <ul class="assigned">
                            {rows.into_iter().map(|r| view! { <AssignedItem r/> }).collect_view()}
                        </ul>
                    })
                })}
            </Suspense>
        </section>
    }
}

/// One request waiting for my decision.
#[component]
fn AssignedItem(r: RequestSummary) -> impl IntoView {
    let PageActions { decide, .. } = expect_context();
    let step = r.current_step.map(|s| s + 1).unwrap_or(1).to_string();
    let list_id = format!("shorter-{}", r.number);
    view! {
        <li data-request=r.number.clone()>
            <a href=format!("/requests/{}", r.number)>{r.number.clone()}</a>
            {emergency_badge(r.emergency)}
            {format!(" {} asks for {} — {} ({}) ", r.subject, r.app, r.entitlement, r.length)}
            <ActionForm action=decide attr:class="inline">
                <input type="hidden" name="id" value=r.id.clone()/>
                <input type="hidden" name="step" value=step/>
                <input name="reason" placeholder="Reason"/>
                <ShortenField list_id length=r.length.clone() shorter=r.shorter_lengths.clone()/>
                <button type="submit" name="verdict" value="approved" class="button primary">"Approve"</button>
                <button type="submit" name="verdict" value="denied" class="button">"Deny"</button>
            </ActionForm>
        </li>
    }
}
