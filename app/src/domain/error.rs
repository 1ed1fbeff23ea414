//! The single error type of the domain layer.
//!
//! Every rule violation is a variant of [`DomainError`]. The `Display` text is written for the end
//! user (it is shown verbatim in the web UI and in Slack ephemeral messages), so it says what went
//! wrong and, where possible, what to do instead. Storage and web layers should map variants to
//! HTTP status codes with [`DomainError::kind`] rather than by matching message text.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Coarse classification of a [`DomainError`], so the web layer can choose a status code
/// (400 / 403 / 404 / 409) without matching on every variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    /// The input is malformed or breaks a rule (HTTP 400 / 422).
    Invalid,
    /// The actor is not allowed to do this (HTTP 403).
    Forbidden,
    /// The object is in a state where this action no longer applies, e.g. a stale Slack button (HTTP 409).
    Conflict,
}

/// Everything that can go wrong in Latch's pure rules. Messages are user-facing.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum DomainError {
    // ----- parsing / validation -----
    #[error("\"{value}\" is not a valid email address: {reason}")]
    InvalidEmail { value: String, reason: String },
    #[error(
        "\"{value}\" is not a valid slug: use 1–63 lowercase letters, digits and single hyphens, starting with a letter or digit"
    )]
    InvalidSlug { value: String },
    #[error("\"{value}\" is not a valid {what}: {reason}")]
    InvalidValue {
        what: String,
        value: String,
        reason: String,
    },
    #[error("unknown {what} \"{value}\"")]
    UnknownValue { what: String, value: String },
    #[error("{field} is required")]
    Required { field: String },
    #[error("{field} is too long (at most {max} characters)")]
    TooLong { field: String, max: usize },
    #[error("\"{value}\" is not a valid duration: {reason}")]
    InvalidDuration { value: String, reason: String },

    // ----- catalog / durations -----
    #[error(
        "the requested length ({requested}) is longer than the maximum allowed for this entitlement ({max})"
    )]
    DurationExceedsMaximum { requested: String, max: String },
    #[error(
        "the requested length ({requested}) is longer than the organisation-wide maximum ({max})"
    )]
    DurationExceedsTenantCap { requested: String, max: String },
    #[error("this entitlement cannot be granted indefinitely; choose a length of at most {max}")]
    IndefiniteNotAllowed { max: String },
    #[error(
        "this entitlement's maximum duration ({max}) is longer than the organisation-wide maximum ({cap})"
    )]
    EntitlementMaxExceedsTenantCap { max: String, cap: String },
    #[error("an entitlement can have at most {max} {what}")]
    TooManyOwners { what: String, max: usize },
    #[error("you cannot request this entitlement: it is not visible to you")]
    NotVisible,
    #[error("emergency access is not enabled for this entitlement")]
    EmergencyNotEnabled,
    #[error("this request must use policy \"{expected}\", not \"{given}\"")]
    WrongPolicy { expected: String, given: String },

    // ----- policies -----
    #[error("invalid policy: {reason}")]
    InvalidPolicy { reason: String },

    // ----- requests -----
    #[error("{user} is {status} and cannot {action}")]
    UserNotActive {
        user: String,
        status: String,
        action: String,
    },
    #[error("you may only request access for yourself{hint}")]
    CannotRequestForOthers { hint: String },
    #[error("read-only admins can view everything but cannot request access or complete tasks")]
    ReadOnlyAdmin,
    #[error("there is already an open request {number} for this access")]
    DuplicateOpenRequest { number: String },
    #[error(
        "there is already an open request {number} for this access; escalate that request to emergency access instead of opening a new one"
    )]
    DuplicateOpenRequestEscalate { number: String },
    #[error("request {number} is already closed ({outcome})")]
    RequestClosed { number: String, outcome: String },
    #[error("request {number} is not waiting for approval (it is {state})")]
    NotAwaitingApproval { number: String, state: String },
    #[error("step {step} was already {decision} by {by}")]
    StepAlreadyDecided {
        step: usize,
        decision: String,
        by: String,
    },
    #[error("step {step} has not been reached yet (the request is on step {current})")]
    StepNotReached { step: usize, current: usize },
    #[error("you are not an approver for step {step} of this request")]
    NotAnApprover { step: usize },
    #[error("you cannot approve your own request: this step does not allow self-approval")]
    SelfApprovalNotAllowed,
    #[error("you already approved an earlier step; this step requires a different approver")]
    DistinctApproverRequired,
    #[error("a reason is required to {action}")]
    ReasonRequired { action: String },
    #[error(
        "approvers may shorten the requested length but not extend it (requested {requested}, proposed {proposed})"
    )]
    CannotLengthenDuration { requested: String, proposed: String },
    #[error("only the requester can cancel this request")]
    OnlyRequesterCanCancel,
    #[error("only a current approver or an admin can reassign this step")]
    CannotReassign,
    #[error("{user} cannot be assigned this step: {reason}")]
    InvalidReassignee { user: String, reason: String },
    #[error("only the subject of the request or their manager can escalate it to emergency access")]
    CannotEscalate,
    #[error("request {number} is already an emergency request")]
    AlreadyEmergency { number: String },
    #[error("cannot {action}: {reason}")]
    InvalidTransition { action: String, reason: String },

    // ----- grants / provisioning -----
    #[error("only the holder of this access can release it")]
    NotGrantHolder,
    #[error("you are not assigned to this provisioning task")]
    NotAProvisioner,
    #[error(
        "nobody provisions or deprovisions their own access: another provisioner, an app owner or a Super Admin must complete this task"
    )]
    OwnAccessTask,
    #[error(
        "only Super Admins, the app's owners and the entitlement's provisioners can retry provisioning"
    )]
    CannotRetryProvisioning,
    #[error("this provisioning task was already completed ({outcome}) by {by}")]
    TaskAlreadyCompleted { outcome: String, by: String },
    #[error("a note is required when marking a task \"{outcome}\"")]
    NoteRequired { outcome: String },

    // ----- access reviews -----
    #[error("only Campaign Administrators and Super Admins can create access review campaigns")]
    CannotCreateCampaign,
    #[error("only this campaign's owners (Campaign Administrators) and Super Admins can manage it")]
    NotCampaignManager,
    #[error("{user} cannot own a campaign: owners must be Campaign Administrators or Super Admins")]
    CampaignOwnerRole { user: String },
    #[error("you are not a reviewer of this access review")]
    NotAReviewer,
    #[error("this access review was already {outcome} by {by}")]
    ReviewAlreadyDecided { outcome: String, by: String },

    // ----- audit / webhook -----
    #[error("invalid webhook signature: {reason}")]
    InvalidSignature { reason: String },
}

