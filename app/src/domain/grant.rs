//! Grants: who holds what, since when, until when, and why.
//!
//! ```text
//! issue ─► Active ──(expiry reached)──► PendingRemoval(expired) ──confirm──► Removed
//!            │  ├─(holder releases)───► PendingRemoval(released) ─┤
//!            │  └─(admin revokes)─────► PendingRemoval(revoked) ──┘
//!            └─ extend (approved extension request) ─► Active with a later expiry
//! PendingRemoval ──task errored / refused──► PendingRemoval(problem) (a follow-up task opens)
//! PendingRemoval ──admin revokes──► PendingRemoval(revoked)   (revoke stays possible)
//! PendingRemoval(released, not yet expired) ──"Won't deprovision"──► Active
//! ```
//!
//! A grant in `PendingRemoval` still gives access until deprovisioning is confirmed. Removal always
//! converges: the only way out of `PendingRemoval` without removal is "Won't deprovision" of an
//! early release (the holder's own choice, undone). A grant past its end, or whose removal failed,
//! was refused or has waited more than [`REMOVAL_OVERDUE_AFTER`], shows only "removal overdue"
//! until someone confirms the removal.

use serde::{Deserialize, Serialize};

use super::catalog::App;
use super::duration::{GrantDuration, GrantLength, format_secs};
use super::error::{DomainError, DomainResult};
use super::ids::{AppId, EntitlementId, GrantId, RequestId, UserId};
use super::provisioning::TaskOutcome;
use super::request::{Outcome, Request, RequestState, Viewer};
use super::roles::{RoleSet, check_can_request_for};
use super::time::{BusinessCalendar, Timestamp};

/// Reminders go out this many business days before expiry, and not for grants this short or shorter.
pub const REMINDER_BUSINESS_DAYS: u32 = 3;
pub const REMINDER_MIN_GRANT: GrantDuration = GrantDuration::days(3);
/// A release or revocation whose removal is not confirmed within this time is overdue.
pub const REMOVAL_OVERDUE_AFTER: GrantDuration = GrantDuration::days(1);
/// Longest problem text kept on a grant (it comes from a provisioner's note).
const PROBLEM_MAX_CHARS: usize = 500;

string_enum! {
    /// Why access is being removed (the revoke source).
    pub enum RemovalReason: "removal reason" {
        /// The expiry time was reached (origin TIME_REVOKE).
        Expired => "expired",
        /// The holder gave it up early.
        Released => "released",
        /// An admin revoked it.
        Revoked => "revoked",
    }
}

string_enum! {
    /// Audit action names for grant transitions.
    pub enum GrantAction: "grant action" {
        Issued => "grant.issued",
        Extended => "grant.extended",
        Expired => "grant.expired",
        Released => "grant.released",
        Revoked => "grant.revoked",
        RemovalConfirmed => "grant.removed",
        RemovalCancelled => "grant.removal_cancelled",
        /// A removal task errored or was refused; the removal stays open and escalates.
        RemovalFailed => "grant.removal_failed",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GrantState {
    Active,
    /// Removal started (deprovisioning task or webhook); access remains until confirmed.
    PendingRemoval {
        reason: RemovalReason,
        since: Timestamp,
        by: Option<UserId>,
        /// Why the last removal task did not remove it (errored or refused), if one did not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
    },
    /// Gone; listed under "Past grants".
    Removed {
        reason: RemovalReason,
        at: Timestamp,
    },
}

string_enum! {
    /// What to show for a grant at a given moment.
    pub enum GrantStatus: "grant status" {
        Active => "active",
        /// Past its end, or its removal failed, was refused or is waiting too long; not yet
        /// confirmed removed.
        RemovalOverdue => "removal_overdue",
        /// Released or revoked, removal under way and not yet overdue.
        PendingRemoval => "pending_removal",
        Removed => "removed",
    }
}

impl GrantStatus {
    pub fn label(self) -> &'static str {
        match self {
            GrantStatus::Active => "active",
            GrantStatus::RemovalOverdue => "removal overdue",
            GrantStatus::PendingRemoval => "pending removal",
            GrantStatus::Removed => "removed",
        }
    }
}

/// What a viewer may do to a grant right now ([`Grant::actions_for`]): each flag is the check the
/// matching transition starts with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantActions {
    /// Give it up early ([`Grant::release`]).
    pub release: bool,
    /// File an extension request for it (`create_request` with `extension`).
    pub extend: bool,
    /// Revoke it ([`Grant::revoke`]).
    pub revoke: bool,
}

