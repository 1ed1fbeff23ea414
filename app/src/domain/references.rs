//! What refers to a group, so it is not deleted while in use. It reads the catalog and the
//! policies, so it lives above both (the directory below them knows neither).

use super::catalog::{Entitlement, Visibility};
use super::error::{DomainError, DomainResult};
use super::ids::GroupId;
use super::policy::{ApproverSource, Policy, PolicyStep};

/// What still refers to group `group`, named for people: entitlements visible to it and policy
/// steps that take approvers from it. A group in this list cannot be deleted.
pub fn group_references(
    group: &GroupId,
    entitlements: &[Entitlement],
    policies: &[Policy],
) -> Vec<String> {
    let mut out = Vec::new();
    for e in entitlements {
        if matches!(&e.visibility, Visibility::Groups(gs) if gs.contains(group)) {
            out.push(format!(
                "the visibility of entitlement \"{}\"",
                e.picker_label()
            ));
        }
    }
    for p in policies {
        let uses = p.steps.iter().any(|s| match s {
            PolicyStep::Approval(a) => a
                .approvers
                .iter()
                .any(|src| matches!(src, ApproverSource::GroupMembers(g) if g == group)),
            _ => false,
        });
        if uses {
            out.push(format!("an approval step of policy \"{}\"", p.name));
        }
    }
    out
}

/// A group can be deleted only when nothing refers to it (see [`group_references`]); the error
/// names the first user and how many more there are.
pub fn ensure_group_deletable(name: &str, referenced_by: &[String]) -> DomainResult<()> {
    match referenced_by.first() {
        None => Ok(()),
        Some(first) => Err(DomainError::transition(
            &format!("delete group \"{name}\""),
            format!(
                "it is still used by {first}{}",
                if referenced_by.len() > 1 {
                    format!(" and {} other(s)", referenced_by.len() - 1)
                } else {
                    String::new()
                }
            ),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_group_used_by_visibility_or_a_policy_step_cannot_be_deleted() {
        use super::super::catalog::tests::entitlement;
        use super::super::policy::ApprovalStep;
        let eng = GroupId::from("eng");
        let mut e = entitlement();
        let mut p = Policy::builtin_app_owner_approval();
        p.name = "Security review".into();
        p.steps = vec![PolicyStep::Approval(ApprovalStep {
            approvers: vec![ApproverSource::GroupMembers(GroupId::from("sec"))],
            ..ApprovalStep::default()
        })];
        assert!(
            group_references(&eng, std::slice::from_ref(&e), std::slice::from_ref(&p)).is_empty()
        );
        e.visibility = Visibility::Groups([eng.clone()].into());
        p.steps = vec![PolicyStep::Approval(ApprovalStep {
            approvers: vec![ApproverSource::GroupMembers(eng.clone())],
            ..ApprovalStep::default()
        })];
        let refs = group_references(&eng, &[e], &[p]);
        assert_eq!(refs.len(), 2, "{refs:?}");
        let err = ensure_group_deletable("Engineering", &refs).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("Engineering")
                && msg.contains("Production — admin")
                && msg.contains("1 other"),
            "{msg}"
        );
        assert!(ensure_group_deletable("Engineering", &[]).is_ok());
    }
}
