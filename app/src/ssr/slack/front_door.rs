//! The front door every signed Slack request goes through once its signature checked out: which
//! installation serves it, and who the person is.
//!
//! Routing ([`route`]): a request names its workspace (`team_id`) and, in an Enterprise Grid org,
//! the org (`enterprise_id`). The workspace's own connected install serves it; failing that, an
//! org-wide install of its enterprise serves every workspace of the org (so an org-installed app
//! works in a workspace it was added to with no further OAuth). Org-wide installs send some
//! payloads with no workspace at all (`team: null`); those go to the org's install. A workspace
//! with no connected install gets a sentence to show ([`NotServed::sentence`]): never connected,
//! or disconnected (by an admin, or by Slack after an uninstall), told apart so the person knows
//! whom to ask.
//!
//! Identity ([`SlackCaller::identify`]): the caller's Latch identity through
//! [`identity::resolve`]; a person Latch will not act for gets [`identity::explain`].
//!
//! Time ([`within`]): Slack waits 3 seconds for an answer. Handlers run their work in a task of
//! its own and answer with its result when it comes within [`ACK_BUDGET`]; when it does not, they
//! answer without it and the work hands its result to a fallback (a `response_url`, a
//! `views.update`) when it is done.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use tokio::sync::Semaphore;

use crate::ssr::AppState;
use crate::ssr::slack::identity::{self, IdentityError, SlackIdentity};
use crate::ssr::slack::store::{self, Installation};

/// Where a Slack request says it comes from, as its payload names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The workspace (`T…`); `None` when an org-wide install's payload names none.
    pub team_id: Option<String>,
    /// The Grid org (`E…`), when the workspace belongs to one.
    pub enterprise_id: Option<String>,
    /// The Slack user who acted (`U…`/`W…`).
    pub slack_user_id: String,
}

/// A request routed to the connected installation that serves it, with the bot token to answer
/// with.
#[derive(Clone)]
pub struct SlackCaller {
    pub install: Installation,
    /// The installation's bot token, unsealed for this request only.
    pub bot_token: SecretString,
    /// The Slack user who acted.
    pub slack_user_id: String,
    /// Their workspace (for an org-wide install whose payload named none: the org's id).
    pub team_id: String,
    pub enterprise_id: Option<String>,
}

impl std::fmt::Debug for SlackCaller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackCaller")
            .field("install_key", &self.install.install_key)
            .field("slack_user_id", &self.slack_user_id)
            .field("team_id", &self.team_id)
            .field("enterprise_id", &self.enterprise_id)
            .finish_non_exhaustive()
    }
}

/// Why a request is not served: each has the sentence the person is shown (ephemerally).
#[derive(Debug, Clone)]
pub enum NotServed {
    /// No installation of Latch covers this workspace or org.
    NotConnected,
    /// The installation that covered it was disconnected (the reason as stored).
    Disconnected(Option<String>),
    /// The installation could not be read or its token opened; logged, and the person asked
    /// to try again.
    Failed(String),
}

impl NotServed {
    /// What the person sees: what happened and what to do.
    pub fn sentence(&self) -> String {
        match self {
            NotServed::NotConnected => "Latch isn't connected to this Slack workspace, so it \
                can't help from here. Ask a Latch admin to connect it (Admin › Settings › \
                Notifications), or use the Latch web console."
                .into(),
            NotServed::Disconnected(reason) => {
                let why = match reason.as_deref() {
                    Some("app_uninstalled") => " (the app was removed from Slack)",
                    Some("tokens_revoked") => " (Slack revoked its access)",
                    Some("disconnected_by_admin") => " (an admin disconnected it)",
                    _ => "",
                };
                format!(
                    "Latch was disconnected from this Slack workspace{why}, so it can't help \
                     from here. Ask a Latch admin to reconnect it (Admin › Settings › \
                     Notifications), or use the Latch web console."
                )
            }
            NotServed::Failed(_) => "Latch couldn't handle this just now. Please try again in a \
                minute."
                .into(),
        }
    }
}

/// The connected installation serving `origin`, with its bot token; or why there is none.
/// Answers from the process's [`RouteCache`] when it can (see there for how long an answer is
/// kept, and why a connect or disconnect is still honoured at once).
pub async fn route(state: &AppState, origin: &Origin) -> Result<SlackCaller, NotServed> {
    let cache = &state.slack.front_door.routes;
    let key = (origin.team_id.clone(), origin.enterprise_id.clone());
    let mut routed = match cache.get(&key) {
        Some(routed) => routed,
        None => {
            let generation = store::installations_generation();
            let routed = route_uncached(state, origin).await;
            if !matches!(routed, Err(NotServed::Failed(_))) {
                cache.put(key, generation, &routed);
            }
            routed
        }
    }?;
    origin.slack_user_id.clone_into(&mut routed.slack_user_id);
    Ok(routed)
}

