//! The Slack connection as Settings > Notifications shows it. Nothing here ever carries a token
//! or a webhook URL.

use serde::{Deserialize, Serialize};

/// The Slack section of Settings > Notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlackOverview {
    /// Settings to set before Connect can work (empty when ready).
    pub missing_settings: Vec<String>,
    /// Without a signing secret Latch can't hear uninstall events (or anything else from Slack).
    pub signing_secret_missing: bool,
    pub installations: Vec<InstallationView>,
    pub manifest: String,
    pub command: String,
    pub redirect_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallationView {
    pub id: i64,
    /// Workspace name, or the org's name for an org-wide install.
    pub name: String,
    /// `T…`, or `E…` for an org-wide install.
    pub slack_id: String,
    pub org_wide: bool,
    /// The Grid org a workspace install belongs to, e.g. `Starship (E123)`.
    pub enterprise: Option<String>,
    pub channel: Option<String>,
    pub channel_id: Option<String>,
    pub installed_by: String,
    pub installed_at: String,
    pub scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    pub connected: bool,
    pub disconnected: Option<String>,
    /// What the Reinstall link pre-selects (`team=`).
    pub reinstall_target: Option<String>,
}

/// The outcome of an action that calls Slack: success, or what Slack said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionReport {
    pub ok: bool,
    pub message: String,
}
