//! Who reviews each grant: a campaign's review policy names approver sources like a request
//! policy's approval step (manager, app owners, entitlement owners, named users, a group), and
//! falls back to the campaign owners. Resolution is the request policies' own
//! ([`assign_without_auto_approval`]): the same eligibility rules (inactive people and the subject
//! are left out, a group over 128 members goes to the fallback), then the fallback, then the Super
//! Admins as the last resort; nothing is ever certified automatically.

use serde::{Deserialize, Serialize};

use super::super::directory::Directory;
use super::super::error::{DomainError, DomainResult};
use super::super::ids::UserId;
use super::super::policy::{
    ApprovalStep, ApproverSource, AssignmentTier, FallbackReason, Policy, PolicyStep,
    RequestParties, assign_without_auto_approval,
};
use super::scope::GrantFacts;

/// A campaign's review policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPolicy {
    /// Where reviewers come from; empty means the campaign owners review everything.
    pub reviewers: Vec<ApproverSource>,
    pub require_certify_reason: bool,
    pub require_deny_reason: bool,
    /// Whether reviewers (not only campaign managers) may hand a review to someone else.
    pub allow_reassignment: bool,
    /// Use the entitlement's own review policy when it has one (the campaign's otherwise).
    pub use_entitlement_policies: bool,
}

impl Default for ReviewPolicy {
    fn default() -> Self {
        ReviewPolicy {
            reviewers: vec![ApproverSource::Manager],
            require_certify_reason: false,
            require_deny_reason: true,
            allow_reassignment: true,
            use_entitlement_policies: false,
        }
    }
}

impl ReviewPolicy {
    pub fn validate(&self) -> DomainResult<()> {
        for source in &self.reviewers {
            match source {
                ApproverSource::Users(users) if users.is_empty() => {
                    return Err(DomainError::Required {
                        field: "at least one named reviewer".into(),
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The approval step the reviewers of one grant are resolved with: this policy's sources, or
    /// the entitlement's own review step when the policy defers to it and there is one; either
    /// way the campaign owners are the fallback. Self-review is never allowed.
    pub fn step_for(
        &self,
        entitlement_review: Option<&ApprovalStep>,
        owners: &[UserId],
    ) -> ApprovalStep {
        let approvers = match entitlement_review {
            Some(own) if self.use_entitlement_policies => own.approvers.clone(),
            _ => self.reviewers.clone(),
        };
        ApprovalStep {
            approvers,
            allow_self_approval: false,
            require_approval_reason: self.require_certify_reason,
            require_denial_reason: self.require_deny_reason,
            require_distinct_approvers: false,
            allow_reassignment: self.allow_reassignment,
            fallback_users: owners.to_vec(),
        }
    }
}

/// The review step an entitlement's review policy (`Entitlement::review_policy`) gives its
/// grants: the policy's first approval step. A review is one decision (certify or deny) by one
/// set of reviewers, so only one step can name them, and the first is the one whose approvers a
/// request would reach first. A policy with no approval step (automatic, or an external decider
/// only) names no people, so the campaign's own reviewers stay.
pub fn entitlement_review_step(policy: &Policy) -> Option<&ApprovalStep> {
    policy.steps.iter().find_map(|s| match s {
        PolicyStep::Approval(a) => Some(a),
        _ => None,
    })
}

/// The reviewers of one grant, and how they were found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewers {
    /// Empty only when nobody at all may review (every candidate, owner and Super Admin is the
    /// subject or inactive): a campaign manager must reassign it.
    pub users: Vec<UserId>,
    /// `None` when nobody may review.
    pub tier: Option<AssignmentTier>,
    pub fallback_reason: Option<FallbackReason>,
}

/// Who reviews `grant` under `step` (from [`ReviewPolicy::step_for`]).
pub fn resolve_reviewers(
    step: &ApprovalStep,
    grant: &GrantFacts,
    directory: &dyn Directory,
) -> Reviewers {
    let parties = RequestParties {
        // Nobody asked for anything in a review; the subject stands in for the requester, which
        // only matters to automatic approval, never done here.
        requester: grant.subject.clone(),
        subject: grant.subject.clone(),
        app: grant.app.clone(),
        entitlement: grant.entitlement.clone(),
    };
    match assign_without_auto_approval(step, &parties, directory) {
        Some(assignment) => Reviewers {
            users: assignment.assignees,
            tier: Some(assignment.tier),
            fallback_reason: assignment.fallback_reason,
        },
        None => Reviewers {
            users: Vec::new(),
            tier: None,
            fallback_reason: Some(FallbackReason::NoEligibleApprover),
        },
    }
}
