//! Console sessions, persisted in the same database as everything else (a restart keeps people
//! signed in). tower-sessions-sqlx-store has one store per engine; [`SessionStoreKind`] picks the
//! one that matches `LATCH_DATABASE_URL`. Their tables are created by our migrations.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use app::ssr::Engine;

#[derive(Clone, Debug)]
pub enum SessionStoreKind {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl SessionStoreKind {
    /// Opens a small pool of the engine's native type (the store needs it) to the same database.
    pub async fn connect(engine: Engine, url: &str) -> Result<SessionStoreKind, sqlx::Error> {
        use sqlx::pool::PoolOptions;
        Ok(match engine {
            Engine::Sqlite => {
                use std::str::FromStr;
                let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .busy_timeout(std::time::Duration::from_secs(5));
                let pool = PoolOptions::new()
                    .max_connections(4)
                    .connect_with(options)
                    .await?;
                SessionStoreKind::Sqlite(SqliteStore::new(pool))
            }
            Engine::Postgres => {
                let pool = PoolOptions::new().max_connections(4).connect(url).await?;
                SessionStoreKind::Postgres(PostgresStore::new(pool))
            }
        })
    }
}

#[async_trait]
impl SessionStore for SessionStoreKind {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            SessionStoreKind::Sqlite(s) => s.create(record).await,
            SessionStoreKind::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            SessionStoreKind::Sqlite(s) => s.save(record).await,
            SessionStoreKind::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            SessionStoreKind::Sqlite(s) => s.load(id).await,
            SessionStoreKind::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            SessionStoreKind::Sqlite(s) => s.delete(id).await,
            SessionStoreKind::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionStoreKind {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            SessionStoreKind::Sqlite(s) => s.delete_expired().await,
            SessionStoreKind::Postgres(s) => s.delete_expired().await,
        }
    }
}
