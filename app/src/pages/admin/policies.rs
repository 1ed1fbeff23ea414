//! Request policies: list, create, edit (steps as JSON of the domain type), delete when unused.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::policies::delete_policy::DeletePolicy;
use crate::api::policies::list_policies::list_policies;
use crate::api::policies::save_policy::SavePolicy;
use crate::components::require::RequireSuperAdmin;

const EXAMPLE: &str = r#"[
  {"kind": "approval", "approvers": [{"kind": "manager"}], "allow_self_approval": false,
   "require_approval_reason": false, "require_denial_reason": true, "require_distinct_approvers": false,
   "allow_reassignment": true, "fallback_users": []},
  {"kind": "approval", "approvers": [{"kind": "app_owners"}], "allow_self_approval": false,
   "require_approval_reason": false, "require_denial_reason": false, "require_distinct_approvers": true,
   "allow_reassignment": true, "fallback_users": []}
]"#;

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let save = ServerAction::<SavePolicy>::new();
    let delete = ServerAction::<DeletePolicy>::new();
    let policies = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| list_policies(),
    );
    view! {
        <Title text="Request policies"/>
        <RequireSuperAdmin>
            <h1>"Request policies"</h1>
            {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match policies.await {
                        Ok(list) => view! {
                            <ul class="policies">
                                {list.into_iter().map(|p| {
                                    let steps = serde_json::to_string_pretty(&p.steps).unwrap_or_default();
                                    let builtin = p.is_builtin();
                                    let (pid, pid_delete, pname) = (p.id.to_string(), p.id.to_string(), p.name.clone());
                                    view! {
                                        <li data-policy=p.name.clone()>
                                            <strong>{p.name.clone()}</strong>
                                            {format!(" — {} step(s), revision {}", p.steps.len(), p.revision)}
                                            {builtin.then_some(" (built in)")}
                                            {(!builtin).then(|| view! {
                                                <details>
                                                    <summary>"Edit"</summary>
                                                    <ActionForm action=save attr:class="stacked">
                                                        <input type="hidden" name="id" value=pid/>
                                                        <label>"Name"<input name="name" value=pname.clone() required/></label>
                                                        <label>"Steps (JSON)"<textarea name="steps_json" rows="10">{steps.clone()}</textarea></label>
                                                        <button type="submit" class="button primary">"Save"</button>
                                                    </ActionForm>
                                                </details>
                                                <ActionForm action=delete attr:class="inline">
                                                    <input type="hidden" name="id" value=pid_delete/>
                                                    <button type="submit" class="button">"Delete"</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <section class="card">
                <h2>"New policy"</h2>
                <p>"Steps run in order: approval (manager, app owners, entitlement owners, named users, group members), auto-approve, or deny. One decision completes a step; a deny ends the request."</p>
                <ActionForm action=save attr:class="stacked">
                    <label>"Name"<input name="name" required/></label>
                    <label>"Steps (JSON)"<textarea name="steps_json" rows="12">{EXAMPLE}</textarea></label>
                    <button type="submit" class="button primary">"Create policy"</button>
                </ActionForm>
                {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
            </section>
        </RequireSuperAdmin>
    }
}
