//! Provisioning and deprovisioning tasks.
//!
//! ```text
//! Webhook:  WebhookPending(attempt n) ──success──► Completed(done)
//!                 │ failure, retries left ──► WebhookPending(n+1, later)
//!                 └ failure, none left ─────► AwaitingManual(app owners)   (fallback)
//! Manual:   AwaitingManual(provisioners) ──done / won't do / errored──► Completed(..)
//! Completed(errored) ──retry──► WebhookPending(1) or AwaitingManual   (approvals are not re-collected)
//! Deprovision Completed(errored / refused) ──follow_up──► a new task: WebhookPending(1, after a
//!     backoff) or AwaitingManual(provisioners + app owners + Super Admins), escalation + 1
//! ```
//!
//! Only `Completed(done)` on a provisioning task grants access: "won't do" and "errored" must never
//! produce an "access granted" message.
//!
//! Nobody provisions or deprovisions their own access: the subject is never an assignee, and
//! completing a task for your own access is refused (Super Admins included).

use serde::{Deserialize, Serialize};

use super::catalog::ProvisioningMethod;
use super::directory::Directory;
use super::error::{DomainError, DomainResult};
use super::ids::{AppId, EntitlementId, GrantId, ProvisioningTaskId, RequestId, UserId};
use super::roles::RoleSet;
use super::time::Timestamp;
use super::webhook::retry_delay_secs;

string_enum! {
    /// Add access, or remove it.
    pub enum TaskKind: "provisioning task kind" {
        Provision => "provision",
        Deprovision => "deprovision",
    }
}

string_enum! {
    /// How a task ended.
    pub enum TaskOutcome: "provisioning outcome" {
        /// "Provisioned" / "Deprovisioned".
        Done => "done",
        /// "Won't do" / "Won't deprovision".
        WontDo => "wont_do",
        /// "Errored".
        Errored => "errored",
    }
}

impl TaskOutcome {
    /// Button / status label for a task of `kind`.
    pub fn label(self, kind: TaskKind) -> &'static str {
        match (self, kind) {
            (TaskOutcome::Done, TaskKind::Provision) => "Provisioned",
            (TaskOutcome::Done, TaskKind::Deprovision) => "Deprovisioned",
            (TaskOutcome::WontDo, TaskKind::Provision) => "Won't do",
            (TaskOutcome::WontDo, TaskKind::Deprovision) => "Won't deprovision",
            (TaskOutcome::Errored, _) => "Errored",
        }
    }
}

