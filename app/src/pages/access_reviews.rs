use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccessReviewsPage() -> impl IntoView {
    view! {
        <Title text="Access reviews"/>
        <h1>"Access reviews"</h1>
        <p class="empty-state">
            "This is where access review campaigns will live: owners and reviewers certify who still needs the access they hold, and campaigns can report to their own Slack channel. Access reviews are not available in this version of Latch yet."
        </p>
    }
}
