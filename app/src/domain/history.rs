//! A request's history in words: one sentence per [`RequestEvent`], the same on the request page
//! and in a Slack thread.

use super::ids::UserId;
use super::request::{RequestEvent, RequestOrigin};

/// The sentence for `event`. `name` gives a person's display name (callers fall back to the id
/// for someone no longer in the directory).
pub fn describe(event: &RequestEvent, name: impl Fn(&UserId) -> String) -> String {
    let colon = |text: Option<&String>| text.map(|t| format!(": {t}")).unwrap_or_default();
    match event {
        RequestEvent::StepAssigned(a)
            if a.tier == super::policy::AssignmentTier::ExternalDecider =>
        {
            format!("Step {} sent to its external decider", a.step + 1)
        }
        RequestEvent::StepAssigned(a) => format!(
            "Step {} assigned to {}",
            a.step + 1,
            a.assignees.iter().map(&name).collect::<Vec<_>>().join(", ")
        ),
        RequestEvent::Decided(d) | RequestEvent::AutoDecided(d)
            if matches!(d.by, super::policy::Decider::External(_)) =>
        {
            format!(
                "Step {} {} by {}{}",
                d.step + 1,
                d.verdict,
                d.by,
                colon(d.reason.as_ref())
            )
        }
        RequestEvent::DeciderPassed { step, decider, why } => format!(
            "Step {} passed to people by {}: {why}",
            step + 1,
            super::policy::decider_label(decider)
        ),
        RequestEvent::Decided(d) | RequestEvent::AutoDecided(d) => format!(
            "Step {} {}{}{}",
            d.step + 1,
            d.verdict,
            d.rule
                .map(|r| format!(" ({})", r.explain()))
                .unwrap_or_default(),
            colon(d.reason.as_ref())
        ),
        RequestEvent::Cancelled { reason, .. } => format!("Cancelled{}", colon(reason.as_ref())),
        RequestEvent::Reassigned(r) => format!("Reassigned to {}: {}", name(&r.to), r.reason),
        RequestEvent::Commented(c) => c.body.clone(),
        RequestEvent::Failed { reason } => format!("Failed: {reason}"),
        RequestEvent::NotProvisioned { note } => format!("Not provisioned: {note}"),
        RequestEvent::Expired { reason } => format!("Expired: {reason}"),
        RequestEvent::DurationChanged { from, to, by } => {
            format!("Length changed from {from} to {to} by {}", name(by))
        }
        RequestEvent::EscalatedToEmergency { by } => format!(
            "Escalated to emergency access by {}; approval restarts under the emergency policy",
            name(by)
        ),
        RequestEvent::ProvisioningRetried { by } => {
            format!("Provisioning retried by {} (approvals kept)", name(by))
        }
        RequestEvent::Created
        | RequestEvent::Approved
        | RequestEvent::Denied { .. }
        | RequestEvent::Granted => event
            .audit_action()
            .trim_start_matches("request.")
            .replace('_', " "),
    }
}

