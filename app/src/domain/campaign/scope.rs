//! What a campaign reviews: grants of some apps and/or entitlements, narrowed by who holds them
//! (specific people, members of groups, reports of managers), by grant type (temporary or
//! permanent) and by how recently they were granted. Filters combine with OR within a kind and
//! AND across kinds (product reference §b.7).
//!
//! [`CampaignScope::resolve`] turns the people filters into one set of users against the
//! directory once, so [`ResolvedScope::includes`] is a cheap pure predicate over a grant's facts,
//! run on every grant while staging streams them. [`ScopePreview`] is what "Validate scope" shows.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::super::directory::Directory;
use super::super::error::{DomainError, DomainResult};
use super::super::ids::{AppId, EntitlementId, GrantId, GroupId, UserId};
use super::super::time::{MILLIS_PER_DAY, Timestamp};

/// How many grants "Validate scope" shows besides the count.
pub const SCOPE_SAMPLE_SIZE: usize = 20;
/// Most entries in one list of the scope (apps, entitlements, people, groups, managers).
pub const MAX_SCOPE_LIST: usize = 1_000;
/// Longest "granted within the last N days".
pub const MAX_GRANTED_WITHIN_DAYS: u32 = 3_650;

string_enum! {
    /// Which grants by their length.
    pub enum GrantTypeFilter: "grant type" {
        Any => "any",
        /// Grants with an end date.
        Temporary => "temporary",
        /// Grants without one.
        Permanent => "permanent",
    }
}

/// Who must hold the grant; all empty means anyone. A subject matches when named, in one of the
/// groups, or reporting to one of the managers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectFilter {
    pub users: Vec<UserId>,
    pub groups: Vec<GroupId>,
    /// Direct reports of these managers.
    pub managers: Vec<UserId>,
}

impl SubjectFilter {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty() && self.managers.is_empty()
    }
}

/// A campaign's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignScope {
    /// Every entitlement of these apps…
    pub apps: Vec<AppId>,
    /// …and these entitlements.
    pub entitlements: Vec<EntitlementId>,
    pub subjects: SubjectFilter,
    pub grant_type: GrantTypeFilter,
    /// Only grants made within this many days before the snapshot.
    pub granted_within_days: Option<u32>,
}

impl Default for CampaignScope {
    fn default() -> Self {
        CampaignScope {
            apps: Vec::new(),
            entitlements: Vec::new(),
            subjects: SubjectFilter::default(),
            grant_type: GrantTypeFilter::Any,
            granted_within_days: None,
        }
    }
}

/// What a review needs to know about a grant, as it was when the snapshot was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantFacts {
    pub grant: GrantId,
    pub subject: UserId,
    pub app: AppId,
    pub entitlement: EntitlementId,
    pub granted_at: Timestamp,
    /// `None`: permanent.
    pub expires_at: Option<Timestamp>,
    /// Whether the grant still gives access and is not being removed.
    pub active: bool,
}

impl GrantFacts {
    pub fn is_permanent(&self) -> bool {
        self.expires_at.is_none()
    }
}

impl CampaignScope {
    /// A scope names at least one app or entitlement, and stays within bounds.
    pub fn validate(&self) -> DomainResult<()> {
        if self.apps.is_empty() && self.entitlements.is_empty() {
            return Err(DomainError::Required {
                field: "at least one app or entitlement in scope".into(),
            });
        }
        for (what, len) in [
            ("apps in scope", self.apps.len()),
            ("entitlements in scope", self.entitlements.len()),
            ("people in scope", self.subjects.users.len()),
            ("groups in scope", self.subjects.groups.len()),
            ("managers in scope", self.subjects.managers.len()),
        ] {
            if len > MAX_SCOPE_LIST {
                return Err(DomainError::invalid(
                    what,
                    &len.to_string(),
                    &format!("at most {MAX_SCOPE_LIST}"),
                ));
            }
        }
        if let Some(days) = self.granted_within_days
            && !(1..=MAX_GRANTED_WITHIN_DAYS).contains(&days)
        {
            return Err(DomainError::invalid(
                "number of days",
                &days.to_string(),
                &format!("between 1 and {MAX_GRANTED_WITHIN_DAYS}"),
            ));
        }
        Ok(())
    }

    /// The scope with its people filters worked out against `directory`, for the instant `now`.
    pub fn resolve(&self, directory: &dyn Directory, now: Timestamp) -> ResolvedScope {
        let subjects = (!self.subjects.is_empty()).then(|| {
            let mut set: BTreeSet<UserId> = self.subjects.users.iter().cloned().collect();
            for group in &self.subjects.groups {
                set.extend(directory.group_members(group));
            }
            set
        });
        ResolvedScope {
            apps: self.apps.iter().cloned().collect(),
            entitlements: self.entitlements.iter().cloned().collect(),
            subjects,
            managers: self.subjects.managers.iter().cloned().collect(),
            grant_type: self.grant_type,
            granted_since: self
                .granted_within_days
                .map(|d| now.plus_millis(-i64::from(d) * MILLIS_PER_DAY)),
        }
    }
}

/// A scope ready to test grants with ([`CampaignScope::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedScope {
    pub apps: BTreeSet<AppId>,
    pub entitlements: BTreeSet<EntitlementId>,
    /// Named people and group members; `None` with no people filter at all.
    subjects: Option<BTreeSet<UserId>>,
    managers: BTreeSet<UserId>,
    grant_type: GrantTypeFilter,
    granted_since: Option<Timestamp>,
}

impl ResolvedScope {
    /// Whether this grant is in scope: it still gives access, is of an app or entitlement in
    /// scope, of the right type, recent enough, and held by someone the people filters name (the
    /// subject's managers are asked of `directory` only when a manager filter needs them).
    pub fn includes(&self, grant: &GrantFacts, directory: &dyn Directory) -> bool {
        if !grant.active {
            return false;
        }
        if !self.apps.contains(&grant.app) && !self.entitlements.contains(&grant.entitlement) {
            return false;
        }
        let by_type = match self.grant_type {
            GrantTypeFilter::Any => true,
            GrantTypeFilter::Temporary => !grant.is_permanent(),
            GrantTypeFilter::Permanent => grant.is_permanent(),
        };
        if !by_type {
            return false;
        }
        if self
            .granted_since
            .is_some_and(|since| grant.granted_at < since)
        {
            return false;
        }
        match &self.subjects {
            None if self.managers.is_empty() => true,
            named => {
                named.as_ref().is_some_and(|s| s.contains(&grant.subject))
                    || (!self.managers.is_empty()
                        && directory
                            .managers_of(&grant.subject)
                            .iter()
                            .any(|m| self.managers.contains(m)))
            }
        }
    }
}

/// What "Validate scope" shows: how many grants are in scope, and the first few of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopePreview {
    pub count: u64,
    pub sample: Vec<GrantFacts>,
}

impl ScopePreview {
    /// Counts a grant in scope, keeping it while the sample has room.
    pub fn add(&mut self, grant: GrantFacts) {
        self.count += 1;
        if self.sample.len() < SCOPE_SAMPLE_SIZE {
            self.sample.push(grant);
        }
    }
}
