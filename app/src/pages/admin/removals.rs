//! Every grant whose removal is overdue: past its end, or its removal errored, was refused or is
//! waiting too long. Each row says who holds what, since when it should be gone, the open task and
//! who may complete it, and the last error, so nothing stuck stays out of sight.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::grants::{RevokeGrant, overdue_removals};
use crate::components::async_list::list_or_empty;
use crate::components::forms::ActionError;
use crate::components::require::RequireSuperAdmin;
use crate::components::time::utc_minute_ms;
use crate::shapes::OverdueRemovalRow;

fn task_cell(r: &OverdueRemovalRow) -> String {
    match (&r.open_task, &r.task_state) {
        (None, _) => "no open task (the next sweep opens one)".into(),
        (Some(_), Some(state)) if r.escalation > 0 => {
            format!("{state} (escalated {}×)", r.escalation)
        }
        (Some(_), Some(state)) => state.clone(),
        (Some(id), None) => id.clone(),
    }
}

#[component]
pub fn RemovalsPage() -> impl IntoView {
    let revoke = ServerAction::<RevokeGrant>::new();
    let rows = Resource::new(move || revoke.version().get(), |_| overdue_removals());
    view! {
        <Title text="Overdue removals"/>
        <RequireSuperAdmin>
            <h1>"Overdue removals"</h1>
            <p class="hint">
                "Access that should be gone and is not confirmed removed. Each stays here until someone marks its task \"Deprovisioned\". Revoking again makes a release an admin's revocation and opens a task if none is open."
            </p>
            <ActionError action=revoke/>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    list_or_empty(rows.await, "No removal is overdue.", |rows| view! {
                        <table class="list">
                            <thead><tr>
                                <th>"Who"</th><th>"Access"</th><th>"Why"</th><th>"Ended"</th><th>"Overdue by"</th>
                                <th>"Task"</th><th>"Assignees"</th><th>"Last error"</th><th></th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! { <RemovalItem r revoke/> }).collect_view()}
                            </tbody>
                        </table>
                    })
                })}
            </Suspense>
        </RequireSuperAdmin>
    }
}

/// One overdue removal, with Revoke (again).
#[component]
fn RemovalItem(r: OverdueRemovalRow, revoke: ServerAction<RevokeGrant>) -> impl IntoView {
    let gid = r.grant_id.clone();
    let task = task_cell(&r);
    let assignees = if r.open_task.is_some() && r.assignees.is_empty() {
        "nobody (only the holder could; a Super Admin must step in)".to_string()
    } else {
        r.assignees.join(", ")
    };
    view! {
        <tr data-grant=r.grant_id.clone()>
            <td>{r.subject.clone()}</td>
            <td>{format!("{} — {}", r.app, r.entitlement)}</td>
            <td>{r.reason.as_str()}</td>
            <td>{r.ended_at.map(utc_minute_ms).unwrap_or_default()}</td>
            <td>{r.overdue_for.clone()}</td>
            <td>{task}</td>
            <td>{assignees}</td>
            <td>{r.last_error.clone().unwrap_or_default()}</td>
            <td>
                <ActionForm action=revoke attr:class="inline">
                    <input type="hidden" name="id" value=gid/>
                    <button type="submit" class="button">"Revoke"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

crate::pages::lazy_page!(RemovalsRoute, RemovalsPage);
