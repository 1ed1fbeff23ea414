//! One review per grant of the snapshot, and what reviewers do to it.
//!
//! ```text
//! Open ──decide (pending)──submit──► Certified
//!   │                         └────► Denied ──► remediation: waiting (until the end) ─► started
//!   │                                           (started at once with "remediate immediately")
//!   ├──reassign (with a reason)──► Open, other reviewers
//!   ├──subject suspended/deleted──► Cancelled
//!   └──campaign ends──► Skipped (access stays) | Revoked (remediation like a denial)
//! ```
//!
//! A decision is a [`PendingDecision`] of one reviewer until they submit their batch
//! ([`submit_batch`]); several batches are allowed. A review another reviewer decided first is
//! counted as "decided by someone else" in the submission, naming who.

use serde::{Deserialize, Serialize};

use super::super::directory::{Directory, UserStatus};
use super::super::error::{DomainError, DomainResult};
use super::super::ids::UserId;
use super::super::request::{MAX_REASON_LEN, clean_optional, clean_text};
use super::super::roles::RoleSet;
use super::super::time::Timestamp;
use super::scope::GrantFacts;
use super::{Campaign, CampaignId, CampaignStatus, OpenReviews, ReviewTaskId};

string_enum! {
    /// A reviewer's answer.
    pub enum ReviewVerdict: "review verdict" {
        /// ✓ the access is still needed.
        Certify => "certify",
        /// ✗ remove it.
        Deny => "deny",
    }
}

string_enum! {
    /// Where a review stands (the stored `state` column).
    pub enum ReviewOutcome: "review outcome" {
        Open => "open",
        Certified => "certified",
        Denied => "denied",
        Cancelled => "cancelled",
        Skipped => "skipped",
        Revoked => "revoked",
    }
}

string_enum! {
    /// Removing the access of a denied (or revoked-at-end) review.
    pub enum Remediation: "remediation" {
        /// Waits for the campaign to end.
        Waiting => "waiting",
        /// The grant is being removed, through the same removal as expiry and revocation.
        Started => "started",
        /// The grant no longer gave access when its removal was due.
        NotNeeded => "not_needed",
    }
}

string_enum! {
    /// Why a review closed without a decision mid-campaign.
    pub enum CancelReason: "review cancel reason" {
        SubjectSuspended => "subject_suspended",
        SubjectDeleted => "subject_deleted",
    }
}

string_enum! {
    /// Audit action names of review transitions.
    pub enum ReviewAction: "review action" {
        Certified => "review.certified",
        Denied => "review.denied",
        Submitted => "review.submitted",
        Reassigned => "review.reassigned",
        Cancelled => "review.cancelled",
        Skipped => "review.skipped",
        Revoked => "review.revoked",
        RemediationStarted => "review.remediation_started",
        /// The grant was already gone when its removal was due.
        RemediationNotNeeded => "review.remediation_not_needed",
    }
}

impl CancelReason {
    /// The reason for a subject who now has `status`; `None` while they are active.
    pub fn for_status(status: UserStatus) -> Option<CancelReason> {
        match status {
            UserStatus::Active => None,
            UserStatus::Suspended => Some(CancelReason::SubjectSuspended),
            UserStatus::Deleted => Some(CancelReason::SubjectDeleted),
        }
    }
}

/// Where one review stands, with who closed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReviewState {
    Open,
    Certified {
        by: UserId,
        at: Timestamp,
        reason: Option<String>,
    },
    Denied {
        by: UserId,
        at: Timestamp,
        reason: Option<String>,
        remediation: Remediation,
    },
    Cancelled {
        at: Timestamp,
        why: CancelReason,
    },
    Skipped {
        at: Timestamp,
    },
    Revoked {
        at: Timestamp,
        remediation: Remediation,
    },
}

/// One grant to review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewTask {
    pub id: ReviewTaskId,
    pub campaign: CampaignId,
    /// The grant as it was when the campaign was staged.
    pub grant: GrantFacts,
    pub reviewers: Vec<UserId>,
    pub state: ReviewState,
    pub version: u64,
}

