//! Request policies. Stored as the JSON of `domain::Policy`; requests snapshot them at creation,
//! so edits never change requests in flight.
//!
//! The console's editor sends a [`PolicyInput`] (people as emails, groups by name); [`build`]
//! turns it into a `domain::Policy` once, resolving names to ids and collecting every problem
//! with its step number, and the domain's `Policy::problems` adds the policy rules.

use std::collections::{BTreeMap, BTreeSet};

use crate::shapes::{PolicyInput, PolicyOverview, PolicyRow, StepInput};

use super::audit::{self, Entry};
use super::catalog::{Referenced, split_list};
use super::{
    AccessError, AccessResult, Actor, Body, Conn, new_id, now, to_json, user_id, version_i64,
};
use crate::domain::{
    self, App, ApprovalStep, ApproverSource, DomainError, Email, Entitlement, ExternalDeciderStep,
    GroupId, Policy, PolicyId, PolicyProblem, PolicyStep, UserId, policy_problems_error,
};
use crate::ssr::db::Db;

fn builtins() -> [Policy; 2] {
    [
        Policy::builtin_app_owner_approval(),
        Policy::builtin_auto_approval(),
    ]
}

/// Whether `id` names a built-in policy (they have no row).
pub(crate) fn is_builtin(id: &str) -> bool {
    builtins().iter().any(|p| p.id.as_str() == id)
}

pub async fn load(conn: impl Into<Conn<'_>>, id: &str) -> AccessResult<Policy> {
    if let Some(p) = builtins().into_iter().find(|p| p.id.as_str() == id) {
        return Ok(p);
    }
    let mut conn = conn.into().get().await?;
    let row: Body = sqlx::query_as("SELECT body FROM policies WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AccessError::NotFound("The policy".into()))?;
    row.parse()
}

/// Built-ins first, then the tenant's policies by name.
pub async fn list(db: &Db) -> AccessResult<Vec<Policy>> {
    let mut out: Vec<Policy> = builtins().into();
    let stored: Vec<Body> = sqlx::query_as("SELECT body FROM policies ORDER BY name")
        .fetch_all(&db.pool)
        .await?;
    for r in stored {
        out.push(r.parse()?);
    }
    Ok(out)
}

/// The people and groups that policy steps name, both ways: emails and group names (as the
/// editor shows them) to ids (as policies store them).
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Lower-case email → user.
    users: BTreeMap<String, UserId>,
    emails: BTreeMap<UserId, String>,
    /// Lower-case group name → group.
    groups: BTreeMap<String, GroupId>,
    group_names: BTreeMap<GroupId, String>,
}

impl Names {
    pub async fn load(db: &Db) -> AccessResult<Names> {
        let mut names = Names::default();
        let users: Vec<(i64, String)> = sqlx::query_as("SELECT id, email FROM users")
            .fetch_all(&db.pool)
            .await?;
        for (id, email) in users {
            names.add_user(user_id(id), &email);
        }
        let groups: Vec<(String, String)> = sqlx::query_as("SELECT id, name FROM groups")
            .fetch_all(&db.pool)
            .await?;
        for (id, name) in groups {
            names.add_group(GroupId::new(id), &name);
        }
        Ok(names)
    }

    pub fn add_user(&mut self, id: UserId, email: &str) {
        self.users.insert(email.trim().to_lowercase(), id.clone());
        self.emails.insert(id, email.trim().to_string());
    }

    pub fn add_group(&mut self, id: GroupId, name: &str) {
        self.groups.insert(name.trim().to_lowercase(), id.clone());
        self.group_names.insert(id, name.trim().to_string());
    }

