//! The notification outbox: which events someone must hear about, and who.
//!
//! Notifications are written to an outbox table in the same transaction as the state change, then sent
//! by a worker. Kind names are stable (stored and used in per-user notification settings). Each
//! notification carries a `dedupe_key`, so a retried transaction or a repeated click never sends twice.
//! When the tenant kill switch is on, messages are dropped, not queued (documented product behaviour).

use serde::{Deserialize, Serialize};

use super::grant::Grant;
use super::ids::{GrantId, ProvisioningTaskId, RequestId, UserId};
use super::provisioning::{ProvisioningTask, TaskKind, TaskState};
use super::request::{Request, RequestEvent};

string_enum! {
    pub enum NotificationKind: "notification kind" {
        /// To the requester (and subject): "You have created a new access request".
        RequestCreated => "request_created",
        /// To a step's assignees: "Your approval is required…".
        ApprovalNeeded => "approval_needed",
        /// To the requester and subject: approved or denied.
        RequestDecided => "request_decided",
        /// To the requester and subject: cancelled, expired while pending, not provisioned, or failed.
        RequestClosed => "request_closed",
        /// To provisioners: "You have a new provisioning assignment".
        ProvisioningAssigned => "provisioning_assigned",
        /// To provisioners of a removal.
        DeprovisioningAssigned => "deprovisioning_assigned",
        /// To the requester and subject, only after provisioning succeeded.
        AccessGranted => "access_granted",
        /// To the holder, 3 business days before expiry.
        AccessExpiring => "access_expiring",
        /// To the holder, when expiry starts removal.
        AccessExpired => "access_expired",
        /// To each reviewer with open reviews in a campaign: "Access Review Input Required"
        /// (the kickoff, scheduled reminders, and Send reminders).
        ReviewInputRequired => "review_input_required",
        /// To the new reviewer of a reassigned review.
        ReviewReassigned => "review_reassigned",
        /// To a campaign's reviewers and owners when it ends.
        CampaignClosed => "campaign_closed",
    }
}

/// One message to enqueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub kind: NotificationKind,
    pub recipient: UserId,
    pub request: Option<RequestId>,
    pub grant: Option<GrantId>,
    pub task: Option<ProvisioningTaskId>,
    /// Unique per (kind, object, occasion, recipient); a unique index on it makes enqueueing idempotent.
    pub dedupe_key: String,
}

fn people(list: &[&UserId]) -> Vec<UserId> {
    let mut out: Vec<UserId> = Vec::new();
    for u in list {
        if !out.contains(u) {
            out.push((*u).clone());
        }
    }
    out
}

/// The notifications for the events of one request transition. `request` is the request *after* it.
pub fn for_request_events(request: &Request, events: &[RequestEvent]) -> Vec<Notification> {
    let parties = people(&[&request.parties.requester, &request.parties.subject]);
    let mut out = Vec::new();
    let mut push = |kind: NotificationKind, recipients: &[UserId], occasion: String| {
        for r in recipients {
            out.push(Notification {
                kind,
                recipient: r.clone(),
                request: Some(request.id.clone()),
                grant: None,
                task: None,
                dedupe_key: format!("{kind}:request:{}:{occasion}:{r}", request.id),
            });
        }
    };
    for e in events {
        match e {
            RequestEvent::Created => {
                push(NotificationKind::RequestCreated, &parties, "created".into())
            }
            // The step's assignees, and a requester its sources name who may not approve their
            // own request (their copy follows the step without buttons, saying why).
            RequestEvent::StepAssigned(a) => push(
                NotificationKind::ApprovalNeeded,
                &a.assignees
                    .iter()
                    .chain(a.requester_kept_from_own_request(&request.parties))
                    .cloned()
                    .collect::<Vec<_>>(),
                format!("v{}:step{}", request.version, a.step),
            ),
            RequestEvent::Approved => push(
                NotificationKind::RequestDecided,
                &parties,
                "approved".into(),
            ),
            RequestEvent::Denied { .. } => {
                push(NotificationKind::RequestDecided, &parties, "denied".into())
            }
            RequestEvent::Cancelled { .. }
            | RequestEvent::Expired { .. }
            | RequestEvent::Failed { .. }
            | RequestEvent::NotProvisioned { .. } => push(
                NotificationKind::RequestClosed,
                &parties,
                format!("v{}:{}", request.version, e.audit_action()),
            ),
            RequestEvent::Granted => {
                push(NotificationKind::AccessGranted, &parties, "granted".into())
            }
            _ => {}
        }
    }
    out
}

