//! Groups: each with its members (each removable), a form to add more, what uses it, and
//! deletion; and the form that adds a group.

use leptos::prelude::*;

use super::DirectoryActions;
use crate::api::directory::{SaveGroup, list_groups};
use crate::components::async_list::list_or_empty;
use crate::components::forms::ActionError;
use crate::shapes::GroupView;

#[component]
pub(super) fn Groups() -> impl IntoView {
    let DirectoryActions {
        remove,
        delete,
        saved,
        ..
    } = expect_context();
    let groups = Resource::new(move || saved.version(), |_| list_groups());
    view! {
        <section class="card" id="groups">
            <h2>"Groups"</h2>
            <ActionError action=remove/>
            <ActionError action=delete/>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    list_or_empty(groups.await, "No groups yet.", |list| {
                        list.into_iter().map(|group| view! { <GroupCard group/> }).collect_view()
                    })
                })}
            </Suspense>
        </section>
    }
}

/// One group: its members (each removable), a form to add more, what uses it, and deletion.
#[component]
fn GroupCard(group: GroupView) -> impl IntoView {
    let DirectoryActions { delete, saved, .. } = expect_context();
    let add = ServerAction::<SaveGroup>::new();
    let add_form = NodeRef::<leptos::html::Form>::new();
    saved.after_save(add, Some(add_form), "Members added.");
    let g = group;
    let count = format!(
        "({} member{})",
        g.members.len(),
        if g.members.len() == 1 { "" } else { "s" }
    );
    let members = g
        .members
        .iter()
        .map(|(uid, email, person)| {
            view! {
                <MemberItem
                    group_id=g.id.clone()
                    group_name=g.name.clone()
                    user_id=*uid
                    email=email.clone()
                    person=person.clone()
                />
            }
        })
        .collect_view();
    let add_name = g.name.clone();
    let delete_id = g.id.clone();
    let delete_label = format!("Delete group {}", g.name);
    view! {
        <article class="group" data-group=g.name.clone()>
            <h3>{g.name.clone()} " " <small>{count}</small> " " {g.managed_by.clone().map(|file| view! { <span class="badge managed" data-testid="managed-in-code" title=format!("Managed in code: {file}. Change it in Git, or unlock console edits in Settings.")>"managed in code"</span> })}</h3>
            {g.members.is_empty().then(|| view! { <p class="muted">"No members."</p> })}
            <ul class="members">{members}</ul>
            <ActionForm action=add node_ref=add_form attr:class="inline">
                <input type="hidden" name="name" value=add_name/>
                <label>"Add members (emails)"<input name="members" required/></label>
                <button type="submit" class="button">"Add"</button>
            </ActionForm>
            <ActionError action=add/>
            {(!g.used_by.is_empty()).then(|| view! {
                <p class="muted">"Used by " {g.used_by.join("; ")} ". Change those before deleting the group."</p>
            })}
            <ActionForm action=delete attr:class="inline">
                <input type="hidden" name="group_id" value=delete_id/>
                <button type="submit" class="button danger">{delete_label}</button>
            </ActionForm>
        </article>
    }
}

/// One member of a group, with the button that removes them from it.
#[component]
fn MemberItem(
    group_id: String,
    group_name: String,
    user_id: i64,
    email: String,
    person: String,
) -> impl IntoView {
    let DirectoryActions { remove, .. } = expect_context();
    let label = format!("Remove {email} from {group_name}");
    view! {
        <li data-member=email.clone()>
            {person} " " <small>{email.clone()}</small> " "
            <ActionForm action=remove attr:class="inline">
                <input type="hidden" name="group_id" value=group_id/>
                <input type="hidden" name="user_id" value=user_id.to_string()/>
                <button type="submit" class="button-link" aria-label=label>"Remove"</button>
            </ActionForm>
        </li>
    }
}

/// Adds a group, with its first members.
#[component]
pub(super) fn NewGroup() -> impl IntoView {
    let DirectoryActions { saved, .. } = expect_context();
    let group = ServerAction::<SaveGroup>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    saved.after_save(group, Some(form), "Group saved.");
    view! {
        <section class="card">
            <h2>"Add a group"</h2>
            <ActionForm action=group node_ref=form attr:class="stacked">
                <label>"Name"<input name="name" required/></label>
                <label>"Members (emails)"<input name="members"/></label>
                <button type="submit" class="button">"Save group"</button>
            </ActionForm>
            <ActionError action=group/>
        </section>
    }
}