    /// A user's email; an id nobody has any more reads as such (and fails the next save).
    pub fn email(&self, id: &UserId) -> String {
        self.emails
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("unknown user {id}"))
    }

    pub fn group_name(&self, id: &GroupId) -> String {
        self.group_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("unknown group {id}"))
    }

    /// Group names, sorted.
    pub fn group_list(&self) -> Vec<String> {
        let mut out: Vec<String> = self.group_names.values().cloned().collect();
        out.sort_by_key(|n| n.to_lowercase());
        out
    }

    /// The users behind a list of emails, once each; bad and unknown emails become problems of
    /// step `n`'s `field`.
    fn resolve_emails(
        &self,
        n: usize,
        field: &str,
        text: &str,
        problems: &mut Vec<PolicyProblem>,
    ) -> Vec<UserId> {
        let mut out: Vec<UserId> = Vec::new();
        for raw in split_list(text) {
            match Email::parse(&raw) {
                Err(e) => problems.push(PolicyProblem::step(n, field, e.to_string())),
                Ok(email) => match self.users.get(email.as_str()) {
                    Some(id) if !out.contains(id) => out.push(id.clone()),
                    Some(_) => {}
                    None => problems.push(PolicyProblem::step(
                        n,
                        field,
                        DomainError::UnknownValue {
                            what: "user".into(),
                            value: raw.clone(),
                        }
                        .to_string(),
                    )),
                },
            }
        }
        out
    }
}

fn parse_step(
    n: usize,
    s: &StepInput,
    names: &Names,
    problems: &mut Vec<PolicyProblem>,
) -> PolicyStep {
    let message = || Some(s.message.trim().to_string()).filter(|m| !m.is_empty());
    match s.kind.trim() {
        "auto_approve" => PolicyStep::AutoApprove { message: message() },
        "deny" => PolicyStep::Deny { message: message() },
        "approval" => PolicyStep::Approval(parse_approval(n, s, names, problems)),
        "external_decider" => PolicyStep::ExternalDecider(ExternalDeciderStep {
            name: s.decider_name.trim().to_string(),
            url: s.decider_url.trim().to_string(),
            timeout_secs: s.decider_timeout_secs,
            fallback: parse_approval(n, s, names, problems),
        }),
        other => {
            problems.push(PolicyProblem::step(
                n,
                "kind",
                format!(
                    "unknown step kind \"{other}\": choose approval, external decider, auto-approve or deny"
                ),
            ));
            // A stand-in that keeps the later steps' numbers; never saved (there is a problem).
            PolicyStep::Deny { message: None }
        }
    }
}

/// An approval step's approvers and flags (or an external decider's fallback humans).
fn parse_approval(
    n: usize,
    s: &StepInput,
    names: &Names,
    problems: &mut Vec<PolicyProblem>,
) -> ApprovalStep {
    {
        {
            let mut approvers: Vec<ApproverSource> = [
                (s.manager, ApproverSource::Manager),
                (s.app_owners, ApproverSource::AppOwners),
                (s.entitlement_owners, ApproverSource::EntitlementOwners),
            ]
            .into_iter()
            .filter_map(|(on, source)| on.then_some(source))
            .collect();
            let users = names.resolve_emails(n, "named users", &s.users, problems);
            if !users.is_empty() {
                approvers.push(ApproverSource::Users(users));
            }
            let mut seen = BTreeSet::new();
            for group in s.groups.iter().map(|g| g.trim()).filter(|g| !g.is_empty()) {
                match names.groups.get(&group.to_lowercase()) {
                    Some(id) => {
                        if seen.insert(id.clone()) {
                            approvers.push(ApproverSource::GroupMembers(id.clone()));
                        }
                    }
                    None => problems.push(PolicyProblem::step(
                        n,
                        "groups",
                        DomainError::UnknownValue {
                            what: "group".into(),
                            value: group.to_string(),
                        }
                        .to_string(),
                    )),
                }
            }
            let fallback_users =
                names.resolve_emails(n, "fallback users", &s.fallback_users, problems);
            ApprovalStep {
                approvers,
                allow_self_approval: s.allow_self_approval,
                require_approval_reason: s.require_approval_reason,
                require_denial_reason: s.require_denial_reason,
                require_distinct_approvers: s.require_distinct_approvers,
                allow_reassignment: s.allow_reassignment,
                fallback_users,
            }
        }
    }
}

