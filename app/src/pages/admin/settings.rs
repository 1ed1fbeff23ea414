//! Settings: pending-request expiry, the webhook signing secret and console edits of objects
//! managed in code; Notifications has its own page.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::settings::{
    RevealWebhookSecret, RotateWebhookSecret, SetConsoleEditsOfCode, SetPendingExpiry,
    get_console_edits_of_code, get_pending_expiry, get_webhook_secret_status,
};
use crate::components::async_list::loaded;
use crate::components::forms::{ActionError, Saved};
use crate::components::require::RequireSuperAdmin;
use crate::components::time::utc_minute as utc;

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
            <WebhookSecretSettings/>
            <CodeLockSettings/>
        </RequireSuperAdmin>
    }
}

/// How long a request may wait for approval before it closes as expired.
#[component]
fn PendingExpirySettings() -> impl IntoView {
    let save = ServerAction::<SetPendingExpiry>::new();
    // Refetch after a successful save only: after a refused one the form keeps what was typed.
    let saved = Saved::new();
    saved.reload_after(save);
    let rule = Resource::new(move || saved.version(), |_| get_pending_expiry());
    view! {
        <section class="card" id="pending-expiry">
            <h2>"Requests waiting for approval"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    loaded(rule.await, |rule| view! {
                            <p data-testid="pending-expiry-summary">{rule.describe()}</p>
                            <ActionForm action=save attr:class="inline">
                                <label>"Expire undecided requests after (days; empty for never)"
                                    <input type="text" inputmode="numeric" name="days" value=rule.form_value() size="4"/>
                                </label>
                                <button type="submit" class="button">"Save"</button>
                            </ActionForm>
                    })
                })}
            </Suspense>
            <ActionError action=save/>
        </section>
    }
}

/// The webhook signing secret: when it was made, shown once on request, rotated with a day's
/// overlap. Receivers verify `Latch-Signature` with it (docs/webhooks.md).
#[component]
fn WebhookSecretSettings() -> impl IntoView {
    let reveal = ServerAction::<RevealWebhookSecret>::new();
    let rotate = ServerAction::<RotateWebhookSecret>::new();
    let changed = Memo::new(move |_| (reveal.version().get(), rotate.version().get()));
    let status = Resource::new(move || changed.get(), |_| get_webhook_secret_status());
    let shown = move || {
        // Reveal is only offered before the first showing, so a rotation's answer is the latest.
        rotate
            .value()
            .get()
            .or_else(|| reveal.value().get())
            .map(|result| match result {
                Ok(secret) => view! {
                    <div class="notice" role="status">
                        <p>"Copy it now: Latch will not show this secret again."</p>
                        <code data-testid="webhook-secret">{secret}</code>
                    </div>
                }
                .into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })
    };
    view! {
        <section class="card" id="webhook-secret">
            <h2>"Webhook signing secret"</h2>
            <p>
                "Provisioning webhooks carry a " <code>"Latch-Signature"</code>
                " header; receivers check it with this secret (see docs/webhooks.md)."
            </p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    loaded(status.await, |st| view! {
                            <p data-testid="webhook-secret-summary">
                                {format!("Created {}. ", utc(st.created_at))}
                                {match st.revealed_at {
                                    Some(at) => format!("Shown on {}; rotate it to get a new one.", utc(at)),
                                    None => "Not shown yet.".to_string(),
                                }}
                                {st.previous_valid_until.map(|until| format!(" The previous secret still signs calls until {}.", utc(until)))}
                            </p>
                            {st.revealed_at.is_none().then(|| view! {
                                <ActionForm action=reveal attr:class="inline">
                                    <button type="submit" class="button">"Show secret once"</button>
                                </ActionForm>
                            })}
                            <ActionForm action=rotate attr:class="inline">
                                <button type="submit" class="button">"Rotate secret"</button>
                            </ActionForm>
                    })
                })}
            </Suspense>
            {shown}
        </section>
    }
}

/// Objects managed in code (`latch apply`) are read-only here unless this is unlocked, so Git
/// stays the source of truth.
#[component]
fn CodeLockSettings() -> impl IntoView {
    let save = ServerAction::<SetConsoleEditsOfCode>::new();
    let saved = Saved::new();
    saved.reload_after(save);
    let unlocked = Resource::new(move || saved.version(), |_| get_console_edits_of_code());
    view! {
        <section class="card" id="console-edits-of-code">
            <h2>"Objects managed in code"</h2>
            <p>
                "Apps, entitlements, policies and groups applied from Git with "
                <code>"latch apply"</code> " are marked “managed in code” and refused here, "
                "so the next apply does not undo a console edit."
            </p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    loaded(unlocked.await, |on| view! {
                            <p data-testid="console-edits-summary">
                                {if on {
                                    "Console edits of objects managed in code are unlocked."
                                } else {
                                    "Console edits of objects managed in code are locked."
                                }}
                            </p>
                            <ActionForm action=save attr:class="inline">
                                <input type="hidden" name="unlocked" value=if on { "off" } else { "on" }/>
                                <button type="submit" class="button">
                                    {if on { "Lock console edits" } else { "Unlock console edits" }}
                                </button>
                            </ActionForm>
                    })
                })}
            </Suspense>
            <ActionError action=save/>
        </section>
    }
}

crate::pages::lazy_page!(SettingsRoute, SettingsPage);
