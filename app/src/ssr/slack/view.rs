//! Builds what the Notifications page shows from stored installations (never their secrets).

use crate::components::time::utc_minute_ms;
use crate::shapes::{InstallationView, SlackOverview};
use crate::ssr::AppState;
use crate::ssr::slack::store::{self, Installation};
use crate::ssr::slack::{OAUTH_CALLBACK_PATH, manifest, missing_scopes};

fn reason_text(reason: Option<&str>) -> &'static str {
    match reason {
        Some("app_uninstalled") => "the app was uninstalled in Slack",
        Some("tokens_revoked") => "Slack revoked Latch's token",
        Some("disconnected_by_admin") => "an admin disconnected it",
        _ => "unknown reason",
    }
}

pub fn installation_view(i: &Installation) -> InstallationView {
    let (name, slack_id) = if i.is_enterprise_install {
        (
            i.enterprise_name.clone().unwrap_or_default(),
            i.enterprise_id.clone().unwrap_or_default(),
        )
    } else {
        (
            i.team_name.clone().unwrap_or_default(),
            i.team_id.clone().unwrap_or_default(),
        )
    };
    let enterprise = match (&i.enterprise_id, i.is_enterprise_install) {
        (Some(id), false) => Some(format!(
            "{} ({id})",
            i.enterprise_name.clone().unwrap_or_default()
        )),
        _ => None,
    };
    let installed_by = match (&i.installed_by_name, &i.installed_by_email) {
        (Some(name), Some(email)) => format!("{name} ({email})"),
        (Some(name), None) => name.clone(),
        _ => "a former admin".into(),
    };
    InstallationView {
        id: i.id,
        name,
        slack_id: slack_id.clone(),
        org_wide: i.is_enterprise_install,
        enterprise,
        channel: i.channel_name.clone(),
        channel_id: i.channel_id.clone(),
        installed_by,
        installed_at: utc_minute_ms(i.installed_at),
        scopes: i
            .scopes
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        missing_scopes: missing_scopes(&i.scopes),
        connected: i.connected,
        disconnected: (!i.connected).then(|| {
            format!(
                "Disconnected {}: {}.",
                i.disconnected_at.map(utc_minute_ms).unwrap_or_default(),
                reason_text(i.disconnect_reason.as_deref())
            )
        }),
        reinstall_target: (!i.is_enterprise_install).then_some(slack_id),
    }
}

pub async fn overview(state: &AppState) -> Result<SlackOverview, sqlx::Error> {
    let config = &state.slack.config;
    let installations = store::list(&state.db).await?;
    Ok(SlackOverview {
        missing_settings: config
            .missing_for_install()
            .into_iter()
            .map(str::to_string)
            .collect(),
        signing_secret_missing: config.signing_secret.is_none(),
        installations: installations.iter().map(installation_view).collect(),
        manifest: manifest::manifest_json(config, &state.public_url),
        command: config.command.clone(),
        redirect_url: state.public_url.join(OAUTH_CALLBACK_PATH),
    })
}
