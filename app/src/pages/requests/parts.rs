//! Pieces several request views share: the emergency mark, the status in words, the approver's
//! "shorten to" field.

use leptos::prelude::*;

use crate::shapes::RequestSummary;

/// The ⚡ mark of an emergency request, wherever a request appears.
pub(super) fn emergency_badge(emergency: bool) -> impl IntoView {
    emergency.then(|| {
        view! { " " <span class="badge emergency" title="Emergency request">"⚡ emergency"</span> }
    })
}

/// Where a request is, in words.
pub(super) fn status_label(s: &RequestSummary) -> String {
    match (&s.outcome, s.current_step) {
        (Some(o), _) => o.to_string(),
        (None, Some(step)) => format!("waiting for approval (step {})", step + 1),
        (None, None) => "provisioning".into(),
    }
}

/// The approver's optional "shorten to" field: presets shorter than the current length, or any
/// custom length ("2h", "1d 12h"). Empty keeps the length as requested.
#[component]
pub(super) fn ShortenField(list_id: String, length: String, shorter: Vec<String>) -> impl IntoView {
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
