//! "New campaign": name, description, owners, due date, review instructions (Markdown), scope,
//! reviewers and settings; **Validate scope** shows how many grants the scope takes now, with a
//! sample, before anything is saved. A created draft opens on its own page. Owners and named
//! reviewers are picked from the directory by name or email ([`PeoplePicker`]).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::campaigns::{CheckCampaignScope, CreateCampaign, search_people};
use crate::components::forms::ActionError;
use crate::components::time::utc_minute_ms;
use crate::shapes::{PersonOption, ScopeCheck, pick_person};

/// The form's actions; the list reloads after a creation.
#[derive(Clone, Copy)]
pub struct CreateActions {
    create: ServerAction<CreateCampaign>,
    check: ServerAction<CheckCampaignScope>,
}

impl CreateActions {
    pub fn new() -> Self {
        CreateActions {
            create: ServerAction::new(),
            check: ServerAction::new(),
        }
    }

    /// Moves on every creation.
    pub fn version(self) -> usize {
        self.create.version().get()
    }
}

/// The scope fields, kept in signals so "Validate scope" can send them without saving.
#[derive(Clone, Copy)]
struct ScopeFields {
    apps: RwSignal<String>,
    entitlements: RwSignal<String>,
    users: RwSignal<String>,
    groups: RwSignal<String>,
    managers: RwSignal<String>,
    grant_type: RwSignal<String>,
    granted_within_days: RwSignal<String>,
}

impl ScopeFields {
    fn new() -> Self {
        ScopeFields {
            apps: RwSignal::new(String::new()),
            entitlements: RwSignal::new(String::new()),
            users: RwSignal::new(String::new()),
            groups: RwSignal::new(String::new()),
            managers: RwSignal::new(String::new()),
            grant_type: RwSignal::new("any".to_string()),
            granted_within_days: RwSignal::new(String::new()),
        }
    }

    fn check(self) -> CheckCampaignScope {
        CheckCampaignScope {
            apps: self.apps.get_untracked(),
            entitlements: self.entitlements.get_untracked(),
            users: self.users.get_untracked(),
            groups: self.groups.get_untracked(),
            managers: self.managers.get_untracked(),
            grant_type: self.grant_type.get_untracked(),
            granted_within_days: self.granted_within_days.get_untracked(),
        }
    }
}

