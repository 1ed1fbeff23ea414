//! The catalog: apps and their entitlements with their whole configuration. Everyone sees what
//! they could request; Super Admins add apps and entitlements on /apps and edit them on each
//! app's page (/apps/:slug), in forms filled with the current values.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::catalog::catalog_overview::catalog_overview;
use crate::api::catalog::save_app::SaveApp;
use crate::api::catalog::save_entitlement::SaveEntitlement;
use crate::api::catalog::set_grant_cap::SetGrantCap;
use crate::domain::{
    Entitlement, GrantLength, PolicyId, ProvisioningMethod, RiskLevel, UserId, Visibility,
};
use crate::session::CurrentUserResource;
use crate::shapes::{AppListing, CatalogOverview};

/// Reloads the catalog after a successful save only, so a refused form keeps what was typed.
#[derive(Clone, Copy)]
struct Saved {
    version: RwSignal<u32>,
    notice: RwSignal<Option<String>>,
}

impl Saved {
    fn new() -> Self {
        Saved {
            version: RwSignal::new(0),
            notice: RwSignal::new(None),
        }
    }

    fn done(&self, message: String) {
        self.notice.set(Some(message));
        self.version.update(|v| *v += 1);
    }

    /// When `succeeded` turns true: put `form` back to its stored values (the reload then fills
    /// in the saved ones) and say `message`. A refused save leaves the form as typed.
    fn after_success(
        self,
        succeeded: impl Fn() -> bool + Send + Sync + 'static,
        form: NodeRef<leptos::html::Form>,
        message: &'static str,
    ) {
        Effect::new(move || {
            if succeeded() {
                if let Some(form) = form.get_untracked() {
                    form.reset();
                }
                self.done(message.to_string());
            }
        });
    }

    fn view(self) -> impl IntoView {
        move || {
            self.notice
                .get()
                .map(|n| view! { <p class="notice" role="status">{n}</p> })
        }
    }
}

fn people(ids: &[UserId], o: &CatalogOverview) -> Vec<String> {
    ids.iter()
        .map(|u| {
            o.people
                .get(u.as_str())
                .cloned()
                .unwrap_or_else(|| format!("user {u}"))
        })
        .collect()
}

fn policy_name(id: &PolicyId, o: &CatalogOverview) -> String {
    o.policies
        .iter()
        .find(|(p, _)| p == id.as_str())
        .map_or_else(|| format!("policy {id}"), |(_, n)| n.clone())
}

fn group_names(e: &Entitlement, o: &CatalogOverview) -> Vec<String> {
    match &e.visibility {
        Visibility::Everyone => Vec::new(),
        Visibility::Groups(gs) => gs
            .iter()
            .map(|g| {
                o.groups
                    .get(g.as_str())
                    .cloned()
                    .unwrap_or_else(|| format!("group {g}"))
            })
            .collect(),
    }
}

fn or_dash(list: Vec<String>, empty: &str) -> String {
    if list.is_empty() {
        empty.to_string()
    } else {
        list.join(", ")
    }
}

fn visibility_text(e: &Entitlement, o: &CatalogOverview) -> String {
    match &e.visibility {
        Visibility::Everyone => "Everyone".into(),
        Visibility::Groups(gs) if gs.is_empty() => "Nobody (hidden)".into(),
        Visibility::Groups(_) => format!("Members of {}", group_names(e, o).join(", ")),
    }
}

fn provisioning_text(e: &Entitlement, o: &CatalogOverview) -> String {
    match &e.provisioning {
        ProvisioningMethod::Manual { provisioners, .. } if provisioners.is_empty() => {
            "Manual, by the app owners".into()
        }
        ProvisioningMethod::Manual { provisioners, .. } => {
            format!("Manual, by {}", people(provisioners, o).join(", "))
        }
        // Non-admins get the entitlement without its address (`domain::entitlement_for`).
        ProvisioningMethod::Webhook { url } if url.is_empty() => "Webhook".into(),
        ProvisioningMethod::Webhook { url } => format!("Webhook to {url}"),
    }
}

fn request_policy_text(e: &Entitlement, l: &AppListing, o: &CatalogOverview) -> String {
    match (&e.request_policy, e.policy_for(&l.app, false)) {
        (Some(p), _) => policy_name(p, o),
        (None, Ok(p)) => format!("{} (app default)", policy_name(&p, o)),
        (None, Err(_)) => "App default".into(),
    }
}

fn max_text(e: &Entitlement) -> String {
    match e.max_duration {
        GrantLength::Indefinite => "Indefinite".into(),
        GrantLength::Limited(d) => d.to_string(),
    }
}

