use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::settings::get_pending_expiry::get_pending_expiry;
use crate::api::settings::set_pending_expiry::SetPendingExpiry;
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
            <PendingExpirySettings/>
        </RequireSuperAdmin>
    }
}

/// How long a request may wait for approval before it closes as expired.
#[component]
fn PendingExpirySettings() -> impl IntoView {
    let save = ServerAction::<SetPendingExpiry>::new();
    // Refetch after a successful save only: after a refused one the form keeps what was typed.
    let saved = Memo::new(move |_| save.value().get().and_then(|r| r.ok()));
    let rule = Resource::new(move || saved.get(), |_| get_pending_expiry());
    view! {
        <section class="card" id="pending-expiry">
            <h2>"Requests waiting for approval"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match rule.await {
                        Ok(rule) => view! {
                            <p data-testid="pending-expiry-summary">{rule.describe()}</p>
                            <ActionForm action=save attr:class="inline">
                                <label>"Expire undecided requests after (days; empty for never)"
                                    <input type="text" inputmode="numeric" name="days" value=rule.form_value() size="4"/>
                                </label>
                                <button type="submit" class="button">"Save"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
        </section>
    }
}
