//! API tokens for automation (`/api/v1`): their scopes, what each endpoint needs, the token's
//! text form, and when a token may be used. Pure: the clock and the randomness come from callers.
//!
//! A token reads `latch_pat_<id>_<secret>`: `id` (16 lowercase hex digits) finds the row, `secret`
//! (64 lowercase hex digits, 256 random bits) is checked against the SHA-256 kept in the row.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Timestamp;

string_enum! {
    /// What a token may do. Each endpoint of `/api/v1` needs exactly one ([`Endpoint::scope`]).
    pub enum Scope: "API token scope" {
        CatalogRead => "catalog:read",
        CatalogWrite => "catalog:write",
        RequestsRead => "requests:read",
        RequestsWrite => "requests:write",
        GrantsRevoke => "grants:revoke",
        AuditRead => "audit:read",
    }
}

/// A token's scopes: a set, stored and shown as their names joined by spaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parses scope names separated by spaces or commas; refuses an unknown name and an empty
    /// list (a token that can do nothing is a mistake).
    pub fn parse(text: &str) -> Result<Scopes, TokenRuleError> {
        let mut set = BTreeSet::new();
        for name in text.split([' ', ',', '\n', '\t']).filter(|s| !s.is_empty()) {
            let scope: Scope = name
                .parse()
                .map_err(|_| TokenRuleError::UnknownScope(name.to_string()))?;
            set.insert(scope.as_str().to_string());
        }
        if set.is_empty() {
            return Err(TokenRuleError::NoScope);
        }
        Ok(Scopes(set))
    }

    pub fn allows(&self, scope: Scope) -> bool {
        self.0.contains(scope.as_str())
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(" "))
    }
}

/// The endpoints of `/api/v1` that need a token, each with the one scope it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    ReadCatalog,
    ApplyCatalog,
    ListRequests,
    CreateRequest,
    ListGrants,
    RevokeGrant,
    ReadAudit,
}

impl Endpoint {
    pub const ALL: [Endpoint; 7] = [
        Endpoint::ReadCatalog,
        Endpoint::ApplyCatalog,
        Endpoint::ListRequests,
        Endpoint::CreateRequest,
        Endpoint::ListGrants,
        Endpoint::RevokeGrant,
        Endpoint::ReadAudit,
    ];

    /// The stable name the audit log records for a call (`api_token.used`).
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::ReadCatalog => "catalog.read",
            Endpoint::ApplyCatalog => "catalog.apply",
            Endpoint::ListRequests => "requests.list",
            Endpoint::CreateRequest => "requests.create",
            Endpoint::ListGrants => "grants.list",
            Endpoint::RevokeGrant => "grants.revoke",
            Endpoint::ReadAudit => "audit.read",
        }
    }

    pub fn scope(self) -> Scope {
        match self {
            Endpoint::ReadCatalog => Scope::CatalogRead,
            Endpoint::ApplyCatalog => Scope::CatalogWrite,
            Endpoint::ListRequests => Scope::RequestsRead,
            Endpoint::CreateRequest => Scope::RequestsWrite,
            // Listing grants is part of revoking them: the scope that revokes also reads.
            Endpoint::ListGrants | Endpoint::RevokeGrant => Scope::GrantsRevoke,
            Endpoint::ReadAudit => Scope::AuditRead,
        }
    }
}

/// Why a presented token is not accepted (each answers 401) or a new one is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRuleError {
    #[error("The API token is malformed.")]
    Malformed,
    #[error("The API token has expired.")]
    Expired,
    #[error("The API token has been revoked.")]
    Revoked,
    #[error("Unknown scope \"{0}\".")]
    UnknownScope(String),
    #[error("Choose at least one scope.")]
    NoScope,
    #[error("The name must be 1 to 80 characters.")]
    BadName,
    #[error("The expiry must be in the future.")]
    ExpiryInPast,
}

/// The text before every token, so secret scanners and people recognise one.
pub const TOKEN_PREFIX: &str = "latch_pat_";

