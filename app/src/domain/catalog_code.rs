//! Catalog and policies as code (`latch apply` / `latch export`): the tree of files a team keeps
//! in Git, resolved against what Latch already holds into domain objects, and the plan that
//! makes Latch match it (create, update with the fields that differ, delete, unchanged).
//!
//! Pure: the files arrive already read (the YAML reader in the server turns each into a JSON
//! value plus the line of every node, [`CatalogFile::from_value`]; the `/api/v1` door sends the
//! same model as JSON), the current state arrives loaded ([`Current`]), and policy steps are
//! turned into domain steps by the caller's `PolicyBuilder` (the console editor's parser), so
//! the console and code share one parse-into-domain step for every kind of object.
//!
//! Objects are matched by a stable key: groups and policies by name, apps by name, entitlements
//! by their app and slug (the slug is derived from the name when the file gives none). Every
//! problem is reported at once, each naming its file, line and field ([`CodeError`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalog::{
    Alias, App, Entitlement, ProvisioningMethod, RiskLevel, Slug, TenantSettings, Visibility,
};
use super::duration::GrantLength;
use super::ids::{AppId, EntitlementId, GroupId, PolicyId, UserId};
use super::policy::{ApproverSource, Policy, PolicyProblem, PolicyStep};
use crate::shapes::{PolicyInput, StepInput};

/// The whole tree: every file, in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogTree {
    pub files: Vec<CatalogFile>,
}

/// One file of the tree. Any file may hold any of the three lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogFile {
    /// The path relative to the tree's root, as errors name it ("apps/prod-db.yaml").
    pub path: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PolicySpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<AppSpec>,
    /// The 1-based line of each node, by JSON pointer ("/apps/0/entitlements/1/request_policy").
    /// Empty for a tree sent as JSON: errors then name the pointer instead.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub lines: BTreeMap<String, usize>,
}

/// A group: only its existence is managed in code; members come from the directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub name: String,
}

/// A request policy: a name and ordered steps, each step as the console's policy editor takes
/// it (`kind: approval | auto_approve | deny` and that kind's fields; people as emails, groups
/// by name), so every step kind the editor knows is expressible here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    pub name: String,
    #[serde(default)]
    pub steps: Vec<Value>,
}

/// An app with its entitlements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Owner emails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Markdown instructions for requesters and provisioners.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub instructions: String,
    /// A policy name; none: the built-in app-owner approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_request_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<Value>,
}

/// An entitlement, with ConductorOne/Instacart's field names where they exist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitlementSpec {
    /// The display name.
    pub name: String,
    /// The stable key within the app; derived from the name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// low (default), medium, high or critical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<String>,
    /// "30d", "12h", "2w" or "indefinite" (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_duration: Option<String>,
    /// Owner emails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// A policy name; none: the app's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_policy: Option<String>,
    /// A policy name; none: no emergency access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_policy: Option<String>,
    /// A policy name whose first approval step reviews the grants in access review campaigns
    /// that use entitlements' own review policies; none: the campaign's reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_policy: Option<String>,
    /// `everyone` (the default), `nobody`, or a list of group names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_visibility: Option<VisibilitySpec>,
    /// Manual provisioning by these people (emails; none: the app's owners).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provisioners: Vec<String>,
    /// Provisioning by a signed webhook call to this URL instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

/// `everyone`, `nobody`, or group names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VisibilitySpec {
    Keyword(String),
    Groups(Vec<String>),
}

/// One problem with the tree, where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeError {
    pub file: String,
    /// 1-based; `None` when the tree carries no lines (sent as JSON) or for a whole-tree problem.
    pub line: Option<usize>,
    /// "entitlement `admin`", "policy `Manager then owner`".
    pub object: String,
    pub field: String,
    pub message: String,
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.object)?;
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Where in a file an object sits: its file and JSON pointer, to name lines in errors.
#[derive(Debug, Clone)]
struct At<'a> {
    file: &'a CatalogFile,
    pointer: String,
    object: String,
}

impl At<'_> {
    /// The line of `field` under this object, else of the object itself.
    fn line(&self, field: &str) -> Option<usize> {
        let mut pointer = if field.is_empty() {
            self.pointer.clone()
        } else {
            format!("{}/{field}", self.pointer)
        };
        loop {
            if let Some(line) = self.file.lines.get(&pointer) {
                return Some(*line);
            }
            match pointer.rfind('/') {
                Some(cut) if cut > 0 => pointer.truncate(cut),
                _ => return None,
            }
        }
    }

    fn error(&self, field: &str, message: impl Into<String>) -> CodeError {
        CodeError {
            file: self.file.path.clone(),
            line: self.line(field),
            object: self.object.clone(),
            field: field.replace('/', "."),
            message: message.into(),
        }
    }
}

