//! My reviews: the reviews the viewer is asked for in running campaigns, grouped by app (or by
//! holder), each with ✓ Certify / ✗ Deny and a reason (required where the campaign's policy says
//! so). Decisions stay pending until **Submit reviews**, whose confirmation shows the counts;
//! several batches are fine. A review someone else decided first shows who. Several reviews can
//! be decided at once (bulk select, over the reviews shown), and a review can be reassigned with a
//! reason. Reviews come a page at a time ([`REVIEWS_PAGE_SIZE`]) in a stable order, with counts
//! over every page.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::campaigns::{DecideReviews, ReassignReview, SubmitReviews, my_reviews};
use crate::components::async_list::list_or_empty;
use crate::components::forms::ActionError;
use crate::components::time::utc_minute_ms;
use crate::shapes::{
    MyCampaignReviews, MyReviewList, REVIEWS_PAGE_SIZE, ReviewLine, SubmitOutcome, page_span,
};

/// The page's actions; each reloads the reviews when it completes.
#[derive(Clone, Copy)]
struct ReviewActions {
    decide: ServerAction<DecideReviews>,
    submit: ServerAction<SubmitReviews>,
    reassign: ServerAction<ReassignReview>,
    /// Reviews ticked for a bulk decision.
    selected: RwSignal<BTreeSet<String>>,
}

#[component]
pub fn MyReviewsPage() -> impl IntoView {
    let query = use_query_map();
    let by_holder = move || query.with(|q| q.get("by").as_deref() == Some("holder"));
    let page = move || {
        query.with(|q| {
            q.get("page")
                .and_then(|p| p.parse::<u64>().ok())
                .unwrap_or(1)
        })
    };
    let actions = ReviewActions {
        decide: ServerAction::new(),
        submit: ServerAction::new(),
        reassign: ServerAction::new(),
        selected: RwSignal::new(BTreeSet::new()),
    };
    let reviews = Resource::new(
        move || {
            (
                by_holder(),
                page(),
                actions.decide.version().get(),
                actions.submit.version().get(),
                actions.reassign.version().get(),
            )
        },
        |(by_holder, page, _, _, _)| {
            my_reviews(if by_holder { "holder" } else { "app" }.to_string(), page)
        },
    );
    // A selection is of the reviews shown: another page, grouping or a decision clears it.
    Effect::new(move || {
        let _ = (by_holder(), page(), actions.decide.version().get());
        actions.selected.set(BTreeSet::new());
    });
    view! {
        <Title text="My reviews"/>
        <p class="breadcrumbs"><a href="/access-reviews">"Access reviews"</a></p>
        <h1>"My reviews"</h1>
        <nav class="tabs" aria-label="Group by">
            <a href="/access-reviews/mine" aria-current=move || (!by_holder()).then_some("page")>"By app"</a>
            <a href="/access-reviews/mine?by=holder" aria-current=move || by_holder().then_some("page")>"By person"</a>
        </nav>
        {move || actions.submit.value().get().and_then(Result::ok).map(|s| view! { <Submitted s/> })}
        <ActionError action=actions.submit/>
        <ActionError action=actions.decide/>
        <ActionError action=actions.reassign/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let by_holder = by_holder();
                Suspend::new(async move {
                    let reviews = reviews.await.map(|r| {
                        (r.total > 0).then_some(r).into_iter().collect::<Vec<MyReviewList>>()
                    });
                    list_or_empty(reviews, "No review is waiting for you.", move |pages| {
                        pages.into_iter().map(|r| {
                            let base = if by_holder {
                                "/access-reviews/mine?by=holder&"
                            } else {
                                "/access-reviews/mine?"
                            };
                            view! {
                                <Pager page=r.page total=r.total noun="Reviews" base=base.to_string()/>
                                {r.campaigns.into_iter().map(|c| view! {
                                    <CampaignReviews c by_holder actions/>
                                }).collect_view()}
                                <Pager page=r.page total=r.total noun="Reviews" base=base.to_string()/>
                            }
                        }).collect_view()
                    })
                })
            }}
        </Suspense>
    }
}