async fn route_uncached(state: &AppState, origin: &Origin) -> Result<SlackCaller, NotServed> {
    let team = origin.team_id.as_deref().filter(|t| !t.is_empty());
    let enterprise = origin.enterprise_id.as_deref().filter(|e| !e.is_empty());
    let found = match team {
        Some(team) => store::find_for_workspace(&state.db, team, enterprise).await,
        None => connected_org_install(state, enterprise).await,
    }
    .map_err(|error| {
        tracing::error!(%error, "could not read the Slack installations");
        NotServed::Failed(error.to_string())
    })?;
    let Some(install) = found else {
        return Err(why_not_served(state, team, enterprise).await);
    };
    let bot_token = install
        .bot_token(&state.slack.sealer)
        .map_err(|error| {
            tracing::error!(%error, install_key = %install.install_key, "could not open a Slack bot token");
            NotServed::Failed(error.to_string())
        })?
        .ok_or_else(|| NotServed::Disconnected(install.disconnect_reason.clone()))?;
    let team_id = team
        .or(install.team_id.as_deref())
        .or(enterprise)
        .unwrap_or_default()
        .to_owned();
    Ok(SlackCaller {
        bot_token: SecretString::from(bot_token),
        slack_user_id: origin.slack_user_id.clone(),
        team_id,
        enterprise_id: enterprise
            .map(str::to_owned)
            .or_else(|| install.enterprise_id.clone()),
        install,
    })
}

/// The connected org-wide install of `enterprise` (payloads of org-wide installs may name no
/// workspace).
async fn connected_org_install(
    state: &AppState,
    enterprise: Option<&str>,
) -> Result<Option<Installation>, sqlx::Error> {
    let Some(key) = store::install_key(None, enterprise, true) else {
        return Ok(None);
    };
    Ok(store::list(&state.db)
        .await?
        .into_iter()
        .find(|i| i.install_key == key && i.connected))
}

/// No connected install serves the request: was one ever there?
async fn why_not_served(
    state: &AppState,
    team: Option<&str>,
    enterprise: Option<&str>,
) -> NotServed {
    let keys: Vec<String> = [
        store::install_key(team, None, false),
        store::install_key(None, enterprise, true),
    ]
    .into_iter()
    .flatten()
    .collect();
    match store::list(&state.db).await {
        Ok(installs) => installs
            .into_iter()
            .find(|i| keys.contains(&i.install_key))
            .map_or(NotServed::NotConnected, |i| {
                NotServed::Disconnected(i.disconnect_reason)
            }),
        Err(error) => {
            tracing::error!(%error, "could not read the Slack installations");
            NotServed::Failed(error.to_string())
        }
    }
}

impl SlackCaller {
    /// Who the caller is in Latch ([`identity::resolve`]); `NotLinked` carries the reason to
    /// [`identity::explain`].
    pub async fn identify(&self, state: &AppState) -> Result<SlackIdentity, IdentityError> {
        identity::resolve(state, &self.install, &self.slack_user_id).await
    }
}

/// The sentence for a failure to identify the caller (the database, a token that will not open):
/// logged, and the person asked to try again.
pub fn identify_failed(error: &IdentityError) -> String {
    tracing::error!(%error, "could not identify a Slack user");
    NotServed::Failed(error.to_string()).sentence()
}

/// How long [`route`] keeps an answer. Long enough to spare the database a query per Slack
/// request under load, short enough that another process of a PostgreSQL deployment sees a
/// disconnect made elsewhere within it. A connect or disconnect made by this process is honoured
/// at once (`store::installations_generation`).
pub const ROUTE_TTL: Duration = Duration::from_secs(3);

/// The most routing answers kept; past it the cache starts afresh (one query per workspace).
const ROUTE_CACHE_MAX: usize = 10_000;

type RouteKey = (Option<String>, Option<String>);

/// Routing answers of this process, by (workspace, org): the installation and its opened bot
/// token, or why the request is not served. Failures (the database down) are never kept.
#[derive(Default)]
pub struct RouteCache {
    entries: Mutex<HashMap<RouteKey, CachedRoute>>,
}

struct CachedRoute {
    at: Instant,
    generation: u64,
    routed: Result<SlackCaller, NotServed>,
}

