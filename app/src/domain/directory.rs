//! Directory: users, groups and the read-only view of them that approver resolution needs.
//!
//! The policy engine must not query a database, so it reads the directory through the [`Directory`]
//! trait. The storage layer implements it over a consistent snapshot (or fills a [`DirectorySnapshot`]).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use super::error::{DomainError, DomainResult};
use super::ids::{AppId, EntitlementId, GroupId, UserId};

/// A normalised (trimmed, lowercased) email address.
///
/// Accounts in many apps link to one user by primary email, so two spellings of the same address must
/// compare equal; lowercasing the whole address is what IdPs do in practice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> DomainResult<Self> {
        let value = input.trim().to_ascii_lowercase();
        let bad = |reason: &str| DomainError::InvalidEmail {
            value: input.trim().to_string(),
            reason: reason.to_string(),
        };
        if value.is_empty() {
            return Err(bad("it is empty"));
        }
        if value.len() > 254 {
            return Err(bad("it is longer than 254 characters"));
        }
        let (local, domain) = match value.split_once('@') {
            Some((l, d)) if !d.contains('@') => (l, d),
            Some(_) => return Err(bad("it contains more than one @")),
            None => return Err(bad("it has no @")),
        };
        if local.is_empty() {
            return Err(bad("nothing before the @"));
        }
        if local.len() > 64 {
            return Err(bad("the part before the @ is longer than 64 characters"));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(bad("misplaced dot before the @"));
        }
        if !local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        {
            return Err(bad("invalid character before the @"));
        }
        if domain.is_empty() {
            return Err(bad("nothing after the @"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(bad("the domain needs a dot, e.g. example.com"));
        }
        for label in &labels {
            if label.is_empty() || label.len() > 63 {
                return Err(bad("the domain has an empty or overlong part"));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(bad("a domain part starts or ends with a hyphen"));
            }
            if !label.is_ascii() {
                return Err(bad(
                    "write an international domain in its ASCII form (xn--…)",
                ));
            }
            // RFC 5321 domains are letters, digits and hyphens: `my_corp.com` is not one.
            if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(bad("invalid character in the domain"));
            }
        }
        // RFC 3696 §2: a top-level domain is not all digits (that would be an IP address), but may
        // hold digits and hyphens (`xn--p1ai`, internal names such as `corp.internal1`).
        if labels
            .last()
            .is_none_or(|tld| tld.len() < 2 || tld.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(bad(
                "the domain must end in a top-level domain such as .com",
            ));
        }
        Ok(Email(value))
    }

    /// The address of an account stored before account creation used [`Email::parse`] (it used a
    /// laxer check, so an address like `ops@my_corp.com` may be stored). Only for building the
    /// directory from stored accounts: a person who can sign in must stay in it, as an approver
    /// and a Super Admin fallback, whatever their address looks like. Normalised like a parsed
    /// address (trimmed, lower case).
    pub fn of_stored_account(stored: &str) -> Self {
        Email(stored.trim().to_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, d)| d)
    }
}

impl FromStr for Email {
    type Err = DomainError;
    fn from_str(s: &str) -> DomainResult<Self> {
        Email::parse(s)
    }
}

impl TryFrom<String> for Email {
    type Error = DomainError;
    fn try_from(s: String) -> DomainResult<Self> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_enum! {
    /// Employment status from the IdP/HRIS. Only active users can request, approve or provision.
    pub enum UserStatus: "user status" {
        Active => "active",
        Suspended => "suspended",
        Deleted => "deleted",
    }
}

impl UserStatus {
    pub fn is_active(self) -> bool {
        self == UserStatus::Active
    }
}

/// A directory user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub display_name: String,
    /// The IdP may report several managers; all of them can approve "manager" steps.
    pub managers: Vec<UserId>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub status: UserStatus,
}

/// A directory group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub members: Vec<UserId>,
}

