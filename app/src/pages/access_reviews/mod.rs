//! Access reviews: the campaigns the viewer manages in three tabs (Running; Drafts, with staged
//! campaigns not started yet; Completed, with ended campaigns still to complete), each with its
//! owners, due date and progress; creating a campaign (Super Admins and Campaign
//! Administrators); one campaign's page ([`detail`]); and a reviewer's own reviews ([`mine`]).
//! Every page here is a lazy route: its code loads when it is visited.

pub mod communications;
mod create;
pub mod detail;
pub mod mine;
mod reminders;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::campaigns::list_campaigns;
use crate::components::async_list::loaded;
use crate::components::time::utc_minute_ms;
use crate::shapes::{CampaignList, CampaignRow};

/// The tabs: their query value, label, and the statuses they list.
const TABS: [(&str, &str, &[&str]); 3] = [
    ("running", "Running", &["running"]),
    ("drafts", "Drafts", &["draft", "staged"]),
    ("completed", "Completed", &["ended", "completed"]),
];

/// A campaign's status in words.
pub(crate) fn status_label(status: &str) -> &'static str {
    match status {
        "draft" => "Draft",
        "staged" => "Staged, not started",
        "running" => "Running",
        "ended" => "Ended, to complete",
        "completed" => "Completed",
        _ => "Unknown",
    }
}

/// "3 / 10 reviewed".
pub(crate) fn progress(done: u64, total: u64) -> String {
    format!("{done} / {total}")
}

#[component]
pub fn AccessReviewsPage() -> impl IntoView {
    let query = use_query_map();
    let tab = move || {
        query.with(|q| {
            q.get("tab")
                .filter(|t| TABS.iter().any(|(key, _, _)| key == t))
                .unwrap_or_else(|| "running".to_string())
        })
    };
    let created = create::CreateActions::new();
    let list = Resource::new(move || created.version(), |_| list_campaigns());
    view! {
        <Title text="Access reviews"/>
        <h1>"Access reviews"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let tab = tab();
                Suspend::new(async move {
                    loaded(list.await, move |l: CampaignList| {
                        let can_create = l.can_create;
                        let manages_any = !l.campaigns.is_empty();
                        view! {
                            <p>
                                <a href="/access-reviews/mine">
                                    {format!("My reviews ({} open)", l.my_open_reviews)}
                                </a>
                            </p>
                            {(manages_any || can_create).then(|| view! { <Tabs tab=tab.clone() rows=l.campaigns/> })}
                            {(!manages_any && !can_create).then(|| view! {
                                <p class="empty-state">
                                    "Campaigns are run by Super Admins and Campaign Administrators. Reviews you are asked for are under My reviews."
                                </p>
                            })}
                            {can_create.then(|| view! { <create::CreateCampaignForm actions=created/> })}
                        }
                    })
                })
            }}
        </Suspense>
    }
}

/// The tab links and the current tab's campaigns.
#[component]
fn Tabs(tab: String, rows: Vec<CampaignRow>) -> impl IntoView {
    let statuses: &[&str] = TABS
        .iter()
        .find(|(key, _, _)| *key == tab)
        .map(|(_, _, s)| *s)
        .unwrap_or(&["running"]);
    let rows: Vec<CampaignRow> = rows
        .into_iter()
        .filter(|r| statuses.contains(&r.status.as_str()))
        .collect();
    view! {
        <nav class="tabs" aria-label="Campaigns">
            {TABS.iter().map(|(key, label, _)| {
                let current = (*key == tab).then_some("page");
                view! { <a href=format!("/access-reviews?tab={key}") aria-current=current>{*label}</a> }
            }).collect_view()}
        </nav>
        {if rows.is_empty() {
            view! { <p class="empty-state">"No campaign here."</p> }.into_any()
        } else {
            view! {
                <table class="list" data-campaigns="">
                    <thead><tr>
                        <th>"Campaign"</th><th>"Status"</th><th>"Owners"</th><th>"Due"</th><th>"Reviewed"</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr data-campaign=r.id.clone()>
                                <td><a href=format!("/access-reviews/{}", r.id)>{r.name.clone()}</a></td>
                                <td>{status_label(&r.status)}</td>
                                <td>{r.owners.join(", ")}</td>
                                <td>{r.due_at.map(utc_minute_ms).unwrap_or_else(|| "no due date".into())}</td>
                                <td>{progress(r.done, r.total)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
    }
}

crate::pages::lazy_page!(AccessReviewsRoute, AccessReviewsPage);