/// The sentence for `event` of a request that came through `origin`: its creation names Slack
/// when it was filed there, so the console shows which door a request came through (the web
/// console and Slack are two doors to one system).
pub fn describe_in_request(
    event: &RequestEvent,
    origin: RequestOrigin,
    name: impl Fn(&UserId) -> String,
) -> String {
    match (event, origin) {
        (RequestEvent::Created, RequestOrigin::Slack) => "created in Slack".to_string(),
        _ => describe(event, name),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::duration::{GrantDuration, GrantLength};
    use super::super::policy::tests::u;
    use super::super::policy::{
        AssignmentTier, AutoRule, Decider, StepAssignment, StepDecision, Verdict,
    };
    use super::super::request::tests::T0;
    use super::super::request::{Comment, Reassignment};
    use super::*;

    /// Display names as the directory would give them; ids it does not know stay ids.
    fn name(user: &UserId) -> String {
        match user.as_str() {
            "mgr" => "Morgan Manager".into(),
            "owner" => "Olive Owner".into(),
            "alice" => "Alice".into(),
            other => other.to_string(),
        }
    }

    fn decision(verdict: Verdict, rule: Option<AutoRule>, reason: Option<&str>) -> StepDecision {
        StepDecision {
            step: 1,
            verdict,
            by: rule.map_or(Decider::User(u("owner")), |_| Decider::Policy),
            at: T0,
            reason: reason.map(str::to_string),
            rule,
        }
    }

    #[test]
    fn every_request_event_reads_as_one_sentence_naming_people_by_display_name() {
        let week = GrantLength::Limited(GrantDuration::days(7));
        let day = GrantLength::Limited(GrantDuration::days(1));
        let cases: Vec<(RequestEvent, &str)> = vec![
            (RequestEvent::Created, "created"),
            (
                RequestEvent::StepAssigned(StepAssignment {
                    step: 0,
                    assignees: vec![u("mgr"), u("owner")],
                    tier: AssignmentTier::Approvers,
                    fallback_reason: None,
                    excluded: Vec::new(),
                }),
                "Step 1 assigned to Morgan Manager, Olive Owner",
            ),
            (
                RequestEvent::StepAssigned(StepAssignment {
                    step: 0,
                    assignees: Vec::new(),
                    tier: AssignmentTier::ExternalDecider,
                    fallback_reason: None,
                    excluded: Vec::new(),
                }),
                "Step 1 sent to its external decider",
            ),
            (
                RequestEvent::Decided(StepDecision {
                    by: Decider::External("risk-bot".into()),
                    rule: Some(AutoRule::ExternalDecider),
                    ..decision(Verdict::Approved, None, Some("low risk"))
                }),
                "Step 2 approved by External decider (risk-bot): low risk",
            ),
            (
                RequestEvent::DeciderPassed {
                    step: 0,
                    decider: "risk-bot".into(),
                    why: "the decider abstained".into(),
                },
                "Step 1 passed to people by External decider (risk-bot): the decider abstained",
            ),
            (
                RequestEvent::Decided(decision(Verdict::Approved, None, None)),
                "Step 2 approved",
            ),
            (
                RequestEvent::Decided(decision(Verdict::Denied, None, Some("not on call"))),
                "Step 2 denied: not on call",
            ),
            (
                RequestEvent::AutoDecided(decision(
                    Verdict::Approved,
                    Some(AutoRule::AutoApproveStep),
                    None,
                )),
                "Step 2 approved (auto-approved by policy)",
            ),
            (
                RequestEvent::DurationChanged {
                    from: week,
                    to: day,
                    by: u("mgr"),
                },
                "Length changed from 1 week to 1 day by Morgan Manager",
            ),
            (RequestEvent::Approved, "approved"),
            (RequestEvent::Denied { step: 1 }, "denied"),
            (
                RequestEvent::Cancelled {
                    by: u("alice"),
                    reason: None,
                },
                "Cancelled",
            ),
            (
                RequestEvent::Cancelled {
                    by: u("alice"),
                    reason: Some("no longer needed".into()),
                },
                "Cancelled: no longer needed",
            ),
            (
                RequestEvent::Reassigned(Reassignment {
                    step: 0,
                    from: vec![u("mgr")],
                    to: u("owner"),
                    by: u("mgr"),
                    reason: "on leave".into(),
                    at: T0,
                }),
                "Reassigned to Olive Owner: on leave",
            ),
            (
                RequestEvent::Commented(Comment {
                    author: u("alice"),
                    at: T0,
                    body: "ticket OPS-1".into(),
                }),
                "ticket OPS-1",
            ),
            (
                RequestEvent::EscalatedToEmergency { by: u("alice") },
                "Escalated to emergency access by Alice; approval restarts under the emergency policy",
            ),
            (
                RequestEvent::Expired {
                    reason: "undecided for 14 days".into(),
                },
                "Expired: undecided for 14 days",
            ),
            (
                RequestEvent::Failed {
                    reason: "API 500".into(),
                },
                "Failed: API 500",
            ),
            (
                RequestEvent::NotProvisioned {
                    note: "licence pool empty".into(),
                },
                "Not provisioned: licence pool empty",
            ),
            (RequestEvent::Granted, "granted"),
            (
                RequestEvent::ProvisioningRetried { by: u("gone-user") },
                "Provisioning retried by gone-user (approvals kept)",
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(describe(&event, name), expected, "{event:?}");
        }
    }

    #[test]
    fn a_request_filed_in_slack_says_so_where_it_was_created_and_nowhere_else() {
        assert_eq!(
            describe_in_request(&RequestEvent::Created, RequestOrigin::Slack, name),
            "created in Slack"
        );
        for origin in [RequestOrigin::Web, RequestOrigin::Api] {
            assert_eq!(
                describe_in_request(&RequestEvent::Created, origin, name),
                "created"
            );
        }
        assert_eq!(
            describe_in_request(&RequestEvent::Granted, RequestOrigin::Slack, name),
            describe(&RequestEvent::Granted, name)
        );
    }
}