string_enum! {
    /// Why a task is manual.
    pub enum ManualReason: "manual reason" {
        /// The entitlement is configured for manual provisioning.
        Configured => "configured",
        /// The webhook kept failing; the app owners take over.
        WebhookFailed => "webhook_failed",
        /// An earlier removal of this access errored or was refused; escalated.
        RemovalFailed => "removal_failed",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaskState {
    /// The webhook call `attempt` (1-based) is due at `due_at`.
    WebhookPending { attempt: u32, due_at: Timestamp },
    /// Waiting for one of the assignees; all were notified, one completes it.
    AwaitingManual {
        assignees: Vec<UserId>,
        reason: ManualReason,
    },
    Completed {
        outcome: TaskOutcome,
        /// `None` when the webhook completed it.
        by: Option<UserId>,
        at: Timestamp,
        note: Option<String>,
    },
}

/// A failed webhook attempt, kept for the audit log and the task view.
/// What a viewer may do to a task right now ([`ProvisioningTask::actions_for`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskActions {
    /// Answer it: Done, Won't do or Errored ([`ProvisioningTask::complete`]).
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAttempt {
    pub attempt: u32,
    pub at: Timestamp,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisioningTask {
    pub id: ProvisioningTaskId,
    pub kind: TaskKind,
    /// The request being provisioned (provision tasks).
    pub request: Option<RequestId>,
    /// The grant being removed (deprovision tasks).
    pub grant: Option<GrantId>,
    pub subject: UserId,
    pub app: AppId,
    pub entitlement: EntitlementId,
    pub method: ProvisioningMethod,
    /// Instructions shown to manual provisioners.
    pub instructions: Option<String>,
    pub state: TaskState,
    pub failed_attempts: Vec<WebhookAttempt>,
    pub created_at: Timestamp,
    pub version: u64,
    /// How many removals of this grant errored or were refused before this task (0: the first).
    #[serde(default)]
    pub escalation: u32,
    /// Why the previous task did not remove the access, for whoever takes over.
    #[serde(default)]
    pub previous_problem: Option<String>,
}

/// Active users from `candidates`, never the subject: nobody provisions or deprovisions their own
/// access (segregation of duties). Empty when nobody else qualifies.
fn eligible(
    candidates: impl IntoIterator<Item = UserId>,
    subject: &UserId,
    directory: &dyn Directory,
) -> Vec<UserId> {
    let mut out: Vec<UserId> = Vec::new();
    for u in candidates {
        if u != *subject && directory.is_active(&u) && !out.contains(&u) {
            out.push(u);
        }
    }
    out
}

/// Who handles a manual task: the named provisioners, else the app owners, else the Super Admins,
/// never the subject. Empty when nobody else can (the subject is the only provisioner, owner and
/// Super Admin): the task then stays open and unassigned, listed for every Super Admin and on the
/// overdue-removals page, rather than letting someone handle their own access.
pub fn manual_assignees(
    provisioners: &[UserId],
    app: &AppId,
    subject: &UserId,
    directory: &dyn Directory,
) -> Vec<UserId> {
    for tier in [
        provisioners.to_vec(),
        directory.app_owners(app),
        directory.super_admins(),
    ] {
        let e = eligible(tier, subject, directory);
        if !e.is_empty() {
            return e;
        }
    }
    Vec::new()
}

/// Who takes over a removal that errored or was refused: the named provisioners, the app owners
/// and the Super Admins together (never the subject), so the problem is seen above the person who
/// could not, or would not, remove the access.
pub fn escalation_assignees(
    provisioners: &[UserId],
    app: &AppId,
    subject: &UserId,
    directory: &dyn Directory,
) -> Vec<UserId> {
    let everyone = provisioners
        .iter()
        .cloned()
        .chain(directory.app_owners(app))
        .chain(directory.super_admins());
    eligible(everyone, subject, directory)
}

/// The longest wait before a removal's webhook is called again after an escalation.
const MAX_FOLLOW_UP_DELAY_SECS: u64 = 3_600;

/// Everything needed to open a task.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub id: ProvisioningTaskId,
    pub kind: TaskKind,
    pub request: Option<RequestId>,
    pub grant: Option<GrantId>,
    pub subject: UserId,
    pub app: AppId,
    pub entitlement: EntitlementId,
    pub method: ProvisioningMethod,
}

impl ProvisioningTask {
    /// Opens a task for approved access (or for a removal): a webhook call due now, or a manual task.
    pub fn open(new: NewTask, directory: &dyn Directory, now: Timestamp) -> ProvisioningTask {
        let (state, instructions) = match &new.method {
            ProvisioningMethod::Webhook { .. } => (
                TaskState::WebhookPending {
                    attempt: 1,
                    due_at: now,
                },
                None,
            ),
            ProvisioningMethod::Manual {
                provisioners,
                instructions,
            } => (
                TaskState::AwaitingManual {
                    assignees: manual_assignees(provisioners, &new.app, &new.subject, directory),
                    reason: ManualReason::Configured,
                },
                instructions.clone(),
            ),
        };
        ProvisioningTask {
            id: new.id,
            kind: new.kind,
            request: new.request,
            grant: new.grant,
            subject: new.subject,
            app: new.app,
            entitlement: new.entitlement,
            method: new.method,
            instructions,
            state,
            failed_attempts: Vec::new(),
            created_at: now,
            version: 1,
            escalation: 0,
            previous_problem: None,
        }
    }

    /// Whether this task ended without doing what it was for: "won't do" or "errored".
    pub fn failed(&self) -> bool {
        matches!(
            self.state,
            TaskState::Completed {
                outcome: TaskOutcome::WontDo | TaskOutcome::Errored,
                ..
            }
        )
    }

    /// The next task for a removal whose task errored or was refused: removal must converge, so the
    /// problem stays open. A webhook removal is called again after a backoff (growing with each
    /// escalation, then its usual retries and manual fallback); a manual one goes to the
    /// provisioners, the app owners and the Super Admins together.
    pub fn follow_up(
        &self,
        id: ProvisioningTaskId,
        directory: &dyn Directory,
        now: Timestamp,
    ) -> DomainResult<ProvisioningTask> {
        let problem = match (&self.kind, &self.state) {
            (
                TaskKind::Deprovision,
                TaskState::Completed {
                    outcome: outcome @ (TaskOutcome::WontDo | TaskOutcome::Errored),
                    note,
                    ..
                },
            ) => match note {
                Some(n) => format!("{}: {n}", outcome.label(self.kind)),
                None => outcome.label(self.kind).to_string(),
            },
            _ => {
                return Err(DomainError::transition(
                    "escalate this task",
                    "only a removal that errored or was refused is escalated",
                ));
            }
        };
        let escalation = self.escalation.saturating_add(1);
        let state = match &self.method {
            ProvisioningMethod::Webhook { .. } => {
                let delay = retry_delay_secs(escalation)
                    .unwrap_or(MAX_FOLLOW_UP_DELAY_SECS)
                    .min(MAX_FOLLOW_UP_DELAY_SECS);
                TaskState::WebhookPending {
                    attempt: 1,
                    due_at: now.plus_millis(
                        i64::try_from(delay)
                            .unwrap_or(i64::MAX)
                            .saturating_mul(1000),
                    ),
                }
            }
            ProvisioningMethod::Manual { provisioners, .. } => TaskState::AwaitingManual {
                assignees: escalation_assignees(provisioners, &self.app, &self.subject, directory),
                reason: ManualReason::RemovalFailed,
            },
        };
        Ok(ProvisioningTask {
            id,
            state,
            failed_attempts: Vec::new(),
            created_at: now,
            version: 1,
            escalation,
            previous_problem: Some(problem.chars().take(2_000).collect()),
            ..self.clone()
        })
    }

    pub fn assignees(&self) -> &[UserId] {
        match &self.state {
            TaskState::AwaitingManual { assignees, .. } => assignees,
            _ => &[],
        }
    }

    pub fn is_open(&self) -> bool {
        !matches!(self.state, TaskState::Completed { .. })
    }

    /// Only a completed *provision* task with outcome "done" gives access.
    pub fn grants_access(&self) -> bool {
        self.kind == TaskKind::Provision
            && matches!(
                self.state,
                TaskState::Completed {
                    outcome: TaskOutcome::Done,
                    ..
                }
            )
    }

    fn already_completed(&self) -> Option<DomainError> {
        match &self.state {
            TaskState::Completed { outcome, by, .. } => Some(DomainError::TaskAlreadyCompleted {
                outcome: outcome.label(self.kind).to_string(),
                by: by
                    .as_ref()
                    .map_or("the webhook".to_string(), ToString::to_string),
            }),
            _ => None,
        }
    }

    fn bumped(&self, state: TaskState) -> ProvisioningTask {
        let mut t = self.clone();
        t.state = state;
        t.version += 1;
        t
    }

    /// What `actor` may do to this task right now: the check [`Self::complete`] starts with.
    pub fn actions_for(&self, actor: &UserId, roles: &RoleSet) -> TaskActions {
        TaskActions {
            complete: self.check_complete(actor, roles).is_ok(),
        }
    }

    /// Whether `actor` may complete this task (Done, Won't do or Errored): it waits for a person,
    /// and the actor is one of its assignees or a Super Admin, never a read-only admin and
    /// never the person whose access it is. [`Self::complete`] starts with this check.
    pub fn check_complete(&self, actor: &UserId, roles: &RoleSet) -> DomainResult<()> {
        if let Some(e) = self.already_completed() {
            return Err(e);
        }
        roles.check_can_act()?;
        if *actor == self.subject {
            return Err(DomainError::OwnAccessTask);
        }
        let TaskState::AwaitingManual { assignees, .. } = &self.state else {
            return Err(DomainError::transition(
                "complete this task",
                "it is being handled by the webhook",
            ));
        };
        if !assignees.contains(actor) && !roles.is_super_admin() {
            return Err(DomainError::NotAProvisioner);
        }
        Ok(())
    }

    /// A provisioner completes a manual task. "Won't do" and "Errored" need a note saying why.
    pub fn complete(
        &self,
        actor: &UserId,
        roles: &RoleSet,
        outcome: TaskOutcome,
        note: Option<&str>,
        now: Timestamp,
    ) -> DomainResult<ProvisioningTask> {
        self.check_complete(actor, roles)?;
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        if outcome != TaskOutcome::Done && note.is_none() {
            return Err(DomainError::NoteRequired {
                outcome: outcome.label(self.kind).to_string(),
            });
        }
        Ok(self.bumped(TaskState::Completed {
            outcome,
            by: Some(actor.clone()),
            at: now,
            note,
        }))
    }

    fn require_webhook(&self, action: &str) -> DomainResult<u32> {
        if let Some(e) = self.already_completed() {
            return Err(e);
        }
        match self.state {
            TaskState::WebhookPending { attempt, .. } => Ok(attempt),
            _ => Err(DomainError::transition(
                action,
                "no webhook call is pending",
            )),
        }
    }

    /// The webhook answered 2xx: done.
    pub fn webhook_succeeded(&self, now: Timestamp) -> DomainResult<ProvisioningTask> {
        self.require_webhook("record webhook success")?;
        Ok(self.bumped(TaskState::Completed {
            outcome: TaskOutcome::Done,
            by: None,
            at: now,
            note: None,
        }))
    }

    /// The webhook failed: retry later per the backoff schedule, or, when retries are exhausted, fall
    /// back to a manual task for the app owners (Super Admins if there are none).
    pub fn webhook_failed(
        &self,
        error: &str,
        directory: &dyn Directory,
        now: Timestamp,
    ) -> DomainResult<ProvisioningTask> {
        let attempt = self.require_webhook("record webhook failure")?;
        let mut next = match retry_delay_secs(attempt) {
            Some(delay) => self.bumped(TaskState::WebhookPending {
                attempt: attempt + 1,
                due_at: now.plus_millis(
                    i64::try_from(delay)
                        .unwrap_or(i64::MAX)
                        .saturating_mul(1000),
                ),
            }),
            // A removal that cannot be made is escalated at once: owners and Super Admins.
            None => self.bumped(TaskState::AwaitingManual {
                assignees: match self.kind {
                    TaskKind::Provision => {
                        manual_assignees(&[], &self.app, &self.subject, directory)
                    }
                    TaskKind::Deprovision => {
                        escalation_assignees(&[], &self.app, &self.subject, directory)
                    }
                },
                reason: ManualReason::WebhookFailed,
            }),
        };
        next.failed_attempts.push(WebhookAttempt {
            attempt,
            at: now,
            error: error.chars().take(2_000).collect(),
        });
        Ok(next)
    }

    /// "Retry failed provisioning": re-runs an errored task from the start, without touching approvals.
    pub fn retry(
        &self,
        roles: &RoleSet,
        directory: &dyn Directory,
        now: Timestamp,
    ) -> DomainResult<ProvisioningTask> {
        roles.check_can_act()?;
        match &self.state {
            TaskState::Completed {
                outcome: TaskOutcome::Errored,
                ..
            } => {}
            _ => {
                return Err(DomainError::transition(
                    "retry",
                    "only tasks marked errored can be retried",
                ));
            }
        }
        let state = match &self.method {
            ProvisioningMethod::Webhook { .. } => TaskState::WebhookPending {
                attempt: 1,
                due_at: now,
            },
            ProvisioningMethod::Manual { provisioners, .. } => TaskState::AwaitingManual {
                assignees: manual_assignees(provisioners, &self.app, &self.subject, directory),
                reason: ManualReason::Configured,
            },
        };
        let mut next = self.bumped(state);
        next.failed_attempts.clear();
        Ok(next)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::policy::tests::{directory, u};
    use super::super::roles::Role;
    use super::super::webhook::MAX_ATTEMPTS;
    use super::*;

    const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

    fn task(method: ProvisioningMethod) -> ProvisioningTask {
        ProvisioningTask::open(
            NewTask {
                id: ProvisioningTaskId::from("t1"),
                kind: TaskKind::Provision,
                request: Some(RequestId::from("r1")),
                grant: None,
                subject: u("alice"),
                app: AppId::from("aws"),
                entitlement: EntitlementId::from("ent-1"),
                method,
            },
            &directory(),
            T0,
        )
    }

    fn manual(provisioners: &[&str]) -> ProvisioningMethod {
        ProvisioningMethod::Manual {
            provisioners: provisioners.iter().map(|p| u(p)).collect(),
            instructions: Some("Add to the Okta group".into()),
        }
    }

    #[test]
    fn all_provisioners_are_assigned_and_one_completion_closes_the_task() {
        let t = task(manual(&["sec1", "sec2"]));
        assert_eq!(t.assignees(), &[u("sec1"), u("sec2")]);
        assert_eq!(t.instructions.as_deref(), Some("Add to the Okta group"));
        let roles = RoleSet::new([]);
        let done = t
            .complete(&u("sec2"), &roles, TaskOutcome::Done, None, T0)
            .unwrap();
        assert!(done.grants_access());
        let err = done
            .complete(&u("sec1"), &roles, TaskOutcome::Done, None, T0)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "this provisioning task was already completed (Provisioned) by sec2"
        );
        assert_eq!(
            t.complete(&u("bob"), &roles, TaskOutcome::Done, None, T0)
                .unwrap_err(),
            DomainError::NotAProvisioner
        );
    }

    #[test]
    fn wont_do_and_errored_need_a_note_and_never_grant_access() {
        let t = task(manual(&["sec1"]));
        let roles = RoleSet::new([]);
        for outcome in [TaskOutcome::WontDo, TaskOutcome::Errored] {
            assert!(matches!(
                t.complete(&u("sec1"), &roles, outcome, Some(" "), T0),
                Err(DomainError::NoteRequired { .. })
            ));
            let c = t
                .complete(&u("sec1"), &roles, outcome, Some("no licence"), T0)
                .unwrap();
            assert!(!c.grants_access());
        }
        assert_eq!(
            TaskOutcome::WontDo.label(TaskKind::Deprovision),
            "Won't deprovision"
        );
    }

    #[test]
    fn manual_tasks_without_provisioners_go_to_app_owners_then_super_admins() {
        assert_eq!(task(manual(&[])).assignees(), &[u("owner")]);
        assert_eq!(task(manual(&["gone", "away"])).assignees(), &[u("owner")]);
        let mut d = directory();
        d.app_owners.clear();
        assert_eq!(
            manual_assignees(&[], &AppId::from("aws"), &u("alice"), &d),
            vec![u("admin")]
        );
    }

    #[test]
    fn nobody_is_assigned_a_task_for_their_own_access() {
        assert_eq!(task(manual(&["alice", "sec1"])).assignees(), &[u("sec1")]);
        // The subject as the only provisioner: the app owners take it, not the subject.
        assert_eq!(task(manual(&["alice"])).assignees(), &[u("owner")]);
        let mut d = directory();
        d.app_owners.insert(AppId::from("aws"), vec![u("alice")]);
        assert_eq!(
            manual_assignees(&[u("alice")], &AppId::from("aws"), &u("alice"), &d),
            vec![u("admin")]
        );
        // The subject is also the only Super Admin: unassigned rather than self-assigned.
        d.super_admins = vec![u("alice")];
        assert!(manual_assignees(&[u("alice")], &AppId::from("aws"), &u("alice"), &d).is_empty());
    }

    #[test]
    fn the_subject_cannot_complete_a_task_for_their_own_access_even_as_super_admin() {
        let t = task(manual(&["sec1"]));
        for roles in [RoleSet::new([]), RoleSet::new([Role::SuperAdmin])] {
            for outcome in [TaskOutcome::Done, TaskOutcome::WontDo, TaskOutcome::Errored] {
                assert_eq!(
                    t.complete(&u("alice"), &roles, outcome, Some("mine"), T0)
                        .unwrap_err(),
                    DomainError::OwnAccessTask
                );
            }
        }
    }

    fn removal(method: ProvisioningMethod) -> ProvisioningTask {
        ProvisioningTask::open(
            NewTask {
                id: ProvisioningTaskId::from("d1"),
                kind: TaskKind::Deprovision,
                request: Some(RequestId::from("r1")),
                grant: Some(GrantId::from("g1")),
                subject: u("alice"),
                app: AppId::from("aws"),
                entitlement: EntitlementId::from("ent-1"),
                method,
            },
            &directory(),
            T0,
        )
    }

    #[test]
    fn an_errored_manual_removal_is_followed_by_a_task_for_provisioners_owners_and_super_admins() {
        let d = directory();
        let t = removal(manual(&["sec1", "alice"]));
        assert_eq!(t.assignees(), &[u("sec1")]);
        let errored = t
            .complete(
                &u("sec1"),
                &RoleSet::new([]),
                TaskOutcome::Errored,
                Some("API down"),
                T0,
            )
            .unwrap();
        assert!(errored.failed());
        let next = errored
            .follow_up(ProvisioningTaskId::from("d2"), &d, T0)
            .unwrap();
        assert!(next.is_open());
        assert_eq!(next.grant, Some(GrantId::from("g1")));
        assert_eq!(next.escalation, 1);
        assert_eq!(next.previous_problem.as_deref(), Some("Errored: API down"));
        assert_eq!(
            next.state,
            TaskState::AwaitingManual {
                assignees: vec![u("sec1"), u("owner"), u("admin")],
                reason: ManualReason::RemovalFailed
            }
        );
        // A refusal is escalated the same way.
        let refused = next
            .complete(
                &u("owner"),
                &RoleSet::new([]),
                TaskOutcome::WontDo,
                Some("still needed"),
                T0,
            )
            .unwrap();
        let again = refused
            .follow_up(ProvisioningTaskId::from("d3"), &d, T0)
            .unwrap();
        assert_eq!(again.escalation, 2);
        assert_eq!(
            again.previous_problem.as_deref(),
            Some("Won't deprovision: still needed")
        );
        // Only failed removals have a follow-up.
        let done = again
            .complete(
                &u("admin"),
                &RoleSet::new([Role::SuperAdmin]),
                TaskOutcome::Done,
                None,
                T0,
            )
            .unwrap();
        assert!(
            done.follow_up(ProvisioningTaskId::from("d4"), &d, T0)
                .is_err()
        );
        assert!(t.follow_up(ProvisioningTaskId::from("d4"), &d, T0).is_err());
    }

    #[test]
    fn a_failed_webhook_removal_is_called_again_after_a_growing_backoff_then_escalated() {
        let d = directory();
        let mut t = removal(ProvisioningMethod::Webhook {
            url: "https://hooks.example.com/p".into(),
        });
        for _ in 0..MAX_ATTEMPTS {
            t = t.webhook_failed("HTTP 502", &d, T0).unwrap();
        }
        assert_eq!(
            t.state,
            TaskState::AwaitingManual {
                assignees: vec![u("owner"), u("admin")],
                reason: ManualReason::WebhookFailed
            }
        );
        let errored = t
            .complete(
                &u("owner"),
                &RoleSet::new([]),
                TaskOutcome::Errored,
                Some("still 502"),
                T0,
            )
            .unwrap();
        let next = errored
            .follow_up(ProvisioningTaskId::from("d2"), &d, T0)
            .unwrap();
        assert_eq!(
            next.state,
            TaskState::WebhookPending {
                attempt: 1,
                due_at: T0.plus_millis(30_000)
            }
        );
        assert!(next.failed_attempts.is_empty());
        let mut later = next.clone();
        later.escalation = 40;
        later.state = errored.state.clone();
        let capped = later
            .follow_up(ProvisioningTaskId::from("d3"), &d, T0)
            .unwrap();
        assert_eq!(
            capped.state,
            TaskState::WebhookPending {
                attempt: 1,
                due_at: T0.plus_millis(3_600_000)
            }
        );
    }

    #[test]
    fn webhook_success_completes_the_task() {
        let t = task(ProvisioningMethod::Webhook {
            url: "https://hooks.example.com/p".into(),
        });
        assert_eq!(
            t.state,
            TaskState::WebhookPending {
                attempt: 1,
                due_at: T0
            }
        );
        let done = t.webhook_succeeded(T0).unwrap();
        assert!(done.grants_access());
        assert!(done.webhook_succeeded(T0).is_err());
    }

    #[test]
    fn webhook_failures_back_off_then_fall_back_to_a_manual_task_for_app_owners() {
        let d = directory();
        let mut t = task(ProvisioningMethod::Webhook {
            url: "https://hooks.example.com/p".into(),
        });
        t = t.webhook_failed("HTTP 502", &d, T0).unwrap();
        assert_eq!(
            t.state,
            TaskState::WebhookPending {
                attempt: 2,
                due_at: T0.plus_millis(30_000)
            }
        );
        for _ in 2..MAX_ATTEMPTS {
            t = t.webhook_failed("HTTP 502", &d, T0).unwrap();
        }
        assert!(
            matches!(t.state, TaskState::WebhookPending { attempt, .. } if attempt == MAX_ATTEMPTS)
        );
        t = t.webhook_failed("HTTP 502", &d, T0).unwrap();
        assert_eq!(
            t.state,
            TaskState::AwaitingManual {
                assignees: vec![u("owner")],
                reason: ManualReason::WebhookFailed
            }
        );
        assert_eq!(t.failed_attempts.len(), MAX_ATTEMPTS as usize);
        assert!(!t.grants_access());
    }

    #[test]
    fn errored_tasks_can_be_retried_and_others_cannot() {
        let d = directory();
        let roles = RoleSet::new([Role::SuperAdmin]);
        let t = task(manual(&["sec1"]));
        assert!(t.retry(&roles, &d, T0).is_err());
        let errored = t
            .complete(
                &u("sec1"),
                &RoleSet::new([]),
                TaskOutcome::Errored,
                Some("API down"),
                T0,
            )
            .unwrap();
        let again = errored.retry(&roles, &d, T0).unwrap();
        assert!(again.is_open());
        assert_eq!(again.assignees(), &[u("sec1")]);
    }

    #[test]
    fn read_only_admins_cannot_complete_tasks() {
        let t = task(manual(&["sec1"]));
        assert_eq!(
            t.complete(
                &u("sec1"),
                &RoleSet::new([Role::ReadOnlyAdmin]),
                TaskOutcome::Done,
                None,
                T0
            )
            .unwrap_err(),
            DomainError::ReadOnlyAdmin
        );
    }
}
