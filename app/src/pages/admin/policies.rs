//! Request policies: a list (each policy's steps in words, its revision, what uses it) and a
//! structured editor. The editor keeps the policy in signals and posts it as the JSON of
//! `PolicyInput` (people as emails, groups by name); the server resolves the names and answers
//! every problem at once, each naming its step. A refused save leaves what the admin typed in
//! place. Without JavaScript the page still lists and deletes policies, and a save attempt says
//! plainly that nothing was saved.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::policies::{DeletePolicy, SavePolicy, policy_overview};
use crate::components::async_list::{load_error, loaded};
use crate::components::forms::ActionError;
use crate::components::require::RequireSuperAdmin;
use crate::domain::MAX_POLICY_STEPS;
use crate::shapes::{PolicyInput, PolicyRow, StepInput};

const KINDS: [(&str, &str); 4] = [
    ("approval", "Approval"),
    ("external_decider", "External decider"),
    ("auto_approve", "Auto-approve"),
    ("deny", "Deny"),
];

const NOSCRIPT: &str = "<p class=\"error\">The policy editor needs JavaScript. Without it you can read and delete policies here, but changes cannot be saved.</p>";

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let query = use_query_map();
    let save = ServerAction::<SavePolicy>::new();
    let delete = ServerAction::<DeletePolicy>::new();
    let overview = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| policy_overview(),
    );
    let editing = Memo::new(move |_| query.with(|q| q.get("edit").filter(|s| !s.is_empty())));
    // The editor's copy is fetched again only when another policy is chosen, never after a save,
    // so a refused save leaves the editor exactly as the admin left it.
    let editor_data = Resource::new(
        move || editing.get(),
        |edit| async move { (edit, policy_overview().await) },
    );
    // After creating a policy, go on editing it.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = save.value().get()
            && editing.get_untracked().as_deref() != Some(id.as_str())
        {
            navigate(&format!("/admin/policies?edit={id}"), Default::default());
        }
    });
    // Choosing another policy drops the previous one's errors.
    Effect::watch(
        move || editing.get(),
        move |_, _, _| {
            if matches!(save.value().get_untracked(), Some(Err(_))) {
                save.value().set(None);
            }
        },
        false,
    );

    view! {
        <Title text="Request policies"/>
        <RequireSuperAdmin>
            <h1>"Request policies"</h1>
            <p class="lead">
                "A policy is an ordered list of steps. One decision completes an approval step; a deny at any step ends the request. "
                "Requests keep the version of the policy they started with, so editing a policy only changes new requests."
            </p>
            <ActionError action=delete/>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    loaded(overview.await, |o| view! {
                        <ul class="policy-list">
                            {o.policies.into_iter().map(|p| view! { <PolicyItem policy=p delete/> }).collect_view()}
                        </ul>
                    })
                })}
            </Suspense>
            <Suspense fallback=|| view! { <p>"Loading the editor…"</p> }>
                {move || Suspend::new(async move {
                    let (edit, data) = editor_data.await;
                    let o = match data {
                        Ok(o) => o,
                        Err(e) => return load_error(&e).into_any(),
                    };
                    let chosen = edit
                        .as_ref()
                        .map(|id| o.policies.iter().find(|p| &p.id == id && !p.builtin).cloned());
                    match chosen {
                        Some(Some(p)) => view! {
                            <PolicyEditor
                                id=Some(p.id.clone())
                                revision=Some(p.revision)
                                heading=format!("Edit “{}”", p.name)
                                input=p.input
                                groups=o.groups
                                save
                            />
                        }.into_any(),
                        Some(None) => view! {
                            <section class="panel policy-editor">
                                <p class="error">"That policy does not exist or is built in (built-in policies cannot be edited)."</p>
                                <a class="button" href="/admin/policies">"New policy"</a>
                            </section>
                        }.into_any(),
                        None => view! {
                            <PolicyEditor
                                id=None
                                revision=None
                                heading="New policy".to_string()
                                input=PolicyInput {
                                    name: String::new(),
                                    steps: vec![StepInput { manager: true, ..StepInput::default() }],
                                }
                                groups=o.groups
                                save
                            />
                        }.into_any(),
                    }
                })}
            </Suspense>
        </RequireSuperAdmin>
    }
}