impl CatalogFile {
    /// Reads one file's parsed content (`value`, with the `lines` of its nodes) into the model.
    /// Each object is read on its own, so every malformed one is reported, with its line.
    pub fn from_value(
        path: &str,
        value: Value,
        lines: BTreeMap<String, usize>,
    ) -> (CatalogFile, Vec<CodeError>) {
        let mut file = CatalogFile {
            path: path.to_string(),
            lines,
            ..CatalogFile::default()
        };
        let mut errors = Vec::new();
        let whole = At {
            file: &file,
            pointer: String::new(),
            object: "file".into(),
        };
        let mut map = match value {
            Value::Object(map) => map,
            Value::Null => return (file, errors),
            _ => {
                errors.push(
                    whole.error("", "expected a mapping with `apps`, `policies` or `groups`"),
                );
                return (file, errors);
            }
        };
        let mut groups = Vec::new();
        let mut policies = Vec::new();
        let mut apps = Vec::new();
        for key in map.keys() {
            if !["apps", "policies", "groups"].contains(&key.as_str()) {
                errors.push(whole.error(
                    key,
                    "unknown top-level key: use `apps`, `policies` or `groups`",
                ));
            }
        }
        let mut list = |key: &str| -> Vec<Value> {
            match map.remove(key) {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items,
                Some(_) => {
                    errors.push(whole.error(key, "expected a list"));
                    Vec::new()
                }
            }
        };
        let group_values = list("groups");
        let policy_values = list("policies");
        let app_values = list("apps");
        for (i, v) in group_values.into_iter().enumerate() {
            let at = whole_at(&file, &format!("/groups/{i}"), "group", &v);
            match serde_json::from_value::<GroupSpec>(v) {
                Ok(g) => groups.push(g),
                Err(e) => errors.push(serde_error(&at, &e)),
            }
        }
        for (i, v) in policy_values.into_iter().enumerate() {
            let at = whole_at(&file, &format!("/policies/{i}"), "policy", &v);
            match serde_json::from_value::<PolicySpec>(v) {
                Ok(p) => policies.push(p),
                Err(e) => errors.push(serde_error(&at, &e)),
            }
        }
        for (i, v) in app_values.into_iter().enumerate() {
            let at = whole_at(&file, &format!("/apps/{i}"), "app", &v);
            match serde_json::from_value::<AppSpec>(v) {
                Ok(a) => {
                    for (j, e) in a.entitlements.iter().enumerate() {
                        let at = whole_at(
                            &file,
                            &format!("/apps/{i}/entitlements/{j}"),
                            "entitlement",
                            e,
                        );
                        if let Err(err) = serde_json::from_value::<EntitlementSpec>(e.clone()) {
                            errors.push(serde_error(&at, &err));
                        }
                    }
                    apps.push(a);
                }
                Err(e) => errors.push(serde_error(&at, &e)),
            }
        }
        file.groups = groups;
        file.policies = policies;
        file.apps = apps;
        (file, errors)
    }
}

/// The location of an object, labelled by its `name` when it has one.
fn whole_at<'a>(file: &'a CatalogFile, pointer: &str, kind: &str, value: &Value) -> At<'a> {
    let name = value.get("name").and_then(Value::as_str).map_or_else(
        || format!("{kind} #{}", index_of(pointer) + 1),
        |n| format!("{kind} `{n}`"),
    );
    At {
        file,
        pointer: pointer.to_string(),
        object: name,
    }
}

fn index_of(pointer: &str) -> usize {
    pointer
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A serde error on an object, pointing at the field it names when it names one.
fn serde_error(at: &At<'_>, e: &serde_json::Error) -> CodeError {
    let text = e.to_string();
    let field = text
        .split('`')
        .nth(1)
        .filter(|_| text.starts_with("unknown field") || text.starts_with("missing field"))
        .unwrap_or("")
        .to_string();
    let line_field = if text.starts_with("missing field") {
        ""
    } else {
        &field
    };
    CodeError {
        line: at.line(line_field),
        ..at.error(&field, text.clone())
    }
}

/// What Latch holds now, loaded by the caller in the apply's transaction.
#[derive(Debug, Clone, Default)]
pub struct Current {
    pub apps: Vec<CurrentApp>,
    pub entitlements: Vec<CurrentEntitlement>,
    /// Stored policies (the built-ins are added by [`plan`]'s caller through `builtin_policies`).
    pub policies: Vec<CurrentPolicy>,
    pub builtin_policies: Vec<Policy>,
    pub groups: Vec<CurrentGroup>,
    /// Directory users: id and email.
    pub users: Vec<(UserId, String)>,
    pub tenant: TenantSettings,
}

#[derive(Debug, Clone)]
pub struct CurrentApp {
    pub app: App,
    pub description: String,
    /// The file that manages it; `None`: made in the console.
    pub managed_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CurrentEntitlement {
    pub entitlement: Entitlement,
    pub managed_by: Option<String>,
    /// Why it cannot be deleted (it has requests or grants), if so.
    pub in_use: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CurrentPolicy {
    pub policy: Policy,
    pub managed_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CurrentGroup {
    pub id: GroupId,
    pub name: String,
    pub managed_by: Option<String>,
}

/// Names behind ids, both ways, for resolving the files and for showing changes.
#[derive(Debug, Clone, Default)]
pub struct CatalogNames {
    users: BTreeMap<String, UserId>,
    emails: BTreeMap<UserId, String>,
    groups: BTreeMap<String, GroupId>,
    group_names: BTreeMap<GroupId, String>,
    policies: BTreeMap<String, PolicyId>,
    policy_names: BTreeMap<PolicyId, String>,
}

impl CatalogNames {
    pub fn add_user(&mut self, id: &UserId, email: &str) {
        self.users.insert(email.trim().to_lowercase(), id.clone());
        self.emails.insert(id.clone(), email.trim().to_string());
    }
    pub fn add_group(&mut self, id: &GroupId, name: &str) {
        self.groups.insert(name.trim().to_lowercase(), id.clone());
        self.group_names.insert(id.clone(), name.trim().to_string());
    }
    pub fn add_policy(&mut self, id: &PolicyId, name: &str) {
        self.policies.insert(name.trim().to_lowercase(), id.clone());
        self.policy_names
            .insert(id.clone(), name.trim().to_string());
    }
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
    pub fn policy_name(&self, id: &PolicyId) -> String {
        self.policy_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("unknown policy {id}"))
    }
    /// Every user: id and email (to rebuild other name tables).
    pub fn users(&self) -> impl Iterator<Item = (&UserId, &String)> {
        self.emails.iter()
    }
    /// Every group: id and name.
    pub fn groups(&self) -> impl Iterator<Item = (&GroupId, &String)> {
        self.group_names.iter()
    }
    fn user(&self, email: &str) -> Option<UserId> {
        self.users.get(&email.trim().to_lowercase()).cloned()
    }
    fn group(&self, name: &str) -> Option<GroupId> {
        self.groups.get(&name.trim().to_lowercase()).cloned()
    }
    fn policy(&self, name: &str) -> Option<PolicyId> {
        self.policies.get(&name.trim().to_lowercase()).cloned()
    }
}

/// Turns a policy's editor input into the domain policy (with id and revision) and its problems:
/// the console editor's parser (`ssr::access::policies::build`), given the names the tree adds.
pub type PolicyBuilder<'a> =
    dyn Fn(&PolicyInput, &CatalogNames, PolicyId, u64) -> (Policy, Vec<PolicyProblem>) + 'a;

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// Only its `managed_by` changes: the tree takes over an object made in the console (or
    /// moves it to another file). Not a change of the catalog, so a plan of an export shows none.
    Adopt,
    Unchanged,
}

/// A field that differs, shown as people read it (emails, group and policy names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// The object a change writes (or, for a delete, removes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    Group {
        id: GroupId,
        name: String,
    },
    Policy(Policy),
    App {
        app: App,
        description: String,
    },
    /// With its app's slug, which its audit target names.
    /// Boxed: an entitlement is several times the size of the other objects.
    Entitlement {
        entitlement: Box<Entitlement>,
        app_slug: String,
    },
}

