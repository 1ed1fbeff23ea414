//! The catalog: apps and their entitlements, and the tenant settings that bound them.

use std::collections::BTreeSet;

use crate::shapes::{AppInput, EntitlementInput};

use super::audit::{self, Entry};
use super::directory::find_by_email;
use super::{
    AccessError, AccessResult, Actor, Body, BodyRow, Conn, ResultExt, UniqueIndex, from_json,
    new_id, now, to_json, user_row,
};
use crate::domain::{
    self, Alias, App, AppId, DomainError, Entitlement, EntitlementId, GrantLength, GroupId,
    PolicyId, ProvisioningMethod, RiskLevel, Slug, TenantSettings, UserId, Visibility,
};
use crate::ssr::db::{Db, Engine};

/// One alias per tenant (migration 0004); settles two saves racing for the same alias.
pub const ENTITLEMENTS_ALIAS: UniqueIndex = UniqueIndex {
    name: "entitlements_alias",
    columns: "entitlements.alias",
};

/// The tenant settings (grant-length cap).
pub async fn tenant(conn: impl Into<Conn<'_>>) -> AccessResult<TenantSettings> {
    let mut conn = conn.into().get().await?;
    let stored: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'max_grant_days'")
            .fetch_optional(&mut *conn)
            .await?;
    // Fail closed: a stored cap that does not read as 1–3650 days refuses requests (with a
    // message saying what to fix) instead of silently meaning "no cap".
    let days: Option<u64> = match stored {
        Some(stored) => match stored.trim().parse::<u64>() {
            Ok(days) if (1..=3_650).contains(&days) => Some(days),
            _ => {
                tracing::error!(stored = %stored, "the stored organisation-wide grant cap is unreadable");
                return Err(DomainError::invalid(
                    "organisation-wide maximum grant length",
                    &stored,
                    "the stored setting is unreadable; a Super Admin must set it again",
                )
                .into());
            }
        },
        None => None,
    };
    Ok(match days {
        Some(d) => TenantSettings::with_cap_days(d),
        None => TenantSettings::default(),
    })
}

