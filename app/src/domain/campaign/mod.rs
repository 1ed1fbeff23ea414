//! Access review campaigns: owners ask reviewers to certify, grant by grant, that people still need
//! the access they hold; denied access is removed (product reference §b.7).
//!
//! ```text
//! Draft ──stage──► Staged ──start──► Running ──end (Skip | Revoke)──► Ended ──complete──► Completed
//!   │                │                  │   └─(auto-end set, due date passed)─┘               (read-only)
//!   everything       scope and review   instructions, due date, owners, auto-end
//!   editable         policy frozen;     stay editable while running
//!                    snapshot taken
//! ```
//!
//! * Staging takes the snapshot: one [`ReviewTask`] per grant in [`CampaignScope`] at that instant
//!   (the storage layer streams them); scope and review policy are frozen from then on.
//! * Campaigns keep running past their due date unless auto-end is set ([`Campaign::auto_end_due`]).
//! * Ending closes every open review: Skip (access stays) or Revoke (access is removed like a
//!   denial). Completed campaigns are read-only.
//! * Who: Super Admins, and Campaign Administrators for the campaigns they own; every owner must
//!   hold one of those two roles. Roles come in as a [`RoleSet`] so the rules do not care where
//!   they are stored.
//!
//! Reviewers and their decisions are in [`review`]; who reviews what in [`reviewers`]; what is in
//! scope in [`scope`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

// The declarative macros name `super::error`; child modules resolve it through this import.
use super::error;
use super::error::{DomainError, DomainResult};
use super::ids::UserId;
use super::roles::{Role, RoleSet};
use super::time::Timestamp;

pub mod channel;
pub mod reminders;
pub mod review;
pub mod reviewers;
pub mod scope;

#[cfg(test)]
mod tests;

pub use review::{
    CancelReason, PendingDecision, Remediation, ReviewAction, ReviewActions, ReviewOutcome,
    ReviewState, ReviewTask, ReviewVerdict, Submission, submit_batch,
};
pub use reviewers::{ReviewPolicy, Reviewers, entitlement_review_step, resolve_reviewers};
pub use scope::{
    CampaignScope, GrantFacts, GrantTypeFilter, ResolvedScope, SCOPE_SAMPLE_SIZE, ScopePreview,
    SubjectFilter,
};

id_newtype!(
    /// An access review campaign.
    CampaignId,
    /// One grant to review in a campaign.
    ReviewTaskId,
);

/// Longest campaign name.
pub const MAX_CAMPAIGN_NAME_LEN: usize = 200;
/// Longest description and review instructions (Markdown).
pub const MAX_CAMPAIGN_TEXT_LEN: usize = 10_000;
/// Most owners of one campaign.
pub const MAX_CAMPAIGN_OWNERS: usize = 32;

string_enum! {
    /// Where a campaign is in its lifecycle (the stored `status` column and the console's tabs).
    pub enum CampaignStatus: "campaign status" {
        Draft => "draft",
        Staged => "staged",
        Running => "running",
        Ended => "ended",
        Completed => "completed",
    }
}

string_enum! {
    /// What ending a campaign does to the reviews still open.
    pub enum OpenReviews: "open reviews choice" {
        /// Closed without a decision; the access stays.
        Skip => "skip",
        /// Closed as revoked; the access is removed like a denied one.
        Revoke => "revoke",
    }
}

string_enum! {
    /// Audit action names of campaign transitions.
    pub enum CampaignAction: "campaign action" {
        Created => "campaign.created",
        Updated => "campaign.updated",
        Staged => "campaign.staged",
        Started => "campaign.started",
        Ended => "campaign.ended",
        Completed => "campaign.completed",
    }
}

/// A transition's when and who (`by` is `None` when Latch did it, e.g. auto-end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub at: Timestamp,
    pub by: Option<UserId>,
}

/// The lifecycle, each state keeping the milestones that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CampaignState {
    Draft,
    Staged {
        staged: Milestone,
    },
    Running {
        staged: Milestone,
        started: Milestone,
    },
    Ended {
        staged: Milestone,
        started: Milestone,
        ended: Milestone,
        open_reviews: OpenReviews,
    },
    Completed {
        staged: Milestone,
        started: Milestone,
        ended: Milestone,
        open_reviews: OpenReviews,
        completed: Milestone,
    },
}

