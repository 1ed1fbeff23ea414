//! One request: what, for whom, why, where it is, the actions the viewer may take (approve,
//! optionally shortening the length, or deny; reassign; cancel; escalate to emergency access;
//! retry provisioning) and everything that happened to it, with comments.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::parts::{ShortenField, emergency_badge, status_label};
use crate::api::approvals::{DecideRequest, ReassignRequest};
use crate::api::requests::{
    CancelRequest, CommentRequest, EscalateRequest, RetryProvisioning, request_detail,
};
use crate::components::forms::ActionError;
use crate::components::time::utc_minute_ms;
use crate::error::AppError;
use crate::shapes::{HistoryLine, RequestDetail, RequestSummary};

/// The request page's actions; each reloads the request when it completes.
#[derive(Clone, Copy)]
struct DetailActions {
    decide: ServerAction<DecideRequest>,
    cancel: ServerAction<CancelRequest>,
    comment: ServerAction<CommentRequest>,
    reassign: ServerAction<ReassignRequest>,
    escalate: ServerAction<EscalateRequest>,
    retry: ServerAction<RetryProvisioning>,
}

impl DetailActions {
    fn new() -> Self {
        DetailActions {
            decide: ServerAction::new(),
            cancel: ServerAction::new(),
            comment: ServerAction::new(),
            reassign: ServerAction::new(),
            escalate: ServerAction::new(),
            retry: ServerAction::new(),
        }
    }

    /// Tracks every action's version, so a resource keyed on it reloads after each.
    fn versions(self) -> [usize; 6] {
        [
            self.decide.version().get(),
            self.cancel.version().get(),
            self.comment.version().get(),
            self.reassign.version().get(),
            self.escalate.version().get(),
            self.retry.version().get(),
        ]
    }
}

#[component]
pub fn RequestDetailPage() -> impl IntoView {
    let params = use_params_map();
    let number = move || params.with(|p| p.get("number").unwrap_or_default());
    let actions = DetailActions::new();
    provide_context(actions);
    let detail = Resource::new(
        move || (number(), actions.versions()),
        |(n, _)| request_detail(n),
    );
    let DetailActions {
        decide,
        cancel,
        comment,
        reassign,
        escalate,
        retry,
    } = actions;
    view! {
        <Title text=number/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(AppError::NotFound(what)) => {
                        crate::components::status::set_status(404);
                        view! { <h1>"Not found"</h1><p>{format!("{what} was not found.")}</p> }.into_any()
                    }
                    Err(e) => crate::components::async_list::load_error(&e).into_any(),
                    Ok(d) => view! { <RequestView d/> }.into_any(),
                }
            })}
        </Suspense>
        <ActionError action=decide/>
        <ActionError action=cancel/>
        <ActionError action=comment/>
        <ActionError action=reassign/>
        <ActionError action=escalate/>
        <ActionError action=retry/>
    }
}

/// The request's facts, the viewer's actions, its history and the comment form.
#[component]
fn RequestView(d: RequestDetail) -> impl IntoView {
    let s = d.summary.clone();
    let status = status_label(&s);
    let length = if s.length == s.requested_length {
        s.length.clone()
    } else {
        format!("{} (asked for {})", s.length, s.requested_length)
    };
    view! {
        <h1>{s.number.clone()}{emergency_badge(s.emergency)}</h1>
        <dl class="facts">
            <dt>"Access"</dt><dd>{format!("{} — {}", s.app, s.entitlement)}</dd>
            <dt>"For"</dt><dd>{s.subject.clone()}</dd>
            <dt>"Requested by"</dt><dd>{s.requester.clone()}</dd>
            <dt>"Length"</dt><dd data-length=s.length.clone()>{length}</dd>
            <dt>"Justification"</dt><dd>{d.justification.clone()}</dd>
            <dt>"Policy"</dt><dd>{d.policy_name.clone()}</dd>
            <dt>"Status"</dt><dd class="status" data-status=status.clone()>{status.clone()}</dd>
            {(!d.assignees.is_empty()).then(|| view! { <dt>"Waiting for"</dt><dd>{d.assignees.join(", ")}</dd> })}
            {d.note.clone().map(|n| view! { <dt>"Note"</dt><dd>{n}</dd> })}
        </dl>
        {d.actions.decide.then(|| view! { <DecisionForm s=s.clone()/> })}
        {d.actions.reassign.then(|| view! { <ReassignForm id=s.id.clone()/> })}
        {d.actions.cancel.then(|| view! { <CancelForm id=s.id.clone()/> })}
        {d.actions.escalate.then(|| view! { <EscalateForm id=s.id.clone()/> })}
        {d.actions.retry.then(|| view! { <RetryForm id=s.id.clone()/> })}
        <h2>"History"</h2>
        <History lines=d.history/>
        <CommentForm id=s.id/>
    }
}