/// The grant after its deprovisioning task ended ([`Grant::after_removal_task`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalUpdate {
    pub grant: Grant,
    pub action: GrantAction,
    /// The removal errored or was refused and is still to be done: open the follow-up task.
    pub removal_still_open: bool,
}

/// Someone holds an entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: GrantId,
    pub subject: UserId,
    pub app: AppId,
    pub entitlement: EntitlementId,
    pub granted_at: Timestamp,
    /// Start of the current period (the last extension), for reminder rules.
    pub period_start: Timestamp,
    /// `None` = indefinite.
    pub expires_at: Option<Timestamp>,
    /// The request that created the grant.
    pub source_request: RequestId,
    /// Approved extension requests, in order.
    pub extensions: Vec<RequestId>,
    pub state: GrantState,
    pub version: u64,
}

fn require_approved(request: &Request, action: &str) -> DomainResult<()> {
    match &request.state {
        RequestState::Provisioning => Ok(()),
        RequestState::Closed {
            outcome: Outcome::Granted,
            ..
        } => Ok(()),
        _ => Err(DomainError::transition(
            action,
            format!("request {} has not been approved", request.number),
        )),
    }
}

fn expiry(now: Timestamp, length: GrantLength) -> Option<Timestamp> {
    length.as_duration().map(|d| now.plus(d))
}

impl Grant {
    /// Creates the grant once provisioning is confirmed. Expiry is counted from `now` (the moment
    /// access exists), not from the request, so slow provisioning does not eat into the grant.
    pub fn issue(id: GrantId, request: &Request, now: Timestamp) -> DomainResult<Grant> {
        require_approved(request, "grant access")?;
        if request.extends_grant.is_some() {
            return Err(DomainError::transition(
                "grant access",
                "this is an extension request; extend the existing grant instead",
            ));
        }
        Ok(Grant {
            id,
            subject: request.parties.subject.clone(),
            app: request.parties.app.clone(),
            entitlement: request.parties.entitlement.clone(),
            granted_at: now,
            period_start: now,
            expires_at: expiry(now, request.length),
            source_request: request.id.clone(),
            extensions: Vec::new(),
            state: GrantState::Active,
            version: 1,
        })
    }

    /// Whether the grant is active (not being removed).
    pub fn is_active(&self) -> bool {
        self.state == GrantState::Active
    }

    /// Whether the holder still has access: until removal is confirmed, they do.
    pub fn has_access(&self) -> bool {
        !matches!(self.state, GrantState::Removed { .. })
    }

    pub fn status_at(&self, now: Timestamp) -> GrantStatus {
        match &self.state {
            GrantState::Removed { .. } => GrantStatus::Removed,
            _ if self.removal_overdue(now) => GrantStatus::RemovalOverdue,
            GrantState::PendingRemoval { .. } => GrantStatus::PendingRemoval,
            GrantState::Active => GrantStatus::Active,
        }
    }

    /// Whether the access should be gone by now and is not confirmed removed: past its expiry
    /// (whatever the sweep has done yet), or its removal errored, was refused, or has waited more
    /// than [`REMOVAL_OVERDUE_AFTER`].
    pub fn removal_overdue(&self, now: Timestamp) -> bool {
        match &self.state {
            GrantState::Removed { .. } => false,
            _ if self.expires_at.is_some_and(|t| t <= now) => true,
            GrantState::PendingRemoval {
                problem: Some(_), ..
            } => true,
            GrantState::PendingRemoval { since, .. } => since.plus(REMOVAL_OVERDUE_AFTER) <= now,
            GrantState::Active => false,
        }
    }