/// Turns the editor's input into the policy to store, resolving emails and group names once.
/// Returns the policy and every problem (the input's, then the domain's rules for steps whose
/// input was fine), policy-wide problems first, then by step; save only when there are none.
pub fn build(
    input: &PolicyInput,
    names: &Names,
    id: PolicyId,
    revision: u64,
) -> (Policy, Vec<PolicyProblem>) {
    let mut problems = Vec::new();
    let steps = input
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| parse_step(i + 1, s, names, &mut problems))
        .collect();
    let policy = Policy {
        id,
        name: input.name.trim().to_string(),
        revision,
        steps,
    };
    let failed: BTreeSet<usize> = problems.iter().filter_map(|p| p.step).collect();
    problems.extend(
        policy
            .problems()
            .into_iter()
            .filter(|p| p.step.is_none_or(|n| !failed.contains(&n))),
    );
    problems.sort_by_key(|p| p.step);
    (policy, problems)
}

/// A stored policy as the editor shows it: people as emails, groups by name.
pub fn to_input(policy: &Policy, names: &Names) -> PolicyInput {
    let steps = policy
        .steps
        .iter()
        .map(|step| match step {
            PolicyStep::AutoApprove { message } => StepInput {
                kind: "auto_approve".into(),
                message: message.clone().unwrap_or_default(),
                ..StepInput::default()
            },
            PolicyStep::Deny { message } => StepInput {
                kind: "deny".into(),
                message: message.clone().unwrap_or_default(),
                ..StepInput::default()
            },
            PolicyStep::ExternalDecider(d) => StepInput {
                kind: "external_decider".into(),
                decider_name: d.name.clone(),
                decider_url: d.url.clone(),
                decider_timeout_secs: d.timeout_secs,
                ..approval_input(&d.fallback, names)
            },
            PolicyStep::Approval(a) => approval_input(a, names),
        })
        .collect();
    PolicyInput {
        name: policy.name.clone(),
        steps,
    }
}

/// An approval step (or an external decider's fallback humans) as the editor shows it.
fn approval_input(a: &ApprovalStep, names: &Names) -> StepInput {
    let emails = |ids: &[UserId]| {
        ids.iter()
            .map(|u| names.email(u))
            .collect::<Vec<_>>()
            .join(", ")
    };
    {
        {
            {
                let mut s = StepInput {
                    kind: "approval".into(),
                    allow_self_approval: a.allow_self_approval,
                    require_approval_reason: a.require_approval_reason,
                    require_denial_reason: a.require_denial_reason,
                    require_distinct_approvers: a.require_distinct_approvers,
                    allow_reassignment: a.allow_reassignment,
                    fallback_users: emails(&a.fallback_users),
                    ..StepInput::default()
                };
                let mut users = Vec::new();
                for source in &a.approvers {
                    match source {
                        ApproverSource::Manager => s.manager = true,
                        ApproverSource::AppOwners => s.app_owners = true,
                        ApproverSource::EntitlementOwners => s.entitlement_owners = true,
                        ApproverSource::Users(u) => users.extend(u.iter().cloned()),
                        ApproverSource::GroupMembers(g) => s.groups.push(names.group_name(g)),
                    }
                }
                s.users = emails(&users);
                s
            }
        }
    }
}

/// Whether another policy (or a built-in) already has this name, ignoring case.
async fn name_taken(db: &Db, policy: &Policy) -> AccessResult<bool> {
    if builtins()
        .iter()
        .any(|b| b.id != policy.id && b.name.to_lowercase() == policy.name.to_lowercase())
    {
        return Ok(true);
    }
    Ok(
        sqlx::query("SELECT id FROM policies WHERE LOWER(name) = LOWER($1) AND id <> $2")
            .bind(&policy.name)
            .bind(policy.id.as_str())
            .fetch_optional(&db.pool)
            .await?
            .is_some(),
    )
}

fn name_taken_problem(name: &str) -> PolicyProblem {
    PolicyProblem::policy("name", format!("a policy named \"{name}\" already exists"))
}

