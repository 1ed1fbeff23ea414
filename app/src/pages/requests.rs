//! Requests: the request form, My requests (with live status), Assigned to me, my provisioning
//! tasks, and the request page with its history and the approve (optionally shortening the
//! length) / deny / cancel / comment / reassign / escalate-to-emergency / retry-provisioning
//! actions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::approvals::assigned_to_me::assigned_to_me;
use crate::api::approvals::decide_request::DecideRequest;
use crate::api::approvals::reassign_request::ReassignRequest;
use crate::api::grants::complete_task::CompleteTask;
use crate::api::grants::my_grants::my_grants;
use crate::api::grants::my_tasks::my_tasks;
use crate::api::grants::release_grant::ReleaseGrant;
use crate::api::requests::cancel_request::CancelRequest;
use crate::api::requests::comment_request::CommentRequest;
use crate::api::requests::create_request::CreateRequest;
use crate::api::requests::escalate_request::EscalateRequest;
use crate::api::requests::my_requests::my_requests;
use crate::api::requests::request_detail::request_detail;
use crate::api::requests::requestable_entitlements::requestable_entitlements;
use crate::api::requests::retry_provisioning::RetryProvisioning;
use crate::components::time::utc_minute_ms as format_time;
use crate::error::AppError;
use crate::shapes::RequestSummary;

/// Shows the outcome of the last submission of a form: an error, or nothing.
fn outcome<T: 'static>(
    value: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
) -> impl IntoView {
    move || match value() {
        Some(Err(e)) => Some(view! { <p class="error" role="alert">{e.to_string()}</p> }),
        _ => None,
    }
}

/// An error that names a request ("there is already an open request REQ-7…") links to it.
fn linked_error(message: String) -> impl IntoView {
    let linked = message.find("REQ-").map(|start| {
        let digits = message[start + 4..]
            .chars()
            .take_while(char::is_ascii_digit)
            .count();
        let end = start + 4 + digits;
        (
            message[..start].to_string(),
            message[start..end].to_string(),
            message[end..].to_string(),
        )
    });
    match linked {
        Some((before, number, after)) if number.len() > 4 => view! {
            <p class="error" role="alert">
                {before}<a href=format!("/requests/{number}")>{number.clone()}</a>{after}
            </p>
        }
        .into_any(),
        _ => view! { <p class="error" role="alert">{message}</p> }.into_any(),
    }
}

/// The ⚡ mark of an emergency request, wherever a request appears.
fn emergency_badge(emergency: bool) -> impl IntoView {
    emergency.then(|| {
        view! { " " <span class="badge emergency" title="Emergency request">"⚡ emergency"</span> }
    })
}

/// The approver's optional "shorten to" field: presets shorter than the current length, or any
/// custom length ("2h", "1d 12h"). Empty keeps the length as requested.
#[component]
fn ShortenField(list_id: String, length: String, shorter: Vec<String>) -> impl IntoView {
    view! {
        <label class="shorten">"Shorten to"
            <input name="length" list=list_id.clone() size="12" placeholder=format!("{length} (as is)")/>
            <datalist id=list_id>
                {shorter.into_iter().map(|p| {
                    let label = crate::domain::DurationPreset::parse(&p).map(|d| d.label()).unwrap_or_else(|_| p.clone());
                    view! { <option value=p>{label}</option> }
                }).collect_view()}
            </datalist>
        </label>
    }
}

fn status_label(s: &RequestSummary) -> String {
    match (&s.outcome, s.current_step) {
        (Some(o), _) => o.clone(),
        (None, Some(step)) => format!("waiting for approval (step {})", step + 1),
        (None, None) => "provisioning".into(),
    }
}

