//! The catalog: apps and their entitlements; Super Admins add and edit them here.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::catalog::grant_cap::grant_cap;
use crate::api::catalog::list_apps::list_apps;
use crate::api::catalog::set_grant_cap::SetGrantCap;
use crate::api::catalog::save_app::SaveApp;
use crate::api::catalog::save_entitlement::SaveEntitlement;
use crate::api::policies::list_policies::list_policies;
use crate::shell::CurrentUserResource;

#[component]
pub fn AppsPage() -> impl IntoView {
    let user = expect_context::<CurrentUserResource>().0;
    let save_app = ServerAction::<SaveApp>::new();
    let save_ent = ServerAction::<SaveEntitlement>::new();
    let apps = Resource::new(
        move || (save_app.version().get(), save_ent.version().get()),
        |_| list_apps(),
    );
    let policies = Resource::new(|| (), |_| list_policies());
    let set_cap = ServerAction::<SetGrantCap>::new();
    let cap = Resource::new(move || set_cap.version().get(), |_| grant_cap());

    view! {
        <Title text="Apps"/>
        <h1>"Apps"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let is_admin = matches!(user.await, Ok(Some(u)) if u.is_super_admin());
                let policies = policies.await.unwrap_or_default();
                let cap = cap.await.ok().flatten();
                match apps.await {
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    Ok(list) => {
                        let app_options: Vec<(String, String)> = list.iter().map(|l| (l.app.id.to_string(), l.app.name.clone())).collect();
                        view! {
                            <p class="grant-cap">
                                {match cap {
                                    Some(days) => format!("No grant lasts longer than {days} days (organisation-wide maximum)."),
                                    None => "There is no organisation-wide maximum grant length.".to_string(),
                                }}
                            </p>
                            {is_admin.then(|| view! {
                                <ActionForm action=set_cap attr:class="inline">
                                    <label>"Organisation-wide maximum (days)"
                                        <input type="number" name="days" min="1" max="3650" value=cap.unwrap_or(90).to_string()/>
                                    </label>
                                    <button type="submit" class="button">"Save"</button>
                                </ActionForm>
                            })}
                            {move || set_cap.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
                            {list.is_empty().then(|| view! { <p class="empty-state">"The catalog is empty."</p> })}
                            {list.into_iter().map(|l| view! {
                                <section class="card" data-app=l.app.slug.to_string()>
                                    <h2>{l.app.name.clone()}</h2>
                                    <p>{l.description.clone()}</p>
                                    {l.app.instructions.clone().map(|i| view! { <pre class="instructions">{i}</pre> })}
                                    <ul>
                                        {l.entitlements.into_iter().map(|e| view! {
                                            <li data-entitlement=e.slug.to_string()>
                                                <strong>{e.display_name.clone()}</strong>
                                                {format!(" ({}) — risk {}, up to {}", e.slug, e.risk, e.max_duration)}
                                                {(!e.description.is_empty()).then(|| format!(": {}", e.description))}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </section>
                            }).collect_view()}
                            {is_admin.then(|| {
                                let policy_options = policies.clone();
                                let policy_options2 = policies.clone();
                                view! {
                                <section class="card" id="new-app">
                                    <h2>"Add an app"</h2>
                                    <ActionForm action=save_app attr:class="stacked">
                                        <label>"Name"<input name="name" required/></label>
                                        <label>"Description"<input name="description"/></label>
                                        <label>"Owners (emails, comma separated)"<input name="owners"/></label>
                                        <label>"Provisioning instructions (Markdown)"<textarea name="instructions" rows="3"></textarea></label>
                                        <button type="submit" class="button primary">"Add app"</button>
                                    </ActionForm>
                                    {move || save_app.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
                                </section>
                                <section class="card" id="new-entitlement">
                                    <h2>"Add an entitlement"</h2>
                                    <ActionForm action=save_ent attr:class="stacked">
                                        <label>"App"<select name="app_id" required>
                                            {app_options.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                                        </select></label>
                                        <label>"Display name"<input name="display_name" required/></label>
                                        <label>"Slug (empty: from the name)"<input name="slug"/></label>
                                        <label>"Description"<input name="description"/></label>
                                        <label>"Risk"<select name="risk">
                                            {crate::domain::RiskLevel::ALL.iter().map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> }).collect_view()}
                                        </select></label>
                                        <label>"Owners (emails)"<input name="owners"/></label>
                                        <label>"Maximum length (e.g. 7d; \"indefinite\")"<input name="max_duration" value="7d"/></label>
                                        <label>"Request policy"<select name="request_policy">
                                            <option value="">"App default / app owner approval"</option>
                                            {policy_options.into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name.clone()}</option> }).collect_view()}
                                        </select></label>
                                        <label>"Emergency policy"<select name="emergency_policy">
                                            <option value="">"None (no emergency access)"</option>
                                            {policy_options2.into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name.clone()}</option> }).collect_view()}
                                        </select></label>
                                        <label>"Provisioning"<select name="provisioning">
                                            <option value="manual">"Manual"</option>
                                            <option value="webhook">"Webhook"</option>
                                        </select></label>
                                        <label>"Provisioners (emails; empty: the app owners)"<input name="provisioners"/></label>
                                        <label>"Webhook URL"<input name="webhook_url"/></label>
                                        <label>"Visible to groups (empty: everyone)"<input name="visible_to"/></label>
                                        <button type="submit" class="button primary">"Add entitlement"</button>
                                    </ActionForm>
                                    {move || save_ent.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
                                </section>
                            }})}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
