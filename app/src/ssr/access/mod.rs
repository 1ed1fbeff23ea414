//! Storage adapters for the access core. One module per aggregate; each operation loads the
//! object, runs the pure transition from `crate::domain`, and saves it with
//! `UPDATE … WHERE version = old`, appending the audit events and outbox notifications in the
//! same transaction. Every transaction starts with a write, so on SQLite it takes the write lock
//! up front (a deferred read-then-write transaction could fail to upgrade under concurrency).

pub mod audit;
pub mod catalog;
pub mod directory;
pub mod grants;
pub mod outbox;
pub mod pending_expiry;
pub mod policies;
pub mod requests;
pub mod settings;
pub mod webhook_secret;
pub mod webhooks;

use sqlx::{Any, Transaction};

use crate::domain::{self, DomainError, ErrorKind, Role, RoleSet, Timestamp, UserId};
use crate::error::AppError;
use crate::session::CurrentUser;
use crate::ssr::clock::now_ms;

pub type Tx<'a> = Transaction<'a, Any>;

/// Rows per multi-row INSERT. Small on purpose: with SQLite, a statement's cost grows faster than
/// its number of binds (500-row chunks made a 1,000-grant expiry sweep 5x slower than 50-row
/// ones, docs/benchmarks.md), while PostgreSQL gains little beyond a few dozen rows per trip.
pub(crate) const INSERT_CHUNK: usize = 50;

/// `($1, $2), ($3, $4)` for a multi-row INSERT of `rows` rows of `cols` columns. Written out because
/// the Any driver passes SQL through unchanged and both engines accept `$n`.
pub(crate) fn values_placeholders(rows: usize, cols: usize) -> String {
    let mut sql = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * cols + c + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// What went wrong in a storage operation.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// A rule said no; the message is for the user.
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{0} was not found")]
    NotFound(String),
    /// Someone else changed the object between our read and our write; the caller reloads.
    #[error("the object changed concurrently")]
    Stale,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// Stored data that does not parse: a bug or tampering, never the user's fault.
    #[error("corrupt stored data: {0}")]
    Data(String),
}

impl From<serde_json::Error> for AccessError {
    fn from(e: serde_json::Error) -> Self {
        AccessError::Data(e.to_string())
    }
}

impl From<AccessError> for AppError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Domain(d) => {
                let message = capitalise(&d.to_string());
                match d.kind() {
                    ErrorKind::Invalid => AppError::Invalid(message),
                    // The domain's "forbidden" messages explain the rule, which is more useful
                    // than the generic 403 text; the status stays 403.
                    ErrorKind::Forbidden => AppError::NotAllowed(message),
                    // The request a conflict names travels as a field, so a page links to it
                    // without reading the message.
                    ErrorKind::Conflict => AppError::Conflict {
                        message,
                        about: match &d {
                            DomainError::DuplicateOpenRequest { number }
                            | DomainError::DuplicateOpenRequestEscalate { number }
                            | DomainError::RequestClosed { number, .. }
                            | DomainError::NotAwaitingApproval { number, .. }
                            | DomainError::AlreadyEmergency { number } => {
                                domain::RequestNumber::parse(number).ok()
                            }
                            _ => None,
                        },
                    },
                }
            }
            AccessError::NotFound(what) => AppError::NotFound(what),
            AccessError::Stale => AppError::conflict(
                "Someone else changed this at the same time. Reload and try again.",
            ),
            other => crate::ssr::internal(other),
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub type AccessResult<T> = Result<T, AccessError>;

/// A fresh opaque id (128 random bits, hex).
pub fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub fn now() -> Timestamp {
    Timestamp::from_unix_millis(now_ms())
}

/// Directory users are the `users` rows; their domain id is the row id as text.
pub fn user_id(id: i64) -> UserId {
    UserId::new(id.to_string())
}

/// The row id behind a domain user id.
pub fn user_row(id: &UserId) -> AccessResult<i64> {
    id.as_str()
        .parse()
        .map_err(|_| AccessError::Data(format!("user id {id} is not numeric")))
}

/// The domain roles of a console account.
pub fn roles_of(user: &CurrentUser) -> RoleSet {
    if user.is_super_admin() {
        RoleSet::new([Role::SuperAdmin])
    } else {
        RoleSet::new([])
    }
}

/// Who acts, as both the console account and the domain ids.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: CurrentUser,
    pub id: UserId,
    pub roles: RoleSet,
}

impl Actor {
    pub fn new(user: CurrentUser) -> Actor {
        Actor {
            id: user_id(user.id),
            roles: roles_of(&user),
            user,
        }
    }

    pub fn audit(&self) -> domain::AuditActor {
        domain::AuditActor::User(self.id.clone())
    }
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> AccessResult<String> {
    Ok(serde_json::to_string(value)?)
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> AccessResult<T> {
    Ok(serde_json::from_str(text)?)
}

/// The result of an `UPDATE … WHERE id = … AND version = old`: exactly one row, or someone else
/// saved first ([`AccessError::Stale`]).
pub(crate) fn one_row_or_stale(done: sqlx::any::AnyQueryResult) -> AccessResult<()> {
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(AccessError::Stale)
    }
}

pub(crate) fn version_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Reads a 0/1 flag column whatever integer width the engine returns.
pub(crate) fn flag(v: i64) -> bool {
    v != 0
}

#[cfg(test)]
mod tests {
    use super::values_placeholders;

    #[test]
    fn placeholders_number_every_column_of_every_row() {
        assert_eq!(values_placeholders(1, 1), "($1)");
        assert_eq!(values_placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_placeholders(0, 3), "");
    }
}
