//! Builds the running application from validated settings (zero2prod's `Application::build`).

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt;
use leptos::config::LeptosOptions;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_sessions::ExpiredDeletion;

use app::ssr::slack::Slack;
use app::ssr::{AppState, Db, setup};

use crate::background;
use crate::config::Settings;
use crate::http;
use crate::sessions::SessionStoreKind;

/// The leased job that ends running campaigns set to auto-end once their due date has come. A
/// campaign's due date is a day, not a minute: checked every minute.
pub const CAMPAIGN_AUTO_END_JOB: &str = "campaign-auto-end";
pub const CAMPAIGN_AUTO_END_EVERY: Duration = Duration::from_secs(60);

/// One round of [`CAMPAIGN_AUTO_END_JOB`] (a [`background::DbRound`]).
pub fn campaign_auto_end_round(
    db: Db,
) -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>> {
    Box::pin(async move { background::outcome(app::ssr::flows::campaigns::end_due(&db).await) })
}

/// One round of the leased campaign reminders job (`app::ssr::flows::campaign_notifications`):
/// each running campaign's reminder whose occasion has come, on the app's clock.
pub fn campaign_reminders_round(
    db: Db,
) -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>> {
    Box::pin(async move {
        let now = app::domain::Timestamp::from_unix_millis(app::ssr::clock::now_ms());
        background::outcome(app::ssr::flows::campaign_notifications::remind_due(&db, now).await)
    })
}

/// How often the expiry sweep runs. Short rounds keep revocation prompt (target p99 <= 1 s after
/// expiry); an idle round is one indexed query. The per-grant version guard keeps a stale lease
/// holder harmless.
pub const EXPIRY_SWEEP_EVERY: Duration = Duration::from_millis(250);