/// Creates (no `id`) or edits a policy from the editor's input. Editing bumps the revision;
/// requests in flight keep the snapshot they were created with. Nothing is stored when any
/// problem is found; the error lists them all, one per line.
pub async fn save(
    db: &Db,
    actor: &Actor,
    id: Option<&str>,
    input: PolicyInput,
    opened_at: Option<u64>,
) -> AccessResult<String> {
    let before = match id {
        Some(id) => {
            let p = load(db, id).await?;
            super::settings::refuse_if_managed(db, super::settings::Managed::Policy, id, &p.name)
                .await?;
            if p.is_builtin() {
                return Err(DomainError::InvalidPolicy {
                    reason: format!("\"{}\" is built in and cannot be edited", p.name),
                }
                .into());
            }
            Some(p)
        }
        None => None,
    };
    let names = Names::load(db).await?;
    let (policy, mut problems) = build(
        &input,
        &names,
        before
            .as_ref()
            .map_or_else(|| PolicyId::new(new_id()), |b| b.id.clone()),
        before.as_ref().map_or(1, |b| b.revision + 1),
    );
    if !policy.name.is_empty() && name_taken(db, &policy).await? {
        problems.insert(0, name_taken_problem(&policy.name));
    }
    if !problems.is_empty() {
        return Err(policy_problems_error(&problems).into());
    }
    let at = now();
    let body = to_json(&policy)?;
    // The revision is the edit form's version: the upsert only replaces the revision the editor
    // was opened at (else the one just loaded), so a save over someone's newer edit is refused.
    let expected = opened_at
        .or(before.as_ref().map(|b| b.revision))
        .unwrap_or(0);
    let mut tx = db.begin().await?;
    let result = sqlx::query(
        "INSERT INTO policies (id, name, revision, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, revision = excluded.revision, body = excluded.body, updated_at = excluded.updated_at \
         WHERE policies.revision = $6",
    )
    .bind(policy.id.as_str())
    .bind(&policy.name)
    .bind(version_i64(policy.revision))
    .bind(&body)
    .bind(at.as_unix_millis())
    .bind(version_i64(expected))
    .execute(&mut *tx)
    .await;
    match result {
        Ok(done) if done.rows_affected() == 0 => {
            return Err(super::catalog::edited_meanwhile("policy"));
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(policy_problems_error(&[name_taken_problem(&policy.name)]).into());
        }
        other => {
            other?;
        }
    }
    // The groups its steps name must still exist when this commits: a group being deleted
    // meanwhile either waits for this save (and then sees it uses the group) or wins, and then
    // this save is refused.
    let named_groups: Vec<String> = policy
        .steps
        .iter()
        .filter_map(|s| match s {
            PolicyStep::Approval(a) => Some(&a.approvers),
            _ => None,
        })
        .flatten()
        .filter_map(|a| match a {
            ApproverSource::GroupMembers(g) => Some(g.to_string()),
            _ => None,
        })
        .collect();
    if let Some(gone) =
        super::catalog::first_missing(&mut tx, db.engine, Referenced::Group, &named_groups).await?
    {
        return Err(policy_problems_error(&[PolicyProblem::policy(
            "groups",
            format!(
                "the group \"{}\" was deleted while you edited; reload and choose another",
                names.group_name(&GroupId::new(gone))
            ),
        )])
        .into());
    }
    audit::append_saved(
        &mut tx,
        at,
        actor.audit(),
        ("policy.created", "policy.updated"),
        format!("policy:{}", policy.name),
        before.as_ref(),
        body,
    )
    .await?;
    tx.commit().await?;
    Ok(policy.id.to_string())
}