/// One line of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub action: Action,
    /// "group `SRE`", "policy `Manager then owner`", "app `Prod DB`", "entitlement `Prod DB/admin`".
    pub label: String,
    /// The file that manages it after this apply (for a delete: the file it came from).
    pub file: Option<String>,
    pub fields: Vec<FieldChange>,
    #[serde(skip)]
    pub object: Option<Object>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = match self.action {
            Action::Create => "+ create",
            Action::Update => "~ update",
            Action::Delete => "- delete",
            Action::Adopt => "= adopt",
            Action::Unchanged => "  unchanged",
        };
        write!(f, "{sign} {}", self.label)?;
        if let Some(file) = &self.file {
            write!(f, " ({file})")?;
        }
        for c in &self.fields {
            write!(f, "\n    {}: {} → {}", c.field, c.before, c.after)?;
        }
        Ok(())
    }
}

/// The plan: every object the tree names (unchanged ones too) and, with prune, those to delete.
/// Writes run in this order: groups, policies, apps, entitlements, then deletes (entitlements,
/// apps, policies, groups).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub changes: Vec<Change>,
}

impl Plan {
    /// The changes that write something (adoptions included).
    pub fn effective(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|c| c.action != Action::Unchanged)
    }

    /// Whether the catalog's content would change: anything created, updated or deleted.
    pub fn has_changes(&self) -> bool {
        self.changes
            .iter()
            .any(|c| matches!(c.action, Action::Create | Action::Update | Action::Delete))
    }

    /// How many changes of each kind: (create, update, delete, adopt).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let n = |a: Action| self.changes.iter().filter(|c| c.action == a).count();
        (
            n(Action::Create),
            n(Action::Update),
            n(Action::Delete),
            n(Action::Adopt),
        )
    }
}

/// Fresh ids for created objects (the caller's id generator; tests pass a counter).
pub type NewId<'a> = dyn FnMut() -> String + 'a;

