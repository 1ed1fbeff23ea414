//! Apps and entitlements as the catalog shows and edits them.

use serde::{Deserialize, Serialize};

use crate::domain::{
    Alias, App, Entitlement, EntitlementId, GrantLength, PolicyId, RiskLevel, Slug, UserId,
    Visibility,
};

/// An app with its description and entitlements, as the viewer may see them. Everything here
/// reaches the browser, so what only the edit forms need (versions, webhook addresses,
/// provisioners' instructions) is in `admin` parts, filled for Super Admins only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppListing {
    pub app: App,
    pub description: String,
    pub entitlements: Vec<CatalogEntitlement>,
    /// The app's Markdown instructions rendered to sanitised HTML (`ssr::markdown`).
    #[serde(default)]
    pub instructions_html: Option<String>,
    /// Super Admins only.
    #[serde(default)]
    pub admin: Option<AppAdmin>,
    /// The catalog-as-code file that manages it (`latch apply`), for Super Admins: the console
    /// marks it "managed in code" and refuses edits unless unlocked in Settings.
    #[serde(default)]
    pub managed_by: Option<String>,
}

/// What only a Super Admin's app edit form needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppAdmin {
    /// The app's stored version, carried by its edit form (a save over a newer edit is refused).
    pub version: u64,
}

/// An entitlement as the catalog shows it to whoever may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntitlement {
    pub id: EntitlementId,
    pub slug: Slug,
    pub display_name: String,
    pub description: String,
    pub alias: Option<Alias>,
    pub risk: RiskLevel,
    pub owner_users: Vec<UserId>,
    pub max_duration: GrantLength,
    /// Its own request policy, if set.
    pub request_policy: Option<PolicyId>,
    /// The policy a normal request for it uses (`Entitlement::policy_for`): its own, else the
    /// app's default, else the built-in app-owner approval.
    pub effective_request_policy: PolicyId,
    pub emergency_policy: Option<PolicyId>,
    /// How it is provisioned, without the webhook address (it often carries credentials) or
    /// the provisioners' instructions.
    pub provisioning: ProvisioningKind,
    pub visibility: Visibility,
    /// Super Admins only.
    #[serde(default)]
    pub admin: Option<EntitlementAdmin>,
    /// The catalog-as-code file that manages it (`latch apply`), for Super Admins: the console
    /// marks it "managed in code" and refuses edits unless unlocked in Settings.
    #[serde(default)]
    pub managed_by: Option<String>,
}

/// How an entitlement is provisioned, as everyone may know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProvisioningKind {
    /// By people: these provisioners, or the app's owners when there are none.
    Manual { provisioners: Vec<UserId> },
    /// By a webhook call.
    Webhook,
}

/// What only a Super Admin's entitlement edit form needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitlementAdmin {
    /// The entitlement as stored, webhook address and instructions included.
    pub stored: Entitlement,
    /// Its stored version, carried by the edit form.
    pub version: u64,
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
    /// The policy whose first approval step reviews its grants in campaigns that use
    /// entitlements' own review policies; empty: the campaign's reviewers.
    #[serde(default)]
    pub review_policy: String,
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