/// One entitlement's configuration, as everyone sees it.
fn entitlement_facts(e: &Entitlement, l: &AppListing, o: &CatalogOverview) -> impl IntoView {
    view! {
        <li class="entitlement" data-entitlement=e.slug.to_string()>
            <strong>{e.display_name.clone()}</strong>
            " " <code>{e.slug.to_string()}</code>
            {(!e.description.is_empty()).then(|| view! { <p class="muted">{e.description.clone()}</p> })}
            <dl class="facts">
                <dt>"Alias"</dt><dd data-field="alias">{e.alias.as_ref().map_or_else(|| "—".to_string(), |a| a.to_string())}</dd>
                <dt>"Risk"</dt><dd data-field="risk">{e.risk.as_str()}</dd>
                <dt>"Owners"</dt><dd data-field="owners">{or_dash(people(&e.owner_users, o), "—")}</dd>
                <dt>"Maximum length"</dt><dd data-field="max">{max_text(e)}</dd>
                <dt>"Request policy"</dt><dd data-field="request-policy">{request_policy_text(e, l, o)}</dd>
                <dt>"Emergency access"</dt><dd data-field="emergency-policy">{e.emergency_policy.as_ref().map_or_else(|| "None".to_string(), |p| policy_name(p, o))}</dd>
                <dt>"Provisioning"</dt><dd data-field="provisioning">{provisioning_text(e, o)}</dd>
                <dt>"Visible to"</dt><dd data-field="visibility">{visibility_text(e, o)}</dd>
            </dl>
        </li>
    }
}

/// An app's configuration and its entitlements. `link` makes the name a link to the app's page.
fn app_card(l: &AppListing, o: &CatalogOverview, link: bool, admin: bool) -> impl IntoView {
    let href = format!("/apps/{}", l.app.slug);
    view! {
        <section class="card catalog-app" data-app=l.app.slug.to_string()>
            // On the app's own page the name is already the page heading.
            {link.then(|| view! { <h2><a href=href.clone()>{l.app.name.clone()}</a></h2> })}
            {(!l.description.is_empty()).then(|| view! { <p>{l.description.clone()}</p> })}
            <dl class="facts">
                <dt>"Owners"</dt><dd data-field="app-owners">{or_dash(people(&l.app.owners, o), "—")}</dd>
                <dt>"Default request policy"</dt>
                <dd data-field="default-policy">{l.app.default_request_policy.as_ref().map_or_else(
                    || format!("None ({} applies)", policy_name(&PolicyId::from(crate::domain::BUILTIN_APP_OWNER_APPROVAL_POLICY_ID), o)),
                    |p| policy_name(p, o),
                )}</dd>
            </dl>
            {l.instructions_html.clone().map(|html| view! {
                <h3>"Instructions"</h3>
                <div class="instructions markdown" inner_html=html></div>
            })}
            <h3>"Entitlements"</h3>
            {l.entitlements.is_empty().then(|| view! { <p class="muted">"No entitlements yet."</p> })}
            <ul class="entitlements">
                {l.entitlements.iter().map(|e| entitlement_facts(e, l, o)).collect_view()}
            </ul>
            {(admin && link).then(|| view! { <a class="button" href=href>"Edit " {l.app.name.clone()}</a> })}
        </section>
    }
}

fn policy_options(o: &CatalogOverview, current: Option<&PolicyId>) -> impl IntoView + use<> {
    let current = current.map(|p| p.to_string());
    o.policies
        .iter()
        .map(|(id, name)| {
            let selected = current.as_deref() == Some(id.as_str());
            view! { <option value=id.clone() selected=selected>{name.clone()}</option> }
        })
        .collect_view()
}

/// Adds an app (no `existing`) or edits one.
#[component]
fn AppForm(existing: Option<AppListing>, overview: CatalogOverview, saved: Saved) -> impl IntoView {
    let action = ServerAction::<SaveApp>::new();
    let editing = existing.is_some();
    let form = NodeRef::<leptos::html::Form>::new();
    saved.after_success(
        move || matches!(action.value().get(), Some(Ok(_))),
        form,
        if editing { "App saved." } else { "App added." },
    );
    let version = existing.as_ref().map(|l| l.version.to_string());
    let (id, name, description, owners, instructions, policy) = match &existing {
        Some(l) => (
            l.app.id.to_string(),
            l.app.name.clone(),
            l.description.clone(),
            people(&l.app.owners, &overview).join(", "),
            l.app.instructions.clone().unwrap_or_default(),
            l.app.default_request_policy.clone(),
        ),
        None => Default::default(),
    };
    view! {
        <ActionForm action=action node_ref=form attr:class="stacked">
            {editing.then(|| view! { <input type="hidden" name="id" value=id/> })}
            {version.map(|v| view! { <input type="hidden" name="version" value=v/> })}
            <label>"Name"<input name="name" required value=name/></label>
            <label>"Description"<input name="description" value=description/></label>
            <label>"Owners (emails, comma separated)"<input name="owners" value=owners/></label>
            <label>"Instructions (Markdown, shown to requesters and provisioners)"
                <textarea name="instructions" rows="4">{instructions}</textarea>
            </label>
            <label>"Default request policy"<select name="default_policy">
                <option value="" selected=policy.is_none()>"None (entitlements without a policy use app owner approval)"</option>
                {policy_options(&overview, policy.as_ref())}
            </select></label>
            <button type="submit" class="button primary">{if editing { "Save app" } else { "Add app" }}</button>
        </ActionForm>
        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
    }
}

