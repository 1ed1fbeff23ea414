//! **Send reminders** (campaign-wide) and a review's **Send reminder**, for the managers of a
//! running campaign: a Slack message now to the reviewers with open reviews. The button is
//! disabled while a send is in flight, and the server sends nobody a second manual reminder
//! within ten minutes, so a double click reminds once. The answer says how many reviewers were
//! reminded and how many Latch cannot reach in Slack.

use leptos::prelude::*;

use crate::api::campaigns::{SendCampaignReminders, SendReviewReminder};
use crate::components::forms::ActionError;

/// **Send reminders** with its answer.
#[component]
pub fn SendReminders(id: String) -> impl IntoView {
    let send = ServerAction::<SendCampaignReminders>::new();
    view! {
        <ActionForm action=send attr:class="inline" attr:data-send-reminders="">
            <input type="hidden" name="id" value=id/>
            <button type="submit" class="button" data-action="send-reminders" disabled=move || send.pending().get()>
                "Send reminders"
            </button>
            " "<span class="hint">"A Slack message now to every reviewer with open reviews."</span>
        </ActionForm>
        {move || send.value().get().and_then(Result::ok).map(|message| view! {
            <p class="notice" role="status">{message}</p>
        })}
        <ActionError action=send/>
    }
}

/// A review's **Send reminder**, to its reviewers.
#[component]
pub fn SendReminder(review: String) -> impl IntoView {
    let send = ServerAction::<SendReviewReminder>::new();
    view! {
        <ActionForm action=send attr:class="inline">
            <input type="hidden" name="review" value=review/>
            <button type="submit" class="button secondary" data-action="send-reminder" disabled=move || send.pending().get()>
                "Send reminder"
            </button>
        </ActionForm>
        {move || send.value().get().and_then(Result::ok).map(|message| view! {
            <p class="notice" role="status">{message}</p>
        })}
        <ActionError action=send/>
    }
}