/// Campaign-wide settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignSettings {
    /// Remove denied access as soon as the review is submitted, rather than when the campaign ends.
    pub remediate_immediately: bool,
    /// End the campaign on its due date, doing this to the open reviews. `None`: it keeps running
    /// past the due date until an owner ends it.
    pub auto_end: Option<OpenReviews>,
}

/// What an owner fills in: everything about a campaign but its lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignFields {
    pub name: String,
    pub description: String,
    pub owners: Vec<UserId>,
    pub due_at: Option<Timestamp>,
    /// Markdown shown to reviewers.
    pub instructions: String,
    pub scope: CampaignScope,
    pub review_policy: ReviewPolicy,
    pub settings: CampaignSettings,
}

/// An access review campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: CampaignId,
    #[serde(flatten)]
    pub fields: CampaignFields,
    pub state: CampaignState,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub version: u64,
}

/// What a viewer may do to a campaign right now ([`Campaign::actions_for`]): each flag is the
/// check the matching transition starts with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignActions {
    pub edit: bool,
    pub stage: bool,
    pub start: bool,
    pub end: bool,
    pub complete: bool,
}

/// A field of [`CampaignFields`], for saying which one may not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Description,
    Owners,
    DueDate,
    Instructions,
    Scope,
    ReviewPolicy,
    RemediateImmediately,
    AutoEnd,
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Field::Name => "the name",
            Field::Description => "the description",
            Field::Owners => "the owners",
            Field::DueDate => "the due date",
            Field::Instructions => "the review instructions",
            Field::Scope => "the scope",
            Field::ReviewPolicy => "the reviewers",
            Field::RemediateImmediately => "when denied access is removed",
            Field::AutoEnd => "auto-end",
        }
    }

    /// Whether this field may change while the campaign is in `status`.
    pub fn editable_in(self, status: CampaignStatus) -> bool {
        match status {
            CampaignStatus::Draft => true,
            // The snapshot was taken with this scope and these reviewers.
            CampaignStatus::Staged => !matches!(self, Field::Scope | Field::ReviewPolicy),
            // Decisions are already being applied one way or the other.
            CampaignStatus::Running => !matches!(
                self,
                Field::Scope | Field::ReviewPolicy | Field::RemediateImmediately
            ),
            // Reviews are closed; the description may still record what was found.
            CampaignStatus::Ended => matches!(self, Field::Description),
            CampaignStatus::Completed => false,
        }
    }
}

/// Super Admins and Campaign Administrators (read-only admins never act).
fn holds_campaign_role(roles: &RoleSet) -> bool {
    roles.is_super_admin() || (roles.has(Role::CampaignAdmin) && !roles.is_read_only())
}

/// Whether `roles` may create campaigns: Super Admins and Campaign Administrators.
pub fn check_can_create(roles: &RoleSet) -> DomainResult<()> {
    roles.check_can_act()?;
    if holds_campaign_role(roles) {
        Ok(())
    } else {
        Err(DomainError::CannotCreateCampaign)
    }
}

impl CampaignFields {
    /// Checks the fields on their own and the owners' roles (`owner_roles`: the roles each owner
    /// holds; someone missing from it holds none).
    pub fn validate(&self, owner_roles: &BTreeMap<UserId, RoleSet>) -> DomainResult<()> {
        text("campaign name", &self.name, MAX_CAMPAIGN_NAME_LEN, true)?;
        text(
            "description",
            &self.description,
            MAX_CAMPAIGN_TEXT_LEN,
            false,
        )?;
        text(
            "review instructions",
            &self.instructions,
            MAX_CAMPAIGN_TEXT_LEN,
            false,
        )?;
        if self.owners.is_empty() {
            return Err(DomainError::Required {
                field: "at least one owner".into(),
            });
        }
        if self.owners.len() > MAX_CAMPAIGN_OWNERS {
            return Err(DomainError::TooManyOwners {
                what: "campaign owners".into(),
                max: MAX_CAMPAIGN_OWNERS,
            });
        }
        for owner in &self.owners {
            if !owner_roles.get(owner).is_some_and(holds_campaign_role) {
                return Err(DomainError::CampaignOwnerRole {
                    user: owner.to_string(),
                });
            }
        }
        self.scope.validate()?;
        self.review_policy.validate()
    }

