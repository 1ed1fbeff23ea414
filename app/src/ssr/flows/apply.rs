//! Catalog and policies as code: `apply` makes Latch match a tree of files (apps with their
//! entitlements, request policies, groups) in ONE transaction, all or nothing; `export` reads
//! the current catalog back into the same model. The CLI (`latch apply` / `latch export`) and
//! the `/api/v1` door both call these; the pure rules (resolution, validation, the plan) are
//! `domain::catalog_code`.
//!
//! Writes go straight to the tables here rather than through the console's save functions in
//! `ssr::access::catalog`/`policies`/`directory`: those each begin their own transaction, and an
//! apply must be one. The objects written are the domain's, built by the same parsers (the
//! policy editor's `policies::build`, the domain's `validate` rules).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::catalog_code::{
    self, Action, CatalogFile, CatalogNames, CatalogTree, Change, CodeError, Current, CurrentApp,
    CurrentEntitlement, CurrentGroup, CurrentPolicy, Object, Plan,
};
use crate::domain::{
    App, AuditActor, Entitlement, GroupId, Policy, PolicyId, PolicyProblem, ProvisioningMethod,
    Timestamp, UserId,
};
use crate::shapes::PolicyInput;
use crate::ssr::access::audit::{self, Entry};
use crate::ssr::access::catalog::{self, ENTITLEMENTS_ALIAS};
use crate::ssr::access::{
    AccessError, AccessResult, Actor, ResultExt, Tx, from_json, new_id, now, policies, to_json,
    user_id, user_row, version_i64,
};
use crate::ssr::db::Db;

/// How an apply runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApplyOptions {
    /// Only compute and return the plan; change nothing.
    pub plan_only: bool,
    /// Delete objects managed in code that the tree no longer has (never console-made ones).
    pub prune: bool,
    /// Recorded on every audit event and changed object (e.g. a commit id).
    pub source_ref: Option<String>,
}

/// Who applies: the command line (an operator on the server), or a Super Admin through the API.
#[derive(Debug, Clone)]
pub enum ApplyActor {
    Cli,
    User(Actor),
}

impl ApplyActor {
    fn audit(&self) -> AuditActor {
        match self {
            ApplyActor::Cli => AuditActor::System,
            ApplyActor::User(actor) => actor.audit(),
        }
    }
}

/// What an apply did (or, with `plan_only`, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    pub plan: Plan,
    /// Whether the changes were written (false for a plan, or when there was nothing to do).
    pub applied: bool,
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for change in self.plan.effective() {
            writeln!(f, "{change}")?;
        }
        let (create, update, delete, adopt) = self.plan.counts();
        if !self.plan.has_changes() && adopt == 0 {
            return writeln!(f, "No changes: Latch matches the tree.");
        }
        let verb = if self.applied { "Applied" } else { "Plan" };
        writeln!(
            f,
            "{verb}: {create} to create, {update} to update, {delete} to delete, {adopt} to adopt."
        )
    }
}

/// Why an apply changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Problems with the tree, every one found, each naming its file, line and field.
    #[error("{}", lines(.0))]
    Invalid(Vec<CodeError>),
    #[error(transparent)]
    Access(#[from] AccessError),
}

impl From<sqlx::Error> for ApplyError {
    fn from(e: sqlx::Error) -> Self {
        ApplyError::Access(e.into())
    }
}