impl RouteCache {
    fn get(&self, key: &RouteKey) -> Option<Result<SlackCaller, NotServed>> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key)?;
        (entry.at.elapsed() < ROUTE_TTL && entry.generation == store::installations_generation())
            .then(|| entry.routed.clone())
    }

    /// Keeps `routed`, read from the database when the installations' generation was
    /// `generation`: if they changed meanwhile the entry is stale from the start and never used.
    fn put(&self, key: RouteKey, generation: u64, routed: &Result<SlackCaller, NotServed>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= ROUTE_CACHE_MAX {
            entries.clear();
        }
        entries.insert(
            key,
            CachedRoute {
                at: Instant::now(),
                generation,
                routed: routed.clone(),
            },
        );
    }
}

/// What the front door keeps for the whole process: the routing cache, the bound on work done
/// after acks, and who was recently told that Latch is busy.
#[derive(Default)]
pub struct FrontDoor {
    pub routes: RouteCache,
    pub deferred: DeferredWork,
    told: Told,
}

impl FrontDoor {
    /// True the first time in [`TOLD_WINDOW`] that `person` is to be told `what` (a busy or
    /// rate-limited Slack): one notice per person, however many times they clicked.
    pub fn first_notice(&self, person: &str, what: &str) -> bool {
        self.told.first(&format!("{what}\u{0}{person}"))
    }
}

/// How long after telling someone that Latch or Slack is busy the same notice is not repeated.
pub const TOLD_WINDOW: Duration = Duration::from_secs(30);

/// The most people remembered as told; past it, the oldest half is forgotten.
const TOLD_MAX: usize = 10_000;

#[derive(Default)]
struct Told {
    at: Mutex<HashMap<String, Instant>>,
}

impl Told {
    fn first(&self, key: &str) -> bool {
        let Ok(mut at) = self.at.lock() else {
            return false;
        };
        if at.len() >= TOLD_MAX {
            at.retain(|_, when| when.elapsed() < TOLD_WINDOW);
        }
        match at.get(key) {
            Some(when) if when.elapsed() < TOLD_WINDOW => false,
            _ => {
                at.insert(key.to_owned(), Instant::now());
                true
            }
        }
    }
}

/// How many pieces of deferred work run at once in this process: each calls Slack and the
/// database, and Slack's per-method limits are far below what an ack loop can accept.
pub const DEFERRED_RUNNING_MAX: usize = 32;

/// How many may be admitted at once, running or waiting to start; beyond it, work is refused at
/// once (its caller tells the person, once).
pub const DEFERRED_ADMITTED_MAX: usize = 256;

/// How long admitted work may wait for a turn. A `trigger_id` lives 3 seconds and the ack still
/// has to get back to Slack, so work that has not started by then would only find a dead trigger.
pub const START_BY: Duration = Duration::from_millis(1500);

/// The process-wide bound on work done after (or while) Slack is answered: at most
/// [`DEFERRED_RUNNING_MAX`] running and [`DEFERRED_ADMITTED_MAX`] admitted; work that cannot
/// start within its deadline is dropped, never queued for ever.
pub struct DeferredWork {
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
}

impl Default for DeferredWork {
    fn default() -> Self {
        DeferredWork {
            running: Arc::new(Semaphore::new(DEFERRED_RUNNING_MAX)),
            admitted: Arc::new(Semaphore::new(DEFERRED_ADMITTED_MAX)),
        }
    }
}

/// What a person is told when their work was refused because Latch is too busy.
pub const BUSY_SENTENCE: &str =
    "Latch is very busy right now and couldn't do that. Please try again in a minute.";

/// Deferred work refused: too much is admitted already, or it could not start in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl DeferredWork {
    /// Runs `work` in a task of its own once a turn is free, if one frees within `start_by`.
    /// Refused at once (too much admitted) or not started in time, `work` is dropped and
    /// `dropped` runs instead (in the caller when refused at once, in the task otherwise).
    pub fn spawn<Work, Dropped>(&self, start_by: Duration, work: Work, dropped: Dropped)
    where
        Work: Future<Output = ()> + Send + 'static,
        Dropped: FnOnce() + Send + 'static,
    {
        let Ok(admission) = self.admitted.clone().try_acquire_owned() else {
            dropped();
            return;
        };
        let running = self.running.clone();
        tokio::spawn(async move {
            let _admission = admission;
            match tokio::time::timeout(start_by, running.acquire_owned()).await {
                Ok(Ok(_turn)) => work.await,
                _ => dropped(),
            }
        });
    }
}

/// How long a handler waits for its work before answering Slack without it: Slack gives up at 3
/// seconds, and the answer still has to cross the network.
pub const ACK_BUDGET: Duration = Duration::from_millis(2000);