    fn changed(&self, other: &CampaignFields) -> Vec<Field> {
        let s = &self.settings;
        let o = &other.settings;
        [
            (self.name != other.name, Field::Name),
            (self.description != other.description, Field::Description),
            (self.owners != other.owners, Field::Owners),
            (self.due_at != other.due_at, Field::DueDate),
            (self.instructions != other.instructions, Field::Instructions),
            (self.scope != other.scope, Field::Scope),
            (
                self.review_policy != other.review_policy,
                Field::ReviewPolicy,
            ),
            (
                s.remediate_immediately != o.remediate_immediately,
                Field::RemediateImmediately,
            ),
            (s.auto_end != o.auto_end, Field::AutoEnd),
        ]
        .into_iter()
        .filter_map(|(changed, field)| changed.then_some(field))
        .collect()
    }
}

fn text(field: &str, value: &str, max: usize, required: bool) -> DomainResult<()> {
    if required && value.trim().is_empty() {
        return Err(DomainError::Required {
            field: field.to_string(),
        });
    }
    if value.chars().count() > max {
        return Err(DomainError::TooLong {
            field: field.to_string(),
            max,
        });
    }
    Ok(())
}

impl Campaign {
    /// A new draft by `creator`. With no owners given the creator owns it; a Campaign
    /// Administrator who is not a Super Admin must be among the owners (they manage only the
    /// campaigns they own).
    pub fn draft(
        id: CampaignId,
        mut fields: CampaignFields,
        creator: &UserId,
        roles: &RoleSet,
        owner_roles: &BTreeMap<UserId, RoleSet>,
        now: Timestamp,
    ) -> DomainResult<Campaign> {
        check_can_create(roles)?;
        if fields.owners.is_empty() {
            fields.owners.push(creator.clone());
        }
        if !roles.is_super_admin() && !fields.owners.contains(creator) {
            return Err(DomainError::invalid(
                "owners",
                "",
                "include yourself: Campaign Administrators manage only the campaigns they own",
            ));
        }
        fields.validate(owner_roles)?;
        Ok(Campaign {
            id,
            fields,
            state: CampaignState::Draft,
            created_by: creator.clone(),
            created_at: now,
            version: 1,
        })
    }

    pub fn status(&self) -> CampaignStatus {
        match self.state {
            CampaignState::Draft => CampaignStatus::Draft,
            CampaignState::Staged { .. } => CampaignStatus::Staged,
            CampaignState::Running { .. } => CampaignStatus::Running,
            CampaignState::Ended { .. } => CampaignStatus::Ended,
            CampaignState::Completed { .. } => CampaignStatus::Completed,
        }
    }

    pub fn is_running(&self) -> bool {
        self.status() == CampaignStatus::Running
    }

    /// Whether `actor` manages this campaign: a Super Admin, or a Campaign Administrator among its
    /// owners.
    pub fn can_manage(&self, actor: &UserId, roles: &RoleSet) -> bool {
        roles.is_super_admin() || (holds_campaign_role(roles) && self.fields.owners.contains(actor))
    }

    pub fn check_can_manage(&self, actor: &UserId, roles: &RoleSet) -> DomainResult<()> {
        roles.check_can_act()?;
        if self.can_manage(actor, roles) {
            Ok(())
        } else {
            Err(DomainError::NotCampaignManager)
        }
    }

    /// What `actor` may do to this campaign now (see [`CampaignActions`]).
    pub fn actions_for(&self, actor: &UserId, roles: &RoleSet) -> CampaignActions {
        if self.check_can_manage(actor, roles).is_err() {
            return CampaignActions::default();
        }
        let status = self.status();
        CampaignActions {
            edit: status != CampaignStatus::Completed,
            stage: self.check_stageable().is_ok(),
            start: status == CampaignStatus::Staged,
            end: status == CampaignStatus::Running,
            complete: status == CampaignStatus::Ended,
        }
    }

    /// A draft with a due date and a valid scope. [`Self::stage`] checks it after who may.
    fn check_stageable(&self) -> DomainResult<()> {
        if self.state != CampaignState::Draft {
            return Err(self.refused("stage the campaign"));
        }
        if self.fields.due_at.is_none() {
            return Err(DomainError::Required {
                field: "a due date".into(),
            });
        }
        self.fields.scope.validate()
    }

    fn bumped(&self, state: CampaignState) -> Campaign {
        Campaign {
            state,
            version: self.version + 1,
            ..self.clone()
        }
    }

    fn refused(&self, action: &str) -> DomainError {
        DomainError::transition(
            action,
            format!("the campaign is {}", self.status().as_str()),
        )
    }

