//! How the catalog describes an app and its entitlements in words: owners, policies, who may
//! see it, how it is provisioned.

use leptos::prelude::*;

use crate::domain::{GrantLength, PolicyId, ProvisioningMethod, UserId, Visibility};
use crate::shapes::{AppListing, CatalogEntitlement, CatalogOverview, ProvisioningKind};

pub(super) fn people(ids: &[UserId], o: &CatalogOverview) -> Vec<String> {
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

pub(super) fn group_names(visibility: &Visibility, o: &CatalogOverview) -> Vec<String> {
    match visibility {
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

fn visibility_text(e: &CatalogEntitlement, o: &CatalogOverview) -> String {
    match &e.visibility {
        Visibility::Everyone => "Everyone".into(),
        Visibility::Groups(gs) if gs.is_empty() => "Nobody (hidden)".into(),
        Visibility::Groups(_) => format!("Members of {}", group_names(&e.visibility, o).join(", ")),
    }
}

fn provisioning_text(e: &CatalogEntitlement, o: &CatalogOverview) -> String {
    // Only Super Admins get the stored entitlement, with its address.
    if let Some(ProvisioningMethod::Webhook { url }) =
        e.admin.as_ref().map(|a| &a.stored.provisioning)
    {
        return format!("Webhook to {url}");
    }
    match &e.provisioning {
        ProvisioningKind::Manual { provisioners } if provisioners.is_empty() => {
            "Manual, by the app owners".into()
        }
        ProvisioningKind::Manual { provisioners } => {
            format!("Manual, by {}", people(provisioners, o).join(", "))
        }
        ProvisioningKind::Webhook => "Webhook".into(),
    }
}

fn request_policy_text(e: &CatalogEntitlement, o: &CatalogOverview) -> String {
    match &e.request_policy {
        Some(p) => policy_name(p, o),
        None => format!(
            "{} (app default)",
            policy_name(&e.effective_request_policy, o)
        ),
    }
}

fn max_text(e: &CatalogEntitlement) -> String {
    match e.max_duration {
        GrantLength::Indefinite => "Indefinite".into(),
        GrantLength::Limited(d) => d.to_string(),
    }
}

/// One entitlement's configuration, as everyone sees it.
fn entitlement_facts(e: &CatalogEntitlement, o: &CatalogOverview) -> impl IntoView {
    view! {
        <li class="entitlement" data-entitlement=e.slug.to_string()>
            <strong>{e.display_name.clone()}</strong>
            " " <code>{e.slug.to_string()}</code>
            " " {e.managed_by.clone().map(|file| view! { <span class="badge managed" data-testid="managed-in-code" title=format!("Managed in code: {file}. Change it in Git, or unlock console edits in Settings.")>"managed in code"</span> })}
            {(!e.description.is_empty()).then(|| view! { <p class="muted">{e.description.clone()}</p> })}
            <dl class="facts">
                <dt>"Alias"</dt><dd data-field="alias">{e.alias.as_ref().map_or_else(|| "—".to_string(), |a| a.to_string())}</dd>
                <dt>"Risk"</dt><dd data-field="risk">{e.risk.as_str()}</dd>
                <dt>"Owners"</dt><dd data-field="owners">{or_dash(people(&e.owner_users, o), "—")}</dd>
                <dt>"Maximum length"</dt><dd data-field="max">{max_text(e)}</dd>
                <dt>"Request policy"</dt><dd data-field="request-policy">{request_policy_text(e, o)}</dd>
                <dt>"Emergency access"</dt><dd data-field="emergency-policy">{e.emergency_policy.as_ref().map_or_else(|| "None".to_string(), |p| policy_name(p, o))}</dd>
                // Super Admins only: the review policy is in the admin part of the catalog.
                {e.admin.as_ref().map(|a| view! {
                    <dt>"Review policy"</dt><dd data-field="review-policy">{a.stored.review_policy.as_ref().map_or_else(|| "None (the campaign's reviewers)".to_string(), |p| policy_name(p, o))}</dd>
                })}
                <dt>"Provisioning"</dt><dd data-field="provisioning">{provisioning_text(e, o)}</dd>
                <dt>"Visible to"</dt><dd data-field="visibility">{visibility_text(e, o)}</dd>
            </dl>
        </li>
    }
}

/// An app's configuration and its entitlements. `link` makes the name a link to the app's page.
pub(super) fn app_card(
    l: &AppListing,
    o: &CatalogOverview,
    link: bool,
    admin: bool,
) -> impl IntoView {
    let href = format!("/apps/{}", l.app.slug);
    view! {
        <section class="card catalog-app" data-app=l.app.slug.to_string()>
            // On the app's own page the name is already the page heading.
            {link.then(|| view! { <h2><a href=href.clone()>{l.app.name.clone()}</a></h2> })}
            {l.managed_by.clone().map(|file| view! { <span class="badge managed" data-testid="managed-in-code" title=format!("Managed in code: {file}. Change it in Git, or unlock console edits in Settings.")>"managed in code"</span> })}
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
                {l.entitlements.iter().map(|e| entitlement_facts(e, o)).collect_view()}
            </ul>
            {(admin && link).then(|| view! { <a class="button" href=href>"Edit " {l.app.name.clone()}</a> })}
        </section>
    }
}
