//! The request form: an entitlement from the catalog the person may see, a length, a
//! justification, optionally someone else and the emergency toggle.

use leptos::prelude::*;

use super::PageActions;
use crate::api::requests::requestable_entitlements;
use crate::components::async_list::list_or_empty;
use crate::components::forms::Notice;
use crate::domain::RequestNumber;
use crate::error::AppError;
use crate::shapes::RequestableEntitlement;

/// A refused request links to the request the refusal is about ("there is already an open
/// request REQ-7…"): the error names it ([`AppError::about_request`]), and its mention in the
/// message becomes the link.
fn linked_error(error: &AppError) -> impl IntoView + use<> {
    let message = error.to_string();
    match error.about_request() {
        Some(number) => {
            let (before, label, after) = split_at_mention(&message, number);
            view! {
                <p class="error" role="alert">
                    {before}<a href=format!("/requests/{label}")>{label.clone()}</a>{after}
                </p>
            }
            .into_any()
        }
        None => view! { <p class="error" role="alert">{message}</p> }.into_any(),
    }
}

/// `message` around its mention of `number`: what comes before, the mention ("REQ-7"), and what
/// follows. A message that does not mention it gets the mention after it.
fn split_at_mention(message: &str, number: RequestNumber) -> (String, String, String) {
    let label = number.to_string();
    let mention = message.match_indices(&label).find_map(|(start, _)| {
        let (before, rest) = message.split_at(start);
        let after = rest.strip_prefix(label.as_str())?;
        // "REQ-71" is not a mention of REQ-7.
        (!after.starts_with(|c: char| c.is_ascii_digit())).then_some((before, after))
    });
    match mention {
        Some((before, after)) => (before.to_string(), label, after.to_string()),
        None => (format!("{message} "), label, String::new()),
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
                Some(Err(e)) => Some(linked_error(e)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(before: &str, label: &str, after: &str) -> (String, String, String) {
        (before.into(), label.into(), after.into())
    }

    #[test]
    fn the_mention_of_the_request_a_refusal_is_about_becomes_the_link() {
        assert_eq!(
            split_at_mention(
                "There is already an open request REQ-7 for this access; escalate that request",
                RequestNumber::new(7)
            ),
            parts(
                "There is already an open request ",
                "REQ-7",
                " for this access; escalate that request"
            )
        );
    }

    #[test]
    fn a_mention_of_a_longer_number_is_not_taken_for_the_request() {
        assert_eq!(
            split_at_mention("REQ-71 replaced REQ-7.", RequestNumber::new(7)),
            parts("REQ-71 replaced ", "REQ-7", ".")
        );
    }

    #[test]
    fn a_message_that_does_not_mention_the_request_gets_the_link_after_it() {
        assert_eq!(
            split_at_mention("That request is already closed.", RequestNumber::new(3)),
            parts("That request is already closed. ", "REQ-3", "")
        );
    }
}
