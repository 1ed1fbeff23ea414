use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::require::RequireSuperAdmin;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    view! {
        <Title text="Notifications"/>
        <RequireSuperAdmin>
            <nav class="breadcrumbs">
                <a href="/admin/settings">"Settings"</a>
                " / Notifications"
            </nav>
            <h1>"Notifications"</h1>
            <section class="panel" id="slack">
                <h2>"Slack"</h2>
                <p>
                    "Connecting Latch to a Slack workspace lets people request access with /c1 request and the App Home, lets reviewers approve or deny from Slack, and sends provisioning assignments and expiry reminders as direct messages."
                </p>
                <p class="empty-state">
                    "The Connect to Slack flow is not available in this version of Latch yet."
                </p>
            </section>
        </RequireSuperAdmin>
    }
}