/// Runs `work` as [`DeferredWork`] of `gate` and returns its output if it is ready within
/// `budget`. If it is not, returns `Ok(None)` at once and the task goes on: when `work` is done
/// its output goes to `late` instead. Exactly one of the two gets the output (a result ready at
/// the very moment the budget runs out is still returned, never dropped). `Err(Busy)`: the work
/// was refused or could not start (it is given half the budget to), and nothing will come.
pub async fn within<T, Work, Late, LateFut>(
    gate: &DeferredWork,
    budget: Duration,
    work: Work,
    late: Late,
) -> Result<Option<T>, Busy>
where
    T: Send + 'static,
    Work: Future<Output = T> + Send + 'static,
    Late: FnOnce(T) -> LateFut + Send + 'static,
    LateFut: Future<Output = ()> + Send + 'static,
{
    let (sender, mut receiver) = tokio::sync::oneshot::channel();
    gate.spawn(
        budget / 2,
        async move {
            let output = work.await;
            if let Err(output) = sender.send(output) {
                late(output).await;
            }
        },
        || {},
    );
    match tokio::time::timeout(budget, &mut receiver).await {
        Ok(Ok(output)) => Ok(Some(output)),
        // The work was dropped (refused, not started in time) or panicked: nothing will come.
        Ok(Err(_)) => Err(Busy),
        Err(_) => {
            // Closing first makes the task's send fail from now on, so what is not taken here
            // goes to `late`.
            receiver.close();
            Ok(receiver.try_recv().ok())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn work_done_in_time_is_answered_and_late_work_goes_to_the_fallback() {
        let late_outputs = Arc::new(Mutex::new(Vec::new()));
        let sink = late_outputs.clone();
        let gate = DeferredWork::default();
        let quick = within(
            &gate,
            Duration::from_millis(500),
            async { 1 },
            move |n| async move { sink.lock().unwrap().push(n) },
        )
        .await;
        assert_eq!(quick, Ok(Some(1)));

        let sink = late_outputs.clone();
        let (done, finished) = tokio::sync::oneshot::channel();
        let slow = within(
            &gate,
            Duration::from_millis(50),
            async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                2
            },
            move |n| async move {
                sink.lock().unwrap().push(n);
                let _ = done.send(());
            },
        )
        .await;
        assert_eq!(slow, Ok(None), "the answer does not wait for slow work");
        finished.await.unwrap();
        assert_eq!(
            *late_outputs.lock().unwrap(),
            [2],
            "only the late work reached the fallback"
        );
    }

    #[tokio::test]
    async fn deferred_work_beyond_the_bound_is_dropped_and_what_cannot_start_in_time_too() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = DeferredWork::default();
        let ran = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let (release, released) = tokio::sync::watch::channel(false);
        let total = DEFERRED_ADMITTED_MAX + 50;
        for _ in 0..total {
            let ran = ran.clone();
            let dropped = dropped.clone();
            let mut released = released.clone();
            gate.spawn(
                Duration::from_millis(200),
                async move {
                    let _ = released.wait_for(|r| *r).await;
                    ran.fetch_add(1, Ordering::SeqCst);
                },
                move || {
                    dropped.fetch_add(1, Ordering::SeqCst);
                },
            );
        }
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            50,
            "beyond the admitted bound, work is refused at once"
        );
        // The running ones hold their turns past the others' start deadline.
        tokio::time::sleep(Duration::from_millis(400)).await;
        release.send(true).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(ran.load(Ordering::SeqCst), DEFERRED_RUNNING_MAX);
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            total - DEFERRED_RUNNING_MAX,
            "work that could not start in time was dropped, not queued"
        );
        let busy = within(&gate, Duration::from_millis(100), async { 1 }, |_| async {}).await;
        assert_eq!(busy, Ok(Some(1)), "turns are given back");
    }

    #[test]
    fn a_busy_notice_is_given_once_per_person_in_its_window() {
        let front = FrontDoor::default();
        assert!(front.first_notice("T1/U1", "busy"));
        assert!(!front.first_notice("T1/U1", "busy"));
        assert!(front.first_notice("T1/U2", "busy"));
        assert!(front.first_notice("T1/U1", "views.open"));
    }

    #[test]
    fn every_reason_not_to_serve_tells_the_person_what_to_do() {
        for why in [
            NotServed::NotConnected,
            NotServed::Disconnected(None),
            NotServed::Disconnected(Some("app_uninstalled".into())),
            NotServed::Failed("db down".into()),
        ] {
            let text = why.sentence();
            assert!(
                text.contains("Ask a Latch admin") || text.contains("try again"),
                "{text}"
            );
            assert!(
                !text.contains("db down"),
                "internal details stay in the log"
            );
        }
        assert!(
            NotServed::Disconnected(Some("app_uninstalled".into()))
                .sentence()
                .contains("removed from Slack")
        );
    }
}