/// Resolves `tree` against `current` and plans the changes. `prune` adds deletes of objects
/// managed in code that the tree no longer has (refused, as errors, while anything still uses
/// them). Objects made in the console are never deleted. Every problem is returned at once.
pub fn plan(
    tree: &CatalogTree,
    current: &Current,
    prune: bool,
    build_policy: &PolicyBuilder<'_>,
    new_id: &mut NewId<'_>,
) -> Result<Plan, Vec<CodeError>> {
    let mut errors = Vec::new();
    let mut names = CatalogNames::default();
    for (id, email) in &current.users {
        names.add_user(id, email);
    }
    for g in &current.groups {
        names.add_group(&g.id, &g.name);
    }
    for p in &current.builtin_policies {
        names.add_policy(&p.id, &p.name);
    }
    for p in &current.policies {
        names.add_policy(&p.policy.id, &p.policy.name);
    }
    let mut changes: Vec<Change> = Vec::new();

    // Groups.
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut kept_groups: BTreeSet<GroupId> = BTreeSet::new();
    for file in &tree.files {
        for (i, g) in file.groups.iter().enumerate() {
            let at = At {
                file,
                pointer: format!("/groups/{i}"),
                object: format!("group `{}`", g.name),
            };
            let name = g.name.trim();
            if name.is_empty() {
                errors.push(at.error("name", "a group needs a name"));
                continue;
            }
            if let Some(first) = seen.insert(name.to_lowercase(), file.path.clone()) {
                errors.push(at.error("name", format!("this group is also defined in {first}")));
                continue;
            }
            let existing = current
                .groups
                .iter()
                .find(|c| c.name.to_lowercase() == name.to_lowercase());
            let id = existing.map_or_else(|| GroupId::new(new_id()), |c| c.id.clone());
            names.add_group(&id, name);
            kept_groups.insert(id.clone());
            let mut fields = Vec::new();
            managed_change(
                &mut fields,
                existing.and_then(|c| c.managed_by.as_deref()),
                &file.path,
            );
            changes.push(Change {
                action: action_for(existing.is_some(), &fields),
                label: format!("group `{name}`"),
                file: Some(file.path.clone()),
                fields,
                object: Some(Object::Group {
                    id,
                    name: name.to_string(),
                }),
            });
        }
    }

    // Policies: names first, so steps and entitlements may refer to any policy of the tree.
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut policy_slots: Vec<(
        &CatalogFile,
        usize,
        &PolicySpec,
        PolicyId,
        Option<&CurrentPolicy>,
    )> = Vec::new();
    for file in &tree.files {
        for (i, p) in file.policies.iter().enumerate() {
            let at = At {
                file,
                pointer: format!("/policies/{i}"),
                object: format!("policy `{}`", p.name),
            };
            let name = p.name.trim();
            if name.is_empty() {
                errors.push(at.error("name", "a policy needs a name"));
                continue;
            }
            if current
                .builtin_policies
                .iter()
                .any(|b| b.name.to_lowercase() == name.to_lowercase())
            {
                errors.push(at.error(
                    "name",
                    "this policy is built in; refer to it by name without defining it",
                ));
                continue;
            }
            if let Some(first) = seen.insert(name.to_lowercase(), file.path.clone()) {
                errors.push(at.error("name", format!("this policy is also defined in {first}")));
                continue;
            }
            let existing = current
                .policies
                .iter()
                .find(|c| c.policy.name.to_lowercase() == name.to_lowercase());
            let id = existing.map_or_else(|| PolicyId::new(new_id()), |c| c.policy.id.clone());
            names.add_policy(&id, name);
            policy_slots.push((file, i, p, id, existing));
        }
    }
    let mut tree_policies: Vec<Policy> = Vec::new();
    for (file, i, spec, id, existing) in policy_slots {
        let at = At {
            file,
            pointer: format!("/policies/{i}"),
            object: format!("policy `{}`", spec.name.trim()),
        };
        let mut steps = Vec::new();
        let mut bad = false;
        for (n, v) in spec.steps.iter().enumerate() {
            match serde_json::from_value::<StepInput>(v.clone()) {
                Ok(s) => steps.push(s),
                Err(e) => {
                    bad = true;
                    let step_at = At {
                        file,
                        pointer: format!("/policies/{i}/steps/{n}"),
                        object: at.object.clone(),
                    };
                    let mut err = serde_error(&step_at, &e);
                    err.field = format!("steps.{n}{}", dotted(&err.field));
                    errors.push(err);
                }
            }
        }
        if bad {
            continue;
        }
        let input = PolicyInput {
            name: spec.name.trim().to_string(),
            steps,
        };
        let revision = existing.map_or(1, |c| c.policy.revision);
        let (policy, problems) = build_policy(&input, &names, id, revision);
        if !problems.is_empty() {
            for p in problems {
                let (field, pointer_field) = match p.step {
                    Some(n) => {
                        let key = step_key(&p.field);
                        (
                            format!("steps.{}.{key}", n.saturating_sub(1)),
                            format!("steps/{}/{key}", n.saturating_sub(1)),
                        )
                    }
                    None => (p.field.clone(), p.field.clone()),
                };
                errors.push(CodeError {
                    field,
                    ..at.error(&pointer_field, p.message.clone())
                });
            }
            continue;
        }
        let mut fields = Vec::new();
        if let Some(c) = existing {
            if c.policy.name != policy.name {
                fields.push(FieldChange {
                    field: "name".into(),
                    before: c.policy.name.clone(),
                    after: policy.name.clone(),
                });
            }
            if c.policy.steps != policy.steps {
                let show = |p: &Policy| p.summary(&|u| names.email(u), &|g| names.group_name(g));
                fields.push(FieldChange {
                    field: "steps".into(),
                    before: show(&c.policy),
                    after: show(&policy),
                });
            }
        }
        managed_change(
            &mut fields,
            existing.and_then(|c| c.managed_by.as_deref()),
            &file.path,
        );
        let mut stored = policy.clone();
        if existing.is_some() && fields.iter().any(|f| f.field != "managed_by") {
            stored.revision += 1;
        }
        tree_policies.push(stored.clone());
        changes.push(Change {
            action: action_for(existing.is_some(), &fields),
            label: format!("policy `{}`", policy.name),
            file: Some(file.path.clone()),
            fields,
            object: Some(Object::Policy(stored)),
        });
    }

    // Apps and their entitlements.
    let mut seen_apps: BTreeMap<String, String> = BTreeMap::new();
    let mut tree_entitlements: Vec<Entitlement> = Vec::new();
    let mut tree_apps: Vec<App> = Vec::new();
    let mut kept_entitlements: BTreeSet<EntitlementId> = BTreeSet::new();
    let mut seen_aliases: BTreeMap<String, String> = BTreeMap::new();
    for file in &tree.files {
        for (i, spec) in file.apps.iter().enumerate() {
            let at = At {
                file,
                pointer: format!("/apps/{i}"),
                object: format!("app `{}`", spec.name.trim()),
            };
            let name = spec.name.trim();
            if name.is_empty() {
                errors.push(at.error("name", "an app needs a name"));
                continue;
            }
            if let Some(first) = seen_apps.insert(name.to_lowercase(), file.path.clone()) {
                errors.push(at.error("name", format!("this app is also defined in {first}")));
                continue;
            }
            let existing = current
                .apps
                .iter()
                .find(|c| c.app.name.to_lowercase() == name.to_lowercase());
            let before_errors = errors.len();
            let owners = resolve_users(&at, "owners", &spec.owners, &names, &mut errors);
            let default_request_policy = resolve_policy(
                &at,
                "default_request_policy",
                spec.default_request_policy.as_deref(),
                &names,
                &mut errors,
            );
            let slug = match existing {
                Some(c) => Some(c.app.slug.clone()),
                None => match Slug::from_name(name) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        errors.push(at.error("name", e.to_string()));
                        None
                    }
                },
            };
            let Some(slug) = slug else { continue };
            let app = App {
                id: existing.map_or_else(|| AppId::new(new_id()), |c| c.app.id.clone()),
                slug,
                name: name.to_string(),
                owners,
                default_request_policy,
                instructions: Some(spec.instructions.trim().to_string()).filter(|s| !s.is_empty()),
            };
            if let Err(e) = app.validate() {
                errors.push(at.error("", e.to_string()));
            }
            let description = spec.description.trim().to_string();
            let app_ok = errors.len() == before_errors;
            if app_ok {
                let mut fields = Vec::new();
                if let Some(c) = existing {
                    diff_app(&mut fields, c, &app, &description, &names);
                }
                managed_change(
                    &mut fields,
                    existing.and_then(|c| c.managed_by.as_deref()),
                    &file.path,
                );
                changes.push(Change {
                    action: action_for(existing.is_some(), &fields),
                    label: format!("app `{name}`"),
                    file: Some(file.path.clone()),
                    fields,
                    object: Some(Object::App {
                        app: app.clone(),
                        description,
                    }),
                });
                tree_apps.push(app.clone());
            }
            let mut seen_slugs: BTreeSet<String> = BTreeSet::new();
            for (j, value) in spec.entitlements.iter().enumerate() {
                let Ok(e) = serde_json::from_value::<EntitlementSpec>(value.clone()) else {
                    // Reported by `CatalogFile::from_value`.
                    continue;
                };
                let at = At {
                    file,
                    pointer: format!("/apps/{i}/entitlements/{j}"),
                    object: format!(
                        "entitlement `{}`",
                        e.slug.as_deref().unwrap_or(e.name.trim())
                    ),
                };
                let Some(ent) = resolve_entitlement(
                    &at,
                    &e,
                    &app,
                    existing.is_some(),
                    current,
                    &names,
                    &mut errors,
                    new_id,
                ) else {
                    continue;
                };
                if !seen_slugs.insert(ent.slug.to_string()) {
                    errors.push(at.error(
                        "slug",
                        format!(
                            "app `{name}` already has an entitlement with slug `{}` in this tree",
                            ent.slug
                        ),
                    ));
                    continue;
                }
                if let Some(alias) = &ent.alias {
                    let label = format!("{}/{}", app.name, ent.slug);
                    if let Some(first) = seen_aliases.insert(alias.to_string(), label) {
                        errors.push(at.error(
                            "alias",
                            format!("`{alias}` is also the alias of `{first}` in this tree"),
                        ));
                        continue;
                    }
                }
                if let Err(err) = ent.validate(&current.tenant) {
                    errors.push(at.error(field_of(&err.to_string()), err.to_string()));
                    continue;
                }
                if !app_ok {
                    continue;
                }
                let existing_ent = current
                    .entitlements
                    .iter()
                    .find(|c| c.entitlement.id == ent.id);
                let mut fields = Vec::new();
                if let Some(c) = existing_ent {
                    diff_entitlement(&mut fields, &c.entitlement, &ent, &names);
                }
                managed_change(
                    &mut fields,
                    existing_ent.and_then(|c| c.managed_by.as_deref()),
                    &file.path,
                );
                kept_entitlements.insert(ent.id.clone());
                tree_entitlements.push(ent.clone());
                changes.push(Change {
                    action: action_for(existing_ent.is_some(), &fields),
                    label: format!("entitlement `{}/{}`", app.name, ent.slug),
                    file: Some(file.path.clone()),
                    fields,
                    object: Some(Object::Entitlement {
                        entitlement: Box::new(ent),
                        app_slug: app.slug.to_string(),
                    }),
                });
            }
        }
    }
    // An alias the tree gives must not be taken by an entitlement the tree does not manage.
    for ent in &tree_entitlements {
        let Some(alias) = &ent.alias else { continue };
        let taken = current.entitlements.iter().find(|c| {
            c.entitlement.id != ent.id
                && c.entitlement.alias.as_ref() == Some(alias)
                && !kept_entitlements.contains(&c.entitlement.id)
        });
        let change = changes.iter().find(|c| {
            matches!(&c.object, Some(Object::Entitlement { entitlement, .. }) if entitlement.id == ent.id)
        });
        if let (Some(taken), Some(change)) = (taken, change) {
            errors.push(CodeError {
                file: change.file.clone().unwrap_or_default(),
                line: None,
                object: change.label.clone(),
                field: "alias".into(),
                message: format!(
                    "`{alias}` is already the alias of entitlement \"{}\", which this tree does not define",
                    taken.entitlement.picker_label()
                ),
            });
        }
    }

    // Deletes: objects managed in code that the tree no longer has.
    let mut deletes: Vec<Change> = Vec::new();
    let kept_apps: BTreeSet<AppId> = tree_apps.iter().map(|a| a.id.clone()).collect();
    let kept_policies: BTreeSet<PolicyId> = tree_policies.iter().map(|p| p.id.clone()).collect();
    let gone_entitlements: Vec<&CurrentEntitlement> = current
        .entitlements
        .iter()
        .filter(|c| c.managed_by.is_some() && !kept_entitlements.contains(&c.entitlement.id))
        .collect();
    let gone_apps: Vec<&CurrentApp> = current
        .apps
        .iter()
        .filter(|c| c.managed_by.is_some() && !kept_apps.contains(&c.app.id))
        .collect();
    let gone_policies: Vec<&CurrentPolicy> = current
        .policies
        .iter()
        .filter(|c| c.managed_by.is_some() && !kept_policies.contains(&c.policy.id))
        .collect();
    let gone_groups: Vec<&CurrentGroup> = current
        .groups
        .iter()
        .filter(|c| c.managed_by.is_some() && !kept_groups.contains(&c.id))
        .collect();
    if prune {
        // What remains after the apply: the tree's objects and everything else already there
        // that is not being deleted.
        let deleted_ents: BTreeSet<&EntitlementId> = gone_entitlements
            .iter()
            .filter(|c| c.in_use.is_none())
            .map(|c| &c.entitlement.id)
            .collect();
        let mut remaining_ents: Vec<Entitlement> = tree_entitlements.clone();
        remaining_ents.extend(
            current
                .entitlements
                .iter()
                .filter(|c| {
                    !kept_entitlements.contains(&c.entitlement.id)
                        && !deleted_ents.contains(&c.entitlement.id)
                })
                .map(|c| c.entitlement.clone()),
        );
        let deleted_policies: BTreeSet<&PolicyId> =
            gone_policies.iter().map(|c| &c.policy.id).collect();
        let mut remaining_policies: Vec<Policy> = tree_policies.clone();
        remaining_policies.extend(
            current
                .policies
                .iter()
                .filter(|c| {
                    !kept_policies.contains(&c.policy.id)
                        && !deleted_policies.contains(&c.policy.id)
                })
                .map(|c| c.policy.clone()),
        );
        let deleted_apps: BTreeSet<&AppId> = gone_apps.iter().map(|c| &c.app.id).collect();
        let mut remaining_apps: Vec<App> = tree_apps.clone();
        remaining_apps.extend(
            current
                .apps
                .iter()
                .filter(|c| !kept_apps.contains(&c.app.id) && !deleted_apps.contains(&c.app.id))
                .map(|c| c.app.clone()),
        );
        let app_name = |id: &AppId| {
            current
                .apps
                .iter()
                .find(|a| &a.app.id == id)
                .map_or_else(|| id.to_string(), |a| a.app.name.clone())
        };
        let refuse =
            |errors: &mut Vec<CodeError>, file: &Option<String>, label: &str, why: String| {
                errors.push(CodeError {
                    file: file.clone().unwrap_or_default(),
                    line: None,
                    object: label.to_string(),
                    field: String::new(),
                    message: format!("cannot be pruned: {why}"),
                });
            };
        for c in &gone_entitlements {
            let label = format!(
                "entitlement `{}/{}`",
                app_name(&c.entitlement.app_id),
                c.entitlement.slug
            );
            if let Some(why) = &c.in_use {
                refuse(
                    &mut errors,
                    &c.managed_by,
                    &label,
                    format!("{why}; keep it with `catalog_visibility: nobody` to retire it"),
                );
                continue;
            }
            deletes.push(delete_change(
                label,
                &c.managed_by,
                Object::Entitlement {
                    entitlement: Box::new(c.entitlement.clone()),
                    app_slug: current
                        .apps
                        .iter()
                        .find(|a| a.app.id == c.entitlement.app_id)
                        .map_or_else(
                            || c.entitlement.app_id.to_string(),
                            |a| a.app.slug.to_string(),
                        ),
                },
            ));
        }
        for c in &gone_apps {
            let label = format!("app `{}`", c.app.name);
            let users: Vec<String> = remaining_ents
                .iter()
                .filter(|e| e.app_id == c.app.id)
                .map(|e| format!("entitlement `{}`", e.slug))
                .collect();
            if let Some(first) = users.first() {
                refuse(
                    &mut errors,
                    &c.managed_by,
                    &label,
                    format!("it still has {first}{}", more(users.len())),
                );
                continue;
            }
            deletes.push(delete_change(
                label,
                &c.managed_by,
                Object::App {
                    app: c.app.clone(),
                    description: c.description.clone(),
                },
            ));
        }
        for c in &gone_policies {
            let label = format!("policy `{}`", c.policy.name);
            let mut users: Vec<String> = remaining_apps
                .iter()
                .filter(|a| a.default_request_policy.as_ref() == Some(&c.policy.id))
                .map(|a| format!("app `{}` (default request policy)", a.name))
                .collect();
            for e in &remaining_ents {
                for (field, p) in [
                    ("request policy", &e.request_policy),
                    ("emergency policy", &e.emergency_policy),
                    ("review policy", &e.review_policy),
                ] {
                    if p.as_ref() == Some(&c.policy.id) {
                        users.push(format!(
                            "entitlement `{}/{}` ({field})",
                            app_name_of(&e.app_id, &remaining_apps, current),
                            e.slug
                        ));
                    }
                }
            }
            if let Some(first) = users.first() {
                refuse(
                    &mut errors,
                    &c.managed_by,
                    &label,
                    format!("it is used by {first}{}", more(users.len())),
                );
                continue;
            }
            deletes.push(delete_change(
                label,
                &c.managed_by,
                Object::Policy(c.policy.clone()),
            ));
        }
        for c in &gone_groups {
            let label = format!("group `{}`", c.name);
            let users = super::group_references(&c.id, &remaining_ents, &remaining_policies);
            if let Some(first) = users.first() {
                refuse(
                    &mut errors,
                    &c.managed_by,
                    &label,
                    format!("it is used by {first}{}", more(users.len())),
                );
                continue;
            }
            deletes.push(delete_change(
                label,
                &c.managed_by,
                Object::Group {
                    id: c.id.clone(),
                    name: c.name.clone(),
                },
            ));
        }
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        errors.dedup();
        return Err(errors);
    }
    changes.extend(deletes);
    Ok(Plan { changes })
}

