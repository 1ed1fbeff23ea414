//! Opaque identifiers. The storage layer decides the format (UUID, ULID, integer as text); the domain
//! only needs equality and ordering, and distinct types so that ids of different objects cannot be mixed.

use serde::{Deserialize, Serialize};
use std::fmt;

id_newtype!(
    /// A directory user (identity user).
    UserId,
    /// A directory group.
    GroupId,
    /// A catalog application.
    AppId,
    /// An entitlement of an application.
    EntitlementId,
    /// A request policy.
    PolicyId,
    /// An access request (task).
    RequestId,
    /// A grant (someone holds an entitlement).
    GrantId,
    /// A provisioning or deprovisioning task.
    ProvisioningTaskId,
    /// An audit-log event.
    AuditEventId,
);

/// The human-friendly request number shown in Slack and the web UI ("REQ-1042").
///
/// It is separate from [`RequestId`] because ids are opaque and long, while people quote numbers to
/// each other ("can you look at REQ-1042?"). The storage layer allocates them from a per-tenant sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestNumber(u64);

impl RequestNumber {
    pub const PREFIX: &'static str = "REQ-";

    pub fn new(n: u64) -> Self {
        RequestNumber(n)
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// The number following `last` (or 1 for the first request of a tenant).
    pub fn next_after(last: Option<RequestNumber>) -> Self {
        RequestNumber(last.map_or(1, |n| n.0.saturating_add(1)))
    }

    /// Parses "REQ-42", "req-42", "#42" or "42", the forms people type into search boxes and Slack.
    pub fn parse(s: &str) -> Result<Self, super::error::DomainError> {
        let t = s.trim();
        let digits = match (t.get(..4), t.get(4..)) {
            (Some(p), Some(rest)) if p.eq_ignore_ascii_case(Self::PREFIX) => rest,
            _ => t.strip_prefix('#').unwrap_or(t),
        };
        match digits.parse::<u64>() {
            Ok(n) if n > 0 => Ok(RequestNumber(n)),
            _ => Err(super::error::DomainError::invalid(
                "request number",
                s,
                "expected something like REQ-42",
            )),
        }
    }
}

impl fmt::Display for RequestNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::PREFIX, self.0)
    }
}

/// Id of the built-in policy used when neither entitlement nor app names one.
pub const BUILTIN_APP_OWNER_APPROVAL_POLICY_ID: &str = "builtin-app-owner-approval";
/// Id of the built-in, non-editable auto-approval policy.
pub const BUILTIN_AUTO_APPROVAL_POLICY_ID: &str = "builtin-auto-approval";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_numbers_read_like_req_dash_n_and_parse_back() {
        let n = RequestNumber::next_after(Some(RequestNumber::new(41)));
        assert_eq!(n.to_string(), "REQ-42");
        assert_eq!(RequestNumber::parse("req-42"), Ok(n));
        assert_eq!(RequestNumber::parse("#42"), Ok(n));
        assert_eq!(RequestNumber::parse(" 42 "), Ok(n));
        assert!(RequestNumber::parse("REQ-").is_err());
        assert!(RequestNumber::parse("0").is_err());
        assert_eq!(RequestNumber::next_after(None).get(), 1);
    }
}