/// What uses each policy, named for people, by policy id: entitlements (as request, emergency or
/// review policy, or by default through the built-in) and apps (as default request policy).
async fn usages(conn: &mut sqlx::AnyConnection) -> AccessResult<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut apps = BTreeMap::new();
    let stored_apps: Vec<Body> = sqlx::query_as("SELECT body FROM apps ORDER BY name")
        .fetch_all(&mut *conn)
        .await?;
    for r in stored_apps {
        let a: App = r.parse()?;
        if let Some(p) = &a.default_request_policy {
            out.entry(p.to_string())
                .or_default()
                .push(format!("app \"{}\" (default request policy)", a.name));
        }
        apps.insert(a.id.clone(), a);
    }
    let stored_entitlements: Vec<Body> =
        sqlx::query_as("SELECT body FROM entitlements ORDER BY display_name")
            .fetch_all(&mut *conn)
            .await?;
    for r in stored_entitlements {
        let e: Entitlement = r.parse()?;
        let app = apps.get(&e.app_id);
        let label = format!(
            "entitlement \"{}\"{}",
            e.picker_label(),
            app.map(|a| format!(" of {}", a.name)).unwrap_or_default()
        );
        match (
            &e.request_policy,
            app.and_then(|a| a.default_request_policy.as_ref()),
        ) {
            (Some(p), _) => out
                .entry(p.to_string())
                .or_default()
                .push(format!("{label} (request policy)")),
            (None, None) => out
                .entry(domain::BUILTIN_APP_OWNER_APPROVAL_POLICY_ID.to_string())
                .or_default()
                .push(format!("{label} (request policy, by default)")),
            (None, Some(_)) => {}
        }
        if let Some(p) = &e.emergency_policy {
            out.entry(p.to_string())
                .or_default()
                .push(format!("{label} (emergency policy)"));
        }
        if let Some(p) = &e.review_policy {
            out.entry(p.to_string())
                .or_default()
                .push(format!("{label} (review policy)"));
        }
    }
    Ok(out)
}

/// The policies page: every policy with its summary, where it is used and its editor input,
/// and the groups approvers can be picked from.
pub async fn overview(db: &Db) -> AccessResult<PolicyOverview> {
    let names = Names::load(db).await?;
    let mut usages = usages(&mut *db.pool.acquire().await?).await?;
    let managed = super::settings::managed_files(db, super::settings::Managed::Policy).await?;
    let policies = list(db)
        .await?
        .into_iter()
        .map(|p| PolicyRow {
            id: p.id.to_string(),
            name: p.name.clone(),
            revision: p.revision,
            builtin: p.is_builtin(),
            summary: p.summary(&|u| names.email(u), &|g| names.group_name(g)),
            used_by: usages.remove(p.id.as_str()).unwrap_or_default(),
            input: to_input(&p, &names),
            managed_by: managed.get(p.id.as_str()).cloned(),
        })
        .collect();
    Ok(PolicyOverview {
        policies,
        groups: names.group_list(),
    })
}