    /// Saves an owner's edit: only the fields the current state leaves editable may differ.
    pub fn edit(
        &self,
        fields: CampaignFields,
        actor: &UserId,
        roles: &RoleSet,
        owner_roles: &BTreeMap<UserId, RoleSet>,
    ) -> DomainResult<Campaign> {
        self.check_can_manage(actor, roles)?;
        let status = self.status();
        if status == CampaignStatus::Completed {
            return Err(DomainError::transition(
                "edit the campaign",
                "it is completed and read-only",
            ));
        }
        if let Some(frozen) = self
            .fields
            .changed(&fields)
            .into_iter()
            .find(|f| !f.editable_in(status))
        {
            return Err(DomainError::transition(
                &format!("change {}", frozen.label()),
                format!("it is fixed once the campaign is {}", status.as_str()),
            ));
        }
        if !roles.is_super_admin() && !fields.owners.contains(actor) {
            return Err(DomainError::invalid(
                "owners",
                "",
                "you cannot remove yourself: ask a Super Admin or another owner",
            ));
        }
        fields.validate(owner_roles)?;
        Ok(Campaign {
            fields,
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// Freezes scope and review policy; the caller takes the snapshot in the same transaction.
    /// A due date is needed from here on: reviewers are told when to finish.
    pub fn stage(&self, actor: &UserId, roles: &RoleSet, now: Timestamp) -> DomainResult<Campaign> {
        self.check_can_manage(actor, roles)?;
        self.check_stageable()?;
        Ok(self.bumped(CampaignState::Staged {
            staged: Milestone {
                at: now,
                by: Some(actor.clone()),
            },
        }))
    }

    /// Opens the reviews to the reviewers.
    pub fn start(&self, actor: &UserId, roles: &RoleSet, now: Timestamp) -> DomainResult<Campaign> {
        self.check_can_manage(actor, roles)?;
        let CampaignState::Staged { staged } = &self.state else {
            return Err(self.refused("start the campaign"));
        };
        Ok(self.bumped(CampaignState::Running {
            staged: staged.clone(),
            started: Milestone {
                at: now,
                by: Some(actor.clone()),
            },
        }))
    }

    /// An owner ends the campaign, choosing what happens to the open reviews.
    pub fn end(
        &self,
        actor: &UserId,
        roles: &RoleSet,
        open_reviews: OpenReviews,
        now: Timestamp,
    ) -> DomainResult<Campaign> {
        self.check_can_manage(actor, roles)?;
        self.ended(Some(actor), open_reviews, now)
    }

    /// What auto-end does to the open reviews, when this campaign is due to end on its own at
    /// `now`: running, auto-end set, due date reached. `None` otherwise (it keeps running).
    pub fn auto_end_due(&self, now: Timestamp) -> Option<OpenReviews> {
        match (
            &self.state,
            self.fields.settings.auto_end,
            self.fields.due_at,
        ) {
            (CampaignState::Running { .. }, Some(choice), Some(due)) if due <= now => Some(choice),
            _ => None,
        }
    }

    /// Latch ends the campaign on its due date (see [`Self::auto_end_due`]).
    pub fn end_automatically(&self, now: Timestamp) -> DomainResult<Campaign> {
        let choice = self
            .auto_end_due(now)
            .ok_or_else(|| self.refused("end the campaign automatically"))?;
        self.ended(None, choice, now)
    }

    fn ended(
        &self,
        by: Option<&UserId>,
        open_reviews: OpenReviews,
        now: Timestamp,
    ) -> DomainResult<Campaign> {
        let CampaignState::Running { staged, started } = &self.state else {
            return Err(self.refused("end the campaign"));
        };
        Ok(self.bumped(CampaignState::Ended {
            staged: staged.clone(),
            started: started.clone(),
            ended: Milestone {
                at: now,
                by: by.cloned(),
            },
            open_reviews,
        }))
    }

    /// Seals an ended campaign: read-only from now on.
    pub fn complete(
        &self,
        actor: &UserId,
        roles: &RoleSet,
        now: Timestamp,
    ) -> DomainResult<Campaign> {
        self.check_can_manage(actor, roles)?;
        let CampaignState::Ended {
            staged,
            started,
            ended,
            open_reviews,
        } = &self.state
        else {
            return Err(self.refused("complete the campaign"));
        };
        Ok(self.bumped(CampaignState::Completed {
            staged: staged.clone(),
            started: started.clone(),
            ended: ended.clone(),
            open_reviews: *open_reviews,
            completed: Milestone {
                at: now,
                by: Some(actor.clone()),
            },
        }))
    }
}