pub struct Application {
    local_addr: SocketAddr,
    listener: TcpListener,
    router: Router,
    state: AppState,
    setup_link: Option<String>,
    stop: watch::Sender<bool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Binds the configured address, then builds everything.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(settings.listen_addr).await.map_err(|e| {
            anyhow::anyhow!(
                "LATCH_LISTEN_ADDR: cannot listen on {}: {e}",
                settings.listen_addr
            )
        })?;
        Application::build_with_listener(settings, listener).await
    }

    /// Connects and migrates the database, mints the first-run link if no admin exists, starts
    /// background work and assembles the router. Tests pass a listener bound to port 0.
    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        let local_addr = listener.local_addr()?;
        let url = settings.database_url.expose_secret();
        let db = Db::connect(url).await.map_err(|e| {
            anyhow::anyhow!(
                "LATCH_DATABASE_URL: cannot open the {} database: {e}",
                settings.engine.name()
            )
        })?;
        db.migrate()
            .await
            .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
        bind_secret_key(&db, &settings).await?;
        let sessions = SessionStoreKind::connect(settings.engine, url)
            .await
            .map_err(|e| {
                anyhow::anyhow!("LATCH_DATABASE_URL: cannot open the session store: {e}")
            })?;

        let leptos_options = LeptosOptions::builder()
            .output_name("latch")
            .site_root(settings.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(local_addr)
            .build();

        let secret_key = settings.secret_key.as_ref().ok_or_else(|| {
            anyhow::anyhow!("LATCH_SECRET_KEY: no secret key (the data directory was not prepared)")
        })?;
        let slack = Slack::new(settings.slack.clone(), secret_key.expose_secret())
            .map_err(|e| anyhow::anyhow!("cannot create the Slack client: {e}"))?;
        let state = AppState {
            leptos_options,
            db: db.clone(),
            public_url: settings.public_url.clone(),
            slack: std::sync::Arc::new(slack),
        };

        let setup_link = setup::mint_if_no_admin(&db)
            .await?
            .map(|token| settings.public_url.join(&format!("/setup?token={token}")));
        if let Some(link) = &setup_link {
            tracing::warn!(
                "No administrator exists yet. Create the first one at {link} (the link works once)."
            );
        }

        let (stop, stop_rx) = watch::channel(false);
        let holder = format!("{}:{}", hostname(), uuid::Uuid::new_v4());
        let store = sessions.clone();
        // Jobs that need only the database: lease name, interval, one round of work.
        let db_job = |name: &'static str, every: Duration, round: background::DbRound| {
            let job_db = db.clone();
            background::spawn_leased(
                db.clone(),
                holder.clone(),
                name,
                every,
                stop_rx.clone(),
                move || round(job_db.clone()),
            )
        };
        let expiry_worker = db_job("grant-expiry", EXPIRY_SWEEP_EVERY, |db| {
            Box::pin(async move {
                background::outcome(app::ssr::flows::sweeps::expire_all_due(&db).await)
            })
        });
        // Reminders are days ahead and the pending-request limit is counted in days: a minute
        // late is invisible.
        let reminder_worker = db_job("grant-expiry-reminders", Duration::from_secs(60), |db| {
            Box::pin(async move {
                background::outcome(app::ssr::flows::sweeps::remind_expiring(&db).await)
            })
        });
        // A removal left without an open task (by a version before removals converged) gets one.
        let stuck_removal_worker = db_job("stuck-removals", Duration::from_secs(60), |db| {
            Box::pin(async move {
                background::outcome(app::ssr::flows::sweeps::reopen_stuck_removals(&db, 100).await)
            })
        });
        let pending_worker = db_job("pending-request-expiry", Duration::from_secs(60), |db| {
            Box::pin(async move {
                background::outcome(
                    app::ssr::flows::sweeps::expire_pending_requests(&db, 500).await,
                )
            })
        });
        let campaign_auto_end_worker = db_job(
            CAMPAIGN_AUTO_END_JOB,
            CAMPAIGN_AUTO_END_EVERY,
            campaign_auto_end_round,
        );
        let campaign_reminders_worker = db_job(
            app::ssr::flows::campaign_notifications::JOB,
            app::ssr::flows::campaign_notifications::EVERY,
            campaign_reminders_round,
        );
        // Slack App Homes whose content changed (`app::ssr::slack::home`): republished a few per
        // round, under `views.publish`'s rate limit; the marks wait in the database meanwhile.
        let home_state = state.clone();
        let home_worker = background::spawn_leased(
            db.clone(),
            holder.clone(),
            app::ssr::slack::home::JOB,
            app::ssr::slack::home::REFRESH_EVERY,
            stop_rx.clone(),
            move || {
                let state = home_state.clone();
                async move { background::outcome(app::ssr::slack::home::refresh_round(&state).await) }
            },
        );
        let webhook_db = db.clone();
        let webhook_state = state.clone();
        let webhook_client = reqwest_client()?;
        let webhook_worker = background::spawn_leased(
            db.clone(),
            holder.clone(),
            "provisioning-webhooks",
            Duration::from_millis(500),
            stop_rx.clone(),
            move || {
                let db = webhook_db.clone();
                let client = webhook_client.clone();
                let state = webhook_state.clone();
                async move {
                    let sealer = &state.slack.sealer;
                    background::outcome(
                        app::ssr::flows::webhooks::run_due(&db, sealer, &client, 50).await,
                    )
                }
            },
        );
        // External decider steps of request policies: the same client (no redirects); each call
        // has its step's own timeout.
        let decider_db = db.clone();
        let decider_state = state.clone();
        let decider_client = reqwest_client()?;
        let decider_worker = background::spawn_leased(
            db.clone(),
            holder.clone(),
            "external-deciders",
            Duration::from_millis(500),
            stop_rx.clone(),
            move || {
                let db = decider_db.clone();
                let client = decider_client.clone();
                let state = decider_state.clone();
                async move {
                    let sealer = &state.slack.sealer;
                    background::outcome(
                        app::ssr::flows::decider::run_due(&db, sealer, &client, 20).await,
                    )
                }
            },
        );
        // The outbox into Slack DMs (`app::ssr::slack::delivery`): paced per Slack method and
        // channel, so one round may leave rows for the next; the pacer lives across rounds.
        let delivery_state = state.clone();
        let deliverer = state.slack.pacing.clone();
        let live_deliverer = deliverer.clone();
        let delivery_worker = background::spawn_leased(
            db.clone(),
            holder.clone(),
            app::ssr::slack::delivery::JOB,
            app::ssr::slack::delivery::EVERY,
            stop_rx.clone(),
            move || {
                let state = delivery_state.clone();
                let deliverer = deliverer.clone();
                async move { background::outcome(deliverer.run_round(&state).await) }
            },
        );
        // Slack messages that follow their object (`app::ssr::slack::live`): every remembered
        // copy of a changed request, task or grant edited, and its thread told; delivery's pacer.
        let live_state = state.clone();
        let live_worker = background::spawn_leased(
            db.clone(),
            holder.clone(),
            app::ssr::slack::live::JOB,
            app::ssr::slack::live::EVERY,
            stop_rx.clone(),
            move || {
                let state = live_state.clone();
                let deliverer = live_deliverer.clone();
                async move {
                    background::outcome(
                        app::ssr::slack::live::refresh_round(&state, &deliverer).await,
                    )
                }
            },
        );
        // Campaign Slack channels (`app::ssr::slack::campaign_channel`): invitations in batches,
        // the pinned status tracker (edits paced per campaign), kickoff and reminders, Completed.
        let channel_state = state.clone();
        let campaign_channel_worker = background::spawn_leased(
            db.clone(),
            holder.clone(),
            app::ssr::slack::campaign_channel::JOB,
            app::ssr::slack::campaign_channel::EVERY,
            stop_rx.clone(),
            move || {
                let state = channel_state.clone();
                async move { app::ssr::slack::campaign_channel::run_round(&state).await }
            },
        );
        let mut workers = vec![background::spawn_leased(
            db.clone(),
            holder,
            "session-cleanup",
            Duration::from_secs(600),
            stop_rx,
            move || {
                let store = store.clone();
                async move { store.delete_expired().await.map_err(|e| e.to_string()) }
            },
        )];
        workers.push(expiry_worker);
        workers.push(webhook_worker);
        workers.push(decider_worker);
        workers.push(delivery_worker);
        workers.push(live_worker);
        workers.push(reminder_worker);
        workers.push(pending_worker);
        workers.push(stuck_removal_worker);
        workers.push(home_worker);
        workers.push(campaign_channel_worker);
        workers.push(campaign_auto_end_worker);
        workers.push(campaign_reminders_worker);

        let edge = http::EdgeSettings {
            https: settings.public_url.is_https(),
            trusted_proxies: settings.trusted_proxies.clone(),
        };
        let router = http::router(state.clone(), sessions, edge);
        Ok(Application {
            local_addr,
            listener,
            router,
            state,
            setup_link,
            stop,
            workers,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The first-run link logged at start, when no admin existed.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    /// Serves until `shutdown` resolves, then stops background work and releases its leases.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // Streamed SSR writes a response in several pieces; with Nagle's algorithm on, the second
        // piece waits for the browser's delayed ACK (~40 ms) on every reused connection.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "could not set TCP_NODELAY on an accepted connection");
            }
        });
        let result = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        let _ = self.stop.send(true);
        for worker in self.workers {
            let _ = worker.await;
        }
        result
    }
}

