//! The directory: people (manager, department, title, status), groups, and CSV import.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::directory::delete_group::DeleteGroup;
use crate::api::directory::import_directory_csv::ImportDirectoryCsv;
use crate::api::directory::list_directory::list_directory;
use crate::api::directory::list_groups::list_groups;
use crate::api::directory::remove_group_member::RemoveGroupMember;
use crate::api::directory::save_group::SaveGroup;
use crate::api::directory::update_directory_user::UpdateDirectoryUser;
use crate::components::require::RequireSuperAdmin;
use crate::shapes::{GroupView, ImportOutcome};

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let update = ServerAction::<UpdateDirectoryUser>::new();
    let import = ServerAction::<ImportDirectoryCsv>::new();
    let group = ServerAction::<SaveGroup>::new();
    let remove = ServerAction::<RemoveGroupMember>::new();
    let delete = ServerAction::<DeleteGroup>::new();
    // Reload after successful changes only, so a refused edit keeps what was typed.
    let saved = RwSignal::new(0u32);
    let notice = RwSignal::new(None::<String>);
    let done = move |message: &str| {
        notice.set(Some(message.to_string()));
        saved.update(|v| *v += 1);
    };
    Effect::new(move || {
        if let Some(Ok(())) = update.value().get() {
            done("Person saved.");
        }
    });
    let import_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move || {
        if let Some(Ok(ImportOutcome::Imported { .. })) = import.value().get() {
            if let Some(form) = import_form.get_untracked() {
                form.reset();
            }
            saved.update(|v| *v += 1);
        }
    });
    // A refused change replaces an earlier success message.
    Effect::new(move || {
        let failed = update.value().with(|v| matches!(v, Some(Err(_))))
            || remove.value().with(|v| matches!(v, Some(Err(_))))
            || delete.value().with(|v| matches!(v, Some(Err(_))));
        if failed {
            notice.set(None);
        }
    });
    let new_group = NodeRef::<leptos::html::Form>::new();
    Effect::new(move || {
        if let Some(Ok(_)) = group.value().get() {
            if let Some(form) = new_group.get_untracked() {
                form.reset();
            }
            done("Group saved.");
        }
    });
    Effect::new(move || {
        if let Some(Ok(())) = remove.value().get() {
            done("Member removed.");
        }
    });
    Effect::new(move || {
        if let Some(Ok(())) = delete.value().get() {
            done("Group deleted.");
        }
    });
    let users = Resource::new(move || saved.get(), |_| list_directory());
    let groups = Resource::new(move || saved.get(), |_| list_groups());
    view! {
        <Title text="Directory"/>
        <RequireSuperAdmin>
            <h1>"Directory"</h1>
            {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
            {move || update.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(list) => {
                            let emails: std::collections::BTreeMap<i64, String> = list.iter().map(|u| (u.id, u.email.clone())).collect();
                            view! {
                                <table class="list">
                                    <thead><tr><th>"Person"</th><th>"Manager"</th><th>"Department"</th><th>"Title"</th><th>"Status"</th><th>"Groups"</th><th></th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|u| {
                                            let manager = u.manager_id.and_then(|m| emails.get(&m).cloned()).unwrap_or_default();
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
                                                    <td>{u.groups.join(", ")}</td>
                                                    <td>
                                                        <ActionForm action=update attr:id=form_id.clone() attr:class="inline">
                                                            <input type="hidden" name="id" value=u.id.to_string()/>
                                                            <button type="submit" class="button">"Save"</button>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <section class="card" id="groups">
                <h2>"Groups"</h2>
                {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
                {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match groups.await {
                            Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                            Ok(list) if list.is_empty() => view! { <p class="empty-state">"No groups yet."</p> }.into_any(),
                            Ok(list) => list.into_iter().map(|g| view! {
                                <GroupCard group=g remove=remove delete=delete saved=saved notice=notice/>
                            }).collect_view().into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <section class="card">
                <h2>"Add a group"</h2>
                <ActionForm action=group node_ref=new_group attr:class="stacked">
                    <label>"Name"<input name="name" required/></label>
                    <label>"Members (emails)"<input name="members"/></label>
                    <button type="submit" class="button">"Save group"</button>
                </ActionForm>
                {move || group.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
            </section>
            <section class="card">
                <h2>"Import from CSV"</h2>
                <p>"Columns: email, name, manager_email, department, title, groups (separated by ;). If any row is wrong, nothing changes."</p>
                <ActionForm action=import node_ref=import_form attr:class="stacked">
                    <textarea name="csv" rows="8" placeholder="email,name,manager_email,department,title,groups"></textarea>
                    <button type="submit" class="button primary">"Import"</button>
                </ActionForm>
                {move || import.value().get().map(|r| match r {
                    Ok(ImportOutcome::Imported { created, updated }) => view! {
                        <p class="notice" role="status">{format!("Imported: {created} new, {updated} updated.")}</p>
                    }.into_any(),
                    Ok(ImportOutcome::Rejected(errors)) => view! {
                        <div class="error" role="alert">
                            <p>"Nothing was imported. Fix these rows and try again:"</p>
                            <ul>{errors.into_iter().map(|e| view! { <li>{e.to_string()}</li> }).collect_view()}</ul>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </section>
        </RequireSuperAdmin>
    }
}

/// One group: its members (each removable), a form to add more, what uses it, and deletion.
#[component]
fn GroupCard(
    group: GroupView,
    remove: ServerAction<RemoveGroupMember>,
    delete: ServerAction<DeleteGroup>,
    saved: RwSignal<u32>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let add = ServerAction::<SaveGroup>::new();
    let add_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move || match add.value().get() {
        Some(Ok(_)) => {
            if let Some(form) = add_form.get_untracked() {
                form.reset();
            }
            notice.set(Some("Members added.".into()));
            saved.update(|v| *v += 1);
        }
        Some(Err(_)) => notice.set(None),
        None => {}
    });
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
            let label = format!("Remove {email} from {}", g.name);
            let group_id = g.id.clone();
            let uid = uid.to_string();
            view! {
                <li data-member=email.clone()>
                    {person.clone()} " " <small>{email.clone()}</small> " "
                    <ActionForm action=remove attr:class="inline">
                        <input type="hidden" name="group_id" value=group_id/>
                        <input type="hidden" name="user_id" value=uid/>
                        <button type="submit" class="button-link" aria-label=label>"Remove"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let add_name = g.name.clone();
    let delete_id = g.id.clone();
    let delete_label = format!("Delete group {}", g.name);
    view! {
        <article class="group" data-group=g.name.clone()>
            <h3>{g.name.clone()} " " <small>{count}</small></h3>
            {g.members.is_empty().then(|| view! { <p class="muted">"No members."</p> })}
            <ul class="members">{members}</ul>
            <ActionForm action=add node_ref=add_form attr:class="inline">
                <input type="hidden" name="name" value=add_name/>
                <label>"Add members (emails)"<input name="members" required/></label>
                <button type="submit" class="button">"Add"</button>
            </ActionForm>
            {move || add.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
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

crate::pages::lazy_page!(DirectoryRoute, DirectoryPage);
