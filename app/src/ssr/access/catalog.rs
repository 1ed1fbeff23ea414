//! The catalog: apps and their entitlements, and the tenant settings that bound them.

use std::collections::BTreeSet;

use sqlx::Row;

pub use crate::api::views::{AppInput, AppListing, EntitlementInput};

use super::audit::{self, Entry};
use super::directory::find_by_email;
use super::{AccessError, AccessResult, Actor, from_json, new_id, now, to_json, user_row};
use crate::domain::{
    self, Alias, App, AppId, DomainError, Entitlement, EntitlementId, GrantLength, GroupId,
    PolicyId, ProvisioningMethod, RiskLevel, Slug, TenantSettings, UserId, Visibility,
};
use crate::ssr::db::Db;

/// The tenant settings (grant-length cap).
pub async fn tenant(db: &Db) -> AccessResult<TenantSettings> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = 'max_grant_days'")
        .fetch_optional(&db.pool)
        .await?;
    let days: Option<u64> = match row {
        Some(r) => r.try_get::<String, _>("value")?.trim().parse().ok(),
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
    let before = tenant(db)
        .await?
        .max_grant_duration
        .map(|d| d.as_secs() / 86_400);
    let mut tx = db.pool.begin().await?;
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

pub async fn load_app(db: &Db, id: &str) -> AccessResult<App> {
    let row = sqlx::query("SELECT body FROM apps WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AccessError::NotFound("The app".into()))?;
    from_json(&row.try_get::<String, _>("body")?)
}

pub async fn load_entitlement(db: &Db, id: &str) -> AccessResult<Entitlement> {
    let row = sqlx::query("SELECT body FROM entitlements WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AccessError::NotFound("The entitlement".into()))?;
    from_json(&row.try_get::<String, _>("body")?)
}

pub async fn list(db: &Db) -> AccessResult<Vec<AppListing>> {
    let apps = sqlx::query("SELECT body, description FROM apps ORDER BY name")
        .fetch_all(&db.pool)
        .await?;
    let ents = sqlx::query("SELECT body FROM entitlements ORDER BY display_name")
        .fetch_all(&db.pool)
        .await?;
    let mut entitlements: Vec<Entitlement> = Vec::new();
    for r in &ents {
        entitlements.push(from_json(&r.try_get::<String, _>("body")?)?);
    }
    let mut out = Vec::new();
    for r in &apps {
        let app: App = from_json(&r.try_get::<String, _>("body")?)?;
        let mine = entitlements
            .iter()
            .filter(|e| e.app_id == app.id)
            .cloned()
            .collect();
        out.push(AppListing {
            description: r.try_get("description")?,
            app,
            entitlements: mine,
        });
    }
    Ok(out)
}

async fn emails_to_users(db: &Db, emails: &[String]) -> AccessResult<Vec<UserId>> {
    let mut out = Vec::new();
    for e in emails.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let id = find_by_email(db, e)
            .await?
            .ok_or_else(|| DomainError::UnknownValue {
                what: "user".into(),
                value: e.to_string(),
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

fn optional(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

pub async fn save_app(
    db: &Db,
    actor: &Actor,
    id: Option<&str>,
    input: AppInput,
) -> AccessResult<String> {
    let owners = emails_to_users(db, &split_list(&input.owners)).await?;
    let before = match id {
        Some(id) => Some(load_app(db, id).await?),
        None => None,
    };
    let default_request_policy = optional(&input.default_policy).map(PolicyId::new);
    if let Some(p) = &default_request_policy {
        super::policies::load(db, p.as_str()).await?;
    }
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
    let mut tx = db.pool.begin().await?;
    let result = sqlx::query(
        "INSERT INTO apps (id, slug, name, description, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(app.id.as_str())
    .bind(app.slug.as_str())
    .bind(&app.name)
    .bind(input.description.trim())
    .bind(&body)
    .bind(at.as_unix_millis())
    .execute(&mut *tx)
    .await;
    match result {
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
    let action = if before.is_some() {
        "catalog.app_updated"
    } else {
        "catalog.app_created"
    };
    let before_json = before.as_ref().map(to_json).transpose()?;
    audit::append(
        &mut tx,
        at,
        Entry::new(actor.audit(), action, format!("app:{}", app.slug))
            .before(before_json)
            .after(Some(body)),
    )
    .await?;
    tx.commit().await?;
    Ok(app.id.to_string())
}

pub async fn save_entitlement(
    db: &Db,
    actor: &Actor,
    id: Option<&str>,
    input: EntitlementInput,
) -> AccessResult<String> {
    let app = load_app(db, input.app_id.trim()).await?;
    let before = match id {
        Some(id) => Some(load_entitlement(db, id).await?),
        None => None,
    };
    let max_duration = match input.max_duration.trim() {
        "" | "indefinite" => GrantLength::Indefinite,
        other => GrantLength::Limited(other.parse()?),
    };
    for p in [&input.request_policy, &input.emergency_policy] {
        if let Some(p) = optional(p) {
            super::policies::load(db, &p).await?;
        }
    }
    let provisioning = match input.provisioning.trim() {
        "webhook" => ProvisioningMethod::Webhook {
            url: input.webhook_url.trim().to_string(),
        },
        _ => ProvisioningMethod::Manual {
            provisioners: emails_to_users(db, &split_list(&input.provisioners)).await?,
            instructions: app.instructions.clone(),
        },
    };
    let groups = split_list(&input.visible_to);
    let visibility = if groups.is_empty() {
        Visibility::Everyone
    } else {
        let mut set = BTreeSet::new();
        for name in &groups {
            let row = sqlx::query("SELECT id FROM groups WHERE name = $1")
                .bind(name)
                .fetch_optional(&db.pool)
                .await?;
            let row = row.ok_or_else(|| DomainError::UnknownValue {
                what: "group".into(),
                value: name.clone(),
            })?;
            set.insert(GroupId::new(row.try_get::<String, _>("id")?));
        }
        Visibility::Groups(set)
    };
    let slug = match optional(&input.slug) {
        Some(s) => Slug::parse(&s)?,
        None => Slug::from_name(&input.display_name)?,
    };
    let ent = Entitlement {
        id: before
            .as_ref()
            .map_or_else(|| EntitlementId::new(new_id()), |b| b.id.clone()),
        app_id: app.id.clone(),
        slug,
        display_name: input.display_name.trim().to_string(),
        description: input.description.trim().to_string(),
        alias: optional(&input.alias)
            .map(|a| Alias::parse(&a))
            .transpose()?,
        risk: RiskLevel::parse(if input.risk.trim().is_empty() {
            "low"
        } else {
            input.risk.trim()
        })?,
        owner_users: emails_to_users(db, &split_list(&input.owners)).await?,
        owner_entitlements: Vec::new(),
        max_duration,
        request_policy: optional(&input.request_policy).map(PolicyId::new),
        emergency_policy: optional(&input.emergency_policy).map(PolicyId::new),
        provisioning,
        visibility,
    };
    ent.validate(&tenant(db).await?)?;
    let at = now();
    let body = to_json(&ent)?;
    let mut tx = db.pool.begin().await?;
    let result = sqlx::query(
        "INSERT INTO entitlements (id, app_id, slug, display_name, request_policy, emergency_policy, body, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, display_name = excluded.display_name, \
         request_policy = excluded.request_policy, emergency_policy = excluded.emergency_policy, body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(ent.id.as_str())
    .bind(ent.app_id.as_str())
    .bind(ent.slug.as_str())
    .bind(&ent.display_name)
    .bind(ent.request_policy.as_ref().map(|p| p.to_string()))
    .bind(ent.emergency_policy.as_ref().map(|p| p.to_string()))
    .bind(&body)
    .bind(at.as_unix_millis())
    .execute(&mut *tx)
    .await;
    match result {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
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
    let action = if before.is_some() {
        "catalog.entitlement_updated"
    } else {
        "catalog.entitlement_created"
    };
    let before_json = before.as_ref().map(to_json).transpose()?;
    audit::append(
        &mut tx,
        at,
        Entry::new(
            actor.audit(),
            action,
            format!("entitlement:{}/{}", app.slug, ent.slug),
        )
        .before(before_json)
        .after(Some(body)),
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
        for e in listing.entitlements {
            if domain::can_see(&e, user_groups) {
                out.push((listing.app.clone(), e));
            }
        }
    }
    Ok(out)
}