/// Checks that this process has the secret key the database was first used with (recording its
/// fingerprint on first use), then makes the process sign audit heads with it. Processes sharing a
/// database with different keys could not open each other's sealed secrets nor check each other's
/// audit signatures, and would fail only later and quietly; so a mismatch stops the start.
pub async fn bind_secret_key(db: &Db, settings: &Settings) -> anyhow::Result<()> {
    use app::ssr::access::audit;
    use app::ssr::secret_key::{self, KeyCheck};
    let key = settings
        .secret_key
        .as_ref()
        .ok_or_else(|| {
            anyhow::anyhow!("LATCH_SECRET_KEY: no secret key (the data directory was not prepared)")
        })?
        .expose_secret();
    let check = secret_key::check(db, key)
        .await
        .map_err(|e| anyhow::anyhow!("cannot check the secret key against the database: {e}"))?;
    if check == KeyCheck::Differs {
        anyhow::bail!(
            "LATCH_SECRET_KEY: this database was first used with a different secret key. Every Latch \
             process on one database needs the same key, or it cannot open the secrets the others \
             sealed (Slack tokens) nor check the audit log's signatures. Set LATCH_SECRET_KEY to the \
             key the other processes use, or copy their <data dir>/secret.key to {}",
            settings.data_dir.join("secret.key").display()
        );
    }
    audit::install_head_key(key)?;
    if let KeyCheck::Recorded { fingerprint } = check {
        // Signing starts with an event of its own: the head is signed from here on, and a later
        // re-binding (someone deleting the fingerprint to get a rewound head re-signed) shows up
        // in the log as a second such event.
        let fingerprint_prefix: String = fingerprint.chars().take(16).collect();
        let entry = audit::Entry::new(
            app::domain::AuditActor::System,
            "audit.head_signing_started",
            format!("secret_key:{fingerprint_prefix}"),
        );
        audit::record(db, app::ssr::access::now(), entry)
            .await
            .map_err(|e| anyhow::anyhow!("cannot record the start of audit signing: {e}"))?;
    }
    Ok(())
}

/// The HTTP client for provisioning webhooks: no redirects (a signed body must not be replayed
/// to wherever a receiver points), bounded connect time.
fn reqwest_client() -> anyhow::Result<app::ssr::access::webhooks::HttpClient> {
    app::ssr::access::webhooks::client()
        .map_err(|e| anyhow::anyhow!("cannot build the webhook HTTP client: {e}"))
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "latch".into())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