fn more(n: usize) -> String {
    if n > 1 {
        format!(" and {} more", n - 1)
    } else {
        String::new()
    }
}

fn app_name_of(id: &AppId, apps: &[App], current: &Current) -> String {
    apps.iter()
        .find(|a| &a.id == id)
        .map(|a| a.name.clone())
        .or_else(|| {
            current
                .apps
                .iter()
                .find(|a| &a.app.id == id)
                .map(|a| a.app.name.clone())
        })
        .unwrap_or_else(|| id.to_string())
}

fn delete_change(label: String, file: &Option<String>, object: Object) -> Change {
    Change {
        action: Action::Delete,
        label,
        file: file.clone(),
        fields: Vec::new(),
        object: Some(object),
    }
}

fn dotted(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!(".{field}")
    }
}

/// The file key of a field the policy editor labels (`PolicyProblem::field`).
fn step_key(label: &str) -> String {
    match label {
        "named users" => "users".into(),
        "fallback users" => "fallback_users".into(),
        other => other.replace(' ', "_"),
    }
}

/// The file key a domain error is about, from its message, for the line to show.
fn field_of(message: &str) -> &'static str {
    let m = message.to_lowercase();
    if m.contains("webhook") {
        "webhook_url"
    } else if m.contains("maximum") || m.contains("cap") {
        "maximum_duration"
    } else if m.contains("owner") {
        "owners"
    } else if m.contains("description") {
        "description"
    } else if m.contains("name") {
        "name"
    } else {
        ""
    }
}

