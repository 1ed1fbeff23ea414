//! People and groups as the directory page shows and edits them.

use serde::{Deserialize, Serialize};

use crate::domain::RowError;

/// A directory user as the admin pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub manager_id: Option<i64>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub status: String,
    pub super_admin: bool,
    /// Granted the Campaign Administrator role (a plain user's; a Super Admin needs none).
    #[serde(default)]
    pub campaign_admin: bool,
    pub groups: Vec<String>,
}

/// Changes to one user's directory fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdate {
    pub name: String,
    pub manager_email: String,
    pub department: String,
    pub job_title: String,
    pub status: String,
}

/// The result of a CSV import: either every row applied, or every bad row and nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportOutcome {
    Imported { created: usize, updated: usize },
    Rejected(Vec<RowError>),
}

/// A group with its members and what refers to it, for the directory page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    /// (user id, email, display name), by name.
    pub members: Vec<(i64, String, String)>,
    /// Entitlements and policies that use the group; non-empty means it cannot be deleted.
    pub used_by: Vec<String>,
    /// The catalog-as-code file that manages it (`latch apply`): the console
    /// marks it "managed in code" and refuses edits unless unlocked in Settings.
    #[serde(default)]
    pub managed_by: Option<String>,
}