#[component]
pub fn CreateCampaignForm(actions: CreateActions) -> impl IntoView {
    let CreateActions { create, check } = actions;
    let scope = ScopeFields::new();
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/access-reviews/{id}"), Default::default());
        }
    });
    view! {
        <details class="panel" data-new-campaign="">
            <summary>"New campaign"</summary>
            <ActionForm action=create attr:class="stacked">
                <label>"Name"<input name="name" required maxlength="200"/></label>
                <label>"Description"<textarea name="description" rows="2"></textarea></label>
                <PeoplePicker
                    name="owners"
                    label="Owners (each a Super Admin or Campaign Administrator; none: you)"
                    owners=true
                />
                <label>"Due date"<input name="due_date" type="date"/></label>
                <label>
                    "Review instructions (Markdown, shown to reviewers)"
                    <textarea name="instructions" rows="4"></textarea>
                </label>
                <fieldset>
                    <legend>"Scope"</legend>
                    <p class="hint">"Grants of these apps and/or entitlements, narrowed by who holds them, their type and their age."</p>
                    <label>"Apps (names, comma-separated)"<input name="apps" bind:value=scope.apps/></label>
                    <label>"Entitlements (\"App / Entitlement\", comma-separated)"<input name="entitlements" bind:value=scope.entitlements/></label>
                    <label>"Only people (emails)"<input name="users" bind:value=scope.users/></label>
                    <label>"Only members of groups (names)"<input name="groups" bind:value=scope.groups/></label>
                    <label>"Only reports of managers (emails)"<input name="managers" bind:value=scope.managers/></label>
                    <label>
                        "Grant type"
                        <select name="grant_type" on:change=move |ev| scope.grant_type.set(event_target_value(&ev))>
                            <option value="any" selected>"Temporary and permanent"</option>
                            <option value="temporary">"Temporary only"</option>
                            <option value="permanent">"Permanent only"</option>
                        </select>
                    </label>
                    <label>
                        "Granted within the last N days (empty: any time)"
                        <input name="granted_within_days" type="number" min="1" max="3650" bind:value=scope.granted_within_days/>
                    </label>
                    <button type="button" class="button" on:click=move |_| { check.dispatch(scope.check()); }>
                        "Validate scope"
                    </button>
                    <ScopeResult check/>
                </fieldset>
                <fieldset>
                    <legend>"Reviewers"</legend>
                    <p class="hint">"When none of these can review a grant, the campaign owners do."</p>
                    <label class="inline"><input type="checkbox" name="reviewer_manager" value="on" checked/>" The holder's manager"</label>
                    <label class="inline"><input type="checkbox" name="reviewer_app_owners" value="on"/>" The app's owners"</label>
                    <label class="inline"><input type="checkbox" name="reviewer_entitlement_owners" value="on"/>" The entitlement's owners"</label>
                    <PeoplePicker name="reviewer_users" label="Named reviewers" owners=false/>
                    <label>"Members of a group (name)"<input name="reviewer_group"/></label>
                    <label class="inline"><input type="checkbox" name="use_entitlement_policies" value="on"/>" Use an entitlement's own review policy when it has one"</label>
                    <label class="inline"><input type="checkbox" name="require_certify_reason" value="on"/>" A reason is required to certify"</label>
                    <label class="inline"><input type="checkbox" name="require_deny_reason" value="on" checked/>" A reason is required to deny"</label>
                    <label class="inline"><input type="checkbox" name="allow_reassignment" value="on" checked/>" Reviewers may reassign their reviews"</label>
                </fieldset>
                <fieldset>
                    <legend>"Settings"</legend>
                    <label class="inline"><input type="checkbox" name="remediate_immediately" value="on"/>" Remove denied access as soon as the review is submitted (otherwise when the campaign ends)"</label>
                    <label>
                        "On the due date"
                        <select name="auto_end">
                            <option value="" selected>"Keep running until an owner ends it"</option>
                            <option value="skip">"End it; open reviews are skipped (access stays)"</option>
                            <option value="revoke">"End it; open reviews are revoked (access removed)"</option>
                        </select>
                    </label>
                </fieldset>
                <button type="submit" class="button">"Create draft"</button>
            </ActionForm>
            <ActionError action=create/>
        </details>
    }
}