fn action_for(exists: bool, fields: &[FieldChange]) -> Action {
    if !exists {
        Action::Create
    } else if fields.is_empty() {
        Action::Unchanged
    } else if fields.iter().all(|f| f.field == "managed_by") {
        Action::Adopt
    } else {
        Action::Update
    }
}

/// Taking over an object from the console or another file is a change of its `managed_by`.
fn managed_change(fields: &mut Vec<FieldChange>, before: Option<&str>, file: &str) {
    if before != Some(file) {
        fields.push(FieldChange {
            field: "managed_by".into(),
            before: before.unwrap_or("console").to_string(),
            after: file.to_string(),
        });
    }
}

fn resolve_users(
    at: &At<'_>,
    field: &str,
    emails: &[String],
    names: &CatalogNames,
    errors: &mut Vec<CodeError>,
) -> Vec<UserId> {
    let mut out = Vec::new();
    for (n, email) in emails.iter().enumerate() {
        match names.user(email) {
            Some(id) if !out.contains(&id) => out.push(id),
            Some(_) => {}
            None => errors.push(CodeError {
                line: at.line(&format!("{field}/{n}")),
                ..at.error(
                    field,
                    format!("no one in the directory has the email `{}`", email.trim()),
                )
            }),
        }
    }
    out
}

