//! Notifications: the Slack connection. Connecting (and why a connection attempt failed), each
//! installation with its test message and disconnect ([`installation`]), the app manifest
//! to create the Slack app from ([`manifest`]), and delivery: which notifications go to Slack and
//! those that failed ([`delivery`]).

mod delivery;
mod installation;
mod manifest;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::slack::{DisconnectSlack, SendSlackTestMessage, get_slack_overview};
use crate::components::async_list::loaded;
use crate::components::require::RequireSuperAdmin;
use crate::error::AppError;
use crate::shapes::{ActionReport, SlackOverview};
use delivery::DeliverySection;
use installation::InstallationItem;
use manifest::Manifest;

const PAGE: &str = "/admin/settings/notifications";

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
                <SlackSection/>
            </section>
            <DeliverySection/>
        </RequireSuperAdmin>
    }
}

/// What the OAuth callback's redirect (`?slack=connected` or `?slack_error=…&code=…`) means.
fn callback_notice(
    connected: Option<&str>,
    error: Option<&str>,
    code: Option<&str>,
) -> Option<(bool, String)> {
    if connected == Some("connected") {
        return Some((
            true,
            "Connected to Slack. Latch will post to the channel you chose.".into(),
        ));
    }
    let again = "Nothing was connected; start again with Connect.";
    let text = match error? {
        "cancelled" => format!("You cancelled the install on Slack. {again}"),
        "state_missing" => format!(
            "Slack came back without the security check (state) Latch sent, so the answer was ignored. {again}"
        ),
        "state_invalid" => {
            format!("This install link was already used, or was not issued by Latch. {again}")
        }
        "state_expired" => format!("The install link expired (it lasts 10 minutes). {again}"),
        "state_other_session" => format!(
            "This install was started by another person or in another browser session. {again}"
        ),
        "not_configured" => {
            "Slack is not configured on this server. Set the settings listed below first."
                .to_string()
        }
        "slack_error" => {
            // Slack's codes are short snake_case words; anything else is not shown.
            let code = code
                .filter(|c| {
                    c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                })
                .unwrap_or("unknown_error");
            format!("Slack refused the install with the error {code}. {again}")
        }
        "slack_timeout" => format!("Slack did not answer in time. {again}"),
        "slack_unreachable" => format!(
            "Latch could not reach Slack. Check that this server can reach Slack, then try again. {again}"
        ),
        "slack_bad_response" => {
            format!("Slack answered, but not with a bot token Latch can use. {again}")
        }
        _ => {
            format!("Something went wrong on our side; the details are in the server log. {again}")
        }
    };
    Some((false, text))
}

fn report_view(result: Option<Result<ActionReport, AppError>>) -> impl IntoView {
    result.map(|result| {
        let (ok, text) = match result {
            Ok(report) => (report.ok, report.message),
            Err(error) => (false, error.to_string()),
        };
        view! {
            <p class=if ok { "notice notice-ok" } else { "notice notice-error" } role="status">
                {text}
            </p>
        }
    })
}

#[component]
fn SlackSection() -> impl IntoView {
    let query = use_query_map();
    let disconnect = ServerAction::<DisconnectSlack>::new();
    let test_message = ServerAction::<SendSlackTestMessage>::new();
    let overview = Resource::new(
        move || (disconnect.version().get(), test_message.version().get()),
        |_| get_slack_overview(),
    );
    let notice = move || {
        query.with(|q| {
            callback_notice(
                q.get("slack").as_deref(),
                q.get("slack_error").as_deref(),
                q.get("code").as_deref(),
            )
        })
    };
    let adding = move || query.with(|q| q.get("step").as_deref() == Some("add"));
    view! {
        {move || {
            notice()
                .map(|(ok, text)| {
                    view! {
                        <p
                            class=if ok { "notice notice-ok" } else { "notice notice-error" }
                            role="status"
                            id="slack-notice"
                        >
                            {text}
                        </p>
                    }
                })
        }}
        {move || report_view(disconnect.value().get())}
        {move || report_view(test_message.value().get())}
        <Suspense fallback=|| view! { <p>"Loading the Slack connection…"</p> }>
            {move || {
                // Read outside the async block so a client-side change of `?step=` re-renders.
                let adding = adding();
                Suspend::new(async move {
                    loaded(overview.await, |overview| view! {
                        <SlackDetails overview adding disconnect test_message/>
                    })
                })
            }}
        </Suspense>
    }
}

#[component]
fn SlackDetails(
    overview: SlackOverview,
    adding: bool,
    disconnect: ServerAction<DisconnectSlack>,
    test_message: ServerAction<SendSlackTestMessage>,
) -> impl IntoView {
    let configured = overview.missing_settings.is_empty();
    let any_connected = overview.installations.iter().any(|i| i.connected);
    let installations = overview
        .installations
        .into_iter()
        .map(|i| view! { <InstallationItem installation=i disconnect test_message/> })
        .collect_view();
    view! {
        {(!configured).then(|| view! { <NotConfigured missing=overview.missing_settings/> })}
        {(configured && overview.signing_secret_missing).then(|| view! {
            <p class="notice notice-warning" id="slack-no-signing-secret">
                "LATCH_SLACK_SIGNING_SECRET is not set, so Latch refuses every request from Slack, including uninstall events. Set it to the Signing Secret from the app's Basic Information."
            </p>
        })}
        <ul class="slack-installations">{installations}</ul>
        {configured.then(|| view! { <Connect adding any_connected/> })}
        <Manifest manifest=overview.manifest command=overview.command redirect_url=overview.redirect_url/>
    }
}

/// The server settings Slack needs and how to get them.
#[component]
fn NotConfigured(missing: Vec<String>) -> impl IntoView {
    view! {
        <div class="notice notice-warning" id="slack-not-configured">
            <p>"Latch cannot connect to Slack until these settings are set on the server:"</p>
            <ul>
                {missing.into_iter().map(|s| view! { <li><code>{s}</code></li> }).collect_view()}
            </ul>
            <p>
                "Create the Slack app from the manifest below (api.slack.com/apps, Create New App, From an app manifest), copy its Client ID, Client Secret and Signing Secret from Basic Information into LATCH_SLACK_CLIENT_ID, LATCH_SLACK_CLIENT_SECRET and LATCH_SLACK_SIGNING_SECRET, and restart Latch."
            </p>
        </div>
    }
}

/// Connect (another) workspace; `adding` is the step that explains what Slack will ask.
#[component]
fn Connect(adding: bool, any_connected: bool) -> impl IntoView {
    if adding {
        view! {
            <div class="slack-add" id="slack-add">
                <p>
                    "Slack will ask you to pick the workspace (or your whole Enterprise Grid organization) and the channel Latch may post to, then to Allow. You come back here when it is done."
                </p>
                <a class="button button-primary" href="/slack/install" rel="external">
                    "Add to Slack"
                </a>
                " "
                <a href=PAGE>"Cancel"</a>
            </div>
        }
        .into_any()
    } else {
        let label = if any_connected {
            "Connect another workspace"
        } else {
            "Connect"
        };
        view! {
            <p>
                {(!any_connected).then(|| view! { <span id="slack-not-connected">"Not connected. "</span> })}
                <a class="button button-primary" id="slack-connect" href=format!("{PAGE}?step=add")>
                    {label}
                </a>
            </p>
        }
        .into_any()
    }
}

crate::pages::lazy_page!(NotificationsRoute, NotificationsPage);
