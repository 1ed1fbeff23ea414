//! My requests, with live status: while any is open and the tab is visible the list refreshes
//! every few seconds; a request that closes also refreshes My access.

use leptos::prelude::*;

use super::PageActions;
use super::parts::{emergency_badge, status_label};
use crate::api::requests::my_requests;
use crate::components::async_list::list_or_empty;
use crate::components::time::utc_minute_ms;
use crate::shapes::RequestSummary;

#[component]
pub(super) fn MyRequests() -> impl IntoView {
    let PageActions {
        complete,
        created,
        closed,
        ..
    } = expect_context();
    // Live status: while any of my requests is open and the tab is visible, refresh every few
    // seconds; once all are closed the timer does nothing. Effects never run on the server.
    let tick = RwSignal::new(0_u32);
    let any_open = RwSignal::new(false);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if any_open.get_untracked() && !document().hidden() {
                    tick.update(|t| *t = t.wrapping_add(1));
                }
            },
            std::time::Duration::from_secs(4),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let mine = Resource::new(
        move || (created.version(), complete.version().get(), tick.get()),
        |_| my_requests(),
    );
    Effect::new(move |_| {
        if let Some(Ok(rows)) = mine.get() {
            any_open.set(rows.iter().any(|r| r.outcome.is_none()));
            let n = rows.iter().filter(|r| r.outcome.is_some()).count();
            if closed.get_untracked() != n {
                closed.set(n);
            }
        }
    });
    view! {
        <section id="my-requests">
            <h2>"My requests"</h2>
            // A transition keeps the table on screen while the periodic refresh loads.
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    list_or_empty(mine.await, "You have not requested anything yet.", |rows| view! {
                        <RequestTable rows/>
                    })
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RequestTable(rows: Vec<RequestSummary>) -> impl IntoView {
    view! {
        <table class="list">
            <thead><tr><th>"Request"</th><th>"Access"</th><th>"For"</th><th>"Length"</th><th>"Status"</th><th>"Created"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| view! { <RequestRow r/> }).collect_view()}
            </tbody>
        </table>
    }
}

/// One of my requests: what, for whom, how long, where it is.
#[component]
fn RequestRow(r: RequestSummary) -> impl IntoView {
    let href = format!("/requests/{}", r.number);
    let status = status_label(&r);
    view! {
        <tr data-request=r.number.clone()>
            <td><a href=href>{r.number.clone()}</a>{emergency_badge(r.emergency)}</td>
            <td>{format!("{} — {}", r.app, r.entitlement)}</td>
            <td>{r.subject.clone()}</td>
            <td>{r.length.clone()}</td>
            <td class="status" data-status=status.clone()>{status.clone()}</td>
            <td>{utc_minute_ms(r.created_at)}</td>
        </tr>
    }
}