fn resolve_policy(
    at: &At<'_>,
    field: &str,
    name: Option<&str>,
    names: &CatalogNames,
    errors: &mut Vec<CodeError>,
) -> Option<PolicyId> {
    let name = name.map(str::trim).filter(|n| !n.is_empty())?;
    match names.policy(name) {
        Some(id) => Some(id),
        None => {
            errors.push(at.error(field, format!("unknown policy `{name}`")));
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn resolve_entitlement(
    at: &At<'_>,
    e: &EntitlementSpec,
    app: &App,
    app_exists: bool,
    current: &Current,
    names: &CatalogNames,
    errors: &mut Vec<CodeError>,
    new_id: &mut NewId<'_>,
) -> Option<Entitlement> {
    let before = errors.len();
    let name = e.name.trim();
    let slug = match e.slug.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Slug::parse(s).map_err(|err| at.error("slug", err.to_string())),
        None => Slug::from_name(name).map_err(|err| at.error("name", err.to_string())),
    };
    let slug = match slug {
        Ok(s) => Some(s),
        Err(err) => {
            errors.push(err);
            None
        }
    };
    let alias = match e.alias.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(a) => match Alias::parse(a) {
            Ok(a) => Some(a),
            Err(err) => {
                errors.push(at.error("alias", err.to_string()));
                None
            }
        },
    };
    let risk = match RiskLevel::parse(
        e.risk_level
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("low"),
    ) {
        Ok(r) => r,
        Err(err) => {
            errors.push(at.error("risk_level", err.to_string()));
            RiskLevel::Low
        }
    };
    let max_duration = match e
        .maximum_duration
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => GrantLength::Indefinite,
        Some(v) if v.eq_ignore_ascii_case("indefinite") => GrantLength::Indefinite,
        Some(v) => match v.parse() {
            Ok(d) => GrantLength::Limited(d),
            Err(err) => {
                errors.push(at.error("maximum_duration", format!("{err}")));
                GrantLength::Indefinite
            }
        },
    };
    let owner_users = resolve_users(at, "owners", &e.owners, names, errors);
    let request_policy = resolve_policy(
        at,
        "request_policy",
        e.request_policy.as_deref(),
        names,
        errors,
    );
    let emergency_policy = resolve_policy(
        at,
        "emergency_policy",
        e.emergency_policy.as_deref(),
        names,
        errors,
    );
    let review_policy = resolve_policy(
        at,
        "review_policy",
        e.review_policy.as_deref(),
        names,
        errors,
    );
    let provisioning = match e
        .webhook_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(url) => {
            if !e.provisioners.is_empty() {
                errors.push(at.error(
                    "provisioners",
                    "give either `webhook_url` or `provisioners`, not both",
                ));
            }
            ProvisioningMethod::Webhook {
                url: url.to_string(),
            }
        }
        None => ProvisioningMethod::Manual {
            provisioners: resolve_users(at, "provisioners", &e.provisioners, names, errors),
            instructions: app.instructions.clone(),
        },
    };
    let visibility = match &e.catalog_visibility {
        None => Visibility::Everyone,
        Some(VisibilitySpec::Keyword(k)) if k.trim().eq_ignore_ascii_case("everyone") => {
            Visibility::Everyone
        }
        Some(VisibilitySpec::Keyword(k)) if k.trim().eq_ignore_ascii_case("nobody") => {
            Visibility::Groups(BTreeSet::new())
        }
        Some(VisibilitySpec::Keyword(k)) => {
            errors.push(at.error(
                "catalog_visibility",
                format!("`{k}`: use `everyone`, `nobody` or a list of group names"),
            ));
            Visibility::Everyone
        }
        Some(VisibilitySpec::Groups(groups)) => {
            let mut set = BTreeSet::new();
            for (n, g) in groups.iter().enumerate() {
                match names.group(g) {
                    Some(id) => {
                        set.insert(id);
                    }
                    None => errors.push(CodeError {
                        line: at.line(&format!("catalog_visibility/{n}")),
                        ..at.error(
                            "catalog_visibility",
                            format!("unknown group `{}`", g.trim()),
                        )
                    }),
                }
            }
            Visibility::Groups(set)
        }
    };
    let slug = slug?;
    if errors.len() > before {
        return None;
    }
    let existing = app_exists
        .then(|| {
            current
                .entitlements
                .iter()
                .find(|c| c.entitlement.app_id == app.id && c.entitlement.slug == slug)
        })
        .flatten();
    Some(Entitlement {
        id: existing.map_or_else(
            || EntitlementId::new(new_id()),
            |c| c.entitlement.id.clone(),
        ),
        app_id: app.id.clone(),
        slug,
        display_name: name.to_string(),
        description: e.description.trim().to_string(),
        alias,
        risk,
        owner_users,
        // Not part of the format; an update keeps them.
        owner_entitlements: existing
            .map(|c| c.entitlement.owner_entitlements.clone())
            .unwrap_or_default(),
        max_duration,
        request_policy,
        emergency_policy,
        review_policy,
        provisioning,
        visibility,
    })
}

fn push_if(fields: &mut Vec<FieldChange>, field: &str, before: String, after: String) {
    if before != after {
        fields.push(FieldChange {
            field: field.into(),
            before,
            after,
        });
    }
}

fn show_users(ids: &[UserId], names: &CatalogNames) -> String {
    let mut emails: Vec<String> = ids.iter().map(|u| names.email(u)).collect();
    emails.sort_by_key(|e| e.to_lowercase());
    format!("[{}]", emails.join(", "))
}

fn show_policy(id: Option<&PolicyId>, names: &CatalogNames) -> String {
    id.map_or_else(|| "(none)".into(), |p| names.policy_name(p))
}

fn show_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "(none)".into(), str::to_string)
}

fn diff_app(
    fields: &mut Vec<FieldChange>,
    c: &CurrentApp,
    app: &App,
    description: &str,
    names: &CatalogNames,
) {
    push_if(fields, "name", c.app.name.clone(), app.name.clone());
    push_if(
        fields,
        "description",
        c.description.clone(),
        description.to_string(),
    );
    push_if(
        fields,
        "owners",
        show_users(&c.app.owners, names),
        show_users(&app.owners, names),
    );
    push_if(
        fields,
        "instructions",
        show_opt(c.app.instructions.as_deref()),
        show_opt(app.instructions.as_deref()),
    );
    push_if(
        fields,
        "default_request_policy",
        show_policy(c.app.default_request_policy.as_ref(), names),
        show_policy(app.default_request_policy.as_ref(), names),
    );
}