/// One policy in the list: summary, revision, what uses it; edit and (when unused) delete.
#[component]
fn PolicyItem(policy: PolicyRow, delete: ServerAction<DeletePolicy>) -> impl IntoView {
    let used = !policy.used_by.is_empty();
    let usage = if used {
        format!("Used by {}.", policy.used_by.join("; "))
    } else if policy.builtin {
        "Not used by any app or entitlement.".to_string()
    } else {
        "Not used by any app or entitlement, so it can be deleted.".to_string()
    };
    view! {
        <li class="policy-item" data-policy=policy.name.clone()>
            <div class="policy-head">
                <strong class="policy-name">{policy.name.clone()}</strong>
                <span class="policy-revision">{format!("revision {}", policy.revision)}</span>
                {policy.builtin.then(|| view! { <span class="policy-badge">"built in, read-only"</span> })}
                {policy.managed_by.clone().map(|file| view! { <span class="badge managed" data-testid="managed-in-code" title=format!("Managed in code: {file}. Change it in Git, or unlock console edits in Settings.")>"managed in code"</span> })}
            </div>
            <p class="policy-summary">{policy.summary.clone()}</p>
            <p class="policy-usage">{usage}</p>
            {(!policy.builtin).then(|| view! {
                <div class="policy-actions">
                    <a class="button" href=format!("/admin/policies?edit={}", policy.id)>"Edit"</a>
                    {(!used).then(|| view! {
                        <ActionForm action=delete attr:class="inline">
                            <input type="hidden" name="id" value=policy.id.clone()/>
                            <button type="submit" class="button danger">"Delete"</button>
                        </ActionForm>
                    })}
                </div>
            })}
        </li>
    }
}

/// The editor's state for one step: a signal per field, and a key that survives reordering.
#[derive(Clone, Copy)]
struct StepState {
    key: u64,
    kind: RwSignal<String>,
    message: RwSignal<String>,
    manager: RwSignal<bool>,
    app_owners: RwSignal<bool>,
    entitlement_owners: RwSignal<bool>,
    users: RwSignal<String>,
    groups: RwSignal<Vec<String>>,
    allow_self_approval: RwSignal<bool>,
    require_approval_reason: RwSignal<bool>,
    require_denial_reason: RwSignal<bool>,
    require_distinct_approvers: RwSignal<bool>,
    allow_reassignment: RwSignal<bool>,
    fallback_users: RwSignal<String>,
    decider_name: RwSignal<String>,
    decider_url: RwSignal<String>,
    /// As typed; an empty or unreadable value is sent as 0, which the server refuses.
    decider_timeout: RwSignal<String>,
}

impl StepState {
    fn new(key: u64, s: StepInput) -> StepState {
        StepState {
            key,
            kind: RwSignal::new(s.kind),
            message: RwSignal::new(s.message),
            manager: RwSignal::new(s.manager),
            app_owners: RwSignal::new(s.app_owners),
            entitlement_owners: RwSignal::new(s.entitlement_owners),
            users: RwSignal::new(s.users),
            groups: RwSignal::new(s.groups),
            allow_self_approval: RwSignal::new(s.allow_self_approval),
            require_approval_reason: RwSignal::new(s.require_approval_reason),
            require_denial_reason: RwSignal::new(s.require_denial_reason),
            require_distinct_approvers: RwSignal::new(s.require_distinct_approvers),
            allow_reassignment: RwSignal::new(s.allow_reassignment),
            fallback_users: RwSignal::new(s.fallback_users),
            decider_name: RwSignal::new(s.decider_name),
            decider_url: RwSignal::new(s.decider_url),
            decider_timeout: RwSignal::new(s.decider_timeout_secs.to_string()),
        }
    }