fn lines(errors: &[CodeError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The audit rule recorded on every event of an apply.
fn rule(source_ref: Option<&str>) -> String {
    match source_ref {
        Some(r) => format!("apply source_ref={r}"),
        None => "apply".into(),
    }
}

/// Makes Latch match `tree`, in one transaction: plans against the state read inside it, and
/// unless `plan_only`, writes every change with its audit event (actor: the CLI as `system`, or
/// the API's user; rule `apply` with the source ref). Any problem, found while planning or while
/// writing, leaves everything as it was.
pub async fn apply(
    db: &Db,
    tree: CatalogTree,
    options: ApplyOptions,
    by: ApplyActor,
) -> Result<ApplyReport, ApplyError> {
    let mut tx = db.begin().await?;
    let current = load_current(&mut tx).await?;
    let build = |input: &PolicyInput, names: &CatalogNames, id: PolicyId, revision: u64| {
        build_policy(input, names, id, revision)
    };
    let plan = catalog_code::plan(&tree, &current, options.prune, &build, &mut new_id)
        .map_err(ApplyError::Invalid)?;
    if options.plan_only || plan.effective().next().is_none() {
        tx.rollback().await?;
        return Ok(ApplyReport {
            plan,
            applied: false,
        });
    }
    let at = now();
    let source_ref = options.source_ref.as_deref();
    let actor = by.audit();
    let rule = rule(source_ref);
    let mut events = Vec::new();
    let before = Before::of(&current);
    for change in plan.effective() {
        if let Some(entry) = write(&mut tx, change, &before, source_ref, at).await? {
            events.push(
                Entry {
                    actor: actor.clone(),
                    ..entry
                }
                .rule(Some(&rule)),
            );
        }
    }
    audit::append_all(&mut tx, at, events).await?;
    tx.commit().await?;
    Ok(ApplyReport {
        plan,
        applied: true,
    })
}

/// The console editor's parser, with the names of the tree's groups added to the directory's.
fn build_policy(
    input: &PolicyInput,
    names: &CatalogNames,
    id: PolicyId,
    revision: u64,
) -> (Policy, Vec<PolicyProblem>) {
    let mut editor_names = policies::Names::default();
    for (id, email) in names.users() {
        editor_names.add_user(id.clone(), email);
    }
    for (id, name) in names.groups() {
        editor_names.add_group(id.clone(), name);
    }
    policies::build(input, &editor_names, id, revision)
}

/// Everything an apply compares against, read inside its transaction.
async fn load_current(tx: &mut Tx<'_>) -> AccessResult<Current> {
    let mut current = Current {
        builtin_policies: vec![
            Policy::builtin_app_owner_approval(),
            Policy::builtin_auto_approval(),
        ],
        tenant: catalog::tenant(&mut *tx).await?,
        ..Current::default()
    };
    let apps: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT body, description, managed_by FROM apps ORDER BY name")
            .fetch_all(&mut **tx)
            .await?;
    for (body, description, managed_by) in apps {
        current.apps.push(CurrentApp {
            app: from_json(&body)?,
            description,
            managed_by,
        });
    }
    let mut uses: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let requests: Vec<(String, i64)> =
        sqlx::query_as("SELECT entitlement_id, COUNT(*) FROM requests GROUP BY entitlement_id")
            .fetch_all(&mut **tx)
            .await?;
    for (id, n) in requests {
        uses.entry(id).or_default().0 = n;
    }
    let grants: Vec<(String, i64)> =
        sqlx::query_as("SELECT entitlement_id, COUNT(*) FROM grants GROUP BY entitlement_id")
            .fetch_all(&mut **tx)
            .await?;
    for (id, n) in grants {
        uses.entry(id).or_default().1 = n;
    }
    let entitlements: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT body, managed_by FROM entitlements ORDER BY display_name")
            .fetch_all(&mut **tx)
            .await?;
    for (body, managed_by) in entitlements {
        let entitlement: Entitlement = from_json(&body)?;
        let in_use = uses
            .get(entitlement.id.as_str())
            .map(|(r, g)| format!("it has {r} request(s) and {g} grant(s) in its history"));
        current.entitlements.push(CurrentEntitlement {
            entitlement,
            managed_by,
            in_use,
        });
    }
    let stored: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT body, managed_by FROM policies ORDER BY name")
            .fetch_all(&mut **tx)
            .await?;
    for (body, managed_by) in stored {
        current.policies.push(CurrentPolicy {
            policy: from_json(&body)?,
            managed_by,
        });
    }
    let groups: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT id, name, managed_by FROM groups ORDER BY name")
            .fetch_all(&mut **tx)
            .await?;
    for (id, name, managed_by) in groups {
        current.groups.push(CurrentGroup {
            id: GroupId::new(id),
            name,
            managed_by,
        });
    }
    let users: Vec<(i64, String)> = sqlx::query_as("SELECT id, email FROM users ORDER BY id")
        .fetch_all(&mut **tx)
        .await?;
    current.users = users
        .into_iter()
        .map(|(id, email)| (user_id(id), email))
        .collect();
    Ok(current)
}

/// The stored JSON of each object before the apply, for audit events' `before`.
struct Before {
    apps: BTreeMap<String, String>,
    entitlements: BTreeMap<String, String>,
    policies: BTreeMap<String, String>,
}

impl Before {
    fn of(current: &Current) -> Before {
        Before {
            apps: current
                .apps
                .iter()
                .map(|c| (c.app.id.to_string(), json(&c.app)))
                .collect(),
            entitlements: current
                .entitlements
                .iter()
                .map(|c| (c.entitlement.id.to_string(), json(&c.entitlement)))
                .collect(),
            policies: current
                .policies
                .iter()
                .map(|c| (c.policy.id.to_string(), json(&c.policy)))
                .collect(),
        }
    }
}

/// JSON of a stored object for an audit event (these types always serialise).
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The `managed_by` an adopt or write stamps: the change's file.
fn file_of(change: &Change) -> Option<&str> {
    match change.action {
        Action::Delete => None,
        _ => change.file.as_deref(),
    }
}

/// Writes one change inside `tx`; returns its audit entry (actor filled in by the caller).
async fn write(
    tx: &mut Tx<'_>,
    change: &Change,
    before: &Before,
    source_ref: Option<&str>,
    at: Timestamp,
) -> Result<Option<Entry>, ApplyError> {
    let Some(object) = &change.object else {
        return Ok(None);
    };
    let managed_by = file_of(change);
    let millis = at.as_unix_millis();
    let entry = |action: &str, target: String, before: Option<String>, after: Option<String>| {
        Entry::new(AuditActor::System, action, target)
            .before(before)
            .after(after)
    };
    let managed_after =
        || serde_json::json!({ "managed_by": managed_by, "source_ref": source_ref }).to_string();
    match (change.action, object) {
        (Action::Unchanged, _) => Ok(None),
        (Action::Adopt, object) => {
            let (table, id, target) = match object {
                Object::Group { id, name } => ("groups", id.to_string(), format!("group:{name}")),
                Object::Policy(p) => ("policies", p.id.to_string(), format!("policy:{}", p.name)),
                Object::App { app, .. } => {
                    ("apps", app.id.to_string(), format!("app:{}", app.slug))
                }
                Object::Entitlement {
                    entitlement,
                    app_slug,
                } => (
                    "entitlements",
                    entitlement.id.to_string(),
                    format!("entitlement:{app_slug}/{}", entitlement.slug),
                ),
            };
            sqlx::query(&format!(
                "UPDATE {table} SET managed_by = $1, managed_ref = $2 WHERE id = $3"
            ))
            .bind(managed_by)
            .bind(source_ref)
            .bind(&id)
            .execute(&mut **tx)
            .await?;
            Ok(Some(entry(
                "catalog.adopted_by_code",
                target,
                None,
                Some(managed_after()),
            )))
        }
        (Action::Create | Action::Update, Object::Group { id, name }) => {
            sqlx::query(
                "INSERT INTO groups (id, name, created_at, managed_by, managed_ref) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, managed_by = excluded.managed_by, managed_ref = excluded.managed_ref",
            )
            .bind(id.as_str())
            .bind(name)
            .bind(millis)
            .bind(managed_by)
            .bind(source_ref)
            .execute(&mut **tx)
            .await?;
            Ok(Some(entry(
                "directory.group_saved",
                format!("group:{name}"),
                None,
                Some(serde_json::json!({ "name": name, "managed_by": managed_by }).to_string()),
            )))
        }
        (Action::Create | Action::Update, Object::Policy(policy)) => {
            let body = to_json(policy)?;
            sqlx::query(
                "INSERT INTO policies (id, name, revision, body, created_at, updated_at, managed_by, managed_ref) \
                 VALUES ($1, $2, $3, $4, $5, $5, $6, $7) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, revision = excluded.revision, body = excluded.body, \
                 updated_at = excluded.updated_at, managed_by = excluded.managed_by, managed_ref = excluded.managed_ref",
            )
            .bind(policy.id.as_str())
            .bind(&policy.name)
            .bind(version_i64(policy.revision))
            .bind(&body)
            .bind(millis)
            .bind(managed_by)
            .bind(source_ref)
            .execute(&mut **tx)
            .await
            .map_err(|e| write_failed(change, e.into()))?;
            let action = if change.action == Action::Create {
                "policy.created"
            } else {
                "policy.updated"
            };
            Ok(Some(entry(
                action,
                format!("policy:{}", policy.name),
                before.policies.get(policy.id.as_str()).cloned(),
                Some(body),
            )))
        }
        (Action::Create | Action::Update, Object::App { app, description }) => {
            let body = to_json(app)?;
            sqlx::query(
                "INSERT INTO apps (id, slug, name, description, body, created_at, updated_at, managed_by, managed_ref) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, body = excluded.body, \
                 updated_at = excluded.updated_at, managed_by = excluded.managed_by, managed_ref = excluded.managed_ref, \
                 version = apps.version + 1",
            )
            .bind(app.id.as_str())
            .bind(app.slug.as_str())
            .bind(&app.name)
            .bind(description)
            .bind(&body)
            .bind(millis)
            .bind(managed_by)
            .bind(source_ref)
            .execute(&mut **tx)
            .await
            .map_err(|e| write_failed(change, e.into()))?;
            sqlx::query("DELETE FROM app_owners WHERE app_id = $1")
                .bind(app.id.as_str())
                .execute(&mut **tx)
                .await?;
            for owner in &app.owners {
                insert_owner(tx, "app_owners", "app_id", app.id.as_str(), owner).await?;
            }
            if change.action == Action::Update {
                refresh_instructions(tx, app, millis).await?;
            }
            let action = if change.action == Action::Create {
                "catalog.app_created"
            } else {
                "catalog.app_updated"
            };
            Ok(Some(entry(
                action,
                format!("app:{}", app.slug),
                before.apps.get(app.id.as_str()).cloned(),
                Some(body),
            )))
        }
        (
            Action::Create | Action::Update,
            Object::Entitlement {
                entitlement: ent,
                app_slug,
            },
        ) => {
            let body = to_json(ent)?;
            let alias = ent.alias.as_ref().map(|a| a.as_str().to_string());
            sqlx::query(
                "INSERT INTO entitlements (id, app_id, slug, display_name, request_policy, emergency_policy, body, created_at, updated_at, alias, managed_by, managed_ref, review_policy) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12) \
                 ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, display_name = excluded.display_name, alias = excluded.alias, \
                 request_policy = excluded.request_policy, emergency_policy = excluded.emergency_policy, review_policy = excluded.review_policy, body = excluded.body, \
                 updated_at = excluded.updated_at, managed_by = excluded.managed_by, managed_ref = excluded.managed_ref, \
                 version = entitlements.version + 1",
            )
            .bind(ent.id.as_str())
            .bind(ent.app_id.as_str())
            .bind(ent.slug.as_str())
            .bind(&ent.display_name)
            .bind(ent.request_policy.as_ref().map(ToString::to_string))
            .bind(ent.emergency_policy.as_ref().map(ToString::to_string))
            .bind(&body)
            .bind(millis)
            .bind(alias.clone())
            .bind(managed_by)
            .bind(source_ref)
            .bind(ent.review_policy.as_ref().map(ToString::to_string))
            .execute(&mut **tx)
            .await
            // Aliases are unique per tenant: swapping two entitlements' aliases in one apply
            // meets the other's old alias here (the plan only checks the final state).
            .on_unique(ENTITLEMENTS_ALIAS, || {
                AccessError::Data(format!(
                    "alias `{}` is still held by another entitlement when this one is written; \
                     to swap aliases, apply once with one of them removed, then again",
                    alias.clone().unwrap_or_default()
                ))
            })
            .map_err(|e| write_failed(change, e))?;
            sqlx::query("DELETE FROM entitlement_owners WHERE entitlement_id = $1")
                .bind(ent.id.as_str())
                .execute(&mut **tx)
                .await?;
            for owner in &ent.owner_users {
                insert_owner(
                    tx,
                    "entitlement_owners",
                    "entitlement_id",
                    ent.id.as_str(),
                    owner,
                )
                .await?;
            }
            let action = if change.action == Action::Create {
                "catalog.entitlement_created"
            } else {
                "catalog.entitlement_updated"
            };
            Ok(Some(entry(
                action,
                format!("entitlement:{app_slug}/{}", ent.slug),
                before.entitlements.get(ent.id.as_str()).cloned(),
                Some(body),
            )))
        }
        (Action::Delete, object) => delete(tx, object, before).await.map(Some),
    }
}

/// A write the database refused: an error naming the object and its file, so the apply's
/// failure (and rollback) says where.
fn write_failed(change: &Change, e: AccessError) -> ApplyError {
    match e {
        AccessError::Data(message) => ApplyError::Invalid(vec![CodeError {
            file: change.file.clone().unwrap_or_default(),
            line: None,
            object: change.label.clone(),
            field: String::new(),
            message,
        }]),
        AccessError::Db(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            ApplyError::Invalid(vec![CodeError {
                file: change.file.clone().unwrap_or_default(),
                line: None,
                object: change.label.clone(),
                field: String::new(),
                message: format!("the database refused it: {}", db.message()),
            }])
        }
        other => ApplyError::Access(other),
    }
}

/// Manual provisioning tasks carry the app's instructions, copied into each entitlement (as the
/// console's app save does): an app's new instructions reach its entitlements the tree does not
/// manage too, in this transaction.
async fn refresh_instructions(tx: &mut Tx<'_>, app: &App, millis: i64) -> AccessResult<()> {
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM entitlements WHERE app_id = $1")
        .bind(app.id.as_str())
        .fetch_all(&mut **tx)
        .await?;
    for body in bodies {
        let mut ent: Entitlement = from_json(&body)?;
        let ProvisioningMethod::Manual { instructions, .. } = &mut ent.provisioning else {
            continue;
        };
        if *instructions == app.instructions {
            continue;
        }
        instructions.clone_from(&app.instructions);
        sqlx::query("UPDATE entitlements SET body = $1, updated_at = $2 WHERE id = $3")
            .bind(to_json(&ent)?)
            .bind(millis)
            .bind(ent.id.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn insert_owner(
    tx: &mut Tx<'_>,
    table: &str,
    column: &str,
    id: &str,
    owner: &UserId,
) -> AccessResult<()> {
    sqlx::query(&format!(
        "INSERT INTO {table} ({column}, user_id) VALUES ($1, $2)"
    ))
    .bind(id)
    .bind(user_row(owner)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes a pruned object (the plan checked nothing still uses it).
async fn delete(tx: &mut Tx<'_>, object: &Object, before: &Before) -> Result<Entry, ApplyError> {
    let (action, target, before_json) = match object {
        Object::Entitlement {
            entitlement,
            app_slug,
        } => {
            let id = entitlement.id.as_str();
            sqlx::query("DELETE FROM entitlement_owners WHERE entitlement_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM entitlements WHERE id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            (
                "catalog.entitlement_deleted",
                format!("entitlement:{app_slug}/{}", entitlement.slug),
                before.entitlements.get(id).cloned(),
            )
        }
        Object::App { app, .. } => {
            let id = app.id.as_str();
            sqlx::query("DELETE FROM app_owners WHERE app_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM apps WHERE id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            (
                "catalog.app_deleted",
                format!("app:{}", app.slug),
                before.apps.get(id).cloned(),
            )
        }
        Object::Policy(policy) => {
            sqlx::query("DELETE FROM policies WHERE id = $1")
                .bind(policy.id.as_str())
                .execute(&mut **tx)
                .await?;
            (
                "policy.deleted",
                format!("policy:{}", policy.name),
                before.policies.get(policy.id.as_str()).cloned(),
            )
        }
        Object::Group { id, name } => {
            sqlx::query("DELETE FROM group_members WHERE group_id = $1")
                .bind(id.as_str())
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM groups WHERE id = $1")
                .bind(id.as_str())
                .execute(&mut **tx)
                .await?;
            (
                "directory.group_deleted",
                format!("group:{name}"),
                Some(serde_json::json!({ "name": name }).to_string()),
            )
        }
    };
    Ok(Entry::new(AuditActor::System, action, target).before(before_json))
}

/// The current catalog as a tree: `groups.yaml` (every group), `policies.yaml` (the tenant's
/// policies; built-ins are referred to by name), and `apps/<slug>.yaml` per app with its
/// entitlements. Applying it back plans no changes (only adoptions of console-made objects).
pub async fn export(db: &Db) -> AccessResult<Vec<CatalogFile>> {
    let mut tx = db.begin_read().await?;
    let current = load_current(&mut tx).await?;
    tx.rollback().await?;
    let mut names = CatalogNames::default();
    let mut editor_names = policies::Names::default();
    for (id, email) in &current.users {
        names.add_user(id, email);
        editor_names.add_user(id.clone(), email);
    }
    for g in &current.groups {
        names.add_group(&g.id, &g.name);
        editor_names.add_group(g.id.clone(), &g.name);
    }
    for p in &current.builtin_policies {
        names.add_policy(&p.id, &p.name);
    }
    for p in &current.policies {
        names.add_policy(&p.policy.id, &p.policy.name);
    }
    let mut files = Vec::new();
    if !current.groups.is_empty() {
        files.push(CatalogFile {
            path: "groups.yaml".into(),
            groups: current
                .groups
                .iter()
                .map(|g| catalog_code::GroupSpec {
                    name: g.name.clone(),
                })
                .collect(),
            ..CatalogFile::default()
        });
    }
    if !current.policies.is_empty() {
        let mut specs = Vec::new();
        for p in &current.policies {
            specs.push(catalog_code::policy_spec(&policies::to_input(
                &p.policy,
                &editor_names,
            ))?);
        }
        files.push(CatalogFile {
            path: "policies.yaml".into(),
            policies: specs,
            ..CatalogFile::default()
        });
    }
    for c in &current.apps {
        let entitlements: Vec<&Entitlement> = current
            .entitlements
            .iter()
            .map(|e| &e.entitlement)
            .filter(|e| e.app_id == c.app.id)
            .collect();
        let spec = catalog_code::app_spec(&c.app, &c.description, &entitlements, &names)?;
        files.push(CatalogFile {
            path: format!("apps/{}.yaml", c.app.slug),
            apps: vec![spec],
            ..CatalogFile::default()
        });
    }
    Ok(files)
}
