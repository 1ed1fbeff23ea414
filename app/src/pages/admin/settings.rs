use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::require::RequireSuperAdmin;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings"/>
        <RequireSuperAdmin>
            <h1>"Settings"</h1>
            <ul class="settings-index">
                <li>
                    <a href="/admin/settings/notifications">"Notifications"</a>
                    " — how Latch reaches people: the Slack connection."
                </li>
            </ul>
        </RequireSuperAdmin>
    }
}