/// Deletes a policy nothing uses. The usage check runs inside the delete's transaction, after
/// the delete took its lock (the write lock on SQLite, the row lock on PostgreSQL, which saves
/// naming the policy wait for: `catalog::first_missing`), so no save can start using the policy
/// between the check and the commit; a refused delete rolls back.
pub async fn delete(db: &Db, actor: &Actor, id: &str) -> AccessResult<()> {
    let policy = load(db, id).await?;
    super::settings::refuse_if_managed(db, super::settings::Managed::Policy, id, &policy.name)
        .await?;
    domain::ensure_policy_deletable(&policy, &[])?;
    let at = now();
    let mut tx = db.begin().await?;
    let done = sqlx::query("DELETE FROM policies WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AccessError::NotFound("The policy".into()));
    }
    let used_by = usages(&mut tx).await?.remove(id).unwrap_or_default();
    domain::ensure_policy_deletable(&policy, &used_by)?;
    audit::append(
        &mut tx,
        at,
        Entry::new(
            actor.audit(),
            "policy.deleted",
            format!("policy:{}", policy.name),
        )
        .before(Some(to_json(&policy)?)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn names() -> Names {
        let mut n = Names::default();
        n.add_user(UserId::from("1"), "alice@example.com");
        n.add_user(UserId::from("2"), "Bob@Example.com");
        n.add_group(GroupId::from("g1"), "Security");
        n
    }

    fn build_input(input: &PolicyInput) -> (Policy, Vec<String>) {
        let (p, problems) = build(input, &names(), PolicyId::from("p"), 3);
        (p, problems.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn editor_input_becomes_the_domain_policy_with_resolved_ids() {
        let input = PolicyInput {
            name: "  Manager then owners ".into(),
            steps: vec![
                StepInput {
                    manager: true,
                    require_denial_reason: true,
                    ..StepInput::default()
                },
                StepInput {
                    app_owners: true,
                    users: "bob@example.com, alice@example.com bob@EXAMPLE.com".into(),
                    groups: vec!["security".into(), "Security".into()],
                    require_distinct_approvers: true,
                    allow_reassignment: false,
                    fallback_users: "alice@example.com".into(),
                    ..StepInput::default()
                },
                StepInput {
                    kind: "auto_approve".into(),
                    message: "  ".into(),
                    ..StepInput::default()
                },
            ],
        };
        let (p, problems) = build_input(&input);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(p.name, "Manager then owners");
        assert_eq!(p.revision, 3);
        assert_eq!(
            p.steps,
            vec![
                PolicyStep::Approval(ApprovalStep {
                    approvers: vec![ApproverSource::Manager],
                    require_denial_reason: true,
                    ..ApprovalStep::default()
                }),
                PolicyStep::Approval(ApprovalStep {
                    approvers: vec![
                        ApproverSource::AppOwners,
                        ApproverSource::Users(vec![UserId::from("2"), UserId::from("1")]),
                        ApproverSource::GroupMembers(GroupId::from("g1")),
                    ],
                    require_distinct_approvers: true,
                    allow_reassignment: false,
                    fallback_users: vec![UserId::from("1")],
                    ..ApprovalStep::default()
                }),
                PolicyStep::AutoApprove { message: None },
            ]
        );
        // And back: the editor shows what was stored.
        let again = to_input(&p, &names());
        assert_eq!(again.steps[1].users, "Bob@Example.com, alice@example.com");
        assert_eq!(again.steps[1].groups, vec!["Security".to_string()]);
        assert_eq!(build_input(&again).0.steps, p.steps);
    }

    #[test]
    fn every_problem_names_its_step_and_field() {
        let input = PolicyInput {
            name: String::new(),
            steps: vec![
                StepInput {
                    manager: true,
                    ..StepInput::default()
                },
                StepInput {
                    users: "bob@x.example, not-an-email".into(),
                    groups: vec!["Ops".into()],
                    ..StepInput::default()
                },
                StepInput::default(),
                StepInput {
                    kind: "wait".into(),
                    ..StepInput::default()
                },
            ],
        };
        let (_, problems) = build_input(&input);
        assert_eq!(
            problems,
            vec![
                "Name: the policy needs a name".to_string(),
                "Step 2, named users: unknown user \"bob@x.example\"".into(),
                "Step 2, named users: \"not-an-email\" is not a valid email address: it has no @".into(),
                "Step 2, groups: unknown group \"Ops\"".into(),
                "Step 3, approvers: the step has no approvers: choose at least one approver or a fallback user".into(),
                "Step 4, kind: unknown step kind \"wait\": choose approval, external decider, auto-approve or deny".into(),
            ]
        );
    }

    #[test]
    fn terminal_steps_before_the_end_and_too_many_steps_are_refused() {
        let (_, problems) = build_input(&PolicyInput {
            name: "Deny first".into(),
            steps: vec![
                StepInput {
                    kind: "deny".into(),
                    ..StepInput::default()
                },
                StepInput {
                    manager: true,
                    ..StepInput::default()
                },
            ],
        });
        assert_eq!(
            problems,
            vec!["Step 1, kind: deny ends the request, so the steps after it would never run"]
        );
        let many = PolicyInput {
            name: "Long".into(),
            steps: vec![
                StepInput {
                    manager: true,
                    ..StepInput::default()
                };
                domain::MAX_POLICY_STEPS + 1
            ],
        };
        let (_, problems) = build_input(&many);
        assert_eq!(
            problems,
            vec!["Steps: a policy can have at most 16 steps (this one has 17)"]
        );
    }
}