/// A token as presented: the row's id and the secret to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedToken {
    pub id: String,
    pub secret: String,
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl PresentedToken {
    /// Reads `latch_pat_<id>_<secret>`.
    pub fn parse(text: &str) -> Result<PresentedToken, TokenRuleError> {
        let rest = text
            .trim()
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(TokenRuleError::Malformed)?;
        let (id, secret) = rest.split_once('_').ok_or(TokenRuleError::Malformed)?;
        if !is_lower_hex(id, 16) || !is_lower_hex(secret, 64) {
            return Err(TokenRuleError::Malformed);
        }
        Ok(PresentedToken {
            id: id.to_string(),
            secret: secret.to_string(),
        })
    }

    /// The token's text from 8 random bytes for the id and 32 for the secret.
    pub fn from_random(id: [u8; 8], secret: [u8; 32]) -> PresentedToken {
        PresentedToken {
            id: hex::encode(id),
            secret: hex::encode(secret),
        }
    }

    pub fn text(&self) -> String {
        format!("{TOKEN_PREFIX}{}_{}", self.id, self.secret)
    }

    /// What the row keeps: the SHA-256 of the secret, hex. The secret carries 256 random bits, so
    /// a fast hash is enough (no guessing attack is cheaper than the key space).
    pub fn secret_hash(&self) -> String {
        hex::encode(Sha256::digest(self.secret.as_bytes()))
    }

    /// Whether `stored_hash` is this secret's hash, compared in constant time.
    pub fn matches(&self, stored_hash: &str) -> bool {
        let ours = self.secret_hash();
        let (a, b) = (ours.as_bytes(), stored_hash.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The stored token's lifetime fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLife {
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl TokenLife {
    /// Whether the token may be used at `now`: not revoked, and not at or past its expiry.
    pub fn check(&self, now: Timestamp) -> Result<(), TokenRuleError> {
        if self.revoked_at.is_some() {
            return Err(TokenRuleError::Revoked);
        }
        match self.expires_at {
            Some(end) if now.as_unix_millis() >= end.as_unix_millis() => {
                Err(TokenRuleError::Expired)
            }
            _ => Ok(()),
        }
    }
}

/// Checks a new token's name (trimmed, 1 to 80 characters) and expiry (after `now`).
pub fn check_new(
    name: &str,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<String, TokenRuleError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(TokenRuleError::BadName);
    }
    if expires_at.is_some_and(|end| end.as_unix_millis() <= now.as_unix_millis()) {
        return Err(TokenRuleError::ExpiryInPast);
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    #[test]
    fn scopes_parse_from_spaces_or_commas_and_refuse_unknown_or_empty_lists() {
        let scopes = Scopes::parse("requests:read, audit:read  requests:read").unwrap();
        assert_eq!(scopes.names(), vec!["audit:read", "requests:read"]);
        assert_eq!(scopes.to_string(), "audit:read requests:read");
        assert!(scopes.allows(Scope::AuditRead));
        assert!(!scopes.allows(Scope::RequestsWrite));
        assert_eq!(
            Scopes::parse("catalog:read admin"),
            Err(TokenRuleError::UnknownScope("admin".into()))
        );
        assert_eq!(Scopes::parse(" , "), Err(TokenRuleError::NoScope));
    }

    #[test]
    fn every_scope_is_needed_by_some_endpoint_and_each_endpoint_needs_one() {
        for &scope in Scope::ALL {
            assert!(
                Endpoint::ALL.iter().any(|e| e.scope() == scope),
                "{scope} guards nothing"
            );
        }
        assert_eq!(Endpoint::CreateRequest.scope(), Scope::RequestsWrite);
        assert_eq!(Endpoint::ListRequests.scope(), Scope::RequestsRead);
        assert_eq!(Endpoint::RevokeGrant.scope(), Scope::GrantsRevoke);
        assert_eq!(Endpoint::ApplyCatalog.scope(), Scope::CatalogWrite);
    }

    #[test]
    fn a_token_round_trips_through_its_text_and_only_its_own_secret_matches() {
        let token = PresentedToken::from_random([1; 8], [0xab; 32]);
        let text = token.text();
        assert!(text.starts_with("latch_pat_0101010101010101_abab"));
        assert_eq!(PresentedToken::parse(&text), Ok(token.clone()));
        let hash = token.secret_hash();
        assert!(!hash.contains(&token.secret));
        assert!(token.matches(&hash));
        let other = PresentedToken::from_random([1; 8], [0xac; 32]);
        assert!(!other.matches(&hash));
        assert!(!token.matches(&hash[..10]));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for text in [
            "",
            "latch_pat_",
            "pat_0101010101010101_ab",
            "latch_pat_0101010101010101",
            "latch_pat_010101010101010_abababababababababababababababababababababababababababababababab",
            "latch_pat_0101010101010101_ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB",
        ] {
            assert_eq!(
                PresentedToken::parse(text),
                Err(TokenRuleError::Malformed),
                "{text}"
            );
        }
    }

    #[test]
    fn a_token_is_usable_until_its_expiry_and_never_after_revocation() {
        let open = TokenLife {
            expires_at: None,
            revoked_at: None,
        };
        assert_eq!(open.check(at(1_000)), Ok(()));
        let expiring = TokenLife {
            expires_at: Some(at(1_000)),
            revoked_at: None,
        };
        assert_eq!(expiring.check(at(999)), Ok(()));
        assert_eq!(expiring.check(at(1_000)), Err(TokenRuleError::Expired));
        let revoked = TokenLife {
            expires_at: Some(at(5_000)),
            revoked_at: Some(at(10)),
        };
        assert_eq!(revoked.check(at(20)), Err(TokenRuleError::Revoked));
    }

    #[test]
    fn a_new_token_needs_a_name_and_a_future_expiry() {
        assert_eq!(check_new("  ci  ", None, at(0)), Ok("ci".into()));
        assert_eq!(check_new(" ", None, at(0)), Err(TokenRuleError::BadName));
        assert_eq!(
            check_new(&"x".repeat(81), None, at(0)),
            Err(TokenRuleError::BadName)
        );
        assert_eq!(
            check_new("ci", Some(at(10)), at(10)),
            Err(TokenRuleError::ExpiryInPast)
        );
        assert_eq!(check_new("ci", Some(at(11)), at(10)), Ok("ci".into()));
    }
}
