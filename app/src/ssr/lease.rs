//! Leases make background work single-flight across processes: several `latch serve` processes
//! may share one PostgreSQL database, and each kind of periodic work (expiry sweeps, outbox
//! delivery, session clean-up) must run in exactly one of them at a time.
//!
//! A lease is a row `(name, holder, expires_at, token)`. Taking it is one atomic upsert that
//! succeeds only if the row is free, expired, or already ours; the holder renews it well before it
//! lapses. If a process dies, its lease expires and another process takes over.
//!
//! Three rules keep a lease honest when processes disagree or stall:
//! - **The database's clock decides.** Expiry is written and compared with the database server's
//!   time, never a process's own: two processes whose clocks differ by minutes still agree on who
//!   holds a lease.
//! - **Long rounds renew.** `background::spawn_leased` renews the lease while a round runs, and
//!   drops the round if the lease is lost.
//! - **Writes are fenced.** Every new holding gets a higher `token`. A round runs inside
//!   [`fenced`], and [`Db::begin`](crate::ssr::Db::begin) then starts each transaction by renewing
//!   the lease *with that token*: a holder that stalled past its lease (a paused VM, a long GC of
//!   the database connection) finds the token changed and its transaction refused, so stale work
//!   is never committed beside the new holder's.

use std::fmt;
use std::future::Future;

use sqlx::Row;

use crate::ssr::db::{Db, Engine};

/// A lease held by this process: the fencing token proves which holding a write belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    pub token: i64,
    pub ttl_ms: i64,
}

tokio::task_local! {
    /// The lease the current background round runs under, if any.
    static FENCE: Lease;
}

/// The lease was taken over (or lapsed) while this holder still worked under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseLost {
    pub name: String,
}

impl fmt::Display for LeaseLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the `{}` lease was lost to another process; this round's writes are discarded",
            self.name
        )
    }
}

impl std::error::Error for LeaseLost {}

impl From<LeaseLost> for sqlx::Error {
    fn from(lost: LeaseLost) -> Self {
        sqlx::Error::AnyDriverError(Box::new(lost))
    }
}

/// The database server's current time in Unix milliseconds, as an SQL expression.
pub fn db_now_sql(engine: Engine) -> &'static str {
    match engine {
        // `clock_timestamp()` moves within a transaction; `now()` would be the transaction's start.
        Engine::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        Engine::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
    }
}

/// The database server's current time in Unix milliseconds.
pub async fn db_now_ms(db: &Db) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {} AS now_ms", db_now_sql(db.engine)))
        .fetch_one(&db.pool)
        .await?;
    row.try_get("now_ms")
}

/// Takes or renews lease `name` for `holder` for `ttl_ms`. `Some` when `holder` has it.
///
/// A renewal by the current holder keeps the token; taking a free or lapsed lease (even one this
/// holder had before) moves the token on, so writes of an earlier holding are fenced off.
pub async fn acquire(
    db: &Db,
    name: &str,
    holder: &str,
    ttl_ms: i64,
) -> Result<Option<Lease>, sqlx::Error> {
    let now = db_now_sql(db.engine);
    let row = sqlx::query(&format!(
        "INSERT INTO leases (name, holder, expires_at, token) VALUES ($1, $2, {now} + $3, 1) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, \
            token = CASE WHEN leases.holder = excluded.holder AND leases.expires_at >= {now} \
                         THEN leases.token ELSE leases.token + 1 END \
         WHERE leases.expires_at < {now} OR leases.holder = excluded.holder \
         RETURNING holder, token"
    ))
    .bind(name)
    .bind(holder)
    .bind(ttl_ms)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if row.try_get::<String, _>("holder")? != holder {
        return Ok(None);
    }
    Ok(Some(Lease {
        name: name.to_string(),
        holder: holder.to_string(),
        token: row.try_get("token")?,
        ttl_ms,
    }))
}

/// Takes or renews lease `name` for `holder` for `ttl_ms`. True when `holder` has it.
pub async fn try_acquire(
    db: &Db,
    name: &str,
    holder: &str,
    ttl_ms: i64,
) -> Result<bool, sqlx::Error> {
    Ok(acquire(db, name, holder, ttl_ms).await?.is_some())
}

/// The statement that renews `lease` only if this very holding still has it.
fn renew_sql(engine: Engine) -> String {
    let now = db_now_sql(engine);
    format!(
        "UPDATE leases SET expires_at = CASE WHEN expires_at < {now} + $4 THEN {now} + $4 ELSE expires_at END \
         WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at >= {now}"
    )
}

/// Renews `lease` by its lifetime from now, through `executor` (the pool, or a transaction).
/// `false` when another holding replaced it or it lapsed.
async fn renew_on<'e, E>(executor: E, engine: Engine, lease: &Lease) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(&renew_sql(engine))
        .bind(&lease.name)
        .bind(&lease.holder)
        .bind(lease.token)
        .bind(lease.ttl_ms)
        .execute(executor)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Extends `lease` by its lifetime from now. `false` when another holding replaced it or it
/// lapsed.
pub async fn renew(db: &Db, lease: &Lease) -> Result<bool, sqlx::Error> {
    renew_on(&db.pool, db.engine, lease).await
}

/// Renews the current round's lease inside `conn`'s transaction, if the task runs under one.
/// On PostgreSQL the renewal holds the lease row's lock until the transaction ends, so no other
/// process can take the lease between this check and the commit; on SQLite the write lock does.
pub(crate) async fn fence(
    conn: &mut sqlx::AnyConnection,
    engine: Engine,
) -> Result<(), sqlx::Error> {
    let Ok(lease) = FENCE.try_with(Lease::clone) else {
        return Ok(());
    };
    if renew_on(&mut *conn, engine, &lease).await? {
        Ok(())
    } else {
        Err(LeaseLost { name: lease.name }.into())
    }
}

/// Runs `work` under `lease`: every transaction it begins through `Db::begin` is fenced.
pub async fn fenced<F: Future>(lease: Lease, work: F) -> F::Output {
    FENCE.scope(lease, work).await
}

/// Gives the lease up early (clean shutdown), so another process need not wait for expiry.
pub async fn release(db: &Db, name: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(&db.pool)
        .await?;
    Ok(())
}