    fn input(&self) -> StepInput {
        StepInput {
            kind: self.kind.get(),
            message: self.message.get(),
            manager: self.manager.get(),
            app_owners: self.app_owners.get(),
            entitlement_owners: self.entitlement_owners.get(),
            users: self.users.get(),
            groups: self.groups.get(),
            allow_self_approval: self.allow_self_approval.get(),
            require_approval_reason: self.require_approval_reason.get(),
            require_denial_reason: self.require_denial_reason.get(),
            require_distinct_approvers: self.require_distinct_approvers.get(),
            allow_reassignment: self.allow_reassignment.get(),
            fallback_users: self.fallback_users.get(),
            decider_name: self.decider_name.get(),
            decider_url: self.decider_url.get(),
            decider_timeout_secs: self.decider_timeout.get().trim().parse().unwrap_or(0),
        }
    }
}

/// The structured editor for a new (`id` None) or existing policy.
#[component]
fn PolicyEditor(
    id: Option<String>,
    /// The revision the editor was opened at (None for a new policy); the save sends it back so
    /// a save over someone else's newer edit is refused rather than lost.
    revision: Option<u64>,
    heading: String,
    input: PolicyInput,
    groups: Vec<String>,
    save: ServerAction<SavePolicy>,
) -> impl IntoView {
    let is_new = id.is_none();
    let revision = RwSignal::new(revision);
    // The editor is not reloaded after a save, and each save of this policy is one revision
    // on: follow it, so the next save from this editor is not taken for a stale one.
    let own_id = id.clone();
    Effect::watch(
        move || save.version().get(),
        move |_, _, _| {
            if let Some(Ok(saved)) = save.value().get_untracked()
                && own_id.as_deref() == Some(saved.as_str())
            {
                revision.update(|r| *r = r.map(|n| n + 1));
            }
        },
        false,
    );
    let name = RwSignal::new(input.name);
    let next_key = StoredValue::new(input.steps.len() as u64);
    let steps = RwSignal::new(
        input
            .steps
            .into_iter()
            .zip(0u64..)
            .map(|(s, key)| StepState::new(key, s))
            .collect::<Vec<_>>(),
    );
    let groups = StoredValue::new(groups);
    // The policy travels as JSON built here, so it is only filled in once the editor runs in
    // the browser; a plain form post sends it empty and the server says nothing was saved.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let policy_json = move || {
        if !hydrated.get() {
            return String::new();
        }
        let input = PolicyInput {
            name: name.get(),
            steps: steps.get().iter().map(StepState::input).collect(),
        };
        serde_json::to_string(&input).unwrap_or_default()
    };
    let full = move || steps.with(Vec::len) >= MAX_POLICY_STEPS;
    // The server's problems, one per line ("Step 2, named users: unknown user …").
    let problems = Signal::derive(move || match save.value().get() {
        Some(Err(e)) => e
            .to_string()
            .lines()
            .map(|l| l.strip_prefix("Invalid policy: ").unwrap_or(l).to_string())
            .collect::<Vec<_>>(),
        _ => Vec::new(),
    });

    view! {
        <section class="panel policy-editor" id="policy-editor">
            <h2>{heading}</h2>
            <noscript inner_html=NOSCRIPT></noscript>
            <ActionForm action=save attr:class="stacked policy-form">
                <input type="hidden" name="id" value=id.clone().unwrap_or_default()/>
                {revision.get_untracked().is_some().then(|| view! {
                    <input type="hidden" name="version" prop:value=move || revision.get().map(|r| r.to_string()).unwrap_or_default()/>
                })}
                <input type="hidden" name="policy_json" prop:value=policy_json/>
                <label class="policy-name-field">"Name"
                    <input type="text" bind:value=name value=name.get_untracked()/>
                </label>
                <ol class="policy-steps">
                    <For
                        each=move || steps.get()
                        key=|s| s.key
                        children=move |step| view! { <StepEditor step steps groups problems/> }
                    />
                </ol>
                <p class="hint">
                    "Auto-approve and deny end the request, so they can only be the last step. "
                    {format!("At most {MAX_POLICY_STEPS} steps.")}
                </p>
                <div class="policy-form-actions">
                    <button
                        type="button"
                        class="button"
                        disabled=full
                        on:click=move |_| {
                            let key = next_key.get_value();
                            next_key.set_value(key + 1);
                            steps.update(|v| v.push(StepState::new(key, StepInput::default())));
                        }
                    >
                        "Add step"
                    </button>
                    <button type="submit" class="button primary">
                        {if is_new { "Create policy" } else { "Save policy" }}
                    </button>
                    {(!is_new).then(|| view! { <a class="button" href="/admin/policies">"Start a new policy instead"</a> })}
                </div>
            </ActionForm>
            {move || match save.value().get() {
                Some(Err(_)) => Some(view! {
                    <div class="error policy-errors" role="alert">
                        {(!problems.get().iter().any(|l| l.starts_with("Nothing was saved")))
                            .then_some(view! { <p>"Nothing was saved. Fix these and save again:"</p> })}
                        <ul>{problems.get().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                    </div>
                }.into_any()),
                Some(Ok(_)) => Some(view! {
                    <p class="notice" role="status">"Saved. Requests already in flight keep the version they started with."</p>
                }.into_any()),
                None => None,
            }}
        </section>
    }
}

