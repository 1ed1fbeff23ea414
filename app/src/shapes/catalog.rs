//! Apps and entitlements as the catalog shows and edits them.

use serde::{Deserialize, Serialize};

use crate::domain::{App, Entitlement};

/// An app with its description and entitlements, for listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppListing {
    pub app: App,
    pub description: String,
    pub entitlements: Vec<Entitlement>,
    /// The app's stored version, carried by its edit form (a save over a newer edit is refused).
    #[serde(default)]
    pub version: u64,
    /// Entitlement id → stored version, likewise.
    #[serde(default)]
    pub entitlement_versions: std::collections::BTreeMap<String, u64>,
    /// The app's Markdown instructions rendered to sanitised HTML (`ssr::markdown`).
    #[serde(default)]
    pub instructions_html: Option<String>,
}

/// The catalog page's data: apps with their entitlements (only the ones the viewer may see,
/// unless an admin), and the names behind the ids they reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogOverview {
    pub apps: Vec<AppListing>,
    /// User id → email, for owners and provisioners.
    pub people: std::collections::BTreeMap<String, String>,
    /// Group id → name, for visibility.
    pub groups: std::collections::BTreeMap<String, String>,
    /// (policy id, name), built-ins first, for request and emergency policies.
    pub policies: Vec<(String, String)>,
    /// The organisation-wide maximum grant length in days, if any.
    pub grant_cap_days: Option<u64>,
}

/// Form input for an app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInput {
    pub name: String,
    pub description: String,
    /// Owner emails, comma separated.
    pub owners: String,
    /// Markdown provisioning/request instructions.
    pub instructions: String,
    pub default_policy: String,
    /// The version the edit form was opened at; `None` checks against the version just loaded.
    pub version: Option<u64>,
}

/// Form input for an entitlement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitlementInput {
    pub app_id: String,
    pub display_name: String,
    pub slug: String,
    pub description: String,
    pub alias: String,
    pub risk: String,
    pub owners: String,
    /// "indefinite" or a length such as "30d".
    pub max_duration: String,
    pub request_policy: String,
    pub emergency_policy: String,
    /// "manual" or "webhook".
    pub provisioning: String,
    pub provisioners: String,
    pub webhook_url: String,
    /// Group names, empty for everyone.
    pub visible_to: String,
    /// "everyone", "groups" (those in `visible_to`) or "nobody" (hidden, e.g. retired). Empty:
    /// `visible_to` decides (no groups: everyone).
    pub visibility: String,
    /// The version the edit form was opened at; `None` checks against the version just loaded.
    pub version: Option<u64>,
}
