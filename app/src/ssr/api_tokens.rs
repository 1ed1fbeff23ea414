//! API tokens in storage (`api_tokens`, migration 0011): create (the token's text is returned
//! once, only the SHA-256 of its secret is kept), list, revoke, and authenticate a presented
//! token. Rules (scopes, expiry, the token's form) are `domain::api_tokens`.
//!
//! Audit: `api_token.created` and `api_token.revoked` by the Super Admin who did it, and one
//! `api_token.used` event per authorised API call (actor: the token's creator, target
//! `api_token:<id>`, the token's name, the endpoint and, for a request filed on someone's behalf,
//! that person in `after`), appended with `last_used_at` in one transaction before the call's work.
//! Per call rather than sampled: automation calls are few, and an audit trail that skips calls
//! cannot answer "what did this token do".

use sqlx::Row;

use crate::domain::api_tokens::{
    Endpoint, PresentedToken, Scope, Scopes, TokenLife, TokenRuleError, check_new,
};
use crate::domain::{Timestamp, UserId};
use crate::error::AppError;
use crate::shapes::{ApiTokenRow, CreatedApiToken};
use crate::ssr::access::audit::{self, Entry};
use crate::ssr::access::{
    AccessError, AccessResult, Actor, UniqueIndex, directory, now, user_id, user_row,
};
use crate::ssr::db::Db;
use crate::ssr::users;

/// Names are unique among live tokens.
pub const LIVE_NAME: UniqueIndex = UniqueIndex {
    name: "api_tokens_live_name",
    columns: "api_tokens.name",
};

const COLUMNS: &str =
    "id, name, scopes, created_by, created_at, expires_at, revoked_at, last_used_at";

fn row_of(
    r: &sqlx::any::AnyRow,
    names: &std::collections::BTreeMap<String, String>,
    at: Timestamp,
) -> AccessResult<ApiTokenRow> {
    let created_by: i64 = r.try_get("created_by")?;
    let scopes: String = r.try_get("scopes")?;
    let expires_at: Option<i64> = r.try_get("expires_at")?;
    let revoked_at: Option<i64> = r.try_get("revoked_at")?;
    let life = TokenLife {
        expires_at: expires_at.map(Timestamp::from_unix_millis),
        revoked_at: revoked_at.map(Timestamp::from_unix_millis),
    };
    Ok(ApiTokenRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        scopes: scopes.split(' ').map(str::to_string).collect(),
        created_by: names
            .get(&created_by.to_string())
            .cloned()
            .unwrap_or_else(|| format!("user {created_by}")),
        created_at: r.try_get("created_at")?,
        expires_at,
        revoked_at,
        last_used_at: r.try_get("last_used_at")?,
        live: life.check(at).is_ok(),
    })
}

fn rule_error(e: TokenRuleError) -> AppError {
    AppError::Invalid(e.to_string())
}

/// Every token, newest first, without secrets.
pub async fn list(db: &Db) -> AccessResult<Vec<ApiTokenRow>> {
    let names = directory::names(db).await?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_tokens ORDER BY created_at DESC, id"
    ))
    .fetch_all(&db.pool)
    .await?;
    let at = now();
    rows.iter().map(|r| row_of(r, &names, at)).collect()
}

async fn load_row(db: &Db, id: &str) -> AccessResult<ApiTokenRow> {
    let names = directory::names(db).await?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AccessError::NotFound("The API token".into()))?;
    row_of(&row, &names, now())
}

/// Creates a token for a Super Admin: `scopes` as names separated by spaces or commas,
/// `expires_at` in Unix milliseconds. The answer carries the token's text, which is not kept.
pub async fn create(
    db: &Db,
    actor: &Actor,
    name: &str,
    scopes: &str,
    expires_at: Option<i64>,
) -> Result<CreatedApiToken, AppError> {
    if !actor.is_super_admin() {
        return Err(AppError::NotAllowed(
            "Only Super Admins can create API tokens.".into(),
        ));
    }
    let at = now();
    let name =
        check_new(name, expires_at.map(Timestamp::from_unix_millis), at).map_err(rule_error)?;
    let scopes = Scopes::parse(scopes).map_err(rule_error)?;
    let token = PresentedToken::from_random(rand::random(), rand::random());
    let mut tx = db.begin().await.map_err(AccessError::from)?;
    sqlx::query(
        "INSERT INTO api_tokens (id, name, scopes, secret_hash, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&token.id)
    .bind(&name)
    .bind(scopes.to_string())
    .bind(token.secret_hash())
    .bind(user_row(&actor.id)?)
    .bind(at.as_unix_millis())
    .bind(expires_at)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if LIVE_NAME.violated_by(&e) {
            AppError::conflict(format!("A live API token is already named \"{name}\"."))
        } else {
            AccessError::from(e).into()
        }
    })?;
    let details =
        serde_json::json!({ "name": name, "scopes": scopes.names(), "expires_at": expires_at });
    audit::append(
        &mut tx,
        at,
        Entry::new(
            actor.audit(),
            "api_token.created",
            format!("api_token:{}", token.id),
        )
        .after(Some(details.to_string())),
    )
    .await?;
    tx.commit().await.map_err(AccessError::from)?;
    Ok(CreatedApiToken {
        token: token.text(),
        row: load_row(db, &token.id).await?,
    })
}

