//! The first-run setup link. While no Super Admin exists, `latch serve` mints a token, keeps only
//! its SHA-256, and logs the link. Creating the first admin (by link or CLI) kills every link.

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::ssr::clock::now_ms;
use crate::ssr::db::Db;
use crate::ssr::users;

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Replaces any earlier link with a fresh one and returns its token (to be logged once).
/// Returns `None` when an admin already exists.
pub async fn mint_if_no_admin(db: &Db) -> Result<Option<String>, sqlx::Error> {
    if users::super_admin_exists(db).await? {
        revoke_all(db).await?;
        return Ok(None);
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM setup_tokens")
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO setup_tokens (token_hash, created_at) VALUES ($1, $2)")
        .bind(token_hash(&token))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// A link works only while no admin exists and the token is the current one.
pub async fn is_valid(db: &Db, token: &str) -> Result<bool, sqlx::Error> {
    if token.is_empty() || users::super_admin_exists(db).await? {
        return Ok(false);
    }
    let row = sqlx::query("SELECT token_hash FROM setup_tokens WHERE token_hash = $1")
        .bind(token_hash(token))
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// Consumes the token: true for exactly one caller, even when several race.
pub async fn consume(db: &Db, token: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM setup_tokens WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn revoke_all(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM setup_tokens")
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum FirstAdminError {
    #[error("the setup link is no longer valid")]
    LinkInvalid,
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Storage(#[from] crate::ssr::access::AccessError),
}

/// Uses a setup link: in one transaction, consumes the token, checks that still no admin exists,
/// and creates the Super Admin. Of several racing submissions exactly one succeeds.
pub async fn create_first_admin(
    db: &Db,
    token: &str,
    email: &str,
    name: &str,
    password_hash: &str,
) -> Result<crate::session::CurrentUser, FirstAdminError> {
    use sqlx::Row;
    let mut tx = db.begin().await?;
    let consumed = sqlx::query("DELETE FROM setup_tokens WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&mut *tx)
        .await?;
    if consumed.rows_affected() != 1 {
        return Err(FirstAdminError::LinkInvalid);
    }
    let admins: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'super_admin'")
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    if admins > 0 {
        return Err(FirstAdminError::LinkInvalid);
    }
    let email = email.trim().to_lowercase();
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO users (email, display_name, password_hash, role, status, created_at, updated_at) \
         VALUES ($1, $2, $3, 'super_admin', 'active', $4, $4) RETURNING id",
    )
    .bind(&email)
    .bind(name.trim())
    .bind(password_hash)
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    let id: i64 = match inserted {
        Ok(row) => row.try_get("id")?,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(FirstAdminError::EmailTaken);
        }
        Err(e) => return Err(e.into()),
    };
    sqlx::query("DELETE FROM setup_tokens")
        .execute(&mut *tx)
        .await?;
    let user = crate::session::CurrentUser {
        id,
        email,
        name: name.trim().to_string(),
        role: crate::domain::Role::SuperAdmin,
        granted_roles: Vec::new(),
    };
    users::audit_account_created(&mut tx, &user, "setup link").await?;
    tx.commit().await?;
    Ok(user)
}