/// What the last "Submit reviews" did.
#[component]
fn Submitted(s: SubmitOutcome) -> impl IntoView {
    view! {
        <div class="notice" role="status" data-submitted=s.submitted.to_string()>
            <p>{format!(
                "Submitted {} review{}: {} certified, {} denied.{}",
                s.submitted,
                if s.submitted == 1 { "" } else { "s" },
                s.certified,
                s.denied,
                if s.removals_started > 0 { format!(" Removal started for {}.", s.removals_started) } else { String::new() },
            )}</p>
            {(!s.decided_elsewhere.is_empty()).then(|| view! {
                <ul>{s.decided_elsewhere.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
            })}
        </div>
    }
}

/// Which reviews of how many a page shows, and links to the pages before and after it: `base`
/// is the page's address up to its `param` (which carries the page number, from 1). Nothing when
/// everything fits on one page.
#[component]
pub(super) fn Pager(
    page: u64,
    total: u64,
    noun: &'static str,
    base: String,
    #[prop(default = "page")] param: &'static str,
) -> impl IntoView {
    let (first, last, pages) = page_span(page, total);
    (pages > 1).then(|| {
        let page = page.clamp(1, pages);
        view! {
            <nav class="pager" aria-label="Pages" data-pager="">
                <span data-page-span="">{format!("{noun} {first}–{last} of {total}")}</span>
                {(page > 1).then(|| view! {
                    " "<a href=format!("{base}{param}={}", page - 1) rel="prev">"← Previous"</a>
                })}
                {(page < pages).then(|| view! {
                    " "<a href=format!("{base}{param}={}", page + 1) rel="next">"Next →"</a>
                })}
            </nav>
        }
    })
}

/// One campaign's reviews on this page, grouped, with its bulk bar and "Submit reviews" (which
/// submits the pending decisions of every page).
#[component]
fn CampaignReviews(c: MyCampaignReviews, by_holder: bool, actions: ReviewActions) -> impl IntoView {
    let pending = c.pending_certify + c.pending_deny;
    let (certify, deny) = (c.pending_certify, c.pending_deny);
    let decidable: Vec<String> = c
        .reviews
        .iter()
        .filter(|r| r.actions.decide)
        .map(|r| r.id.clone())
        .collect();
    let mut groups: Vec<(String, Vec<ReviewLine>)> = Vec::new();
    // The server sends them in order (by app or by holder, then the other names).
    for r in c.reviews.clone() {
        let key = if by_holder {
            r.subject.clone()
        } else {
            r.app.clone()
        };
        match groups.last_mut() {
            Some((k, rows)) if *k == key => rows.push(r),
            _ => groups.push((key, vec![r])),
        }
    }
    let reasons = (c.require_certify_reason, c.require_deny_reason);
    let campaign_id = c.id.clone();
    view! {
        <section class="panel" data-review-campaign=c.id.clone()>
            <h2>{c.name.clone()}</h2>
            <p class="muted" data-review-counts="">{format!(
                "Due {}. {} open of {} review{}.",
                c.due_at.map(utc_minute_ms).unwrap_or_else(|| "—".into()),
                c.open,
                c.total,
                if c.total == 1 { "" } else { "s" },
            )}</p>
            {(!c.instructions_html.is_empty()).then(|| view! {
                <div class="instructions markdown" inner_html=c.instructions_html.clone()></div>
            })}
            {(!decidable.is_empty()).then(|| {
                let n = decidable.len();
                view! {
                    <p>
                        <button type="button" class="button-link" data-select-shown="" on:click=move |_| {
                            actions.selected.update(|s| s.extend(decidable.iter().cloned()))
                        }>{format!("Select the {n} shown here")}</button>
                    </p>
                }
            })}
            <BulkBar actions/>
            {groups.into_iter().map(|(label, rows)| view! {
                <h3>{label}</h3>
                <table class="list">
                    <thead><tr>
                        <th></th><th>{if by_holder { "App" } else { "Holder" }}</th><th>"Entitlement"</th>
                        <th>"Granted"</th><th>"Expires"</th><th>"Decision"</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! { <Review r by_holder reasons actions/> }).collect_view()}
                    </tbody>
                </table>
            }).collect_view()}
            {(pending > 0).then(|| view! {
                <details class="submit-reviews">
                    <summary class="button">"Submit reviews"</summary>
                    <p data-pending=pending.to_string()>{format!(
                        "Submit {pending} decision{}{}: {certify} certified, {deny} denied? Denied access will be removed.",
                        if pending == 1 { "" } else { "s" },
                        if c.total > REVIEWS_PAGE_SIZE { ", on every page" } else { "" },
                    )}</p>
                    <ActionForm action=actions.submit attr:class="inline">
                        <input type="hidden" name="campaign_id" value=campaign_id.clone()/>
                        <button type="submit" class="button" data-confirm-submit="">"Confirm and submit"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
}

/// Certify or deny every ticked review at once.
#[component]
fn BulkBar(actions: ReviewActions) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let decide = move |verdict: &'static str| {
        let ids = actions
            .selected
            .get_untracked()
            .into_iter()
            .collect::<Vec<_>>()
            .join(",");
        actions.decide.dispatch(DecideReviews {
            ids,
            verdict: verdict.to_string(),
            reason: reason.get_untracked(),
        });
    };
    move || {
        let n = actions.selected.with(BTreeSet::len);
        (n > 0).then(|| view! {
            <div class="panel" data-bulk="">
                {format!("{n} selected on this page (bulk decisions apply to these only). ")}
                <input placeholder="Reason" bind:value=reason/>
                <button type="button" class="button" on:click=move |_| decide("certify")>"✓ Certify selected"</button>
                <button type="button" class="button" on:click=move |_| decide("deny")>"✗ Deny selected"</button>
            </div>
        })
    }
}

/// One review: its grant, and what the viewer may do.
#[component]
fn Review(
    r: ReviewLine,
    by_holder: bool,
    reasons: (bool, bool),
    actions: ReviewActions,
) -> impl IntoView {
    let id = r.id.clone();
    let undo_id = r.id.clone();
    let reassign_id = r.id.clone();
    let tick_id = r.id.clone();
    let ticked = move || actions.selected.with(|s| s.contains(&tick_id));
    let toggle_id = r.id.clone();
    let toggle = move |_| {
        actions.selected.update(|s| {
            if !s.remove(&toggle_id) {
                s.insert(toggle_id.clone());
            }
        })
    };
    let state = match (&r.pending, r.outcome.as_str(), &r.decided_by) {
        (Some((verdict, reason)), _, _) => format!(
            "Pending: {}{}",
            if verdict == "certify" {
                "✓ certify"
            } else {
                "✗ deny"
            },
            reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
        ),
        (None, "open", _) => "Open".to_string(),
        (None, outcome, Some(by)) => format!(
            "{} by {by}{}",
            if outcome == "certified" {
                "✓ Certified"
            } else {
                "✗ Denied"
            },
            r.reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
        ),
        (None, outcome, None) => outcome.to_string(),
    };
    let hint = match reasons {
        (true, true) => "Reason (required)",
        (false, true) => "Reason (required to deny)",
        (true, false) => "Reason (required to certify)",
        (false, false) => "Reason (optional)",
    };
    view! {
        <tr data-review=r.id.clone() data-outcome=r.outcome.clone()>
            <td>
                {r.actions.decide.then(|| view! {
                    <input type="checkbox" aria-label="Select" prop:checked=ticked on:change=toggle/>
                })}
            </td>
            <td>{if by_holder { r.app.clone() } else { r.subject.clone() }}</td>
            <td>{r.entitlement.clone()}</td>
            <td>{utc_minute_ms(r.granted_at)}</td>
            <td>{r.expires_at.map(utc_minute_ms).unwrap_or_else(|| "permanent".into())}</td>
            <td>
                <p>{state}</p>
                {r.actions.decide.then(|| view! {
                    <ActionForm action=actions.decide attr:class="inline">
                        <input type="hidden" name="ids" value=id.clone()/>
                        <input name="reason" placeholder=hint/>
                        <button type="submit" class="button" name="verdict" value="certify">"✓ Certify"</button>
                        <button type="submit" class="button" name="verdict" value="deny">"✗ Deny"</button>
                    </ActionForm>
                })}
                {(r.actions.decide && r.pending.is_some()).then(|| view! {
                    <ActionForm action=actions.decide attr:class="inline">
                        <input type="hidden" name="ids" value=undo_id.clone()/>
                        <input type="hidden" name="verdict" value="undo"/>
                        <button type="submit" class="button-link">"Undo"</button>
                    </ActionForm>
                })}
                {r.actions.reassign.then(|| view! {
                    <details>
                        <summary>"Reassign"</summary>
                        <ActionForm action=actions.reassign attr:class="stacked">
                            <input type="hidden" name="id" value=reassign_id.clone()/>
                            <label>"To (email)"<input name="to_email" type="email" required/></label>
                            <label>"Reason"<input name="reason" required/></label>
                            <button type="submit" class="button">"Reassign"</button>
                        </ActionForm>
                    </details>
                })}
            </td>
        </tr>
    }
}

crate::pages::lazy_page!(MyReviewsRoute, MyReviewsPage);