fn show_visibility(v: &Visibility, names: &CatalogNames) -> String {
    match v {
        Visibility::Everyone => "everyone".into(),
        Visibility::Groups(g) if g.is_empty() => "nobody".into(),
        Visibility::Groups(g) => {
            let mut list: Vec<String> = g.iter().map(|g| names.group_name(g)).collect();
            list.sort_by_key(|n| n.to_lowercase());
            format!("[{}]", list.join(", "))
        }
    }
}

fn show_provisioning(p: &ProvisioningMethod, names: &CatalogNames) -> String {
    match p {
        ProvisioningMethod::Webhook { url } => format!("webhook {url}"),
        ProvisioningMethod::Manual { provisioners, .. } => {
            format!("manual by {}", show_users(provisioners, names))
        }
    }
}

fn diff_entitlement(
    fields: &mut Vec<FieldChange>,
    c: &Entitlement,
    e: &Entitlement,
    names: &CatalogNames,
) {
    push_if(
        fields,
        "name",
        c.display_name.clone(),
        e.display_name.clone(),
    );
    push_if(
        fields,
        "description",
        c.description.clone(),
        e.description.clone(),
    );
    push_if(
        fields,
        "alias",
        show_opt(c.alias.as_ref().map(Alias::as_str)),
        show_opt(e.alias.as_ref().map(Alias::as_str)),
    );
    push_if(fields, "risk_level", c.risk.to_string(), e.risk.to_string());
    push_if(
        fields,
        "maximum_duration",
        c.max_duration.to_string(),
        e.max_duration.to_string(),
    );
    push_if(
        fields,
        "owners",
        show_users(&c.owner_users, names),
        show_users(&e.owner_users, names),
    );
    push_if(
        fields,
        "request_policy",
        show_policy(c.request_policy.as_ref(), names),
        show_policy(e.request_policy.as_ref(), names),
    );
    push_if(
        fields,
        "emergency_policy",
        show_policy(c.emergency_policy.as_ref(), names),
        show_policy(e.emergency_policy.as_ref(), names),
    );
    push_if(
        fields,
        "review_policy",
        show_policy(c.review_policy.as_ref(), names),
        show_policy(e.review_policy.as_ref(), names),
    );
    push_if(
        fields,
        "catalog_visibility",
        show_visibility(&c.visibility, names),
        show_visibility(&e.visibility, names),
    );
    push_if(
        fields,
        "provisioning",
        show_provisioning(&c.provisioning, names),
        show_provisioning(&e.provisioning, names),
    );
}

/// The file form of an app and its entitlements (`latch export`): what [`plan`] reads back into
/// the same objects, so an export followed by a plan shows no changes. Webhook URLs are written
/// as stored (Latch refuses URLs with credentials in them, `validate_webhook_url`).
pub fn app_spec(
    app: &App,
    description: &str,
    entitlements: &[&Entitlement],
    names: &CatalogNames,
) -> Result<AppSpec, serde_json::Error> {
    let emails = |ids: &[UserId]| ids.iter().map(|u| names.email(u)).collect::<Vec<_>>();
    let mut out = AppSpec {
        name: app.name.clone(),
        description: description.to_string(),
        owners: emails(&app.owners),
        instructions: app.instructions.clone().unwrap_or_default(),
        default_request_policy: app
            .default_request_policy
            .as_ref()
            .map(|p| names.policy_name(p)),
        entitlements: Vec::new(),
    };
    for e in entitlements {
        let (provisioners, webhook_url) = match &e.provisioning {
            ProvisioningMethod::Manual { provisioners, .. } => (emails(provisioners), None),
            ProvisioningMethod::Webhook { url } => (Vec::new(), Some(url.clone())),
        };
        let spec = EntitlementSpec {
            name: e.display_name.clone(),
            slug: Some(e.slug.to_string()),
            alias: e.alias.as_ref().map(ToString::to_string),
            description: e.description.clone(),
            risk_level: Some(e.risk.to_string()),
            maximum_duration: Some(e.max_duration.to_string()),
            owners: emails(&e.owner_users),
            request_policy: e.request_policy.as_ref().map(|p| names.policy_name(p)),
            emergency_policy: e.emergency_policy.as_ref().map(|p| names.policy_name(p)),
            review_policy: e.review_policy.as_ref().map(|p| names.policy_name(p)),
            catalog_visibility: match &e.visibility {
                Visibility::Everyone => None,
                Visibility::Groups(g) if g.is_empty() => {
                    Some(VisibilitySpec::Keyword("nobody".into()))
                }
                Visibility::Groups(g) => {
                    let mut list: Vec<String> = g.iter().map(|g| names.group_name(g)).collect();
                    list.sort_by_key(|n| n.to_lowercase());
                    Some(VisibilitySpec::Groups(list))
                }
            },
            provisioners,
            webhook_url,
        };
        out.entitlements.push(serde_json::to_value(spec)?);
    }
    Ok(out)
}

/// The file form of a policy's steps: the editor's input without the fields left at their
/// defaults, so files stay short.
pub fn policy_spec(input: &PolicyInput) -> Result<PolicySpec, serde_json::Error> {
    let default = serde_json::to_value(StepInput::default())?;
    let mut steps = Vec::new();
    for step in &input.steps {
        let mut value = serde_json::to_value(step)?;
        if let (Value::Object(map), Value::Object(defaults)) = (&mut value, &default) {
            map.retain(|k, v| k == "kind" || defaults.get(k) != Some(v));
        }
        steps.push(value);
    }
    Ok(PolicySpec {
        name: input.name.clone(),
        steps,
    })
}

/// Approver group ids a policy's steps name (for checks by callers).
pub fn groups_named_by(policy: &Policy) -> Vec<GroupId> {
    policy
        .steps
        .iter()
        .filter_map(|s| match s {
            PolicyStep::Approval(a) => Some(&a.approvers),
            _ => None,
        })
        .flatten()
        .filter_map(|a| match a {
            ApproverSource::GroupMembers(g) => Some(g.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
#[path = "catalog_code_tests.rs"]
mod tests;