/// Revokes a token (Super Admins); revoking a revoked token is a 409.
pub async fn revoke(db: &Db, actor: &Actor, id: &str) -> Result<(), AppError> {
    if !actor.is_super_admin() {
        return Err(AppError::NotAllowed(
            "Only Super Admins can revoke API tokens.".into(),
        ));
    }
    let at = now();
    let mut tx = db.begin().await.map_err(AccessError::from)?;
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM api_tokens WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(AccessError::from)?;
    let Some(name) = name else {
        return Err(AppError::NotFound("The API token".into()));
    };
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(at.as_unix_millis())
    .bind(user_row(&actor.id)?)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(AccessError::from)?;
    if done.rows_affected() != 1 {
        return Err(AppError::conflict("This API token is already revoked."));
    }
    audit::append(
        &mut tx,
        at,
        Entry::new(
            actor.audit(),
            "api_token.revoked",
            format!("api_token:{id}"),
        )
        .after(Some(serde_json::json!({ "name": name }).to_string())),
    )
    .await?;
    tx.commit().await.map_err(AccessError::from)?;
    Ok(())
}

/// Why a presented token was refused: each is a 401 with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("An API token is needed: send `Authorization: Bearer latch_pat_…`.")]
    Missing,
    #[error("{0}")]
    Rule(#[from] TokenRuleError),
    #[error("The API token is not known.")]
    Unknown,
    #[error("The API token's creator is no longer an active Super Admin.")]
    CreatorGone,
}

/// A token that was accepted: who it is and what it may do.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub id: String,
    pub name: String,
    pub scopes: Scopes,
    /// The Super Admin who created it, with their current roles: the token acts as them where
    /// an action has no one else to act as (revoking grants).
    pub creator: Actor,
}

impl Authenticated {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.allows(scope)
    }
}

/// Checks a presented token's text: known id, matching secret (constant-time), not revoked,
/// not expired, and a creator who is still an active Super Admin.
pub async fn authenticate(db: &Db, text: &str) -> Result<Result<Authenticated, Refusal>, AppError> {
    let presented = match PresentedToken::parse(text) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e.into())),
    };
    let row = sqlx::query(
        "SELECT id, name, scopes, secret_hash, created_by, expires_at, revoked_at FROM api_tokens WHERE id = $1",
    )
    .bind(&presented.id)
    .fetch_optional(&db.pool)
    .await
    .map_err(AccessError::from)?;
    let Some(row) = row else {
        return Ok(Err(Refusal::Unknown));
    };
    let stored_hash: String = row.try_get("secret_hash").map_err(AccessError::from)?;
    if !presented.matches(&stored_hash) {
        return Ok(Err(Refusal::Unknown));
    }
    let expires_at: Option<i64> = row.try_get("expires_at").map_err(AccessError::from)?;
    let revoked_at: Option<i64> = row.try_get("revoked_at").map_err(AccessError::from)?;
    let life = TokenLife {
        expires_at: expires_at.map(Timestamp::from_unix_millis),
        revoked_at: revoked_at.map(Timestamp::from_unix_millis),
    };
    if let Err(e) = life.check(now()) {
        return Ok(Err(e.into()));
    }
    let created_by: i64 = row.try_get("created_by").map_err(AccessError::from)?;
    let creator = users::find_by_id(db, created_by)
        .await
        .map_err(AccessError::from)?;
    let creator = match creator {
        Some(account) if account.active && account.user.is_super_admin() => {
            Actor::for_user(user_id(account.user.id), account.user.roles())
        }
        _ => return Ok(Err(Refusal::CreatorGone)),
    };
    let scopes: String = row.try_get("scopes").map_err(AccessError::from)?;
    Ok(Ok(Authenticated {
        id: row.try_get("id").map_err(AccessError::from)?,
        name: row.try_get("name").map_err(AccessError::from)?,
        scopes: Scopes::parse(&scopes)
            .map_err(|e| AccessError::Data(format!("stored API token scopes: {e}")))?,
        creator,
    }))
}

/// Records one authorised call: `last_used_at` and an `api_token.used` event, in one transaction.
pub async fn record_use(
    db: &Db,
    token: &Authenticated,
    endpoint: Endpoint,
    on_behalf_of: Option<&UserId>,
) -> AccessResult<()> {
    let at = now();
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(at.as_unix_millis())
        .bind(&token.id)
        .execute(&mut *tx)
        .await?;
    let mut details = serde_json::json!({ "token": token.name, "endpoint": endpoint.name() });
    if let Some(person) = on_behalf_of {
        details["on_behalf_of"] = serde_json::Value::String(format!("user:{person}"));
    }
    audit::append(
        &mut tx,
        at,
        Entry::new(
            token.creator.audit(),
            "api_token.used",
            format!("api_token:{}", token.id),
        )
        .after(Some(details.to_string())),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