/// What a viewer may do to a review ([`ReviewTask::actions_for`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewActions {
    /// ✓ Certify / ✗ Deny ([`ReviewTask::decide`]).
    pub decide: bool,
    /// Reassign ([`ReviewTask::reassign`]).
    pub reassign: bool,
}

/// A reviewer's decision, kept until they submit it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDecision {
    pub task: ReviewTaskId,
    pub reviewer: UserId,
    pub verdict: ReviewVerdict,
    pub reason: Option<String>,
    pub at: Timestamp,
}

impl ReviewTask {
    /// A new open review of `grant`.
    pub fn open(
        id: ReviewTaskId,
        campaign: CampaignId,
        grant: GrantFacts,
        reviewers: Vec<UserId>,
    ) -> ReviewTask {
        ReviewTask {
            id,
            campaign,
            grant,
            reviewers,
            state: ReviewState::Open,
            version: 1,
        }
    }

    pub fn outcome(&self) -> ReviewOutcome {
        match self.state {
            ReviewState::Open => ReviewOutcome::Open,
            ReviewState::Certified { .. } => ReviewOutcome::Certified,
            ReviewState::Denied { .. } => ReviewOutcome::Denied,
            ReviewState::Cancelled { .. } => ReviewOutcome::Cancelled,
            ReviewState::Skipped { .. } => ReviewOutcome::Skipped,
            ReviewState::Revoked { .. } => ReviewOutcome::Revoked,
        }
    }

    pub fn is_open(&self) -> bool {
        self.state == ReviewState::Open
    }

    /// Who decided it, for "decided by someone else first".
    pub fn decided_by(&self) -> Option<&UserId> {
        match &self.state {
            ReviewState::Certified { by, .. } | ReviewState::Denied { by, .. } => Some(by),
            _ => None,
        }
    }

    /// The removal this review still waits for (denied or revoked, not yet started).
    pub fn remediation(&self) -> Option<Remediation> {
        match &self.state {
            ReviewState::Denied { remediation, .. } | ReviewState::Revoked { remediation, .. } => {
                Some(*remediation)
            }
            _ => None,
        }
    }

    fn bumped(&self, state: ReviewState) -> ReviewTask {
        ReviewTask {
            state,
            version: self.version + 1,
            ..self.clone()
        }
    }

    fn check_open(&self) -> DomainResult<()> {
        match &self.state {
            ReviewState::Open => Ok(()),
            other => Err(DomainError::ReviewAlreadyDecided {
                outcome: self.outcome().as_str().to_string(),
                by: match other {
                    ReviewState::Certified { by, .. } | ReviewState::Denied { by, .. } => {
                        by.to_string()
                    }
                    _ => "Latch".to_string(),
                },
            }),
        }
    }

    /// Whether `reviewer` may decide this review now: the campaign is running, the review open,
    /// and they are one of its reviewers.
    pub fn check_may_decide(
        &self,
        campaign: &Campaign,
        reviewer: &UserId,
        roles: &RoleSet,
    ) -> DomainResult<()> {
        roles.check_can_act()?;
        if campaign.status() != CampaignStatus::Running {
            return Err(DomainError::transition(
                "review access",
                format!("the campaign is {}", campaign.status().as_str()),
            ));
        }
        self.check_open()?;
        if !self.reviewers.contains(reviewer) {
            return Err(DomainError::NotAReviewer);
        }
        Ok(())
    }

