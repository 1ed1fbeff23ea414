//! Request policies. Stored as the JSON of `domain::Policy`; requests snapshot them at creation,
//! so edits never change requests in flight.

use sqlx::Row;

pub use crate::api::views::PolicyInput;

use super::audit::{self, Entry};
use super::{AccessError, AccessResult, Actor, from_json, new_id, now, to_json, version_i64};
use crate::domain::{self, App, DomainError, Entitlement, Policy, PolicyId, PolicyStep};
use crate::ssr::db::Db;

fn builtins() -> [Policy; 2] {
    [
        Policy::builtin_app_owner_approval(),
        Policy::builtin_auto_approval(),
    ]
}

pub async fn load(db: &Db, id: &str) -> AccessResult<Policy> {
    if let Some(p) = builtins().into_iter().find(|p| p.id.as_str() == id) {
        return Ok(p);
    }
    let row = sqlx::query("SELECT body FROM policies WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AccessError::NotFound("The policy".into()))?;
    from_json(&row.try_get::<String, _>("body")?)
}

/// Built-ins first, then the tenant's policies by name.
pub async fn list(db: &Db) -> AccessResult<Vec<Policy>> {
    let mut out: Vec<Policy> = builtins().into();
    for r in sqlx::query("SELECT body FROM policies ORDER BY name")
        .fetch_all(&db.pool)
        .await?
    {
        out.push(from_json(&r.try_get::<String, _>("body")?)?);
    }
    Ok(out)
}

pub async fn save(
    db: &Db,
    actor: &Actor,
    id: Option<&str>,
    input: PolicyInput,
) -> AccessResult<String> {
    let steps: Vec<PolicyStep> =
        serde_json::from_str(input.steps_json.trim()).map_err(|e| DomainError::InvalidPolicy {
            reason: format!("the steps are not valid JSON for a policy: {e}"),
        })?;
    let before = match id {
        Some(id) => {
            let p = load(db, id).await?;
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
    let policy = Policy {
        id: before
            .as_ref()
            .map_or_else(|| PolicyId::new(new_id()), |b| b.id.clone()),
        name: input.name.trim().to_string(),
        revision: before.as_ref().map_or(1, |b| b.revision + 1),
        steps,
    };
    policy.validate()?;
    let at = now();
    let body = to_json(&policy)?;
    let mut tx = db.pool.begin().await?;
    let result = sqlx::query(
        "INSERT INTO policies (id, name, revision, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, revision = excluded.revision, body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(policy.id.as_str())
    .bind(&policy.name)
    .bind(version_i64(policy.revision))
    .bind(&body)
    .bind(at.as_unix_millis())
    .execute(&mut *tx)
    .await;
    match result {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(DomainError::InvalidPolicy {
                reason: format!("a policy named \"{}\" already exists", policy.name),
            }
            .into());
        }
        other => {
            other?;
        }
    }
    let action = if before.is_some() {
        "policy.updated"
    } else {
        "policy.created"
    };
    let before_json = before.as_ref().map(to_json).transpose()?;
    audit::append(
        &mut tx,
        at,
        Entry::new(actor.audit(), action, format!("policy:{}", policy.name))
            .before(before_json)
            .after(Some(body)),
    )
    .await?;
    tx.commit().await?;
    Ok(policy.id.to_string())
}

/// What uses policy `id`, named for people ("entitlement Admin (prod-db)", "app Prod DB").
async fn referenced_by(db: &Db, id: &str) -> AccessResult<Vec<String>> {
    let mut out = Vec::new();
    for r in sqlx::query(
        "SELECT body FROM entitlements WHERE request_policy = $1 OR emergency_policy = $1",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    {
        let e: Entitlement = from_json(&r.try_get::<String, _>("body")?)?;
        out.push(format!("entitlement \"{}\"", e.picker_label()));
    }
    for r in sqlx::query("SELECT body FROM apps")
        .fetch_all(&db.pool)
        .await?
    {
        let a: App = from_json(&r.try_get::<String, _>("body")?)?;
        if a.default_request_policy
            .as_ref()
            .is_some_and(|p| p.as_str() == id)
        {
            out.push(format!("app \"{}\"", a.name));
        }
    }
    Ok(out)
}

pub async fn delete(db: &Db, actor: &Actor, id: &str) -> AccessResult<()> {
    let policy = load(db, id).await?;
    domain::ensure_policy_deletable(&policy, &referenced_by(db, id).await?)?;
    let at = now();
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM policies WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
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