/// Adds an entitlement (no `existing`; the app is `app_id`, or picked from `apps`) or edits one.
#[component]
fn EntitlementForm(
    existing: Option<Entitlement>,
    /// The stored version `existing` was read at (sent back so a save over a newer edit is refused).
    #[prop(optional)]
    version: Option<u64>,
    app_id: Option<String>,
    apps: Vec<(String, String)>,
    overview: CatalogOverview,
    saved: Saved,
) -> impl IntoView {
    let action = ServerAction::<SaveEntitlement>::new();
    let editing = existing.is_some();
    let form = NodeRef::<leptos::html::Form>::new();
    saved.after_success(
        move || matches!(action.value().get(), Some(Ok(_))),
        form,
        if editing {
            "Entitlement saved."
        } else {
            "Entitlement added."
        },
    );
    let e = existing.clone();
    let webhook_url = match e.as_ref().map(|e| &e.provisioning) {
        Some(ProvisioningMethod::Webhook { url }) => url.clone(),
        _ => String::new(),
    };
    let provisioners = match e.as_ref().map(|e| &e.provisioning) {
        Some(ProvisioningMethod::Manual { provisioners, .. }) => {
            people(provisioners, &overview).join(", ")
        }
        _ => String::new(),
    };
    let is_webhook = !webhook_url.is_empty();
    let visibility = match e.as_ref().map(|e| &e.visibility) {
        None | Some(Visibility::Everyone) => "everyone",
        Some(Visibility::Groups(gs)) if gs.is_empty() => "nobody",
        Some(Visibility::Groups(_)) => "groups",
    };
    let groups = e
        .as_ref()
        .map(|e| group_names(e, &overview).join(", "))
        .unwrap_or_default();
    let risk = e.as_ref().map_or(RiskLevel::Low, |e| e.risk);
    let request_policy = e.as_ref().and_then(|e| e.request_policy.clone());
    let emergency_policy = e.as_ref().and_then(|e| e.emergency_policy.clone());
    view! {
        <ActionForm action=action node_ref=form attr:class="stacked">
            {e.as_ref().map(|e| view! { <input type="hidden" name="id" value=e.id.to_string()/> })}
            {version.map(|v| view! { <input type="hidden" name="version" value=v.to_string()/> })}
            {match app_id {
                Some(a) => view! { <input type="hidden" name="app_id" value=a/> }.into_any(),
                None => view! {
                    <label>"App"<select name="app_id" required>
                        {apps.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select></label>
                }.into_any(),
            }}
            <label>"Display name"<input name="display_name" required value=e.as_ref().map(|e| e.display_name.clone())/></label>
            <label>{if editing { "Slug" } else { "Slug (empty: from the name)" }}
                <input name="slug" value=e.as_ref().map(|e| e.slug.to_string())/></label>
            <label>"Description"<input name="description" value=e.as_ref().map(|e| e.description.clone())/></label>
            <label>"Alias (CLI shortcut, e.g. aws-prod; unique)"<input name="alias" value=e.as_ref().and_then(|e| e.alias.as_ref().map(|a| a.to_string()))/></label>
            <label>"Risk"<select name="risk">
                {RiskLevel::ALL.iter().map(|r| view! { <option value=r.as_str() selected=*r == risk>{r.as_str()}</option> }).collect_view()}
            </select></label>
            <label>"Owners (emails)"<input name="owners" value=e.as_ref().map(|e| people(&e.owner_users, &overview).join(", "))/></label>
            <label>"Maximum length (e.g. 7d; \"indefinite\")"
                <input name="max_duration" value=e.as_ref().map_or_else(|| "7d".to_string(), |e| e.max_duration.to_string())/></label>
            <label>"Request policy"<select name="request_policy">
                <option value="" selected=request_policy.is_none()>"App default / app owner approval"</option>
                {policy_options(&overview, request_policy.as_ref())}
            </select></label>
            <label>"Emergency policy"<select name="emergency_policy">
                <option value="" selected=emergency_policy.is_none()>"None (no emergency access)"</option>
                {policy_options(&overview, emergency_policy.as_ref())}
            </select></label>
            <label>"Provisioning"<select name="provisioning">
                <option value="manual" selected=!is_webhook>"Manual"</option>
                <option value="webhook" selected=is_webhook>"Webhook"</option>
            </select></label>
            <label>"Provisioners (emails; empty: the app owners)"<input name="provisioners" value=provisioners/></label>
            <label>"Webhook URL"<input name="webhook_url" value=webhook_url/></label>
            <label>"Visibility"<select name="visibility">
                <option value="everyone" selected=visibility == "everyone">"Everyone"</option>
                <option value="groups" selected=visibility == "groups">"Members of the groups below"</option>
                <option value="nobody" selected=visibility == "nobody">"Nobody (hidden)"</option>
            </select></label>
            <label>"Visible to groups (names, comma separated)"<input name="visible_to" value=groups/></label>
            <button type="submit" class="button primary">{if editing { "Save entitlement" } else { "Add entitlement" }}</button>
        </ActionForm>
        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
    }
}

#[component]
pub fn AppsPage() -> impl IntoView {
    let user = expect_context::<CurrentUserResource>().0;
    let saved = Saved::new();
    let set_cap = ServerAction::<SetGrantCap>::new();
    Effect::new(move || {
        if let Some(Ok(())) = set_cap.value().get() {
            saved.done("Maximum grant length saved.".into());
        }
    });
    let overview = Resource::new(move || saved.version.get(), |_| catalog_overview());

    view! {
        <Title text="Apps"/>
        <h1>"Apps"</h1>
        {saved.view()}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let is_admin = matches!(user.await, Ok(Some(u)) if u.is_super_admin());
                match overview.await {
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    Ok(o) => {
                        let cap = o.grant_cap_days;
                        let app_options: Vec<(String, String)> = o.apps.iter().map(|l| (l.app.id.to_string(), l.app.name.clone())).collect();
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
                            {o.apps.is_empty().then(|| view! { <p class="empty-state">"The catalog is empty."</p> })}
                            {o.apps.iter().map(|l| app_card(l, &o, true, is_admin)).collect_view()}
                            {is_admin.then(|| view! {
                                <section class="card" id="new-app">
                                    <h2>"Add an app"</h2>
                                    <AppForm existing=None overview=o.clone() saved=saved/>
                                </section>
                                <section class="card" id="new-entitlement">
                                    <h2>"Add an entitlement"</h2>
                                    <EntitlementForm existing=None app_id=None apps=app_options overview=o.clone() saved=saved/>
                                </section>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// One app: its configuration, and for Super Admins the forms to edit it and its entitlements.
#[component]
pub fn AppPage() -> impl IntoView {
    let user = expect_context::<CurrentUserResource>().0;
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let saved = Saved::new();
    let overview = Resource::new(move || saved.version.get(), |_| catalog_overview());

    view! {
        <p class="breadcrumbs"><a href="/apps">"Apps"</a></p>
        {saved.view()}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let is_admin = matches!(user.await, Ok(Some(u)) if u.is_super_admin());
                let slug = slug();
                let o = match overview.await {
                    Ok(o) => o,
                    Err(e) => return view! { <p class="error">{e.to_string()}</p> }.into_any(),
                };
                let Some(l) = o.apps.iter().find(|l| l.app.slug.as_str() == slug).cloned() else {
                    crate::components::status::set_status(404);
                    return view! {
                        <Title text="App not found"/>
                        <h1>"App not found"</h1>
                        <p>"There is no app at this address. It may have been renamed; see "<a href="/apps">"all apps"</a>"."</p>
                    }.into_any();
                };
                let app_id = l.app.id.to_string();
                view! {
                    <Title text=l.app.name.clone()/>
                    <h1>{l.app.name.clone()}</h1>
                    {app_card(&l, &o, false, is_admin)}
                    {is_admin.then(|| view! {
                        <section class="card" id="edit-app">
                            <h2>"Edit " {l.app.name.clone()}</h2>
                            <AppForm existing=Some(l.clone()) overview=o.clone() saved=saved/>
                        </section>
                        {l.entitlements.iter().map(|e| view! {
                            <details class="card edit-entitlement" id=format!("edit-{}", e.slug) data-edit-entitlement=e.slug.to_string()>
                                <summary>"Edit entitlement " {e.picker_label()}</summary>
                                <EntitlementForm existing=Some(e.clone()) version=l.entitlement_versions.get(e.id.as_str()).copied().unwrap_or_default() app_id=Some(app_id.clone()) apps=Vec::new() overview=o.clone() saved=saved/>
                            </details>
                        }).collect_view()}
                        <section class="card" id="new-entitlement">
                            <h2>"Add an entitlement to " {l.app.name.clone()}</h2>
                            <EntitlementForm existing=None app_id=Some(app_id.clone()) apps=Vec::new() overview=o.clone() saved=saved/>
                        </section>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

crate::pages::lazy_page!(AppsRoute, AppsPage);
crate::pages::lazy_page!(AppRoute, AppPage);