/// Provisioners to notify for a task that is (now) waiting for a person. Completing a removal sends
/// nothing (reference behaviour).
pub fn for_task(task: &ProvisioningTask) -> Vec<Notification> {
    let TaskState::AwaitingManual { assignees, reason } = &task.state else {
        return Vec::new();
    };
    let kind = match task.kind {
        TaskKind::Provision => NotificationKind::ProvisioningAssigned,
        TaskKind::Deprovision => NotificationKind::DeprovisioningAssigned,
    };
    assignees
        .iter()
        .map(|r| Notification {
            kind,
            recipient: r.clone(),
            request: task.request.clone(),
            grant: task.grant.clone(),
            task: Some(task.id.clone()),
            dedupe_key: format!("{kind}:task:{}:v{}:{reason}:{r}", task.id, task.version),
        })
        .collect()
}

/// Expiry notices for a grant: `AccessExpiring` (send at `Grant::reminder_at`) or `AccessExpired`.
pub fn for_grant(grant: &Grant, kind: NotificationKind) -> Option<Notification> {
    matches!(
        kind,
        NotificationKind::AccessExpiring | NotificationKind::AccessExpired
    )
    .then(|| {
        let period = grant.expires_at.map_or(0, |t| t.as_unix_millis());
        Notification {
            kind,
            recipient: grant.subject.clone(),
            request: Some(grant.source_request.clone()),
            grant: Some(grant.id.clone()),
            task: None,
            dedupe_key: format!("{kind}:grant:{}:{period}:{}", grant.id, grant.subject),
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::policy::Verdict;
    use super::super::policy::tests::u;
    use super::super::request::create_request;
    use super::super::request::tests::{T0, approved, fixture, new_request};
    use super::*;

    #[test]
    fn kinds_have_stable_names() {
        let names: Vec<&str> = NotificationKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "request_created",
                "approval_needed",
                "request_decided",
                "request_closed",
                "provisioning_assigned",
                "deprovisioning_assigned",
                "access_granted",
                "access_expiring",
                "access_expired",
                "review_input_required",
                "review_reassigned",
                "campaign_closed"
            ]
        );
    }

    #[test]
    fn creating_a_request_tells_the_requester_and_the_approvers() {
        let f = fixture();
        let t = create_request(new_request(&f, "alice", "alice"), &f.dir, T0).unwrap();
        let n = for_request_events(&t.request, &t.events);
        assert_eq!(n.len(), 2);
        assert_eq!(
            (n[0].kind, &n[0].recipient),
            (NotificationKind::RequestCreated, &u("alice"))
        );
        assert_eq!(
            (n[1].kind, &n[1].recipient),
            (NotificationKind::ApprovalNeeded, &u("mgr"))
        );
        assert_ne!(n[0].dedupe_key, n[1].dedupe_key);
    }

    #[test]
    fn a_requester_who_may_not_approve_their_own_request_is_shown_its_step() {
        use super::super::policy::{ApprovalStep, ApproverSource, PolicyStep};
        let mut f = fixture();
        f.policy.steps = vec![PolicyStep::Approval(ApprovalStep {
            approvers: vec![ApproverSource::Users(vec![u("alice"), u("bob")])],
            ..ApprovalStep::default()
        })];
        let t = create_request(new_request(&f, "alice", "alice"), &f.dir, T0).unwrap();
        let asked: Vec<UserId> = for_request_events(&t.request, &t.events)
            .into_iter()
            .filter(|n| n.kind == NotificationKind::ApprovalNeeded)
            .map(|n| n.recipient)
            .collect();
        assert_eq!(asked, vec![u("bob"), u("alice")]);
        // Still only bob decides.
        match &t.request.state {
            super::super::request::RequestState::PendingApproval { assignment } => {
                assert_eq!(assignment.assignees, vec![u("bob")]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn failed_or_declined_provisioning_never_sends_access_granted() {
        let f = fixture();
        let r = approved(&f);
        for t in [
            r.mark_provisioning_failed("boom", T0).unwrap(),
            r.mark_not_provisioned("no", T0).unwrap(),
        ] {
            let n = for_request_events(&t.request, &t.events);
            assert!(n.iter().all(|n| n.kind == NotificationKind::RequestClosed));
        }
        let t = r.mark_granted(T0).unwrap();
        assert_eq!(
            for_request_events(&t.request, &t.events)[0].kind,
            NotificationKind::AccessGranted
        );
    }

    #[test]
    fn a_request_for_someone_else_notifies_both_requester_and_subject_once() {
        let f = fixture();
        let r = create_request(new_request(&f, "mgr", "alice"), &f.dir, T0).unwrap();
        let t = r
            .request
            .decide(
                1,
                &u("owner"),
                &super::super::roles::RoleSet::default(),
                Verdict::Denied,
                None,
                None,
                &f.dir,
                T0,
            )
            .unwrap();
        let n = for_request_events(&t.request, &t.events);
        let who: Vec<&UserId> = n.iter().map(|n| &n.recipient).collect();
        assert_eq!(who, vec![&u("mgr"), &u("alice")]);
    }
}