impl DomainError {
    /// The coarse class of this error, for mapping to transport status codes.
    pub fn kind(&self) -> ErrorKind {
        use DomainError::*;
        match self {
            NotVisible
            | CannotRequestForOthers { .. }
            | ReadOnlyAdmin
            | NotAnApprover { .. }
            | SelfApprovalNotAllowed
            | DistinctApproverRequired
            | OnlyRequesterCanCancel
            | CannotReassign
            | CannotEscalate
            | NotGrantHolder
            | NotAProvisioner
            | OwnAccessTask
            | CannotRetryProvisioning
            | CannotCreateCampaign
            | NotCampaignManager
            | NotAReviewer
            | InvalidSignature { .. } => ErrorKind::Forbidden,
            DuplicateOpenRequest { .. }
            | DuplicateOpenRequestEscalate { .. }
            | RequestClosed { .. }
            | NotAwaitingApproval { .. }
            | StepAlreadyDecided { .. }
            | StepNotReached { .. }
            | AlreadyEmergency { .. }
            | InvalidTransition { .. }
            | TaskAlreadyCompleted { .. }
            | ReviewAlreadyDecided { .. } => ErrorKind::Conflict,
            _ => ErrorKind::Invalid,
        }
    }

    pub(crate) fn invalid(what: &str, value: &str, reason: &str) -> Self {
        DomainError::InvalidValue {
            what: what.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn transition(action: &str, reason: impl Into<String>) -> Self {
        DomainError::InvalidTransition {
            action: action.to_string(),
            reason: reason.into(),
        }
    }
}

/// Shorthand used throughout the domain.
pub type DomainResult<T> = Result<T, DomainError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn already_decided_error_names_who_decided() {
        let e = DomainError::StepAlreadyDecided {
            step: 2,
            decision: "approved".into(),
            by: "alice".into(),
        };
        assert_eq!(e.to_string(), "step 2 was already approved by alice");
        assert_eq!(e.kind(), ErrorKind::Conflict);
    }
}