/// Picks people from the directory: typing part of a name or email offers the matching people
/// (a server function, shown as the input's suggestions); choosing one, or pressing Enter or
/// **Add** on an email, a name or the only suggestion, adds them to the list. The form posts
/// `name` as comma-separated emails; text that names nobody is posted too, so the server's
/// error says which entry is wrong, and nothing typed or picked is lost meanwhile.
#[component]
pub(super) fn PeoplePicker(
    name: &'static str,
    label: &'static str,
    /// Only people who may own a campaign.
    owners: bool,
    /// The people already chosen (an edit).
    #[prop(optional)]
    initial: Vec<PersonOption>,
) -> impl IntoView {
    let chosen = RwSignal::new(initial);
    let typed = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    // Asked from the browser only (effects don't run on the server, which renders the picker
    // empty). Not a resource: one read inside the page's Suspense would hold the server's render
    // on a load that never happens there.
    let suggestions = RwSignal::new(Vec::<PersonOption>::new());
    Effect::new(move || {
        let query = typed.get().trim().to_string();
        if query.is_empty() {
            suggestions.set(Vec::new());
            return;
        }
        leptos::task::spawn_local(async move {
            let found = search_people(query.clone(), if owners { "on" } else { "" }.to_string())
                .await
                .unwrap_or_default();
            // A slower answer to an older query is not shown over a newer one.
            if typed.try_get_untracked().is_some_and(|t| t.trim() == query) {
                suggestions.try_set(found);
            }
        });
    });
    let offered = move || suggestions.get();
    let choose = move |p: PersonOption| {
        chosen.update(|list| {
            if !list.iter().any(|c| c.email.eq_ignore_ascii_case(&p.email)) {
                list.push(p);
            }
        });
        typed.set(String::new());
        problem.set(None);
    };
    // Choosing a suggestion puts its email in the input: take it as soon as it is offered.
    Effect::new(move || {
        let text = typed.get();
        if let Some(p) = offered()
            .into_iter()
            .find(|p| p.email.eq_ignore_ascii_case(text.trim()))
        {
            choose(p);
        }
    });
    let add = move || {
        let text = typed.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        match pick_person(&offered(), &text) {
            Some(p) => choose(p),
            None => problem.set(Some(format!(
                "Nobody{} in the directory is \"{}\": type part of a name or email and pick from the suggestions.",
                if owners { " who may own a campaign" } else { "" },
                text.trim()
            ))),
        }
    };
    let list_id = format!("people-{name}");
    let posted = move || {
        let mut emails: Vec<String> = chosen.with(|c| c.iter().map(|p| p.email.clone()).collect());
        let rest = typed.get();
        if !rest.trim().is_empty() {
            emails.push(rest.trim().to_string());
        }
        emails.join(", ")
    };
    view! {
        <div class="people-picker" data-people-picker=name>
            <input type="hidden" name=name prop:value=posted/>
            <label>
                {label}
                <input
                    type="search"
                    list=list_id.clone()
                    autocomplete="off"
                    placeholder="Type a name or email"
                    prop:value=move || typed.get()
                    on:input=move |ev| {
                        typed.set(event_target_value(&ev));
                        problem.set(None);
                    }
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            add();
                        }
                    }
                />
            </label>
            <button type="button" class="button-link" on:click=move |_| add()>"Add"</button>
            <datalist id=list_id>
                {move || offered().into_iter().map(|p| view! {
                    <option value=p.email.clone()>{format!("{} ({})", p.name, p.email)}</option>
                }).collect_view()}
            </datalist>
            {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
            <ul class="chosen-people">
                {move || chosen.get().into_iter().map(|p| {
                    let email = p.email.clone();
                    view! {
                        <li data-person=p.email.clone()>
                            {if p.name.is_empty() { p.email.clone() } else { format!("{} ({})", p.name, p.email) }}
                            " "
                            <button type="button" class="button-link" aria-label=format!("Remove {}", p.email)
                                on:click=move |_| chosen.update(|c| c.retain(|x| x.email != email))>
                                "Remove"
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
}

/// What "Validate scope" found.
#[component]
fn ScopeResult(check: ServerAction<CheckCampaignScope>) -> impl IntoView {
    move || {
        check.value().get().map(|result| match result {
            Ok(ScopeCheck { count, sample }) => view! {
                <div class="notice" role="status" data-scope-count=count.to_string()>
                    <p>{format!(
                        "{count} grant{} in scope right now.{}",
                        if count == 1 { "" } else { "s" },
                        if (sample.len() as u64) < count { format!(" The first {}:", sample.len()) } else { String::new() },
                    )}</p>
                    {(!sample.is_empty()).then(|| view! {
                        <table class="list">
                            <thead><tr><th>"Holder"</th><th>"App"</th><th>"Entitlement"</th><th>"Granted"</th><th>"Expires"</th></tr></thead>
                            <tbody>
                                {sample.into_iter().map(|g| view! {
                                    <tr>
                                        <td>{g.subject}</td><td>{g.app}</td><td>{g.entitlement}</td>
                                        <td>{utc_minute_ms(g.granted_at)}</td>
                                        <td>{g.expires_at.map(utc_minute_ms).unwrap_or_else(|| "permanent".into())}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                </div>
            }.into_any(),
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        })
    }
}
