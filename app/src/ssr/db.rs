//! One schema, two engines. Queries are written once, in the SQL both SQLite and PostgreSQL
//! accept (`$1` placeholders, `RETURNING`, `ON CONFLICT`, BIGINT timestamps), and run through
//! sqlx's `Any` driver. Only the migrations differ per engine (`migrations/sqlite`,
//! `migrations/postgres`).

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

/// Which database engine a URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// `postgres://` or `postgresql://` selects PostgreSQL, `sqlite:` SQLite.
    pub fn from_url(url: &str) -> Option<Engine> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL must start with sqlite: or postgres://")]
    UnknownEngine,
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot lock {path} for migration: {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
}

/// Blocks (off the async workers) until this process holds an exclusive lock on `path`; the
/// lock is released when the returned file is dropped.
async fn lock_file(path: std::path::PathBuf) -> Result<std::fs::File, DbError> {
    let shown = path.display().to_string();
    let locked = tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| DbError::Lock {
        path: shown.clone(),
        source: std::io::Error::other(e),
    })?;
    locked.map_err(|source| DbError::Lock {
        path: shown,
        source,
    })
}

/// The connection pool and the engine behind it.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub engine: Engine,
    /// The SQLite database file, when there is one (not for `sqlite::memory:`).
    sqlite_file: Option<std::path::PathBuf>,
}

/// The file behind an SQLite URL (`sqlite://path`, `sqlite:path`, with optional `?options`).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| std::path::PathBuf::from(path))
}

impl Db {
    /// Connects (creating the SQLite file if needed). Does not migrate.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let engine = Engine::from_url(url).ok_or(DbError::UnknownEngine)?;
        let url = match engine {
            Engine::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
        let pool = AnyPoolOptions::new()
            .max_connections(match engine {
                Engine::Sqlite => 8,
                Engine::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        // WAL lets readers run beside the single writer; busy_timeout makes a
                        // writer wait for the lock instead of failing at once.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let sqlite_file = if engine == Engine::Sqlite {
            sqlite_file(&url)
        } else {
            None
        };
        Ok(Db {
            pool,
            engine,
            sqlite_file,
        })
    }

    /// Applies pending migrations. On PostgreSQL the migrator holds an advisory lock, so several
    /// `latch serve` processes starting together migrate exactly once.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.engine {
            Engine::Sqlite => {
                // SQLite has no advisory locks; processes sharing the file take an exclusive
                // lock on a sibling file instead, so only one applies each migration.
                let _guard = match &self.sqlite_file {
                    Some(file) => Some(lock_file(file.with_extension("migrate-lock")).await?),
                    None => None,
                };
                sqlx::migrate!("../migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Engine::Postgres => {
                sqlx::migrate!("../migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// Begins a write transaction. Inside a leased background round (`lease::fenced`) it first
    /// renews that lease with its fencing token, so a holder that lost its lease commits nothing.
    ///
    /// On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken (waiting up to `busy_timeout`)
    /// before the first read. A deferred transaction that reads and then writes fails at once with
    /// `SQLITE_BUSY_SNAPSHOT` when another writer committed in between, and no timeout helps.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let mut tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.pool.begin().await?,
        };
        crate::ssr::lease::fence(&mut tx, self.engine).await?;
        Ok(tx)
    }

    /// Begins a transaction that only reads: no write lock, no fence. It sees one consistent
    /// state (SQLite WAL: as of its first read; PostgreSQL: set the isolation level first).
    pub async fn begin_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        self.pool.begin().await
    }

    /// True when the database answers a trivial query within `timeout`.
    pub async fn is_reachable(&self, timeout: Duration) -> bool {
        let ping = sqlx::query("SELECT 1").execute(&self.pool);
        matches!(tokio::time::timeout(timeout, ping).await, Ok(Ok(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://data/latch.db?mode=rwc"),
            Some("data/latch.db".into())
        );
        assert_eq!(sqlite_file("sqlite:/tmp/x.db"), Some("/tmp/x.db".into()));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x/y"), None);
    }
}
