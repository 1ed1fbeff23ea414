//! API tokens as the console lists them: never the secret nor its hash; the token's text only
//! once, in the answer to its creation.

use serde::{Deserialize, Serialize};

/// One token in the Admin > API tokens list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenRow {
    pub id: String,
    pub name: String,
    /// Scope names, e.g. `requests:read`.
    pub scopes: Vec<String>,
    /// Who created it (display name).
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// Usable now: not revoked and not expired.
    pub live: bool,
}

/// The answer to creating a token: its text, shown this once, and its row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub token: String,
    pub row: ApiTokenRow,
}