/// One step: kind, reordering, and the fields of its kind, with the server's problems for it.
#[component]
fn StepEditor(
    step: StepState,
    steps: RwSignal<Vec<StepState>>,
    groups: StoredValue<Vec<String>>,
    problems: Signal<Vec<String>>,
) -> impl IntoView {
    let key = step.key;
    let index = move || steps.with(|v| v.iter().position(|s| s.key == key).unwrap_or(0));
    let number = move || index() + 1;
    let is_last = move || steps.with(|v| v.last().map(|s| s.key) == Some(key));
    let shift = move |down: bool| {
        steps.update(|v| {
            if let Some(i) = v.iter().position(|s| s.key == key) {
                let j = if down { i + 1 } else { i.wrapping_sub(1) };
                if j < v.len() {
                    v.swap(i, j);
                }
            }
        })
    };
    let mine = move || {
        let n = number();
        let (a, b) = (format!("Step {n},"), format!("Step {n}:"));
        problems
            .get()
            .into_iter()
            .filter(|l| l.starts_with(&a) || l.starts_with(&b))
            .collect::<Vec<_>>()
    };
    let kind_now = step.kind.get_untracked();

    view! {
        <li class="policy-step" data-step=move || number().to_string() class:has-problems=move || !mine().is_empty()>
            <div class="policy-step-head">
                <strong>{move || format!("Step {}", number())}</strong>
                <label>"Kind"
                    <select
                        prop:value=move || step.kind.get()
                        on:change=move |ev| step.kind.set(event_target_value(&ev))
                    >
                        {KINDS.iter().map(|(value, label)| view! {
                            <option value=*value selected=kind_now == *value>{*label}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="button" class="button" disabled=move || index() == 0 on:click=move |_| shift(false)>"Move up"</button>
                <button type="button" class="button" disabled=is_last on:click=move |_| shift(true)>"Move down"</button>
                <button type="button" class="button danger" on:click=move |_| steps.update(|v| v.retain(|s| s.key != key))>"Remove step"</button>
            </div>
            {move || if step.kind.get() == "approval" {
                approval_fields(step, groups).into_any()
            } else if step.kind.get() == "external_decider" {
                view! { {decider_fields(step)} {approval_fields(step, groups)} }.into_any()
            } else {
                message_field(step).into_any()
            }}
            <ul class="step-problems">
                {move || mine().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
        </li>
    }
}

fn check(signal: RwSignal<bool>, label: &'static str) -> impl IntoView {
    view! {
        <label class="check">
            <input type="checkbox" bind:checked=signal checked=signal.get_untracked()/>
            {label}
        </label>
    }
}

fn approval_fields(step: StepState, groups: StoredValue<Vec<String>>) -> impl IntoView {
    // Every group there is, plus any the step names that no longer exists (so it can be unticked).
    let mut choices = groups.get_value();
    for g in step.groups.get_untracked() {
        if !choices.contains(&g) {
            choices.push(g);
        }
    }
    let group_boxes = if choices.is_empty() {
        view! { <p class="hint">"No groups yet: create them under Directory."</p> }.into_any()
    } else {
        choices
            .into_iter()
            .map(|g| {
                let checked = step.groups.with_untracked(|v| v.contains(&g));
                let (shown, toggled) = (g.clone(), g.clone());
                view! {
                    <label class="check">
                        <input
                            type="checkbox"
                            checked=checked
                            prop:checked=move || step.groups.with(|v| v.contains(&shown))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                step.groups.update(|v| {
                                    v.retain(|x| x != &toggled);
                                    if on {
                                        v.push(toggled.clone());
                                    }
                                });
                            }
                        />
                        {g}
                    </label>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <div class="step-body">
            <fieldset class="step-approvers">
                <legend>"Approvers (one decision by any of them completes the step)"</legend>
                {check(step.manager, "Manager")}
                {check(step.app_owners, "App owners")}
                {check(step.entitlement_owners, "Entitlement owners")}
                <label>"Named users (emails)"
                    <input
                        type="text"
                        bind:value=step.users
                        value=step.users.get_untracked()
                        placeholder="alice@example.com, bob@example.com"
                    />
                </label>
                <fieldset class="step-groups">
                    <legend>"Members of groups"</legend>
                    {group_boxes}
                </fieldset>
            </fieldset>
            <fieldset class="step-settings">
                <legend>"Settings"</legend>
                {check(step.allow_self_approval, "Allow self-approval (the person getting the access may approve)")}
                {check(step.require_approval_reason, "Require a reason to approve")}
                {check(step.require_denial_reason, "Require a reason to deny")}
                {check(step.require_distinct_approvers, "Require distinct approvers (nobody who approved an earlier step)")}
                {check(step.allow_reassignment, "Allow reassignment")}
            </fieldset>
            <label>"Fallback users (emails)"
                <input type="text" bind:value=step.fallback_users value=step.fallback_users.get_untracked()/>
            </label>
            <p class="hint">
                "The fallback users get the step when no approver can be found (no manager, no owners, an empty group or one over 128 members) or none may decide. "
                "With nobody resolvable and no fallback users, the step goes to the Super Admins."
            </p>
        </div>
    }
}

/// An external decider step's own fields; the approver fields below it name its fallback humans.
fn decider_fields(step: StepState) -> impl IntoView {
    view! {
        <div class="step-body step-decider">
            <label>"Decider name"
                <input type="text" bind:value=step.decider_name value=step.decider_name.get_untracked() placeholder="risk-bot"/>
            </label>
            <label>"Decider URL"
                <input type="url" bind:value=step.decider_url value=step.decider_url.get_untracked() placeholder="https://decider.example.com/latch"/>
            </label>
            <label>"Timeout (seconds, 1–30)"
                <input type="number" min="1" max="30" bind:value=step.decider_timeout value=step.decider_timeout.get_untracked()/>
            </label>
            <p class="hint">
                "Latch posts the request's context, signed like provisioning webhooks, and the decider answers approve, deny or abstain with a reason. "
                "If it abstains, does not answer in time (after 3 attempts), fails or answers something unreadable, the step goes to the people chosen below: never an approval by default."
            </p>
        </div>
    }
}

fn message_field(step: StepState) -> impl IntoView {
    let explain = move || {
        if step.kind.get() == "deny" {
            "Denies every request that reaches this step."
        } else {
            "Approves every request that reaches this step."
        }
    };
    view! {
        <div class="step-body">
            <label>"Message (optional)"
                <textarea rows="2" bind:value=step.message>{step.message.get_untracked()}</textarea>
            </label>
            <p class="hint">{explain}" The message is recorded on the request."</p>
        </div>
    }
}

crate::pages::lazy_page!(PoliciesRoute, PoliciesPage);
