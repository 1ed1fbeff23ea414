//! The directory: people (manager, department, title, status), groups, and CSV import.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::directory::import_directory_csv::ImportDirectoryCsv;
use crate::api::directory::list_directory::list_directory;
use crate::api::directory::save_group::SaveGroup;
use crate::api::directory::update_directory_user::UpdateDirectoryUser;
use crate::api::views::ImportOutcome;
use crate::components::require::RequireSuperAdmin;

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let update = ServerAction::<UpdateDirectoryUser>::new();
    let import = ServerAction::<ImportDirectoryCsv>::new();
    let group = ServerAction::<SaveGroup>::new();
    let users = Resource::new(
        move || {
            (
                update.version().get(),
                import.version().get(),
                group.version().get(),
            )
        },
        |_| list_directory(),
    );
    view! {
        <Title text="Directory"/>
        <RequireSuperAdmin>
            <h1>"Directory"</h1>
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
            <section class="card">
                <h2>"Add a group"</h2>
                <ActionForm action=group attr:class="stacked">
                    <label>"Name"<input name="name" required/></label>
                    <label>"Members (emails)"<input name="members"/></label>
                    <button type="submit" class="button">"Save group"</button>
                </ActionForm>
                {move || group.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
            </section>
            <section class="card">
                <h2>"Import from CSV"</h2>
                <p>"Columns: email, name, manager_email, department, title, groups (separated by ;). If any row is wrong, nothing changes."</p>
                <ActionForm action=import attr:class="stacked">
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