/// Sets the tenant-wide cap on grant length, in days.
pub async fn set_tenant_cap_days(db: &Db, actor: &Actor, days: u64) -> AccessResult<()> {
    if days == 0 || days > 3_650 {
        return Err(DomainError::invalid(
            "maximum grant length",
            &days.to_string(),
            "use 1 to 3650 days",
        )
        .into());
    }
    let at = now();
    // An unreadable stored cap must not stop an admin from setting a good one.
    let before = tenant(db)
        .await
        .ok()
        .and_then(|t| t.max_grant_duration)
        .map(|d| d.as_secs() / 86_400);
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ('max_grant_days', $1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(days.to_string())
    .bind(at.as_unix_millis())
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        at,
        Entry::new(
            actor.audit(),
            "settings.grant_cap_changed",
            "settings:max_grant_days",
        )
        .before(before.map(|d| d.to_string()))
        .after(Some(days.to_string())),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn load_app(conn: impl Into<Conn<'_>>, id: &str) -> AccessResult<App> {
    Ok(load_app_versioned(conn, id).await?.0)
}

/// An app with its stored version (the edit form's optimistic-lock token).
async fn load_app_versioned(conn: impl Into<Conn<'_>>, id: &str) -> AccessResult<(App, u64)> {
    let mut conn = conn.into().get().await?;
    let row: BodyRow = sqlx::query_as("SELECT body, version FROM apps WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AccessError::NotFound("The app".into()))?;
    Ok((row.parse()?, row.version()?))
}

pub async fn load_entitlement(conn: impl Into<Conn<'_>>, id: &str) -> AccessResult<Entitlement> {
    Ok(load_entitlement_versioned(conn, id).await?.0)
}

/// An entitlement with its stored version (the edit form's optimistic-lock token).
async fn load_entitlement_versioned(
    conn: impl Into<Conn<'_>>,
    id: &str,
) -> AccessResult<(Entitlement, u64)> {
    let mut conn = conn.into().get().await?;
    let row: BodyRow = sqlx::query_as("SELECT body, version FROM entitlements WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AccessError::NotFound("The entitlement".into()))?;
    Ok((row.parse()?, row.version()?))
}

/// The version an edit is checked against: the one the form was opened at, else the one just
/// loaded (which still catches a save racing this one).
fn expected_version(form: Option<u64>, loaded: Option<u64>) -> i64 {
    super::version_i64(form.or(loaded).unwrap_or(0))
}

/// A guarded upsert that changed no row: someone saved a newer version first.
pub(crate) fn edited_meanwhile(what: &str) -> AccessError {
    DomainError::transition(
        &format!("save this {what}"),
        format!("someone else changed this {what} since you opened it; reload to see their change, then edit again"),
    )
    .into()
}

#[derive(sqlx::FromRow)]
struct AppRow {
    body: String,
    description: String,
    version: i64,
}

/// An app as stored, with its entitlements, each with the stored version an edit form carries.
#[derive(Debug, Clone)]
pub struct StoredApp {
    pub app: App,
    pub description: String,
    pub version: u64,
    pub entitlements: Vec<(Entitlement, u64)>,
}

/// Every app with its entitlements, by name. What a viewer may see of them is the read model's
/// business (`ssr::read::catalog`).
pub async fn list(db: &Db) -> AccessResult<Vec<StoredApp>> {
    let apps: Vec<AppRow> =
        sqlx::query_as("SELECT body, description, version FROM apps ORDER BY name")
            .fetch_all(&db.pool)
            .await?;
    let ents: Vec<BodyRow> =
        sqlx::query_as("SELECT body, version FROM entitlements ORDER BY display_name")
            .fetch_all(&db.pool)
            .await?;
    let mut entitlements: Vec<(Entitlement, u64)> = Vec::new();
    for r in ents {
        entitlements.push((r.parse()?, r.version()?));
    }
    let mut out = Vec::new();
    for r in apps {
        let app: App = from_json(&r.body)?;
        out.push(StoredApp {
            description: r.description,
            version: u64::try_from(r.version)
                .map_err(|_| AccessError::Data("negative version".into()))?,
            entitlements: entitlements
                .iter()
                .filter(|(e, _)| e.app_id == app.id)
                .cloned()
                .collect(),
            app,
        });
    }
    Ok(out)
}

/// Rows that saves refer to by id and that deletes remove: policies and groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Referenced {
    Policy,
    Group,
}

/// The first of `ids` with no row any more, read inside the save's transaction `tx` after its
/// write. A delete checks usage after its own DELETE, in its transaction, so the two cannot
/// interleave: on PostgreSQL the rows found here stay locked (`FOR SHARE`) until this save
/// commits, so a delete waits for it and then sees the new reference, or it got there first and
/// the row is gone here; on SQLite this save already holds the database's write lock.
pub(crate) async fn first_missing(
    tx: &mut super::Tx<'_>,
    engine: Engine,
    what: Referenced,
    ids: &[String],
) -> AccessResult<Option<String>> {
    let table = match what {
        Referenced::Policy => "policies",
        Referenced::Group => "groups",
    };
    let lock = match engine {
        Engine::Postgres => " FOR SHARE",
        Engine::Sqlite => "",
    };
    let sql = format!("SELECT id FROM {table} WHERE id = $1{lock}");
    for id in ids {
        // Built-in policies have no row, and cannot be deleted.
        if what == Referenced::Policy && super::policies::is_builtin(id) {
            continue;
        }
        if sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .is_none()
        {
            return Ok(Some(id.clone()));
        }
    }
    Ok(None)
}

/// The review step of every entitlement in a campaign's scope (`apps`' entitlements and the
/// `entitlements` named) that has a review policy (`Entitlement::review_policy`, mirrored in the
/// `review_policy` column), by entitlement: one query for those entitlements and one load per
/// distinct policy, so staging a campaign looks each grant's step up in this map instead of
/// querying per grant, and reads no policy its scope does not reach. Entitlements whose policy has
/// no approval step are left out (`domain::campaign::entitlement_review_step`): the campaign's own
/// reviewers review them.
pub(crate) async fn review_steps(
    tx: &mut super::Tx<'_>,
    apps: &BTreeSet<AppId>,
    entitlements: &BTreeSet<EntitlementId>,
) -> AccessResult<std::collections::BTreeMap<EntitlementId, domain::ApprovalStep>> {
    let mut out = std::collections::BTreeMap::new();
    if apps.is_empty() && entitlements.is_empty() {
        return Ok(out);
    }
    // The same filter as the grants staging reads (`campaigns::active_grants_page`).
    let scope = super::campaigns::scope_condition(1, apps.len(), entitlements.len(), "id");
    let sql = format!(
        "SELECT id, review_policy FROM entitlements WHERE review_policy IS NOT NULL AND ({scope}) \
         ORDER BY id"
    );
    let mut query = sqlx::query_as::<_, (String, String)>(&sql);
    for app in apps {
        query = query.bind(app.as_str());
    }
    for entitlement in entitlements {
        query = query.bind(entitlement.as_str());
    }
    let rows = query.fetch_all(&mut **tx).await?;
    let mut steps_by_policy: std::collections::BTreeMap<String, Option<domain::ApprovalStep>> =
        std::collections::BTreeMap::new();
    for (entitlement, policy) in rows {
        if !steps_by_policy.contains_key(&policy) {
            let loaded = super::policies::load(&mut *tx, &policy).await?;
            let step = domain::campaign::entitlement_review_step(&loaded).cloned();
            steps_by_policy.insert(policy.clone(), step);
        }
        if let Some(Some(step)) = steps_by_policy.get(&policy) {
            out.insert(EntitlementId::new(entitlement), step.clone());
        }
    }
    Ok(out)
}

/// A policy picked in `field` was deleted after the form was checked.
fn policy_deleted(field: &str, id: &str) -> AccessError {
    DomainError::invalid(
        field,
        id,
        "there is no such policy (it may have been deleted)",
    )
    .into()
}

/// Directory users by email; an unknown email is an error that names the form field.
async fn emails_to_users(db: &Db, field: &str, emails: &[String]) -> AccessResult<Vec<UserId>> {
    let mut out = Vec::new();
    for e in emails.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let id = find_by_email(db, e).await?.ok_or_else(|| {
            DomainError::invalid(field, e, "no one in the directory has this email")
        })?;
        let uid = super::user_id(id);
        if !out.contains(&uid) {
            out.push(uid);
        }
    }
    Ok(out)
}

/// Splits a comma/whitespace/newline separated list.
pub fn split_list(s: &str) -> Vec<String> {
    s.split([',', '\n', ' ', ';'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// Splits a list of names, which may contain spaces ("Engineering Team, SRE").
pub fn split_names(s: &str) -> Vec<String> {
    s.split([',', '\n', ';'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn optional(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A policy picked in a form (empty: none); a missing one is an error that names the field.
async fn policy_field(db: &Db, field: &str, value: &str) -> AccessResult<Option<PolicyId>> {
    let Some(id) = optional(value) else {
        return Ok(None);
    };
    match super::policies::load(db, &id).await {
        Ok(p) => Ok(Some(p.id)),
        Err(AccessError::NotFound(_)) => Err(DomainError::invalid(
            field,
            &id,
            "there is no such policy (it may have been deleted)",
        )
        .into()),
        Err(e) => Err(e),
    }
}

/// "7d", "12h", "indefinite" (or empty, which means indefinite too).
fn max_length_field(value: &str) -> AccessResult<GrantLength> {
    let v = value.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("indefinite") {
        return Ok(GrantLength::Indefinite);
    }
    v.parse().map(GrantLength::Limited).map_err(|e| {
        match e {
            DomainError::InvalidDuration { value, reason } => {
                DomainError::invalid("maximum length", &value, &reason)
            }
            other => other,
        }
        .into()
    })
}

pub async fn save_app(
    db: &Db,
    actor: &Actor,
    id: Option<&str>,
    input: AppInput,
) -> AccessResult<String> {
    let (before, loaded_version) = match id {
        Some(id) => {
            let (app, version) = load_app_versioned(db, id).await?;
            super::settings::refuse_if_managed(db, super::settings::Managed::App, id, &app.name)
                .await?;
            (Some(app), Some(version))
        }
        None => (None, None),
    };
    let owners = emails_to_users(db, "owner", &split_list(&input.owners)).await?;
    let default_request_policy =
        policy_field(db, "default request policy", &input.default_policy).await?;
    let app = App {
        id: before
            .as_ref()
            .map_or_else(|| AppId::new(new_id()), |b| b.id.clone()),
        slug: match &before {
            Some(b) => b.slug.clone(),
            None => Slug::from_name(&input.name)?,
        },
        name: input.name.trim().to_string(),
        owners,
        default_request_policy,
        instructions: optional(&input.instructions),
    };
    app.validate()?;
    let at = now();
    let body = to_json(&app)?;
    let mut tx = db.begin().await?;
    let result = sqlx::query(
        "INSERT INTO apps (id, slug, name, description, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, body = excluded.body, \
         updated_at = excluded.updated_at, version = apps.version + 1 WHERE apps.version = $7",
    )
    .bind(app.id.as_str())
    .bind(app.slug.as_str())
    .bind(&app.name)
    .bind(input.description.trim())
    .bind(&body)
    .bind(at.as_unix_millis())
    .bind(expected_version(input.version, loaded_version))
    .execute(&mut *tx)
    .await;
    match result {
        Ok(done) if done.rows_affected() == 0 => return Err(edited_meanwhile("app")),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(DomainError::invalid(
                "app name",
                &app.name,
                "an app with this name already exists",
            )
            .into());
        }
        other => {
            other?;
        }
    }
    sqlx::query("DELETE FROM app_owners WHERE app_id = $1")
        .bind(app.id.as_str())
        .execute(&mut *tx)
        .await?;
    for o in &app.owners {
        sqlx::query("INSERT INTO app_owners (app_id, user_id) VALUES ($1, $2)")
            .bind(app.id.as_str())
            .bind(user_row(o)?)
            .execute(&mut *tx)
            .await?;
    }
    let default_policy: Vec<String> = app
        .default_request_policy
        .iter()
        .map(|p| p.to_string())
        .collect();
    if let Some(gone) =
        first_missing(&mut tx, db.engine, Referenced::Policy, &default_policy).await?
    {
        return Err(policy_deleted("default request policy", &gone));
    }
    if before.is_some() {
        refresh_provisioning_instructions(&mut tx, &app, at).await?;
    }
    audit::append_saved(
        &mut tx,
        at,
        actor.audit(),
        ("catalog.app_created", "catalog.app_updated"),
        format!("app:{}", app.slug),
        before.as_ref(),
        body,
    )
    .await?;
    tx.commit().await?;
    Ok(app.id.to_string())
}

/// Manual provisioning tasks carry the app's instructions, copied into each entitlement when it is
/// saved; an edit of the app's instructions is copied into its entitlements in the same
/// transaction so new tasks never show stale ones.
async fn refresh_provisioning_instructions(
    tx: &mut super::Tx<'_>,
    app: &App,
    at: domain::Timestamp,
) -> AccessResult<()> {
    let rows: Vec<Body> = sqlx::query_as("SELECT body FROM entitlements WHERE app_id = $1")
        .bind(app.id.as_str())
        .fetch_all(&mut **tx)
        .await?;
    for r in rows {
        let mut e: Entitlement = r.parse()?;
        let ProvisioningMethod::Manual { instructions, .. } = &mut e.provisioning else {
            continue;
        };
        if *instructions == app.instructions {
            continue;
        }
        instructions.clone_from(&app.instructions);
        sqlx::query("UPDATE entitlements SET body = $1, updated_at = $2 WHERE id = $3")
            .bind(to_json(&e)?)
            .bind(at.as_unix_millis())
            .bind(e.id.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn groups_by_name(db: &Db, names: &[String]) -> AccessResult<Visibility> {
    let mut set = BTreeSet::new();
    for name in names {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM groups WHERE name = $1")
            .bind(name)
            .fetch_optional(&db.pool)
            .await?;
        let id = id.ok_or_else(|| {
            DomainError::invalid("visibility group", name, "there is no group with this name")
        })?;
        set.insert(GroupId::new(id));
    }
    Ok(Visibility::Groups(set))
}

pub async fn save_entitlement(
    db: &Db,
    actor: &Actor,
    id: Option<&str>,
    input: EntitlementInput,
) -> AccessResult<String> {
    let (before, loaded_version) = match id {
        Some(id) => {
            let (ent, version) = load_entitlement_versioned(db, id).await?;
            super::settings::refuse_if_managed(
                db,
                super::settings::Managed::Entitlement,
                id,
                &ent.display_name,
            )
            .await?;
            (Some(ent), Some(version))
        }
        None => (None, None),
    };
    let app_id = match (&before, optional(&input.app_id)) {
        (Some(b), Some(a)) if a != b.app_id.as_str() => {
            return Err(DomainError::invalid(
                "app",
                &a,
                "an entitlement cannot move to another app; create it in that app instead",
            )
            .into());
        }
        (Some(b), _) => b.app_id.to_string(),
        (None, Some(a)) => a,
        (None, None) => {
            return Err(DomainError::Required {
                field: "the app".into(),
            }
            .into());
        }
    };
    let app = load_app(db, &app_id).await?;
    let max_duration = max_length_field(&input.max_duration)?;
    let request_policy = policy_field(db, "request policy", &input.request_policy).await?;
    let emergency_policy = policy_field(db, "emergency policy", &input.emergency_policy).await?;
    let review_policy = policy_field(db, "review policy", &input.review_policy).await?;
    let provisioning = match input.provisioning.trim() {
        "webhook" => ProvisioningMethod::Webhook {
            url: input.webhook_url.trim().to_string(),
        },
        "" | "manual" => ProvisioningMethod::Manual {
            provisioners: emails_to_users(db, "provisioner", &split_list(&input.provisioners))
                .await?,
            instructions: app.instructions.clone(),
        },
        other => {
            return Err(DomainError::invalid(
                "provisioning method",
                other,
                "choose manual or webhook",
            )
            .into());
        }
    };
    let groups = split_names(&input.visible_to);
    let visibility = match input.visibility.trim() {
        "" if groups.is_empty() => Visibility::Everyone,
        "" | "groups" => {
            if groups.is_empty() {
                return Err(DomainError::Required {
                    field: "a group to make the entitlement visible to".into(),
                }
                .into());
            }
            groups_by_name(db, &groups).await?
        }
        "everyone" => Visibility::Everyone,
        "nobody" => Visibility::Groups(BTreeSet::new()),
        other => {
            return Err(DomainError::invalid(
                "visibility",
                other,
                "choose everyone, groups or nobody",
            )
            .into());
        }
    };
    // An edit with the slug left empty keeps the slug: renaming must not silently change it.
    let slug = match (optional(&input.slug), &before) {
        (Some(s), _) => Slug::parse(&s)?,
        (None, Some(b)) => b.slug.clone(),
        (None, None) => Slug::from_name(&input.display_name)?,
    };
    let alias = optional(&input.alias)
        .map(|a| Alias::parse(&a))
        .transpose()?;
    let id = before
        .as_ref()
        .map_or_else(|| EntitlementId::new(new_id()), |b| b.id.clone());
    if let Some(alias) = &alias {
        let all: Vec<Entitlement> = list(db)
            .await?
            .into_iter()
            .flat_map(|l| l.entitlements.into_iter().map(|(e, _)| e))
            .collect();
        domain::ensure_alias_free(alias, &id, &all)?;
    }
    let ent = Entitlement {
        id,
        app_id: app.id.clone(),
        slug,
        display_name: input.display_name.trim().to_string(),
        description: input.description.trim().to_string(),
        alias,
        risk: RiskLevel::parse(if input.risk.trim().is_empty() {
            "low"
        } else {
            input.risk.trim()
        })?,
        owner_users: emails_to_users(db, "owner", &split_list(&input.owners)).await?,
        // Not edited by the form; an edit keeps them.
        owner_entitlements: before
            .as_ref()
            .map(|b| b.owner_entitlements.clone())
            .unwrap_or_default(),
        max_duration,
        request_policy,
        emergency_policy,
        review_policy,
        provisioning,
        visibility,
    };
    ent.validate(&tenant(db).await?)?;
    let at = now();
    let body = to_json(&ent)?;
    let mut tx = db.begin().await?;
    let result = sqlx::query(
        "INSERT INTO entitlements (id, app_id, slug, display_name, request_policy, emergency_policy, body, created_at, updated_at, alias, review_policy) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $10, $11) \
         ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, display_name = excluded.display_name, alias = excluded.alias, \
         request_policy = excluded.request_policy, emergency_policy = excluded.emergency_policy, review_policy = excluded.review_policy, body = excluded.body, \
         updated_at = excluded.updated_at, version = entitlements.version + 1 WHERE entitlements.version = $9",
    )
    .bind(ent.id.as_str())
    .bind(ent.app_id.as_str())
    .bind(ent.slug.as_str())
    .bind(&ent.display_name)
    .bind(ent.request_policy.as_ref().map(|p| p.to_string()))
    .bind(ent.emergency_policy.as_ref().map(|p| p.to_string()))
    .bind(&body)
    .bind(at.as_unix_millis())
    .bind(expected_version(input.version, loaded_version))
    .bind(ent.alias.as_ref().map(|a| a.as_str().to_string()))
    .bind(ent.review_policy.as_ref().map(|p| p.to_string()))
    .execute(&mut *tx)
    .await
    // Another save took the alias between our check and this write.
    .on_unique(ENTITLEMENTS_ALIAS, || {
        DomainError::invalid(
            "alias",
            ent.alias.as_ref().map(|a| a.as_str()).unwrap_or_default(),
            "another entitlement was just given this alias; choose another",
        )
        .into()
    });
    match result {
        Ok(done) if done.rows_affected() == 0 => return Err(edited_meanwhile("entitlement")),
        Err(AccessError::Db(sqlx::Error::Database(e))) if e.is_unique_violation() => {
            return Err(DomainError::invalid(
                "slug",
                ent.slug.as_str(),
                "this app already has an entitlement with this slug",
            )
            .into());
        }
        other => {
            other?;
        }
    }
    for (field, policy) in [
        ("request policy", &ent.request_policy),
        ("emergency policy", &ent.emergency_policy),
        ("review policy", &ent.review_policy),
    ] {
        let ids: Vec<String> = policy.iter().map(|p| p.to_string()).collect();
        if let Some(gone) = first_missing(&mut tx, db.engine, Referenced::Policy, &ids).await? {
            return Err(policy_deleted(field, &gone));
        }
    }
    if let Visibility::Groups(groups) = &ent.visibility {
        let ids: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        if first_missing(&mut tx, db.engine, Referenced::Group, &ids)
            .await?
            .is_some()
        {
            return Err(DomainError::invalid(
                "visibility group",
                &input.visible_to,
                "one of these groups was just deleted; reload and choose again",
            )
            .into());
        }
    }
    sqlx::query("DELETE FROM entitlement_owners WHERE entitlement_id = $1")
        .bind(ent.id.as_str())
        .execute(&mut *tx)
        .await?;
    for o in &ent.owner_users {
        sqlx::query("INSERT INTO entitlement_owners (entitlement_id, user_id) VALUES ($1, $2)")
            .bind(ent.id.as_str())
            .bind(user_row(o)?)
            .execute(&mut *tx)
            .await?;
    }
    audit::append_saved(
        &mut tx,
        at,
        actor.audit(),
        ("catalog.entitlement_created", "catalog.entitlement_updated"),
        format!("entitlement:{}/{}", app.slug, ent.slug),
        before.as_ref(),
        body,
    )
    .await?;
    tx.commit().await?;
    Ok(ent.id.to_string())
}

/// Entitlements `user_groups` can see, with their app, for the request form.
pub async fn requestable(
    db: &Db,
    user_groups: &BTreeSet<GroupId>,
) -> AccessResult<Vec<(App, Entitlement)>> {
    let mut out = Vec::new();
    for listing in list(db).await? {
        for (e, _) in listing.entitlements {
            if domain::can_see(&e, user_groups) {
                out.push((listing.app.clone(), e));
            }
        }
    }
    Ok(out)
}