/// Read-only directory facts the policy engine needs. Implementations return *all* matches, including
/// inactive users; the engine itself filters out suspended and deleted users, so that rule lives in
/// one place.
pub trait Directory {
    /// Status of a user; `None` if the user is unknown (treated like deleted).
    fn user_status(&self, user: &UserId) -> Option<UserStatus>;
    /// The user's manager(s), possibly none.
    fn managers_of(&self, user: &UserId) -> Vec<UserId>;
    /// Owners of an app.
    fn app_owners(&self, app: &AppId) -> Vec<UserId>;
    /// Owners of an entitlement, with owner-entitlements already expanded to their holders.
    fn entitlement_owners(&self, entitlement: &EntitlementId) -> Vec<UserId>;
    /// Members of a group.
    fn group_members(&self, group: &GroupId) -> Vec<UserId>;
    /// The tenant's Super Admins: the approvers of last resort.
    fn super_admins(&self) -> Vec<UserId>;

    /// Whether the user exists and is active.
    fn is_active(&self, user: &UserId) -> bool {
        self.user_status(user).is_some_and(UserStatus::is_active)
    }

    /// Whether `manager` is one of `user`'s managers.
    fn is_manager_of(&self, manager: &UserId, user: &UserId) -> bool {
        self.managers_of(user).iter().any(|m| m == manager)
    }
}

/// An in-memory [`Directory`], filled by the storage layer from one consistent read (and used in tests).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectorySnapshot {
    pub users: BTreeMap<UserId, User>,
    pub groups: BTreeMap<GroupId, Group>,
    pub app_owners: BTreeMap<AppId, Vec<UserId>>,
    pub entitlement_owners: BTreeMap<EntitlementId, Vec<UserId>>,
    pub super_admins: Vec<UserId>,
}

impl DirectorySnapshot {
    pub fn add_user(&mut self, user: User) {
        self.users.insert(user.id.clone(), user);
    }

    /// Groups the user belongs to (used for visibility checks).
    pub fn groups_of(&self, user: &UserId) -> BTreeSet<GroupId> {
        self.groups
            .values()
            .filter(|g| g.members.contains(user))
            .map(|g| g.id.clone())
            .collect()
    }
}

impl Directory for DirectorySnapshot {
    fn user_status(&self, user: &UserId) -> Option<UserStatus> {
        self.users.get(user).map(|u| u.status)
    }
    fn managers_of(&self, user: &UserId) -> Vec<UserId> {
        self.users
            .get(user)
            .map(|u| u.managers.clone())
            .unwrap_or_default()
    }
    fn app_owners(&self, app: &AppId) -> Vec<UserId> {
        self.app_owners.get(app).cloned().unwrap_or_default()
    }
    fn entitlement_owners(&self, entitlement: &EntitlementId) -> Vec<UserId> {
        self.entitlement_owners
            .get(entitlement)
            .cloned()
            .unwrap_or_default()
    }
    fn group_members(&self, group: &GroupId) -> Vec<UserId> {
        self.groups
            .get(group)
            .map(|g| g.members.clone())
            .unwrap_or_default()
    }
    fn super_admins(&self) -> Vec<UserId> {
        self.super_admins.clone()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        let e = Email::parse("  Jane.Doe+jit@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "jane.doe+jit@example.com");
        assert_eq!(e.domain(), "example.com");
        assert_eq!(e, Email::parse("jane.doe+jit@example.com").unwrap());
    }

    #[test]
    fn malformed_emails_are_rejected_with_a_reason() {
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "a@b@example.com",
            "jane@example",
            "jane..doe@example.com",
            ".jane@example.com",
            "jane doe@example.com",
            "jane@-example.com",
            "jane@example.123",
            "jane@example.c",
            "jane@exa_mple.com",
            "ops@my_corp.com",
            "jane@bücher.example",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert!(matches!(err, DomainError::InvalidEmail { .. }), "{bad}");
        }
    }

    #[test]
    fn real_world_email_addresses_are_accepted() {
        for good in [
            "a.b+tag@sub.example.co.uk",
            "ops@corp.internal1",
            "o'brien@example.ie",
            "user@xn--bcher-kva.example",
            "user@example.xn--p1ai",
            "x@10.example",
        ] {
            assert_eq!(Email::parse(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn user_status_round_trips_through_stable_names() {
        for s in UserStatus::ALL {
            assert_eq!(UserStatus::parse(s.as_str()), Ok(*s));
        }
        assert!(UserStatus::parse("fired").is_err());
    }

    #[test]
    fn unknown_users_are_not_active() {
        let d = DirectorySnapshot::default();
        assert!(!d.is_active(&UserId::from("ghost")));
    }
}
