//! Periodic background work, single-flight across processes.
//!
//! Each job has a lease name (see `app::ssr::lease`). Every process runs the same loop; only the
//! one holding the lease does the work, renewing the lease each round. When that process stops
//! or dies, another one takes the lease within one lease lifetime.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use app::ssr::{lease, Db};

/// Runs `job` every `every` while this process (`holder`) holds lease `name`, until `stop` is
/// set. The lease lives for three rounds, so a missed renewal doesn't hand the work over.
pub fn spawn_leased<F, Fut>(
    db: Db,
    holder: String,
    name: &'static str,
    every: Duration,
    mut stop: watch::Receiver<bool>,
    mut job: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let ttl_ms = i64::try_from(every.as_millis().saturating_mul(3)).unwrap_or(i64::MAX);
    tokio::spawn(async move {
        loop {
            match lease::try_acquire(&db, name, &holder, ttl_ms).await {
                Ok(true) => {
                    if let Err(error) = job().await {
                        tracing::warn!(job = name, %error, "background job failed; will retry");
                    }
                }
                Ok(false) => tracing::trace!(job = name, "another process holds the lease"),
                Err(error) => tracing::warn!(job = name, %error, "could not take the lease"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => break,
            }
        }
        if let Err(error) = lease::release(&db, name, &holder).await {
            tracing::debug!(job = name, %error, "could not release the lease");
        }
    })
}

/// One round of a job that needs only the database (see `startup`).
pub type DbRound = fn(Db) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A round's result as the job loop wants it: what it did is not needed, only why it failed.
pub fn outcome<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<(), String> {
    result.map(|_| ()).map_err(|e| e.to_string())
}
