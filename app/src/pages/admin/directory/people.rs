//! The people table: each row is a form (its inputs point at the row's Save form by id).

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::DirectoryActions;
use crate::api::directory::list_directory;
use crate::components::async_list::loaded;
use crate::shapes::DirectoryUser;

#[component]
pub(super) fn People() -> impl IntoView {
    let DirectoryActions { saved, .. } = expect_context();
    let users = Resource::new(move || saved.version(), |_| list_directory());
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(users.await, |list| {
                    let emails: BTreeMap<i64, String> = list.iter().map(|u| (u.id, u.email.clone())).collect();
                    view! {
                        <table class="list">
                            <thead><tr><th>"Person"</th><th>"Manager"</th><th>"Department"</th><th>"Title"</th><th>"Status"</th><th>"Roles"</th><th>"Groups"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|u| {
                                    let manager = u.manager_id.and_then(|m| emails.get(&m).cloned()).unwrap_or_default();
                                    view! { <PersonRow u manager/> }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                })
            })}
        </Suspense>
    }
}

/// One person, editable in place; `manager` is the manager's email.
#[component]
fn PersonRow(u: DirectoryUser, manager: String) -> impl IntoView {
    let DirectoryActions { update, .. } = expect_context();
    let form_id = format!("user-{}", u.id);
    view! {
        <tr data-user=u.email.clone()>
            <td>
                <input form=form_id.clone() name="name" value=u.name.clone()/>
                <br/><small>{u.email.clone()}</small>
            </td>
            <td><input form=form_id.clone() name="manager_email" value=manager/></td>
            <td><input form=form_id.clone() name="department" value=u.department.clone().unwrap_or_default()/></td>
            <td><input form=form_id.clone() name="job_title" value=u.job_title.clone().unwrap_or_default()/></td>
            <td>
                <select form=form_id.clone() name="status">
                    {["active", "suspended", "deleted"].into_iter().map(|s| view! {
                        <option value=s selected=u.status == s>{s}</option>
                    }).collect_view()}
                </select>
            </td>
            <td><Roles u=u.clone()/></td>
            <td>{u.groups.join(", ")}</td>
            <td>
                <ActionForm action=update attr:id=form_id.clone() attr:class="inline">
                    <input type="hidden" name="id" value=u.id.to_string()/>
                    <button type="submit" class="button">"Save"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// A person's roles: a Super Admin holds every permission; a plain user may be made a Campaign
/// Administrator (or stop being one) with the row's own form, which works without JavaScript.
#[component]
fn Roles(u: DirectoryUser) -> impl IntoView {
    let DirectoryActions { set_role, .. } = expect_context();
    if u.super_admin {
        return view! { <span>"Super Admin"</span> }.into_any();
    }
    let (held, button) = if u.campaign_admin {
        ("Campaign Administrator", "Remove Campaign Administrator")
    } else {
        ("User", "Make Campaign Administrator")
    };
    view! {
        <span>{held}</span>
        <ActionForm action=set_role attr:class="inline">
            <input type="hidden" name="id" value=u.id.to_string()/>
            <input type="hidden" name="role" value="campaign_admin"/>
            <input type="hidden" name="granted" value=(!u.campaign_admin).to_string()/>
            <button type="submit" class="button">{button}</button>
        </ActionForm>
    }
    .into_any()
}