#[component]
fn RequestTable(rows: Vec<RequestSummary>, empty: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty-state">{empty}</p> }.into_any();
    }
    view! {
        <table class="list">
            <thead><tr><th>"Request"</th><th>"Access"</th><th>"For"</th><th>"Length"</th><th>"Status"</th><th>"Created"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let href = format!("/requests/{}", r.number);
                    let status = status_label(&r);
                    view! {
                        <tr data-request=r.number.clone()>
                            <td><a href=href>{r.number.clone()}</a>{emergency_badge(r.emergency)}</td>
                            <td>{format!("{} — {}", r.app, r.entitlement)}</td>
                            <td>{r.subject.clone()}</td>
                            <td>{r.length.clone()}</td>
                            <td class="status" data-status=status.clone()>{status.clone()}</td>
                            <td>{format_time(r.created_at)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn RequestsPage() -> impl IntoView {
    let create = ServerAction::<CreateRequest>::new();
    let decide = ServerAction::<DecideRequest>::new();
    let complete = ServerAction::<CompleteTask>::new();
    let release = ServerAction::<ReleaseGrant>::new();
    let options = Resource::new(|| (), |_| requestable_entitlements());
    // The emergency toggle shows only for entitlements that allow emergency access. Until the
    // browser says which one is selected (and without JavaScript) it shows if any of them does;
    // the server refuses an emergency request for the others anyway.
    let chosen = RwSignal::new(String::new());
    let select_ref = NodeRef::<leptos::html::Select>::new();
    Effect::new(move |_| {
        if let Some(select) = select_ref.get() {
            chosen.set(select.value());
        }
    });
    // Live status: while any of my requests is open and the tab is visible, refresh My requests
    // every few seconds; once all are closed the timer does nothing. When a request closes, My
    // access is refreshed too (it may have been granted). Effects never run on the server.
    let tick = RwSignal::new(0_u32);
    let any_open = RwSignal::new(false);
    let closed = RwSignal::new(0_usize);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if any_open.get_untracked() && !document().hidden() {
                    tick.update(|t| *t = t.wrapping_add(1));
                }
            },
            std::time::Duration::from_secs(4),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let mine = Resource::new(
        move || (create.version().get(), complete.version().get(), tick.get()),
        |_| my_requests(),
    );
    Effect::new(move |_| {
        if let Some(Ok(rows)) = mine.get() {
            any_open.set(rows.iter().any(|r| r.outcome.is_none()));
            let n = rows.iter().filter(|r| r.outcome.is_some()).count();
            if closed.get_untracked() != n {
                closed.set(n);
            }
        }
    });
    let assigned = Resource::new(move || decide.version().get(), |_| assigned_to_me());
    let tasks = Resource::new(move || complete.version().get(), |_| my_tasks());
    let grants = Resource::new(
        move || {
            (
                complete.version().get(),
                release.version().get(),
                closed.get(),
            )
        },
        |_| my_grants(),
    );

    view! {
        <Title text="Requests"/>
        <h1>"Requests"</h1>
        <section class="card" id="request-access">
            <h2>"Request access"</h2>
            <ActionForm action=create attr:class="stacked">
                <Suspense fallback=|| view! { <p>"Loading the catalog…"</p> }>
                    {move || Suspend::new(async move {
                        match options.await {
                            Ok(list) if list.is_empty() => view! { <p class="empty-state">"There is nothing you can request yet."</p> }.into_any(),
                            Ok(list) => view! {
                                <label>"App and entitlement"
                                    <select name="entitlement_id" required node_ref=select_ref on:change=move |ev| chosen.set(event_target_value(&ev))>
                                        {list.into_iter().map(|e| view! {
                                            <option value=e.id.clone()>{format!("{} (up to {})", e.label, e.max)}{e.emergency.then_some(" — emergency access available")}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                            }.into_any(),
                            Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
                <label>"Length of access"
                    <input name="duration" list="duration-presets" placeholder="e.g. 1d, 2w, 10d 12h (empty: the default)"/>
                    <datalist id="duration-presets">
                        {crate::domain::DurationPreset::ALL.iter().map(|p| view! { <option value=p.as_str()>{p.label()}</option> }).collect_view()}
                    </datalist>
                </label>
                <label>"Justification"<textarea name="justification" required rows="3"></textarea></label>
                <label>"For someone else (their email; managers and admins)"<input type="email" name="subject_email"/></label>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let allows: Vec<(String, bool)> = options.await.unwrap_or_default().into_iter().map(|e| (e.id, e.emergency)).collect();
                        let show = move || {
                            let c = chosen.get();
                            allows.iter().any(|(id, emergency)| *emergency && (c.is_empty() || *id == c))
                        };
                        view! {
                            {move || show().then(|| view! {
                                <label class="inline"><input type="checkbox" name="emergency" value="on"/>" ⚡ Emergency (break-glass) request"</label>
                            })}
                        }
                    })}
                </Suspense>
                <button type="submit" class="button primary">"Request access"</button>
            </ActionForm>
            {move || match create.value().get() {
                Some(Ok(number)) => Some(view! { <p class="notice" role="status">"Created " <a href=format!("/requests/{number}")>{number.clone()}</a></p> }.into_any()),
                Some(Err(e)) => Some(linked_error(e.to_string()).into_any()),
                None => None,
            }}
        </section>

        <section id="assigned">
            <h2>"Assigned to me"</h2>
            {outcome(move || decide.value().get())}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match assigned.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty-state">"Nothing is waiting for your decision."</p> }.into_any(),
                        Ok(rows) => view! {
                            <ul class="assigned">
                                {rows.into_iter().map(|r| {
                                    let step = r.current_step.map(|s| s + 1).unwrap_or(1).to_string();
                                    let list_id = format!("shorter-{}", r.number);
                                    view! {
                                        <li data-request=r.number.clone()>
                                            <a href=format!("/requests/{}", r.number)>{r.number.clone()}</a>
                                            {emergency_badge(r.emergency)}
                                            {format!(" {} asks for {} — {} ({}) ", r.subject, r.app, r.entitlement, r.length)}
                                            <ActionForm action=decide attr:class="inline">
                                                <input type="hidden" name="id" value=r.id.clone()/>
                                                <input type="hidden" name="step" value=step.clone()/>
                                                <input name="reason" placeholder="Reason"/>
                                                <ShortenField list_id length=r.length.clone() shorter=r.shorter_lengths.clone()/>
                                                <button type="submit" name="verdict" value="approved" class="button primary">"Approve"</button>
                                                <button type="submit" name="verdict" value="denied" class="button">"Deny"</button>
                                            </ActionForm>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>

        <section id="tasks">
            <h2>"Provisioning tasks"</h2>
            {outcome(move || complete.value().get())}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match tasks.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty-state">"No provisioning tasks for you."</p> }.into_any(),
                        Ok(rows) => view! {
                            <ul class="tasks">
                                {rows.into_iter().map(|t| { let tid = t.id.clone(); view! {
                                    <li data-task=t.id.clone()>
                                        {format!("{}: {} — {} for {} ({}) ", if t.kind == "provision" { "Provision" } else { "Remove" }, t.app, t.entitlement, t.subject, t.state)}
                                        {t.instructions_html.clone().map(|html| view! { <div class="instructions markdown" inner_html=html></div> })}
                                        <ActionForm action=complete attr:class="inline">
                                            <input type="hidden" name="id" value=tid.clone()/>
                                            <input name="note" placeholder="Note"/>
                                            <button type="submit" name="outcome" value="done" class="button primary">{if t.kind == "provision" { "Provisioned" } else { "Deprovisioned" }}</button>
                                            <button type="submit" name="outcome" value="wont_do" class="button">{if t.kind == "provision" { "Won't do" } else { "Won't deprovision" }}</button>
                                            <button type="submit" name="outcome" value="errored" class="button">"Errored"</button>
                                        </ActionForm>
                                    </li>
                                }}).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>

        <section id="my-access">
            <h2>"My access"</h2>
            {outcome(move || release.value().get())}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match grants.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty-state">"You hold no access through Latch."</p> }.into_any(),
                        Ok(rows) => view! {
                            <ul class="grants">
                                {rows.into_iter().map(|g| { let gid = g.id.clone(); let eid = g.entitlement_id.clone(); view! {
                                    <li data-grant=g.id.clone()>
                                        {format!("{} — {}: {} ({}) ", g.app, g.entitlement, g.status_label, g.remaining)}
                                        {(g.status == "active").then(|| view! {
                                            <ActionForm action=release attr:class="inline">
                                                <input type="hidden" name="id" value=gid.clone()/>
                                                <button type="submit" class="button">"I'm done"</button>
                                            </ActionForm>
                                        })}
                                        {(g.status == "active" && g.expires_at.is_some()).then(|| view! {
                                            <details class="extend">
                                                <summary>"Extend"</summary>
                                                <ActionForm action=create attr:class="stacked">
                                                    <input type="hidden" name="entitlement_id" value=eid.clone()/>
                                                    <input type="hidden" name="extension" value="on"/>
                                                    <label>"Extend by"<input name="duration" placeholder="e.g. 1d"/></label>
                                                    <label>"Justification"<input name="justification" required/></label>
                                                    <button type="submit" class="button">"Request extension"</button>
                                                </ActionForm>
                                            </details>
                                        })}
                                    </li>
                                }}).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>

        <section id="my-requests">
            <h2>"My requests"</h2>
            // A transition keeps the table on screen while the periodic refresh loads.
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match mine.await {
                        Ok(rows) => view! { <RequestTable rows empty="You have not requested anything yet."/> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One request: what, for whom, why, where it is, and everything that happened to it.
#[component]
pub fn RequestDetailPage() -> impl IntoView {
    let params = use_params_map();
    let number = move || params.with(|p| p.get("number").unwrap_or_default());
    let decide = ServerAction::<DecideRequest>::new();
    let cancel = ServerAction::<CancelRequest>::new();
    let comment = ServerAction::<CommentRequest>::new();
    let reassign = ServerAction::<ReassignRequest>::new();
    let escalate = ServerAction::<EscalateRequest>::new();
    let retry = ServerAction::<RetryProvisioning>::new();
    let detail = Resource::new(
        move || {
            (
                number(),
                decide.version().get(),
                cancel.version().get(),
                comment.version().get(),
                reassign.version().get(),
                escalate.version().get(),
                retry.version().get(),
            )
        },
        |(n, ..)| request_detail(n),
    );
    view! {
        <Title text=number/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(AppError::NotFound(what)) => {
                        crate::components::status::set_status(404);
                        view! { <h1>"Not found"</h1><p>{format!("{what} was not found.")}</p> }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(d) => {
                        let s = d.summary.clone();
                        let status = status_label(&s);
                        let step = s.current_step.map(|x| x + 1).unwrap_or(1).to_string();
                        let (id_decide, id_cancel, id_comment, id_reassign) = (s.id.clone(), s.id.clone(), s.id.clone(), s.id.clone());
                        let (id_escalate, id_retry) = (s.id.clone(), s.id.clone());
                        let length = if s.length == s.requested_length {
                            s.length.clone()
                        } else {
                            format!("{} (asked for {})", s.length, s.requested_length)
                        };
                        let list_id = format!("shorter-{}", s.number);
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
                            {d.can_decide.then(|| view! {
                                <ActionForm action=decide attr:class="decision">
                                    <input type="hidden" name="id" value=id_decide.clone()/>
                                    <input type="hidden" name="step" value=step.clone()/>
                                    <label>"Reason"<input name="reason"/></label>
                                    <ShortenField list_id=list_id.clone() length=s.length.clone() shorter=s.shorter_lengths.clone()/>
                                    <button type="submit" name="verdict" value="approved" class="button primary">"Approve"</button>
                                    <button type="submit" name="verdict" value="denied" class="button">"Deny"</button>
                                </ActionForm>
                            })}
                            {(d.can_decide || d.can_reassign).then(|| view! {
                                <details class="reassign">
                                    <summary>"Reassign"</summary>
                                    <ActionForm action=reassign attr:class="stacked">
                                        <input type="hidden" name="id" value=id_reassign.clone()/>
                                        <label>"To (email)"<input type="email" name="to_email" required/></label>
                                        <label>"Reason"<input name="reason" required/></label>
                                        <button type="submit" class="button">"Reassign"</button>
                                    </ActionForm>
                                </details>
                            })}
                            {d.can_cancel.then(|| view! {
                                <ActionForm action=cancel attr:class="inline">
                                    <input type="hidden" name="id" value=id_cancel.clone()/>
                                    <button type="submit" class="button">"Cancel request"</button>
                                </ActionForm>
                            })}
                            {d.can_escalate.then(|| view! {
                                <ActionForm action=escalate attr:class="inline escalate">
                                    <input type="hidden" name="id" value=id_escalate.clone()/>
                                    <button type="submit" class="button danger">"⚡ Escalate to emergency access"</button>
                                    <span class="hint">" Approval restarts under the emergency policy."</span>
                                </ActionForm>
                            })}
                            {d.can_retry.then(|| view! {
                                <ActionForm action=retry attr:class="inline retry">
                                    <input type="hidden" name="id" value=id_retry.clone()/>
                                    <button type="submit" class="button primary">"Retry provisioning"</button>
                                    <span class="hint">" Approvals are kept; a new provisioning task opens."</span>
                                </ActionForm>
                            })}
                            <h2>"History"</h2>
                            <ol class="history">
                                {d.history.into_iter().map(|h| view! {
                                    <li data-action=h.action.clone()>{format!("{} · {} · {}", format_time(h.at), h.actor, h.detail)}</li>
                                }).collect_view()}
                            </ol>
                            <ActionForm action=comment attr:class="stacked">
                                <input type="hidden" name="id" value=id_comment/>
                                <label>"Comment"<textarea name="body" rows="2" required></textarea></label>
                                <button type="submit" class="button">"Add comment"</button>
                            </ActionForm>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
        {outcome(move || decide.value().get())}
        {outcome(move || cancel.value().get())}
        {outcome(move || comment.value().get())}
        {outcome(move || reassign.value().get())}
        {outcome(move || escalate.value().get())}
        {outcome(move || retry.value().get())}
    }
}

crate::pages::lazy_page!(RequestDetailRoute, RequestDetailPage);
