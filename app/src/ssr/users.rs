//! Accounts: the people who can sign in to the console.

use std::collections::BTreeSet;
use std::sync::Mutex;

use sqlx::Row;

use crate::domain::{Email, Role};
use crate::session::CurrentUser;
use crate::ssr::clock::now_ms;
use crate::ssr::db::Db;

/// An account as stored, with what sign-in needs.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: CurrentUser,
    pub password_hash: Option<String>,
    pub active: bool,
}

fn account_from_row(
    row: &sqlx::any::AnyRow,
    granted_roles: Vec<Role>,
) -> Result<Account, sqlx::Error> {
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    Ok(Account {
        user: CurrentUser {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            name: row.try_get("display_name")?,
            role: role_of_column(&role),
            granted_roles,
        },
        password_hash: row.try_get("password_hash")?,
        active: status == "active",
    })
}

/// The `users.role` column holds the account's tier, `super_admin` or `user` (its CHECK
/// constraint); everything but a Super Admin is a Basic User there. Other roles are granted on
/// top of it, in `user_roles` ([`GRANTABLE_ROLES`]).
pub fn role_of_column(value: &str) -> Role {
    if value == "super_admin" {
        Role::SuperAdmin
    } else {
        Role::BasicUser
    }
}

fn column_of_role(role: Role) -> &'static str {
    if role == Role::SuperAdmin {
        "super_admin"
    } else {
        "user"
    }
}

/// The roles a Super Admin grants to a plain user, one `user_roles` row each (its CHECK
/// constraint lists the same).
pub const GRANTABLE_ROLES: [Role; 1] = [Role::CampaignAdmin];

/// The roles granted to the account `id` on top of its tier, in the domain's order. A value this
/// build does not know (written by a newer one) is ignored: it grants nothing here.
pub async fn granted_roles<'c, E>(conn: E, id: i64) -> Result<Vec<Role>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
            .bind(id)
            .fetch_all(conn)
            .await?;
    let mut roles: Vec<Role> = stored
        .iter()
        .filter_map(|r| Role::parse(r).ok())
        .filter(|r| GRANTABLE_ROLES.contains(r))
        .collect();
    roles.sort();
    Ok(roles)
}

async fn account_of(
    db: &Db,
    row: Option<sqlx::any::AnyRow>,
) -> Result<Option<Account>, sqlx::Error> {
    let Some(row) = row else { return Ok(None) };
    let id: i64 = row.try_get("id")?;
    let granted = granted_roles(&db.pool, id).await?;
    account_from_row(&row, granted).map(Some)
}

const ACCOUNT_COLUMNS: &str = "id, email, display_name, password_hash, role, status";

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE email = $1");
    let row = sqlx::query(&sql)
        .bind(email.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await?;
    account_of(db, row).await
}

pub async fn find_by_id(db: &Db, id: i64) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?;
    account_of(db, row).await
}

pub async fn super_admin_exists(db: &Db) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM users WHERE role = 'super_admin' AND status = 'active'",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// A new account to create. Its email went through [`Email::parse`] (the one email parser), so
/// whoever can sign in can also be found in the directory as an approver. `role` is the tier
/// (`SuperAdmin` or `BasicUser`), or one of [`GRANTABLE_ROLES`]: a plain user who holds it.
pub struct NewAccount<'a> {
    pub email: &'a Email,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Storage(#[from] crate::ssr::access::AccessError),
}

/// Appends `account.created` for `user` inside `tx`: who exists now, with which role, and how the
/// account came to be (`via`: "command line", "setup link"). No password material.
pub async fn audit_account_created(
    tx: &mut crate::ssr::access::Tx<'_>,
    user: &CurrentUser,
    via: &str,
) -> crate::ssr::access::AccessResult<()> {
    use crate::ssr::access::audit::{self, Entry};
    let after = serde_json::json!({
        "email": user.email,
        "name": user.name,
        "role": column_of_role(user.role),
        "granted_roles": user.granted_roles,
        "via": via,
    });
    audit::append(
        tx,
        crate::domain::Timestamp::from_unix_millis(now_ms()),
        Entry::new(
            crate::domain::AuditActor::System,
            "account.created",
            format!("user:{}", user.id),
        )
        .after(Some(after.to_string())),
    )
    .await?;
    Ok(())
}

/// Creates a console account (the `latch create-admin` / `create-user` commands), audited.
pub async fn create_account(
    db: &Db,
    new: NewAccount<'_>,
) -> Result<CurrentUser, CreateAccountError> {
    let now = now_ms();
    let email = new.email.as_str().to_string();
    let granted: Vec<Role> = GRANTABLE_ROLES
        .into_iter()
        .filter(|r| *r == new.role)
        .collect();
    let mut tx = db.begin().await?;
    let result = sqlx::query(
        "INSERT INTO users (email, display_name, password_hash, role, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'active', $5, $5) RETURNING id",
    )
    .bind(&email)
    .bind(new.name.trim())
    .bind(new.password_hash)
    .bind(column_of_role(new.role))
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    let user = match result {
        Ok(row) => CurrentUser {
            id: row.try_get("id")?,
            email,
            name: new.name.trim().to_string(),
            role: role_of_column(column_of_role(new.role)),
            granted_roles: granted,
        },
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(CreateAccountError::EmailTaken);
        }
        Err(e) => return Err(e.into()),
    };
    for role in &user.granted_roles {
        sqlx::query(
            "INSERT INTO user_roles (user_id, role, granted_by, granted_at) VALUES ($1, $2, NULL, $3)",
        )
        .bind(user.id)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    audit_account_created(&mut tx, &user, "command line").await?;
    tx.commit().await?;
    Ok(user)
}

/// The directory's email for the account `id` as stored. Accounts created before account
/// creation used [`Email::parse`] may hold an address it refuses (e.g. `ops@my_corp.com`); the
/// person can sign in, so they are kept in the directory rather than dropped from approver
/// lists and the Super Admin fallback. Policies and CSV imports cannot name such an address
/// (they parse what an admin types), so the first time this process meets each such account it
/// logs a warning saying so.
pub fn directory_email(id: i64, stored: &str) -> Email {
    match Email::parse(stored) {
        Ok(email) => email,
        Err(problem) => {
            static WARNED: Mutex<BTreeSet<i64>> = Mutex::new(BTreeSet::new());
            let first_time = WARNED.lock().map_or(true, |mut warned| warned.insert(id));
            if first_time {
                tracing::warn!(
                    user_id = id,
                    %problem,
                    "an account's email, stored before Latch checked addresses strictly, is \
                     not a valid address: the account stays in the directory (approver, Super \
                     Admin fallback), but policies and CSV imports cannot name it; give the \
                     person an account with a valid address"
                );
            }
            Email::of_stored_account(stored)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_account_email_is_parsed_and_one_the_parser_refuses_is_kept() {
        assert_eq!(
            directory_email(1, " Ada@Example.com "),
            Email::parse("ada@example.com").unwrap()
        );
        assert!(Email::parse("Ops@My_Corp.com").is_err());
        assert_eq!(
            directory_email(2, "Ops@My_Corp.com").as_str(),
            "ops@my_corp.com"
        );
        // Met again: still kept (the warning is logged once, the account is kept every time).
        assert_eq!(
            directory_email(2, "Ops@My_Corp.com").as_str(),
            "ops@my_corp.com"
        );
    }
}