    /// Why the last removal task did not remove this access, if one did not.
    pub fn removal_problem(&self) -> Option<&str> {
        match &self.state {
            GrantState::PendingRemoval { problem, .. } => problem.as_deref(),
            _ => None,
        }
    }

    /// When the access should have ended: its expiry, or when its removal started if earlier.
    pub fn ended_at(&self) -> Option<Timestamp> {
        let started = match &self.state {
            GrantState::PendingRemoval { since, .. } => Some(*since),
            GrantState::Removed { at, .. } => Some(*at),
            GrantState::Active => None,
        };
        match (self.expires_at, started) {
            (Some(e), Some(s)) => Some(e.min(s)),
            (e, s) => e.or(s),
        }
    }

    /// "expires in 2 days 4 hours", "no expiry", "removal overdue" — never negative time.
    pub fn remaining_label(&self, now: Timestamp) -> String {
        match (self.status_at(now), self.expires_at) {
            (GrantStatus::Active, None) => "no expiry".into(),
            (GrantStatus::Active, Some(t)) => {
                format!("expires in {}", format_secs(now.secs_until(t)))
            }
            (s, _) => s.label().into(),
        }
    }

    fn bumped(&self, state: GrantState) -> Grant {
        let mut g = self.clone();
        g.state = state;
        g.version += 1;
        g
    }

    fn require_active(&self, action: &str) -> DomainResult<()> {
        match &self.state {
            GrantState::Active => Ok(()),
            GrantState::PendingRemoval { reason, .. } => Err(DomainError::transition(
                action,
                format!("this access is already being removed ({reason})"),
            )),
            GrantState::Removed { .. } => {
                Err(DomainError::transition(action, "this access was removed"))
            }
        }
    }

    /// Applies an approved extension request: the expiry moves instead of the grant being revoked.
    /// The new expiry counts from `now`; an extension never shortens a grant.
    pub fn extend(&self, request: &Request, now: Timestamp) -> DomainResult<Grant> {
        require_approved(request, "extend access")?;
        if request.extends_grant.as_ref() != Some(&self.id) {
            return Err(DomainError::transition(
                "extend access",
                "this request does not extend this grant",
            ));
        }
        self.require_active("extend access")?;
        if self.expires_at.is_some_and(|t| t <= now) {
            return Err(DomainError::transition(
                "extend access",
                "it has already expired; request the access again",
            ));
        }
        let mut g = self.bumped(GrantState::Active);
        g.expires_at = match (self.expires_at, expiry(now, request.length)) {
            (_, None) => None,
            (None, Some(_)) => None,
            (Some(old), Some(new)) => Some(old.max(new)),
        };
        g.period_start = now;
        g.extensions.push(request.id.clone());
        Ok(g)
    }

    /// Starts removal because the expiry time has passed. The scheduler calls this; it refuses early
    /// calls so a clock skew cannot revoke access ahead of time.
    pub fn expire(&self, now: Timestamp) -> DomainResult<Grant> {
        self.require_active("expire access")?;
        match self.expires_at {
            None => Err(DomainError::transition("expire access", "it has no expiry")),
            Some(t) if t > now => Err(DomainError::transition(
                "expire access",
                format!("it is valid until {t}"),
            )),
            Some(_) => Ok(self.bumped(GrantState::PendingRemoval {
                reason: RemovalReason::Expired,
                since: now,
                by: None,
                problem: None,
            })),
        }
    }

    /// What `viewer` may do to this grant of an entitlement of `app` at `now`: the checks the
    /// transitions start with, without making them.
    pub fn actions_for(&self, viewer: &Viewer<'_>, app: &App, now: Timestamp) -> GrantActions {
        GrantActions {
            release: self.check_release(viewer.id).is_ok(),
            extend: check_can_request_for(viewer.roles, viewer.id, &self.subject, viewer.directory)
                .is_ok()
                && self
                    .check_extendable(&self.subject, &self.entitlement, now)
                    .is_ok(),
            revoke: self.check_revoke(viewer.id, viewer.roles, app).is_ok(),
        }
    }

