//! Provisioning tasks: access to add or remove by hand, with the app's instructions and the
//! provisioner's answer (done, won't do, errored).

use leptos::prelude::*;

use super::PageActions;
use crate::api::grants::my_tasks;
use crate::components::async_list::list_or_empty;
use crate::components::forms::ActionError;
use crate::domain::TaskKind;
use crate::shapes::TaskRow;

#[component]
pub(super) fn MyTasks() -> impl IntoView {
    let PageActions { complete, .. } = expect_context();
    let tasks = Resource::new(move || complete.version().get(), |_| my_tasks());
    view! {
        <section id="tasks">
            <h2>"Provisioning tasks"</h2>
            <ActionError action=complete/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    list_or_empty(tasks.await, "No provisioning tasks for you.", |rows| view! {
                        <ul class="tasks">
                            {rows.into_iter().map(|t| view! { <TaskItem t/> }).collect_view()}
                        </ul>
                    })
                })}
            </Suspense>
        </section>
    }
}

/// One open provisioning task and the provisioner's answers.
#[component]
fn TaskItem(t: TaskRow) -> impl IntoView {
    let PageActions { complete, .. } = expect_context();
    let provision = match t.kind {
        TaskKind::Provision => true,
        TaskKind::Deprovision => false,
    };
    let id = t.id.clone();
    view! {
        <li data-task=t.id.clone()>
            {format!("{}: {} — {} for {} ({}) ", if provision { "Provision" } else { "Remove" }, t.app, t.entitlement, t.subject, t.state)}
            {t.instructions_html.clone().map(|html| view! { <div class="instructions markdown" inner_html=html></div> })}
            {t.actions.complete.then(|| view! {
                <ActionForm action=complete attr:class="inline">
                    <input type="hidden" name="id" value=id/>
                    <input name="note" placeholder="Note"/>
                    <button type="submit" name="outcome" value="done" class="button primary">{if provision { "Provisioned" } else { "Deprovisioned" }}</button>
                    <button type="submit" name="outcome" value="wont_do" class="button">{if provision { "Won't do" } else { "Won't deprovision" }}</button>
                    <button type="submit" name="outcome" value="errored" class="button">"Errored"</button>
                </ActionForm>
            })}
        </li>
    }
}
