//! Periodic background work, single-flight across processes.
//!
//! Each job has a lease name (see `app::ssr::lease`). Every process runs the same loop; only the
//! one holding the lease does the work, renewing the lease each round. When that process stops
//! or dies, another one takes the lease within one lease lifetime.
//!
//! The jobs (started in `startup`): grant expiry, provisioning webhooks, external deciders of
//! request policies (`app::ssr::flows::decider`, every 500 ms: a request waiting for its decider
//! is asked within a second, and a call queued before a crash is made by whoever runs next),
//! expiry reminders, pending-request expiry, stuck removals, Slack delivery of the outbox
//! (`slack-delivery`), App Home refreshes (`slack-home-refresh`), campaigns' auto-end
//! (`campaign-auto-end`), session clean-up.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use app::ssr::{Db, lease};

/// Runs `job` every `every` while this process (`holder`) holds lease `name`, until `stop` is
/// set. The lease lives for three rounds, so a missed renewal doesn't hand the work over; a round
/// that runs longer renews it as it goes, and is dropped (its open transaction rolled back) if
/// the lease is lost anyway. Each round runs fenced (`lease::fenced`): its transactions commit
/// only while this holding still has the lease.
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
            match lease::acquire(&db, name, &holder, ttl_ms).await {
                Ok(Some(held)) => {
                    if let Err(error) = run_round(&db, held, every, job()).await {
                        tracing::warn!(job = name, %error, "background job failed; will retry");
                    }
                }
                Ok(None) => tracing::trace!(job = name, "another process holds the lease"),
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

/// Runs one round under `held`, renewing the lease every round-length while the round lasts.
/// A lost lease ends the round at once: dropping it rolls back whatever it had open.
pub async fn run_round<Fut>(
    db: &Db,
    held: lease::Lease,
    every: Duration,
    round: Fut,
) -> Result<(), String>
where
    Fut: Future<Output = Result<(), String>>,
{
    let renewals = async {
        loop {
            tokio::time::sleep(every).await;
            match lease::renew(db, &held).await {
                Ok(true) => {}
                Ok(false) => {
                    return lease::LeaseLost {
                        name: held.name.clone(),
                    }
                    .to_string();
                }
                // A failed renewal is not a lost lease: the next one (or the fence) decides.
                Err(error) => tracing::warn!(job = %held.name, %error, "could not renew the lease"),
            }
        }
    };
    tokio::select! {
        result = lease::fenced(held.clone(), round) => result,
        lost = renewals => Err(lost),
    }
}

/// One round of a job that needs only the database (see `startup`).
pub type DbRound = fn(Db) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A round's result as the job loop wants it: what it did is not needed, only why it failed.
pub fn outcome<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<(), String> {
    result.map(|_| ()).map_err(|e| e.to_string())
}
