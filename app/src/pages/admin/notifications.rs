use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::slack::disconnect::DisconnectSlack;
use crate::api::slack::overview::get_slack_overview;
use crate::api::slack::test_message::SendSlackTestMessage;
use crate::components::require::RequireSuperAdmin;
use crate::error::AppError;
use crate::shapes::{ActionReport, InstallationView, SlackOverview};

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
                    match overview.await {
                        Ok(overview) => {
                            view! { <SlackDetails overview adding disconnect test_message/> }.into_any()
                        }
                        Err(error) => view! { <p class="notice notice-error">{error.to_string()}</p> }.into_any(),
                    }
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
    let setup = (!configured).then(|| {
        let missing = overview.missing_settings.clone();
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
    });
    let signing = (configured && overview.signing_secret_missing).then(|| {
        view! {
            <p class="notice notice-warning" id="slack-no-signing-secret">
                "LATCH_SLACK_SIGNING_SECRET is not set, so Latch refuses every request from Slack, including uninstall events. Set it to the Signing Secret from the app's Basic Information."
            </p>
        }
    });
    let connect = configured.then(|| {
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
            let label = if any_connected { "Connect another workspace" } else { "Connect" };
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
    });
    let installations = overview
        .installations
        .into_iter()
        .map(|i| view! { <InstallationItem installation=i disconnect test_message/> })
        .collect_view();
    view! {
        {setup}
        {signing}
        <ul class="slack-installations">{installations}</ul>
        {connect}
        <Manifest manifest=overview.manifest command=overview.command redirect_url=overview.redirect_url/>
    }
}

#[component]
fn InstallationItem(
    installation: InstallationView,
    disconnect: ServerAction<DisconnectSlack>,
    test_message: ServerAction<SendSlackTestMessage>,
) -> impl IntoView {
    let i = installation;
    let id = i.id.to_string();
    let status = if i.connected {
        "connected"
    } else {
        "disconnected"
    };
    let kind = if i.org_wide {
        "Enterprise Grid organization (org-wide install, serves every workspace of the org)"
    } else {
        "Workspace"
    };
    let reinstall_href = match &i.reinstall_target {
        Some(team) => format!("/slack/install?team={team}"),
        None => "/slack/install".to_string(),
    };
    let missing = (!i.missing_scopes.is_empty()).then(|| {
        view! {
            <div class="notice notice-warning slack-missing-scopes">
                <p>
                    "This installation lacks scopes Latch needs: "
                    {i.missing_scopes.join(", ")}
                    ". Reinstall to grant them."
                </p>
                <a class="button" href=reinstall_href.clone() rel="external">"Reinstall"</a>
            </div>
        }
    });
    let actions = i.connected.then(|| {
        let id2 = id.clone();
        view! {
            <div class="actions">
                <ActionForm action=test_message>
                    <input type="hidden" name="installation_id" value=id.clone()/>
                    <button type="submit">"Send test message"</button>
                </ActionForm>
                <ActionForm action=disconnect>
                    <input type="hidden" name="installation_id" value=id2/>
                    <button type="submit" class="danger">"Disconnect"</button>
                </ActionForm>
            </div>
        }
    });
    view! {
        <li class="slack-installation" data-status=status data-slack-id=i.slack_id.clone()>
            <h3>{i.name.clone()} " " <small>"(" {i.slack_id.clone()} ")"</small></h3>
            <dl>
                <dt>"Status"</dt>
                <dd class="slack-status">
                    {if i.connected { "Connected".to_string() } else { i.disconnected.clone().unwrap_or_default() }}
                </dd>
                <dt>"Type"</dt>
                <dd>{kind}</dd>
                {i.enterprise.clone().map(|e| view! { <dt>"Organization"</dt><dd>{e}</dd> })}
                <dt>"Channel"</dt>
                <dd class="slack-channel">
                    {match (&i.channel, &i.channel_id) {
                        (Some(name), Some(cid)) => format!("#{name} ({cid})"),
                        (Some(name), None) => format!("#{name}"),
                        _ => "none chosen".to_string(),
                    }}
                </dd>
                <dt>"Installed by"</dt>
                <dd>{i.installed_by.clone()} " on " {i.installed_at.clone()}</dd>
                <dt>"Scopes granted"</dt>
                <dd class="slack-scopes">{i.scopes.join(", ")}</dd>
            </dl>
            {missing}
            {actions}
        </li>
    }
}

/// Percent-encodes for a `data:` URL (everything but unreserved characters).
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Puts `text` on the clipboard (in the browser; clicks never run on the server).
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    {
        #[wasm_bindgen::prelude::wasm_bindgen]
        extern "C" {
            #[wasm_bindgen(js_namespace = ["navigator", "clipboard"], js_name = writeText)]
            fn write_text(text: &str) -> wasm_bindgen::JsValue;
        }
        // The returned promise settles on its own; a refusal leaves the text in the box to copy.
        let _ = write_text(text);
    }
}

#[component]
fn Manifest(manifest: String, command: String, redirect_url: String) -> impl IntoView {
    let download = format!(
        "data:application/json;charset=utf-8,{}",
        percent_encode(&manifest)
    );
    let to_copy = manifest.clone();
    view! {
        <div class="slack-manifest" id="slack-manifest-section">
            <h3>"App manifest"</h3>
            <p>
                "Creating the Slack app is one paste: at api.slack.com/apps choose Create New App, From an app manifest, and paste this. It sets the bot scopes, the "
                <code>{command}</code>
                " slash command and the redirect, interactivity, events and options URLs of this Latch (redirect: "
                <code>{redirect_url}</code>
                ")."
            </p>
            <p>
                <a class="button" href=download download="latch-slack-manifest.json">
                    "Download manifest"
                </a>
                " "
                // A handler in the WebAssembly half, not an inline `onclick`: the
                // Content-Security-Policy allows no inline event handlers.
                <button type="button" on:click=move |_| copy_to_clipboard(&to_copy)>
                    "Copy manifest"
                </button>
            </p>
            <textarea id="slack-manifest" readonly rows="16" cols="80">
                {manifest}
            </textarea>
        </div>
    }
}

crate::pages::lazy_page!(NotificationsRoute, NotificationsPage);
