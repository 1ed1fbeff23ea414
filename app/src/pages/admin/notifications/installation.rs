//! One Slack installation: status, type, channel, who installed it and its scopes; a warning
//! with Reinstall when scopes are missing; test message and disconnect while connected.

use leptos::prelude::*;

use crate::api::slack::{DisconnectSlack, SendSlackTestMessage};
use crate::shapes::InstallationView;

#[component]
pub(super) fn InstallationItem(
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
