//! The catalog's edit forms: an app, an entitlement, and the organisation-wide grant cap. Each
//! reports to the page's [`Saved`], so a success reloads the catalog and a refused form keeps
//! what was typed.

use leptos::prelude::*;

use super::describe::{group_names, people};
use crate::api::catalog::{SaveApp, SaveEntitlement, SetGrantCap};
use crate::components::forms::{ActionError, Saved};
use crate::domain::{Entitlement, PolicyId, ProvisioningMethod, RiskLevel, Visibility};
use crate::shapes::{AppListing, CatalogOverview};

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
pub(super) fn AppForm(
    existing: Option<AppListing>,
    overview: CatalogOverview,
    saved: Saved,
) -> impl IntoView {
    let action = ServerAction::<SaveApp>::new();
    let editing = existing.is_some();
    let form = NodeRef::<leptos::html::Form>::new();
    saved.after_save(
        action,
        Some(form),
        if editing { "App saved." } else { "App added." },
    );
    let version = existing
        .as_ref()
        .and_then(|l| l.admin)
        .map(|a| a.version.to_string());
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
        <ActionError action/>
    }
}

/// Adds an entitlement (no `existing`; the app is `app_id`, or picked from `apps`) or edits one.
#[component]
pub(super) fn EntitlementForm(
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
    saved.after_save(
        action,
        Some(form),
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
        .map(|e| group_names(&e.visibility, &overview).join(", "))
        .unwrap_or_default();
    let risk = e.as_ref().map_or(RiskLevel::Low, |e| e.risk);
    let request_policy = e.as_ref().and_then(|e| e.request_policy.clone());
    let emergency_policy = e.as_ref().and_then(|e| e.emergency_policy.clone());
    let review_policy = e.as_ref().and_then(|e| e.review_policy.clone());
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
            <label>"Review policy (access reviews that use entitlements' own policies: its first approval step reviews)"<select name="review_policy">
                <option value="" selected=review_policy.is_none()>"None (the campaign's reviewers)"</option>
                {policy_options(&overview, review_policy.as_ref())}
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
        <ActionError action/>
    }
}

/// The organisation-wide maximum grant length, and for Super Admins the form that sets it.
#[component]
pub(super) fn GrantCap(cap: Option<u64>, is_admin: bool, saved: Saved) -> impl IntoView {
    let set_cap = ServerAction::<SetGrantCap>::new();
    saved.after_save(set_cap, None, "Maximum grant length saved.");
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
        <ActionError action=set_cap/>
    }
}