    /// ✓ Certify or ✗ Deny, pending until submitted. The review policy may require a reason.
    pub fn decide(
        &self,
        campaign: &Campaign,
        reviewer: &UserId,
        roles: &RoleSet,
        verdict: ReviewVerdict,
        reason: Option<&str>,
        now: Timestamp,
    ) -> DomainResult<PendingDecision> {
        self.check_may_decide(campaign, reviewer, roles)?;
        let reason = clean_optional("the reason", reason, MAX_REASON_LEN)?;
        let policy = &campaign.fields.review_policy;
        let required = match verdict {
            ReviewVerdict::Certify => policy.require_certify_reason,
            ReviewVerdict::Deny => policy.require_deny_reason,
        };
        if required && reason.is_none() {
            return Err(DomainError::ReasonRequired {
                action: match verdict {
                    ReviewVerdict::Certify => "certify this access".into(),
                    ReviewVerdict::Deny => "deny this access".into(),
                },
            });
        }
        Ok(PendingDecision {
            task: self.id.clone(),
            reviewer: reviewer.clone(),
            verdict,
            reason,
            at: now,
        })
    }

    /// Applies a submitted decision. A denial's access is removed at once with "remediate
    /// immediately", else when the campaign ends (`Remediation::Waiting` either way: the caller
    /// starts the removal and records it with [`Self::remediated`]).
    fn apply(&self, decision: &PendingDecision, now: Timestamp) -> ReviewTask {
        let by = decision.reviewer.clone();
        let reason = decision.reason.clone();
        self.bumped(match decision.verdict {
            ReviewVerdict::Certify => ReviewState::Certified {
                by,
                at: now,
                reason,
            },
            ReviewVerdict::Deny => ReviewState::Denied {
                by,
                at: now,
                reason,
                remediation: Remediation::Waiting,
            },
        })
    }

    /// Whether this review's access must be removed now: denied in a campaign that remediates
    /// immediately, or any waiting removal once the campaign has ended.
    pub fn remediation_due(&self, campaign: &Campaign) -> bool {
        self.remediation() == Some(Remediation::Waiting)
            && (campaign.fields.settings.remediate_immediately
                || matches!(
                    campaign.status(),
                    CampaignStatus::Ended | CampaignStatus::Completed
                ))
    }

    /// Records that the removal was started (`Started`) or was not needed (`NotNeeded`).
    pub fn remediated(&self, outcome: Remediation) -> DomainResult<ReviewTask> {
        let state = match &self.state {
            ReviewState::Denied {
                by,
                at,
                reason,
                remediation: Remediation::Waiting,
            } => ReviewState::Denied {
                by: by.clone(),
                at: *at,
                reason: reason.clone(),
                remediation: outcome,
            },
            ReviewState::Revoked {
                at,
                remediation: Remediation::Waiting,
            } => ReviewState::Revoked {
                at: *at,
                remediation: outcome,
            },
            _ => {
                return Err(DomainError::transition(
                    "remove the reviewed access",
                    "no removal is waiting",
                ));
            }
        };
        Ok(self.bumped(state))
    }

    /// Whether `actor` may hand this review to someone else: it is open in a staged or running
    /// campaign, and they review it (when the policy allows reassignment) or manage the campaign.
    /// [`Self::reassign`] starts with this check.
    pub fn check_reassign(
        &self,
        campaign: &Campaign,
        actor: &UserId,
        roles: &RoleSet,
    ) -> DomainResult<()> {
        roles.check_can_act()?;
        if !matches!(
            campaign.status(),
            CampaignStatus::Staged | CampaignStatus::Running
        ) {
            return Err(DomainError::transition(
                "reassign the review",
                format!("the campaign is {}", campaign.status().as_str()),
            ));
        }
        self.check_open()?;
        let reviewer_may =
            self.reviewers.contains(actor) && campaign.fields.review_policy.allow_reassignment;
        if !reviewer_may && !campaign.can_manage(actor, roles) {
            return Err(DomainError::CannotReassign);
        }
        Ok(())
    }

    /// What `viewer` may do to this review right now: each flag is the check the matching
    /// transition starts with, so a button that shows never fails on its rule.
    pub fn actions_for(
        &self,
        campaign: &Campaign,
        viewer: &UserId,
        roles: &RoleSet,
    ) -> ReviewActions {
        ReviewActions {
            decide: self.check_may_decide(campaign, viewer, roles).is_ok(),
            reassign: self.check_reassign(campaign, viewer, roles).is_ok(),
        }
    }

