//! Requests as the request pages and lists show them, and the form that creates one.

use serde::{Deserialize, Serialize};

use crate::domain::{Outcome, RequestActions, RequestStatus};

/// Form input for a new request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateInput {
    pub entitlement_id: String,
    /// Empty: for myself.
    pub subject_email: String,
    /// Empty: the default length; else a preset ("1d"), custom ("10d 12h") or "indefinite".
    pub duration: String,
    pub justification: String,
    pub emergency: bool,
    /// An extension of the subject's active grant of this entitlement: on approval the grant's
    /// expiry moves instead of a new grant being issued.
    pub extension: bool,
}

/// A request as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSummary {
    pub id: String,
    pub number: String,
    pub app: String,
    pub entitlement: String,
    pub requester: String,
    pub subject: String,
    pub status: RequestStatus,
    /// How it ended, once closed.
    pub outcome: Option<Outcome>,
    pub emergency: bool,
    pub created_at: i64,
    pub current_step: Option<usize>,
    /// The length that will be granted (an approver may have shortened it).
    pub length: String,
    /// The length the requester asked for.
    pub requested_length: String,
    /// Preset lengths ("1h", "4h"…) shorter than `length`, offered to approvers while it waits.
    pub shorter_lengths: Vec<String>,
}

/// One line of a request's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLine {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// Everything the request page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub summary: RequestSummary,
    pub justification: String,
    pub policy_name: String,
    pub assignees: Vec<String>,
    /// What the viewer may do to it (the domain's permission checks, [`RequestActions`]).
    pub actions: RequestActions,
    pub history: Vec<HistoryLine>,
    pub comments: Vec<HistoryLine>,
    pub note: Option<String>,
}

/// An entitlement in the request form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestableEntitlement {
    pub id: String,
    pub label: String,
    /// The longest length that may be asked for ("90d", or "indefinite").
    pub max: String,
    pub indefinite_allowed: bool,
    pub emergency: bool,
}