    /// Whether `actor` may release this grant: only its holder, while it is active.
    /// [`Self::release`] starts with this check.
    pub fn check_release(&self, actor: &UserId) -> DomainResult<()> {
        if *actor != self.subject {
            return Err(DomainError::NotGrantHolder);
        }
        self.require_active("release access")
    }

    /// Whether an extension of this grant may be requested for `subject` and `entitlement`: it
    /// is theirs, active, and has an expiry still ahead (an indefinite grant has nothing to
    /// extend; an expired one must be requested again). `create_request` checks an extension
    /// request with this.
    pub fn check_extendable(
        &self,
        subject: &UserId,
        entitlement: &EntitlementId,
        now: Timestamp,
    ) -> DomainResult<()> {
        let action = "request an extension";
        if !self.is_active() || self.subject != *subject || self.entitlement != *entitlement {
            return Err(DomainError::transition(
                action,
                "the grant is no longer active; request the access again instead",
            ));
        }
        match self.expires_at {
            None => Err(DomainError::transition(
                action,
                "it is granted without expiry; there is nothing to extend",
            )),
            Some(t) if t <= now => Err(DomainError::transition(
                action,
                "it has already expired; request the access again",
            )),
            Some(_) => Ok(()),
        }
    }

    /// The holder gives up their access early ("Remove").
    pub fn release(&self, actor: &UserId, now: Timestamp) -> DomainResult<Grant> {
        self.check_release(actor)?;
        Ok(self.bumped(GrantState::PendingRemoval {
            reason: RemovalReason::Released,
            since: now,
            by: Some(actor.clone()),
            problem: None,
        }))
    }

    /// An admin (Super Admin, or Application Admin of the app) revokes the grant. Also allowed while
    /// removal is pending (say, after a failed removal): the removal becomes an admin's revocation,
    /// which "Won't deprovision" cannot undo, and keeps when it started and its problem.
    pub fn revoke(
        &self,
        actor: &UserId,
        roles: &RoleSet,
        app: &App,
        now: Timestamp,
    ) -> DomainResult<Grant> {
        self.check_revoke(actor, roles, app)?;
        Ok(self.revoked(Some(actor), now))
    }

    /// An access review removes the grant: its reviewer denied it, or the campaign ended with open
    /// reviews revoked (`by` is who ended it, `None` when it ended on its due date). The review
    /// carries the authority, so the reviewer need not administer the app; otherwise it is
    /// [`Self::revoke`]: allowed while removal is pending, refused once removed.
    pub fn revoke_after_review(&self, by: Option<&UserId>, now: Timestamp) -> DomainResult<Grant> {
        if matches!(self.state, GrantState::Removed { .. }) {
            return Err(DomainError::transition(
                "revoke access",
                "this access was removed",
            ));
        }
        Ok(self.revoked(by, now))
    }

    fn revoked(&self, by: Option<&UserId>, now: Timestamp) -> Grant {
        let (since, problem) = match &self.state {
            GrantState::PendingRemoval { since, problem, .. } => (*since, problem.clone()),
            GrantState::Active | GrantState::Removed { .. } => (now, None),
        };
        self.bumped(GrantState::PendingRemoval {
            reason: RemovalReason::Revoked,
            since,
            by: by.cloned(),
            problem,
        })
    }

    /// Whether `actor` may revoke this grant: a Super Admin or an admin of its app (never a
    /// read-only admin), until it is removed. [`Self::revoke`] starts with this check.
    pub fn check_revoke(&self, actor: &UserId, roles: &RoleSet, app: &App) -> DomainResult<()> {
        roles.check_can_act()?;
        if app.id != self.app || !roles.can_manage_app(actor, app) {
            return Err(DomainError::transition(
                "revoke access",
                "only a Super Admin or an admin of this app can revoke it",
            ));
        }
        if matches!(self.state, GrantState::Removed { .. }) {
            return Err(DomainError::transition(
                "revoke access",
                "this access was removed",
            ));
        }
        Ok(())
    }

