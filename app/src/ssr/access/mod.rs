//! Repositories of the access core, one module per aggregate: load, save and list, each taking
//! the connection to use ([`Conn`]: a flow's transaction, or the pool through `&Db`). Saves
//! are `UPDATE … WHERE version = old` ([`AccessError::Stale`] when someone saved first) and append
//! their audit events and outbox notifications in the caller's transaction. Workflows that cross
//! aggregates (the access loop, the background sweeps) live in `crate::ssr::flows`; the
//! single-aggregate edits of the catalog, directory, policies and settings stay here. Nothing here
//! knows about Leptos: any door (server functions, Slack, the CLI, background jobs) calls in with
//! an [`Actor`].

pub mod audit;
pub mod campaigns;
pub mod catalog;
pub mod decider_calls;
pub mod directory;
pub mod grants;
pub mod home_marks;
pub mod outbox;
pub mod pending_expiry;
pub mod policies;
pub mod requests;
pub mod settings;
pub mod webhook_secret;
pub mod webhooks;

use sqlx::{Any, AnyConnection, Transaction};

use crate::domain::{self, DomainError, ErrorKind, RoleSet, Timestamp, UserId};
use crate::error::AppError;
use crate::session::CurrentUser;
use crate::ssr::clock::now_ms;
use crate::ssr::db::Db;

pub type Tx<'a> = Transaction<'a, Any>;

/// Where a repository reads: a flow's transaction (`&mut tx`, or any `&mut AnyConnection`), so
/// every read of a workflow sees (and on SQLite is serialised by) that one transaction; or, for
/// read models and callers outside a workflow, the `&Db`, which lends a pooled connection for the
/// call. Repositories take `impl Into<Conn<'_>>`. A concrete enum rather than sqlx's `Acquire`,
/// whose lifetime-generic impls make server functions' futures fail the `Send` check ("not
/// general enough").
pub enum Conn<'a> {
    Pool(&'a sqlx::AnyPool),
    Borrowed(&'a mut AnyConnection),
}

impl<'a> From<&'a Db> for Conn<'a> {
    fn from(db: &'a Db) -> Self {
        Conn::Pool(&db.pool)
    }
}

impl<'a> From<&'a mut AnyConnection> for Conn<'a> {
    fn from(conn: &'a mut AnyConnection) -> Self {
        Conn::Borrowed(conn)
    }
}

impl<'a, 't> From<&'a mut Tx<'t>> for Conn<'a> {
    fn from(tx: &'a mut Tx<'t>) -> Self {
        Conn::Borrowed(tx)
    }
}

impl<'a> Conn<'a> {
    /// The connection to run statements on: the borrowed one, or one from the pool.
    pub async fn get(self) -> Result<Held<'a>, sqlx::Error> {
        Ok(match self {
            Conn::Pool(pool) => Held::Pooled(pool.acquire().await?),
            Conn::Borrowed(conn) => Held::Borrowed(conn),
        })
    }
}

/// A connection held for one repository call (see [`Conn`]).
pub enum Held<'a> {
    Pooled(sqlx::pool::PoolConnection<Any>),
    Borrowed(&'a mut AnyConnection),
}

impl std::ops::Deref for Held<'_> {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            Held::Pooled(c) => c,
            Held::Borrowed(c) => c,
        }
    }
}

impl std::ops::DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Held::Pooled(c) => c,
            Held::Borrowed(c) => c,
        }
    }
}

/// A row of an aggregate table: its JSON body and stored version.
#[derive(sqlx::FromRow)]
pub(crate) struct BodyRow {
    pub body: String,
    pub version: i64,
}

impl BodyRow {
    pub(crate) fn parse<T: serde::de::DeserializeOwned>(&self) -> AccessResult<T> {
        from_json(&self.body)
    }

    pub(crate) fn version(&self) -> AccessResult<u64> {
        u64::try_from(self.version).map_err(|_| AccessError::Data("negative version".into()))
    }
}

/// A row that is only a JSON body.
#[derive(sqlx::FromRow)]
pub(crate) struct Body {
    pub body: String,
}

impl Body {
    pub(crate) fn parse<T: serde::de::DeserializeOwned>(&self) -> AccessResult<T> {
        from_json(&self.body)
    }
}

/// A unique index, as each engine names it in a violation: PostgreSQL gives the index name
/// (`constraint()`), SQLite the indexed columns ("UNIQUE constraint failed: entitlements.alias").
#[derive(Debug, Clone, Copy)]
pub struct UniqueIndex {
    pub name: &'static str,
    /// `table.column` for each column, comma-separated as SQLite lists them.
    pub columns: &'static str,
}

impl UniqueIndex {
    /// Whether `e` is a unique violation of this index, on either engine.
    pub fn violated_by(&self, e: &sqlx::Error) -> bool {
        let sqlx::Error::Database(db) = e else {
            return false;
        };
        db.is_unique_violation()
            && (db.constraint() == Some(self.name)
                || db
                    .message()
                    .strip_prefix("UNIQUE constraint failed: ")
                    .is_some_and(|cols| cols == self.columns))
    }
}

/// launchbadge's `ResultExt`: `.on_unique(INDEX, || error)` turns a unique violation of that one
/// index into a meaningful error and passes every other result through.
pub trait ResultExt<T> {
    fn on_unique(self, index: UniqueIndex, f: impl FnOnce() -> AccessError) -> AccessResult<T>;
}

impl<T> ResultExt<T> for Result<T, sqlx::Error> {
    fn on_unique(self, index: UniqueIndex, f: impl FnOnce() -> AccessError) -> AccessResult<T> {
        self.map_err(|e| if index.violated_by(&e) { f() } else { e.into() })
    }
}

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

/// Who acts: a person by their directory id and roles, whichever door they came in by (a console
/// session, a linked Slack user, the CLI).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: UserId,
    pub roles: RoleSet,
}

impl Actor {
    /// The signed-in console account.
    pub fn new(user: CurrentUser) -> Actor {
        Actor::for_user(user_id(user.id), user.roles())
    }

    /// Anyone the caller has identified by other means (a Slack user linked to a directory user,
    /// a command-line operator), with the roles their account holds.
    pub fn for_user(id: UserId, roles: RoleSet) -> Actor {
        Actor { id, roles }
    }

    pub fn is_super_admin(&self) -> bool {
        self.roles.is_super_admin()
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
    use super::{Actor, user_id, values_placeholders};
    use crate::domain::{Role, RoleSet};
    use crate::session::CurrentUser;

    #[test]
    fn an_actor_from_a_session_is_the_actor_of_its_user_id_and_roles() {
        let account = |role| CurrentUser {
            id: 7,
            email: "ada@example.com".into(),
            name: "Ada".into(),
            role,
            granted_roles: Vec::new(),
        };
        let admin = Actor::new(account(Role::SuperAdmin));
        let same = Actor::for_user(user_id(7), RoleSet::new([Role::SuperAdmin]));
        assert_eq!((admin.id, admin.roles), (same.id, same.roles));
        assert!(Actor::for_user(user_id(7), RoleSet::new([Role::SuperAdmin])).is_super_admin());

        let member = Actor::new(account(Role::BasicUser));
        assert_eq!(member.roles, RoleSet::new([]));
        assert!(!member.is_super_admin());
    }

    #[test]
    fn placeholders_number_every_column_of_every_row() {
        assert_eq!(values_placeholders(1, 1), "($1)");
        assert_eq!(values_placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_placeholders(0, 3), "");
    }
}
