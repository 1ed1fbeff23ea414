//! One campaign, for those who manage it: its details, progress (overall, by app, by reviewer),
//! the lifecycle buttons its state allows (`Campaign::actions_for`: Stage, Start, End asking
//! whether open reviews are skipped or revoked, Complete), the report with each file's SHA-256,
//! and the **Configuration** tab: the campaign's settings and the fields its state leaves
//! editable (the review instructions stay editable while it runs).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::mine::Pager;
use super::{progress, status_label};
use crate::api::campaigns::{
    ChangeCampaignStatus, EditCampaign, ReassignReview, campaign_detail, campaign_open_reviews,
};
use crate::components::async_list::list_or_empty;
use crate::components::forms::ActionError;
use crate::components::time::utc_minute_ms;
use crate::error::AppError;
use crate::shapes::{CampaignDetail, ProgressLine, ScopeFormValues};

/// The page's actions; each reloads the campaign when it completes.
#[derive(Clone, Copy)]
struct CampaignActions {
    change: ServerAction<ChangeCampaignStatus>,
    edit: ServerAction<EditCampaign>,
    reassign: ServerAction<ReassignReview>,
}

#[component]
pub fn CampaignPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let configuration = move || query.with(|q| q.get("tab").as_deref() == Some("configuration"));
    let actions = CampaignActions {
        change: ServerAction::new(),
        edit: ServerAction::new(),
        reassign: ServerAction::new(),
    };
    // Made here, not inside the Suspense: its content is rebuilt whenever the campaign reloads,
    // and actions made there would be disposed while the channel's resources still track them.
    super::communications::ChannelActions::provide();
    let detail = Resource::new(
        move || {
            (
                id(),
                actions.change.version().get(),
                actions.edit.version().get(),
            )
        },
        |(id, _, _)| campaign_detail(id),
    );
    view! {
        <Title text="Access review"/>
        <p class="breadcrumbs"><a href="/access-reviews">"Access reviews"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let configuration = configuration();
                Suspend::new(async move {
                    match detail.await {
                        Err(AppError::NotFound(what)) => {
                            crate::components::status::set_status(404);
                            view! { <h1>"Not found"</h1><p>{format!("{what} was not found.")}</p> }.into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(d) => view! { <Campaign d configuration actions/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Campaign(d: CampaignDetail, configuration: bool, actions: CampaignActions) -> impl IntoView {
    let base = format!("/access-reviews/{}", d.id);
    let tabs = [
        ("Overview", base.clone(), !configuration),
        (
            "Configuration",
            format!("{base}?tab=configuration"),
            configuration,
        ),
    ];
    view! {
        <Title text=d.name.clone()/>
        <h1>{d.name.clone()}" "<span class="badge" data-status=d.status.clone()>{status_label(&d.status)}</span></h1>
        <p class="muted">
            {format!(
                "Owned by {}. Due {}. Created {} by {}.",
                d.owners.join(", "),
                d.due_at.map(utc_minute_ms).unwrap_or_else(|| "— no due date yet".into()),
                utc_minute_ms(d.created_at),
                d.created_by,
            )}
        </p>
        <super::communications::ChannelLink id=d.id.clone()/>
        <nav class="tabs" aria-label="Campaign">
            {tabs.into_iter().map(|(label, href, current)| view! {
                <a href=href aria-current=current.then_some("page")>{label}</a>
            }).collect_view()}
        </nav>
        {move || actions.change.value().get().and_then(Result::ok).map(|message| view! {
            <p class="notice" role="status">{message}</p>
        })}
        <ActionError action=actions.change/>
        <ActionError action=actions.edit/>
        <ActionError action=actions.reassign/>
        {if configuration {
            view! { <Configuration d=d.clone() actions/> }.into_any()
        } else {
            view! { <Overview d=d.clone() actions/> }.into_any()
        }}
    }
}

#[component]
fn Overview(d: CampaignDetail, actions: CampaignActions) -> impl IntoView {
    view! {
        <Lifecycle d=d.clone() actions/>
        <section class="panel" data-progress="">
            <h2>"Progress"</h2>
            <p>
                {format!("{} reviewed", progress(d.done, d.total))}
                " "<progress value=d.done.to_string() max=d.total.max(1).to_string()></progress>
            </p>
            {(!d.outcomes.is_empty()).then(|| view! {
                <p class="muted">
                    {d.outcomes.iter().map(|(o, n)| format!("{o}: {n}")).collect::<Vec<_>>().join(" · ")}
                </p>
            })}
            <ProgressTable title="By app" lines=d.by_app.clone()/>
            <ProgressTable title="By reviewer" lines=d.by_reviewer.clone()/>
        </section>
        {matches!(d.status.as_str(), "staged" | "running").then(|| view! {
            <OpenReviews id=d.id.clone() reassign=actions.reassign running=d.status == "running"/>
        })}
        {d.report.clone().map(|r| {
            let href = |format: &str| format!("/reports/access-review?campaign={}&format={format}", d.id);
            view! {
                <section class="panel" data-report="">
                    <h2>"Report"</h2>
                    <p class="hint">{format!(
                        "One row per reviewed grant ({}), with the decision, reviewer, time and reason. The SHA-256 is of the file as it reads now.",
                        r.rows
                    )}</p>
                    <ul>
                        <li>
                            <a href=href("csv") rel="external" download="">"Download CSV"</a>
                            " SHA-256 "<code data-sha256="csv">{r.csv_sha256.clone()}</code>
                        </li>
                        <li>
                            <a href=href("xlsx") rel="external" download="">"Download XLSX"</a>
                            " SHA-256 "<code data-sha256="xlsx">{r.xlsx_sha256.clone()}</code>
                        </li>
                    </ul>
                </section>
            }
        })}
        {(!d.milestones.is_empty()).then(|| view! {
            <section class="panel">
                <h2>"History"</h2>
                <ul>
                    {d.milestones.iter().map(|(what, at, by)| view! {
                        <li>{format!("{what} {} by {by}", utc_minute_ms(*at))}</li>
                    }).collect_view()}
                    {d.open_reviews.clone().map(|o| view! {
                        <li>{format!("Open reviews at the end: {}", if o == "revoke" { "revoked" } else { "skipped" })}</li>
                    })}
                </ul>
            </section>
        })}
        <section class="panel">
            <h2>"Review instructions"</h2>
            {if d.instructions.trim().is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                view! { <div class="instructions markdown" inner_html=d.instructions_html.clone()></div> }.into_any()
            }}
        </section>
    }
}

/// The open reviews with their reviewers, each reassignable with a reason: a page at a time
/// (`?open_page=`), by app and holder.
#[component]
fn OpenReviews(
    id: String,
    reassign: ServerAction<ReassignReview>,
    /// Shows each review's **Send reminder** (a running campaign).
    running: bool,
) -> impl IntoView {
    let query = use_query_map();
    let page = move || {
        query.with(|q| {
            q.get("open_page")
                .and_then(|p| p.parse::<u64>().ok())
                .unwrap_or(1)
        })
    };
    let base = format!("/access-reviews/{id}?");
    let reviews = Resource::new(
        move || (id.clone(), page(), reassign.version().get()),
        |(id, page, _)| campaign_open_reviews(id, page),
    );
    view! {
        <section class="panel" data-open-reviews="">
            <h2>"Open reviews"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || { let base = base.clone(); Suspend::new(async move {
                    let (page, total, reviews) = match reviews.await {
                        Ok(p) => (p.page, p.total, Ok(p.rows)),
                        Err(e) => (1, 0, Err(e)),
                    };
                    view! {
                    <Pager page total noun="Open reviews" base param="open_page"/>
                    {list_or_empty(reviews, "No review is open.", |rows| view! {
                        <table class="list">
                            <thead><tr>
                                <th>"Holder"</th><th>"App"</th><th>"Entitlement"</th><th>"Reviewers"</th><th></th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| {
                                    let task = r.id.clone();
                                    view! {
                                    <tr data-review=r.id.clone()>
                                        <td>{r.subject.clone()}</td>
                                        <td>{r.app.clone()}</td>
                                        <td>{r.entitlement.clone()}</td>
                                        <td>{if r.reviewers.is_empty() { "nobody: reassign it".to_string() } else { r.reviewers.join(", ") }}</td>
                                        <td>
                                            {(running && !r.reviewers.is_empty()).then(|| view! {
                                                <super::reminders::SendReminder review=task.clone()/>
                                            })}
                                            {r.actions.reassign.then(|| view! {
                                                <details>
                                                    <summary>"Reassign"</summary>
                                                    <ActionForm action=reassign attr:class="stacked">
                                                        <input type="hidden" name="id" value=task.clone()/>
                                                        <label>"To (email)"<input name="to_email" type="email" required/></label>
                                                        <label>"Reason"<input name="reason" required/></label>
                                                        <button type="submit" class="button">"Reassign"</button>
                                                    </ActionForm>
                                                </details>
                                            })}
                                        </td>
                                    </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                    }
                })}}
            </Suspense>
        </section>
    }
}

#[component]
fn ProgressTable(title: &'static str, lines: Vec<ProgressLine>) -> impl IntoView {
    (!lines.is_empty()).then(|| {
        view! {
            <h3>{title}</h3>
            <table class="list">
                <tbody>
                    {lines.into_iter().map(|l| view! {
                        <tr><td>{l.label}</td><td>{progress(l.done, l.total)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
    })
}

/// The lifecycle buttons the viewer may press now.
#[component]
fn Lifecycle(d: CampaignDetail, actions: CampaignActions) -> impl IntoView {
    let change = actions.change;
    let a = d.actions;
    let id = d.id.clone();
    let button_id = d.id.clone();
    let button = move |action: &'static str, label: &'static str, hint: &'static str| {
        let id = button_id.clone();
        view! {
            <ActionForm action=change attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="action" value=action/>
                <button type="submit" class="button" data-action=action>{label}</button>
                " "<span class="hint">{hint}</span>
            </ActionForm>
        }
    };
    (a.stage || a.start || a.end || a.complete).then(|| view! {
        <section class="panel" data-lifecycle="">
            {a.stage.then(|| button("stage", "Stage", "Takes the snapshot: one review per grant in scope now. Scope and reviewers are then frozen."))}
            {a.start.then(|| { let id = d.id.clone(); view! {
                <ActionForm action=change attr:class="inline">
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="action" value="start"/>
                    <label class="inline"><input type="checkbox" name="notify_reviewers"/>" Notify reviewers now (a Slack message to each)"</label>
                    " "<button type="submit" class="button" data-action="start">"Start"</button>
                    " "<span class="hint">"Opens the reviews to the reviewers."</span>
                </ActionForm>
            }})}
            {a.end.then(|| view! { <super::reminders::SendReminders id=d.id.clone()/> })}
            {a.end.then(|| view! {
                <ActionForm action=change attr:class="stacked">
                    <input type="hidden" name="id" value=id.clone()/>
                    <input type="hidden" name="action" value="end"/>
                    <fieldset>
                        <legend>"End the campaign: open reviews are…"</legend>
                        <label class="inline"><input type="radio" name="open_reviews" value="skip" required/>" Skipped (the access stays)"</label>
                        <label class="inline"><input type="radio" name="open_reviews" value="revoke"/>" Revoked (the access is removed)"</label>
                    </fieldset>
                    <button type="submit" class="button" data-action="end">"End campaign"</button>
                </ActionForm>
            })}
            {a.complete.then(|| button("complete", "Complete", "Seals the campaign: read-only from then on."))}
        </section>
    })
}

/// The Configuration tab: the campaign's settings, and the fields its state leaves editable.
#[component]
fn Configuration(d: CampaignDetail, actions: CampaignActions) -> impl IntoView {
    let e = d.editable;
    let can_edit = d.actions.edit && e.any();
    view! {
        <section class="panel" data-configuration="settings">
            <h2>"Settings"</h2>
            <h3>"Scope"</h3>
            <ul>{d.scope.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}</ul>
            <h3>"Reviewers"</h3>
            <ul>{d.reviewers.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}</ul>
            <h3>"Removal and end"</h3>
            <ul>
                <li>{if d.remediate_immediately {
                    "Denied access is removed as soon as the review is submitted."
                } else {
                    "Denied access is removed when the campaign ends."
                }}</li>
                <li>{match d.auto_end.as_deref() {
                    Some("revoke") => "Ends on its due date; open reviews are revoked.",
                    Some(_) => "Ends on its due date; open reviews are skipped.",
                    None => "Keeps running past its due date until an owner ends it.",
                }}</li>
            </ul>
            {(!d.description.is_empty()).then(|| view! { <h3>"Description"</h3><p>{d.description.clone()}</p> })}
        </section>
        <super::communications::Communications id=d.id.clone()/>
        {can_edit.then(|| view! { <EditForm d=d.clone() action=actions.edit/> })}
    }
}

#[component]
fn EditForm(d: CampaignDetail, action: ServerAction<EditCampaign>) -> impl IntoView {
    let e = d.editable;
    let due = d
        .due_at
        .map(|ms| utc_minute_ms(ms).chars().take(10).collect::<String>())
        .unwrap_or_default();
    let auto_end = d.auto_end.clone().unwrap_or_default();
    view! {
        <section class="panel" data-configuration="edit">
            <h2>"Edit"</h2>
            <ActionForm action attr:class="stacked">
                <input type="hidden" name="id" value=d.id.clone()/>
                <input type="hidden" name="version" value=d.version.to_string()/>
                {e.name.then(|| view! { <label>"Name"<input name="name" required maxlength="200" value=d.name.clone()/></label> })}
                {e.description.then(|| view! { <label>"Description"<textarea name="description" rows="2">{d.description.clone()}</textarea></label> })}
                {e.owners.then(|| view! { <label>"Owners (emails)"<input name="owners" value=d.owner_emails.clone()/></label> })}
                {e.due_date.then(|| view! { <label>"Due date"<input name="due_date" type="date" value=due.clone()/></label> })}
                {e.instructions.then(|| view! {
                    <label>"Review instructions (Markdown)"<textarea name="instructions" rows="6">{d.instructions.clone()}</textarea></label>
                })}
                {e.remediate_immediately.then(|| view! {
                    <label class="inline">
                        <input type="checkbox" name="remediate_immediately" value="on" checked=d.remediate_immediately/>
                        " Remove denied access as soon as the review is submitted"
                    </label>
                })}
                {e.auto_end.then(|| view! {
                    <label>
                        "On the due date"
                        <select name="auto_end">
                            <option value="" selected=auto_end.is_empty()>"Keep running until an owner ends it"</option>
                            <option value="skip" selected=auto_end == "skip">"End it; open reviews are skipped"</option>
                            <option value="revoke" selected=auto_end == "revoke">"End it; open reviews are revoked"</option>
                        </select>
                    </label>
                })}
                {d.scope_form.clone().map(|f| view! { <ScopeFields f/> })}
                <button type="submit" class="button">"Save"</button>
            </ActionForm>
        </section>
    }
}

/// A draft's scope and reviewers in the edit form, as they are now.
#[component]
fn ScopeFields(f: ScopeFormValues) -> impl IntoView {
    let grant_type = f.grant_type.clone();
    let option = move |value: &'static str, label: &'static str| {
        view! { <option value=value selected=grant_type == value>{label}</option> }
    };
    let check = |name: &'static str, on: bool, label: &'static str| {
        view! { <label class="inline"><input type="checkbox" name=name value="on" checked=on/>{label}</label> }
    };
    view! {
        <input type="hidden" name="with_scope" value="on"/>
        <fieldset>
            <legend>"Scope"</legend>
            <label>"Apps (names, comma-separated)"<input name="apps" value=f.apps.clone()/></label>
            <label>"Entitlements (\"App / Entitlement\", comma-separated)"<input name="entitlements" value=f.entitlements.clone()/></label>
            <label>"Only people (emails)"<input name="users" value=f.users.clone()/></label>
            <label>"Only members of groups (names)"<input name="groups" value=f.groups.clone()/></label>
            <label>"Only reports of managers (emails)"<input name="managers" value=f.managers.clone()/></label>
            <label>
                "Grant type"
                <select name="grant_type">
                    {option("any", "Temporary and permanent")}
                    {option("temporary", "Temporary only")}
                    {option("permanent", "Permanent only")}
                </select>
            </label>
            <label>
                "Granted within the last N days (empty: any time)"
                <input name="granted_within_days" type="number" min="1" max="3650" value=f.granted_within_days.clone()/>
            </label>
        </fieldset>
        <fieldset>
            <legend>"Reviewers"</legend>
            {check("reviewer_manager", f.reviewer_manager, " The holder's manager")}
            {check("reviewer_app_owners", f.reviewer_app_owners, " The app's owners")}
            {check("reviewer_entitlement_owners", f.reviewer_entitlement_owners, " The entitlement's owners")}
            <label>"Named reviewers (emails)"<input name="reviewer_users" value=f.reviewer_users.clone()/></label>
            <label>"Members of a group (name)"<input name="reviewer_group" value=f.reviewer_group.clone()/></label>
            {check("use_entitlement_policies", f.use_entitlement_policies, " Use an entitlement's own review policy when it has one")}
            {check("require_certify_reason", f.require_certify_reason, " A reason is required to certify")}
            {check("require_deny_reason", f.require_deny_reason, " A reason is required to deny")}
            {check("allow_reassignment", f.allow_reassignment, " Reviewers may reassign their reviews")}
        </fieldset>
    }
}

crate::pages::lazy_page!(CampaignRoute, CampaignPage);