    /// Deprovisioning confirmed (task "Deprovisioned" or webhook success): access is gone.
    pub fn confirm_removed(&self, now: Timestamp) -> DomainResult<Grant> {
        match &self.state {
            GrantState::PendingRemoval { reason, .. } => Ok(self.bumped(GrantState::Removed {
                reason: *reason,
                at: now,
            })),
            GrantState::Active => Err(DomainError::transition(
                "confirm removal",
                "no removal was started for this access",
            )),
            GrantState::Removed { .. } => Err(DomainError::transition(
                "confirm removal",
                "it was already removed",
            )),
        }
    }

    /// Deprovisioning declined ("Won't deprovision"): an early release is undone and the grant is
    /// active again. Expired or revoked access cannot be kept this way: an extension request (or a
    /// new request) is the only route.
    pub fn cancel_removal(&self, now: Timestamp) -> DomainResult<Grant> {
        match &self.state {
            GrantState::PendingRemoval {
                reason: RemovalReason::Expired,
                ..
            } => Err(DomainError::transition(
                "keep this access",
                "it has expired and must be removed; request the access again to keep it",
            )),
            GrantState::PendingRemoval {
                reason: RemovalReason::Revoked,
                ..
            } => Err(DomainError::transition(
                "keep this access",
                "an admin revoked it and it must be removed",
            )),
            GrantState::PendingRemoval { .. } if self.expires_at.is_some_and(|t| t <= now) => {
                Err(DomainError::transition(
                    "keep this access",
                    "it has expired in the meantime and must be removed",
                ))
            }
            GrantState::PendingRemoval { .. } => Ok(self.bumped(GrantState::Active)),
            _ => Err(DomainError::transition(
                "cancel removal",
                "no removal is pending",
            )),
        }
    }

    /// A removal task errored or was refused: access is still there and the removal stays open,
    /// now with a problem (which makes it overdue). The caller opens the follow-up task.
    pub fn removal_failed(&self, problem: &str) -> DomainResult<Grant> {
        let GrantState::PendingRemoval {
            reason, since, by, ..
        } = &self.state
        else {
            return Err(DomainError::transition(
                "record a failed removal",
                "no removal is pending",
            ));
        };
        Ok(self.bumped(GrantState::PendingRemoval {
            reason: *reason,
            since: *since,
            by: by.clone(),
            problem: Some(problem.chars().take(PROBLEM_MAX_CHARS).collect()),
        }))
    }

    /// What a finished deprovisioning task does to this grant. "Deprovisioned" removes it; "Won't
    /// deprovision" of an early release (before expiry) gives it back; anything else — "Errored",
    /// or "Won't deprovision" of a revocation or an expiry — is a failed removal that stays open
    /// (`removal_still_open`: the caller opens the follow-up task).
    pub fn after_removal_task(
        &self,
        outcome: TaskOutcome,
        problem: &str,
        now: Timestamp,
    ) -> DomainResult<RemovalUpdate> {
        let (grant, action) = match outcome {
            TaskOutcome::Done => (self.confirm_removed(now)?, GrantAction::RemovalConfirmed),
            TaskOutcome::WontDo => match self.cancel_removal(now) {
                Ok(g) => (g, GrantAction::RemovalCancelled),
                Err(_) => (self.removal_failed(problem)?, GrantAction::RemovalFailed),
            },
            TaskOutcome::Errored => (self.removal_failed(problem)?, GrantAction::RemovalFailed),
        };
        let removal_still_open = action == GrantAction::RemovalFailed;
        Ok(RemovalUpdate {
            grant,
            action,
            removal_still_open,
        })
    }