/// Approve (optionally shortening the length) or deny the step waiting for the viewer.
#[component]
fn DecisionForm(s: RequestSummary) -> impl IntoView {
    let DetailActions { decide, .. } = expect_context();
    let step = s.current_step.map(|x| x + 1).unwrap_or(1).to_string();
    let list_id = format!("shorter-{}", s.number);
    view! {
        <ActionForm action=decide attr:class="decision">
            <input type="hidden" name="id" value=s.id.clone()/>
            <input type="hidden" name="step" value=step/>
            <label>"Reason"<input name="reason"/></label>
            <ShortenField list_id length=s.length.clone() shorter=s.shorter_lengths.clone()/>
            <button type="submit" name="verdict" value="approved" class="button primary">"Approve"</button>
            <button type="submit" name="verdict" value="denied" class="button">"Deny"</button>
        </ActionForm>
    }
}

#[component]
fn ReassignForm(id: String) -> impl IntoView {
    let DetailActions { reassign, .. } = expect_context();
    view! {
        <details class="reassign">
            <summary>"Reassign"</summary>
            <ActionForm action=reassign attr:class="stacked">
                <input type="hidden" name="id" value=id/>
                <label>"To (email)"<input type="email" name="to_email" required/></label>
                <label>"Reason"<input name="reason" required/></label>
                <button type="submit" class="button">"Reassign"</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn CancelForm(id: String) -> impl IntoView {
    let DetailActions { cancel, .. } = expect_context();
    view! {
        <ActionForm action=cancel attr:class="inline">
            <input type="hidden" name="id" value=id/>
            <button type="submit" class="button">"Cancel request"</button>
        </ActionForm>
    }
}

#[component]
fn EscalateForm(id: String) -> impl IntoView {
    let DetailActions { escalate, .. } = expect_context();
    view! {
        <ActionForm action=escalate attr:class="inline escalate">
            <input type="hidden" name="id" value=id/>
            <button type="submit" class="button danger">"⚡ Escalate to emergency access"</button>
            <span class="hint">" Approval restarts under the emergency policy."</span>
        </ActionForm>
    }
}

#[component]
fn RetryForm(id: String) -> impl IntoView {
    let DetailActions { retry, .. } = expect_context();
    view! {
        <ActionForm action=retry attr:class="inline retry">
            <input type="hidden" name="id" value=id/>
            <button type="submit" class="button primary">"Retry provisioning"</button>
            <span class="hint">" Approvals are kept; a new provisioning task opens."</span>
        </ActionForm>
    }
}

#[component]
fn History(lines: Vec<HistoryLine>) -> impl IntoView {
    view! {
        <ol class="history">
            {lines.into_iter().map(|h| view! {
                <li data-action=h.action.clone()>{format!("{} · {} · {}", utc_minute_ms(h.at), h.actor, h.detail)}</li>
            }).collect_view()}
        </ol>
    }
}

#[component]
fn CommentForm(id: String) -> impl IntoView {
    let DetailActions { comment, .. } = expect_context();
    view! {
        <ActionForm action=comment attr:class="stacked">
            <input type="hidden" name="id" value=id/>
            <label>"Comment"<textarea name="body" rows="2" required></textarea></label>
            <button type="submit" class="button">"Add comment"</button>
        </ActionForm>
    }
}

crate::pages::lazy_page!(RequestDetailRoute, RequestDetailPage);