    /// Hands the review to other reviewers, with a reason: its reviewers may when the policy
    /// allows reassignment, campaign managers always. The new reviewers must be active and not
    /// the subject.
    pub fn reassign(
        &self,
        campaign: &Campaign,
        actor: &UserId,
        roles: &RoleSet,
        to: &[UserId],
        reason: &str,
        directory: &dyn Directory,
    ) -> DomainResult<ReviewTask> {
        self.check_reassign(campaign, actor, roles)?;
        clean_text("a reason for reassigning", reason, MAX_REASON_LEN)?;
        if to.is_empty() {
            return Err(DomainError::Required {
                field: "someone to reassign the review to".into(),
            });
        }
        let mut reviewers: Vec<UserId> = Vec::new();
        for user in to {
            let invalid = |why: &str| DomainError::InvalidReassignee {
                user: user.to_string(),
                reason: why.to_string(),
            };
            if !directory.is_active(user) {
                return Err(invalid("they are not an active user"));
            }
            if *user == self.grant.subject {
                return Err(invalid("nobody reviews their own access"));
            }
            if !reviewers.contains(user) {
                reviewers.push(user.clone());
            }
        }
        if reviewers == self.reviewers {
            return Err(DomainError::invalid(
                "reviewers",
                "",
                "they already review it",
            ));
        }
        Ok(ReviewTask {
            reviewers,
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// The subject was suspended or deleted: an open review closes as cancelled. Decided reviews
    /// stay as they are (`None`).
    pub fn cancel(&self, why: CancelReason, now: Timestamp) -> Option<ReviewTask> {
        self.is_open()
            .then(|| self.bumped(ReviewState::Cancelled { at: now, why }))
    }

    /// The campaign ended: an open review is skipped (access stays) or revoked (its removal
    /// waits to be started like a denial's). Closed reviews stay as they are (`None`).
    pub fn close_at_end(&self, choice: OpenReviews, now: Timestamp) -> Option<ReviewTask> {
        self.is_open().then(|| {
            self.bumped(match choice {
                OpenReviews::Skip => ReviewState::Skipped { at: now },
                OpenReviews::Revoke => ReviewState::Revoked {
                    at: now,
                    remediation: Remediation::Waiting,
                },
            })
        })
    }
}

/// What one "Submit reviews" did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// Reviews this batch decided: (before, after).
    pub applied: Vec<(ReviewTask, ReviewTask)>,
    /// Reviews someone else decided first (or that closed meanwhile), with who, if a person.
    pub decided_elsewhere: Vec<(ReviewTaskId, Option<UserId>)>,
    pub certified: usize,
    pub denied: usize,
}

impl Submission {
    pub fn submitted(&self) -> usize {
        self.applied.len() + self.decided_elsewhere.len()
    }
}

/// Submits `reviewer`'s pending decisions against the reviews as they stand now (`tasks`, looked
/// up by id): each open review they still review is decided; the others are counted as decided
/// elsewhere. The campaign must be running.
pub fn submit_batch(
    campaign: &Campaign,
    reviewer: &UserId,
    roles: &RoleSet,
    tasks: &[ReviewTask],
    pending: &[PendingDecision],
    now: Timestamp,
) -> DomainResult<Submission> {
    roles.check_can_act()?;
    if campaign.status() != CampaignStatus::Running {
        return Err(DomainError::transition(
            "submit reviews",
            format!("the campaign is {}", campaign.status().as_str()),
        ));
    }
    let mut out = Submission::default();
    for decision in pending.iter().filter(|d| d.reviewer == *reviewer) {
        let Some(task) = tasks.iter().find(|t| t.id == decision.task) else {
            continue;
        };
        if !task.is_open() || !task.reviewers.contains(reviewer) {
            out.decided_elsewhere
                .push((task.id.clone(), task.decided_by().cloned()));
            continue;
        }
        match decision.verdict {
            ReviewVerdict::Certify => out.certified += 1,
            ReviewVerdict::Deny => out.denied += 1,
        }
        out.applied.push((task.clone(), task.apply(decision, now)));
    }
    Ok(out)
}
