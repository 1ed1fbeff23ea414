//! The request form: an entitlement from the catalog the person may see, a length, a
//! justification, optionally someone else and the emergency toggle.

use leptos::prelude::*;

use super::PageActions;
use crate::api::requests::requestable_entitlements;
use crate::components::async_list::list_or_empty;
use crate::components::forms::Notice;
use crate::shapes::RequestableEntitlement;

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

#[component]
pub(super) fn RequestAccess() -> impl IntoView {
    let PageActions {
        create, created, ..
    } = expect_context();
    created.after_save_when(
        create,
        None,
        |_| true,
        |number| {
            Some(Notice::linked(
                "Created ",
                format!("/requests/{number}"),
                number.clone(),
            ))
        },
    );
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
    view! {
        <section class="card" id="request-access">
            <h2>"Request access"</h2>
            <ActionForm action=create attr:class="stacked">
                <Suspense fallback=|| view! { <p>"Loading the catalog…"</p> }>
                    {move || Suspend::new(async move {
                        list_or_empty(options.await, "There is nothing you can request yet.", |list| view! {
                            <EntitlementPicker list select_ref chosen/>
                        })
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
            {created.notice()}
            {move || create.value().with(|last| match last {
                Some(Err(e)) => Some(linked_error(e.to_string())),
                _ => None,
            })}
        </section>
    }
}

/// The entitlements one may request; picking one tells the emergency toggle which it is.
#[component]
fn EntitlementPicker(
    list: Vec<RequestableEntitlement>,
    select_ref: NodeRef<leptos::html::Select>,
    chosen: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label>"App and entitlement"
            <select name="entitlement_id" required node_ref=select_ref on:change=move |ev| chosen.set(event_target_value(&ev))>
                {list.into_iter().map(|e| view! {
                    <option value=e.id.clone()>{format!("{} (up to {})", e.label, e.max)}{e.emergency.then_some(" — emergency access available")}</option>
                }).collect_view()}
            </select>
        </label>
    }
}
