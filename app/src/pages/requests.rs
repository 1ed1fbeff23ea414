use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RequestsPage() -> impl IntoView {
    view! {
        <Title text="Requests"/>
        <h1>"Requests"</h1>
        <p class="empty-state">
            "This is where you will request time-bound access to an entitlement, follow your open requests, and approve or deny the requests assigned to you. Access requests are not available in this version of Latch yet."
        </p>
    }
}