    /// When to send the expiry reminder: 3 business days before expiry, in the tenant's calendar.
    /// `None` for indefinite grants, for periods of 3 days or less, and when the reminder would fall
    /// before the period even started.
    pub fn reminder_at(&self, calendar: &BusinessCalendar) -> Option<Timestamp> {
        let expires = self.expires_at?;
        if self.period_start.plus(REMINDER_MIN_GRANT) >= expires {
            return None;
        }
        let at = calendar.business_days_before(expires, REMINDER_BUSINESS_DAYS);
        (at > self.period_start).then_some(at)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::catalog::tests::app;
    use super::super::duration::DurationChoice;
    use super::super::policy::tests::u;
    use super::super::request::create_request;
    use super::super::request::tests::{T0, approved, created, fixture, new_request};
    use super::super::roles::Role;
    use super::super::time::{Date, MILLIS_PER_DAY};
    use super::*;

    const DAY: i64 = MILLIS_PER_DAY;

    fn granted() -> Grant {
        let f = fixture();
        Grant::issue(GrantId::from("g1"), &approved(&f), T0).unwrap()
    }

    #[test]
    fn a_grant_is_issued_only_for_an_approved_request_and_expires_after_its_length() {
        let f = fixture();
        assert!(Grant::issue(GrantId::from("g1"), &created(&f), T0).is_err());
        let g = granted();
        assert_eq!(g.expires_at, Some(T0.plus_millis(7 * DAY)));
        assert_eq!(g.subject, u("alice"));
        assert_eq!(g.status_at(T0), GrantStatus::Active);
        assert_eq!(g.remaining_label(T0), "expires in 1 week");
    }

    #[test]
    fn a_grant_past_its_end_shows_only_removal_overdue_until_removal_is_confirmed() {
        let g = granted();
        let after = T0.plus_millis(7 * DAY + 1);
        assert_eq!(g.status_at(after), GrantStatus::RemovalOverdue);
        assert_eq!(g.remaining_label(after), "removal overdue");
        let pending = g.expire(after).unwrap();
        assert!(
            pending.has_access(),
            "access stays until deprovisioning is confirmed"
        );
        assert_eq!(pending.status_at(after).label(), "removal overdue");
        // A failed removal, a refusal, a re-revocation: still only "removal overdue".
        let failed = pending.removal_failed("Errored: API down").unwrap();
        assert_eq!(failed.status_at(after), GrantStatus::RemovalOverdue);
        let admin = RoleSet::new([Role::SuperAdmin]);
        let revoked = failed.revoke(&u("admin"), &admin, &app(), after).unwrap();
        assert_eq!(revoked.status_at(after), GrantStatus::RemovalOverdue);
        assert_eq!(revoked.removal_problem(), Some("Errored: API down"));
        assert_eq!(revoked.ended_at(), g.expires_at);
        let removed = pending.confirm_removed(after).unwrap();
        assert!(!removed.has_access());
        assert_eq!(removed.status_at(after), GrantStatus::Removed);
        assert!(removed.confirm_removed(after).is_err());
    }

    #[test]
    fn a_grant_cannot_be_expired_before_its_expiry() {
        let g = granted();
        assert!(g.expire(T0.plus_millis(DAY)).is_err());
    }

    #[test]
    fn only_the_holder_can_release_access_early() {
        let g = granted();
        assert_eq!(
            g.release(&u("bob"), T0).unwrap_err(),
            DomainError::NotGrantHolder
        );
        let r = g.release(&u("alice"), T0).unwrap();
        assert_eq!(r.status_at(T0), GrantStatus::PendingRemoval);
        assert!(r.release(&u("alice"), T0).is_err(), "already being removed");
    }

    #[test]
    fn only_super_admins_or_the_apps_admins_can_revoke() {
        let g = granted();
        let a = app();
        assert!(g.revoke(&u("bob"), &RoleSet::new([]), &a, T0).is_err());
        assert!(
            g.revoke(
                &u("app-owner"),
                &RoleSet::new([Role::ApplicationAdmin]),
                &a,
                T0
            )
            .is_ok()
        );
        assert!(
            g.revoke(&u("admin"), &RoleSet::new([Role::SuperAdmin]), &a, T0)
                .is_ok()
        );
    }

    #[test]
    fn an_approved_extension_moves_the_expiry_instead_of_revoking() {
        let f = fixture();
        let g = Grant::issue(GrantId::from("g1"), &approved(&f), T0).unwrap();
        let later = T0.plus_millis(5 * DAY);
        let mut n = new_request(&f, "alice", "alice");
        n.extension = true;
        n.existing_grant = Some(&g);
        n.duration = Some(DurationChoice::Preset(
            super::super::duration::DurationPreset::TwoWeeks,
        ));
        let ext = create_request(n, &f.dir, later).unwrap().request;
        assert_eq!(ext.extends_grant, Some(GrantId::from("g1")));
        // A grant cannot be issued twice for an extension request.
        let ext = ext
            .decide(
                0,
                &u("mgr"),
                &RoleSet::default(),
                super::super::policy::Verdict::Approved,
                None,
                None,
                &f.dir,
                later,
            )
            .unwrap()
            .request
            .decide(
                1,
                &u("owner"),
                &RoleSet::default(),
                super::super::policy::Verdict::Approved,
                None,
                None,
                &f.dir,
                later,
            )
            .unwrap()
            .request;
        assert!(Grant::issue(GrantId::from("g2"), &ext, later).is_err());
        let extended = g.extend(&ext, later).unwrap();
        assert_eq!(extended.expires_at, Some(later.plus_millis(14 * DAY)));
        assert_eq!(extended.extensions, vec![ext.id.clone()]);
        assert_eq!(extended.granted_at, T0);
        assert!(extended.is_active());
    }

    #[test]
    fn an_extension_never_shortens_a_grant_and_needs_an_active_grant() {
        let f = fixture();
        let g = Grant::issue(GrantId::from("g1"), &approved(&f), T0).unwrap();
        let mut n = new_request(&f, "alice", "alice");
        n.extension = true;
        n.existing_grant = Some(&g);
        n.duration = Some(DurationChoice::Preset(
            super::super::duration::DurationPreset::OneDay,
        ));
        let mut ext = create_request(n, &f.dir, T0).unwrap().request;
        ext.state = super::super::request::RequestState::Provisioning;
        let extended = g.extend(&ext, T0).unwrap();
        assert_eq!(extended.expires_at, g.expires_at);
        // Released grants cannot be extended.
        let released = g.release(&u("alice"), T0).unwrap();
        assert!(released.extend(&ext, T0).is_err());
        // And an extension request needs a grant to extend.
        let mut n = new_request(&f, "alice", "alice");
        n.extension = true;
        assert!(create_request(n, &f.dir, T0).is_err());
    }

    #[test]
    fn requesting_access_already_held_points_to_an_extension() {
        let f = fixture();
        let g = granted();
        let mut n = new_request(&f, "alice", "alice");
        n.existing_grant = Some(&g);
        let err = create_request(n, &f.dir, T0).unwrap_err();
        assert!(err.to_string().contains("request an extension"), "{err}");
    }

    #[test]
    fn declining_removal_keeps_released_access_but_never_expired_access() {
        let g = granted();
        let released = g.release(&u("alice"), T0).unwrap();
        assert!(released.cancel_removal(T0).unwrap().is_active());
        let after = T0.plus_millis(8 * DAY);
        assert!(released.cancel_removal(after).is_err());
        let expired = g.expire(after).unwrap();
        assert!(expired.cancel_removal(after).is_err());
    }

    #[test]
    fn an_errored_or_refused_removal_of_a_revoked_or_expired_grant_stays_open_and_overdue() {
        let g = granted();
        let admin = RoleSet::new([Role::SuperAdmin]);
        let revoked = g.revoke(&u("admin"), &admin, &app(), T0).unwrap();
        assert_eq!(revoked.status_at(T0), GrantStatus::PendingRemoval);
        for outcome in [TaskOutcome::Errored, TaskOutcome::WontDo] {
            let u2 = revoked
                .after_removal_task(outcome, "Won't deprovision: still needed", T0)
                .unwrap();
            assert!(u2.removal_still_open, "{outcome}");
            assert_eq!(u2.action, GrantAction::RemovalFailed);
            assert!(u2.grant.has_access());
            assert_eq!(u2.grant.status_at(T0), GrantStatus::RemovalOverdue);
        }
        let after = T0.plus_millis(8 * DAY);
        let expired = g.expire(after).unwrap();
        let refused = expired
            .after_removal_task(TaskOutcome::WontDo, "no", after)
            .unwrap();
        assert!(refused.removal_still_open);
        assert!(!refused.grant.is_active());
        // Deprovisioned: gone, nothing left open.
        let done = refused
            .grant
            .after_removal_task(TaskOutcome::Done, "", after)
            .unwrap();
        assert!(!done.removal_still_open);
        assert_eq!(done.grant.status_at(after), GrantStatus::Removed);
        // "Won't deprovision" of an early release gives the access back.
        let released = g.release(&u("alice"), T0).unwrap();
        let kept = released
            .after_removal_task(TaskOutcome::WontDo, "mistake", T0)
            .unwrap();
        assert_eq!(kept.action, GrantAction::RemovalCancelled);
        assert!(kept.grant.is_active());
    }

    #[test]
    fn a_grant_pending_removal_can_still_be_revoked_and_a_removed_one_cannot() {
        let g = granted();
        let admin = RoleSet::new([Role::SuperAdmin]);
        let released = g.release(&u("alice"), T0).unwrap();
        let later = T0.plus_millis(DAY / 2);
        let revoked = released.revoke(&u("admin"), &admin, &app(), later).unwrap();
        assert!(matches!(
            revoked.state,
            GrantState::PendingRemoval { reason: RemovalReason::Revoked, since, .. } if since == T0
        ));
        // An admin's revocation cannot be undone with "Won't deprovision".
        assert!(revoked.cancel_removal(later).is_err());
        let removed = revoked.confirm_removed(later).unwrap();
        assert!(removed.revoke(&u("admin"), &admin, &app(), later).is_err());
    }

    #[test]
    fn a_release_or_revocation_not_removed_within_a_day_is_overdue() {
        let g = granted();
        let released = g.release(&u("alice"), T0).unwrap();
        assert_eq!(
            released.status_at(T0.plus_millis(DAY - 1)),
            GrantStatus::PendingRemoval
        );
        assert_eq!(
            released.status_at(T0.plus_millis(DAY)),
            GrantStatus::RemovalOverdue
        );
        assert_eq!(released.ended_at(), Some(T0));
    }

    fn at(y: i32, m: u8, d: u8, hour: i64) -> Timestamp {
        Timestamp::from_unix_millis(
            Date::new(y, m, d).unwrap().days_since_epoch() * DAY + hour * 3_600_000,
        )
    }

    #[test]
    fn the_expiry_reminder_is_three_business_days_before() {
        let mut g = granted();
        g.period_start = at(2024, 6, 1, 9);
        g.expires_at = Some(at(2024, 7, 10, 9)); // Wednesday
        let cal = BusinessCalendar::default();
        assert_eq!(g.reminder_at(&cal), Some(at(2024, 7, 5, 9))); // previous Friday
        let mut cal = BusinessCalendar::default();
        cal.holidays.insert(Date::new(2024, 7, 8).unwrap()); // a Monday holiday
        assert_eq!(g.reminder_at(&cal), Some(at(2024, 7, 4, 9)));
    }

    #[test]
    fn no_reminder_for_grants_of_three_days_or_less_or_without_expiry() {
        let mut g = granted();
        g.period_start = at(2024, 7, 1, 9);
        g.expires_at = Some(at(2024, 7, 4, 9));
        assert_eq!(g.reminder_at(&BusinessCalendar::default()), None);
        g.expires_at = None;
        assert_eq!(g.reminder_at(&BusinessCalendar::default()), None);
        assert_eq!(g.remaining_label(T0), "no expiry");
        // 4 days spanning a weekend: the reminder would fall before the grant began.
        g.period_start = at(2024, 7, 5, 9); // Friday
        g.expires_at = Some(at(2024, 7, 9, 10)); // Tuesday
        assert_eq!(g.reminder_at(&BusinessCalendar::default()), None);
    }
}
