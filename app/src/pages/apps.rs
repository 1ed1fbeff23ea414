use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AppsPage() -> impl IntoView {
    view! {
        <Title text="Apps"/>
        <h1>"Apps"</h1>
        <p class="empty-state">
            "This is where the catalog will live: the applications Latch governs, their entitlements, owners, request policies and provisioning. The catalog is not available in this version of Latch yet."
        </p>
    }
}
