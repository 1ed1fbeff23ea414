//! Settings > Notifications, Delivery: which notifications go to Slack (the kill switch, and
//! each kind on or off; what is off is dropped, not queued), and the deliveries that failed for
//! good with why and a Retry once the cause is fixed. Every form works without JavaScript.

use leptos::prelude::*;

use crate::api::slack::{
    RetryDelivery, SetNotificationKind, SetNotificationsEnabled, failed_deliveries,
    get_notification_settings,
};
use crate::components::async_list::{list_or_empty, loaded};
use crate::components::time::utc_minute_ms;
use crate::error::AppError;
use crate::shapes::{FailedDelivery, NotificationSettingsView};

#[component]
pub fn DeliverySection() -> impl IntoView {
    let set_enabled = ServerAction::<SetNotificationsEnabled>::new();
    let set_kind = ServerAction::<SetNotificationKind>::new();
    let retry = ServerAction::<RetryDelivery>::new();
    let settings = Resource::new(
        move || (set_enabled.version().get(), set_kind.version().get()),
        |_| get_notification_settings(),
    );
    let failures = Resource::new(move || retry.version().get(), |_| failed_deliveries());
    let saved_error = move || {
        let errors: Vec<AppError> = [
            set_enabled.value().get().and_then(Result::err),
            set_kind.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .collect();
        errors
            .into_iter()
            .map(|e| view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> })
            .collect_view()
    };
    let retried = move || {
        retry.value().get().map(|result| match result {
            Ok(()) => view! {
                <p class="notice notice-ok" role="status" id="delivery-retried">
                    "Queued again; Latch sends it within a few seconds."
                </p>
            }
            .into_any(),
            Err(e) => {
                view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any()
            }
        })
    };
    view! {
        <section class="panel" id="delivery">
            <h2>"Delivery"</h2>
            <p>
                "Which notifications Latch sends as Slack direct messages. A notification that is off when it happens is dropped, not kept: turning it back on sends nothing from the time it was off."
            </p>
            {saved_error}
            <Suspense fallback=|| view! { <p>"Loading the notification settings…"</p> }>
                {move || Suspend::new(async move {
                    loaded(settings.await, |s| view! { <Toggles settings=s set_enabled set_kind/> })
                })}
            </Suspense>
            <h3>"Failed deliveries"</h3>
            <p>
                "Notifications Latch gave up on, and why. Fix the cause (link the person's Slack account, reinstall the app…), then Retry."
            </p>
            {retried}
            <Suspense fallback=|| view! { <p>"Loading failed deliveries…"</p> }>
                {move || Suspend::new(async move {
                    list_or_empty(
                        failures.await,
                        "No failed deliveries.",
                        |rows| view! { <Failures rows retry/> },
                    )
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Toggles(
    settings: NotificationSettingsView,
    set_enabled: ServerAction<SetNotificationsEnabled>,
    set_kind: ServerAction<SetNotificationKind>,
) -> impl IntoView {
    let slack = settings.slack;
    let kinds = settings
        .kinds
        .into_iter()
        .map(|k| {
            let next = if k.on { "off" } else { "on" };
            let button = if k.on { "Turn off" } else { "Turn on" };
            let kind = k.kind.clone();
            view! {
                <tr data-kind=kind data-on=k.on.to_string()>
                    <td>{k.label}</td>
                    <td>{k.audience}</td>
                    <td>{if k.on { "On" } else { "Off" }}</td>
                    <td>
                        <ActionForm action=set_kind>
                            <input type="hidden" name="kind" value=k.kind/>
                            <input type="hidden" name="on" value=next/>
                            <button type="submit">{button}</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="delivery-kill-switch" id="delivery-kill-switch" data-on=slack.to_string()>
            <p>
                {if slack {
                    "Slack notifications are on."
                } else {
                    "Slack notifications are off: every notification is dropped until they are turned on again."
                }}
            </p>
            <ActionForm action=set_enabled>
                <input type="hidden" name="on" value=if slack { "off" } else { "on" }/>
                <button type="submit" class=if slack { "danger" } else { "" }>
                    {if slack { "Turn off all Slack notifications" } else { "Turn Slack notifications on" }}
                </button>
            </ActionForm>
        </div>
        <table class="list" id="delivery-kinds">
            <thead>
                <tr>
                    <th>"Notification"</th>
                    <th>"Sent to"</th>
                    <th>"Slack"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>{kinds}</tbody>
        </table>
    }
}

#[component]
fn Failures(rows: Vec<FailedDelivery>, retry: ServerAction<RetryDelivery>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|f| {
            let reason = f.reason.clone();
            view! {
                <tr data-reason=reason>
                    <td>{f.recipient} " " <small>{f.recipient_email}</small></td>
                    <td>{f.kind}</td>
                    <td>{f.reason_text} " " <small>"(" {f.reason} ")"</small></td>
                    <td>{utc_minute_ms(f.failed_at)}</td>
                    <td>
                        <ActionForm action=retry>
                            <input type="hidden" name="id" value=f.id.to_string()/>
                            <button type="submit">"Retry"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="list" id="delivery-failures">
            <thead>
                <tr>
                    <th>"Recipient"</th>
                    <th>"Notification"</th>
                    <th>"Why"</th>
                    <th>"When"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
