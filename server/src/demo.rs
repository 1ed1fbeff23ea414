//! `latch demo`: Latch and the Slack stand-in side by side on free local ports, with a small
//! company to play with, so Latch can be tried without a Slack workspace.
//!
//! Everything is made the way real data is: accounts through `users::create_account` (what
//! `latch create-user` runs), managers and groups through the directory's CSV import, apps,
//! entitlements and policies through `latch apply` of a catalog tree, and Slack through the real
//! OAuth install, driven over HTTP as the admin's browser would (sign in, Add to Slack, Allow on
//! the stand-in's consent page, back to Latch's callback). A `settings` row marks a database as
//! the demo's; one that holds people but no mark is refused before anything is written.
//!
//! A kept demo (`--data-dir`) keeps Slack too: the stand-in saves its state in the data
//! directory (`slack-standin.json`), so the next run finds the same workspace, people, DMs and
//! messages, and Latch's installation with its token. Then nothing is seeded in Slack and the
//! app is not installed again (Latch's remembered messages are still there to edit); only when
//! the kept installation no longer answers is it disconnected and the app installed afresh.
//! The ports of the last run are tried first (`demo-ports.json`), so the links in earlier
//! messages still lead somewhere; a port taken since is replaced by a free one.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use app::domain::{Email, Role};
use app::ssr::access::{Actor, directory, now, settings as stored_settings, webhook_secret};
use app::ssr::flows::apply::{self, ApplyActor, ApplyError, ApplyOptions};
use app::ssr::slack::{Slack, SlackConfig};
use app::ssr::users::{self, NewAccount};
use app::ssr::{Db, Engine, PublicUrl, passwords};

use crate::Application;
use crate::config::Settings;

/// The `settings` key that marks a database as made by `latch demo`.
pub const DEMO_MARK: &str = "demo_seeded";

/// The password of every demo account (printed at start; the demo is local only).
pub const DEMO_PASSWORD: &str = "latch-demo-password";

/// The Super Admin of the demo (also the Slack workspace's admin, who installs the app).
pub const DEMO_ADMIN: &str = "alice@acme.test";

/// The demo's Slack app credentials: known to both sides, local only.
const CLIENT_ID: &str = "1000000001.2000000002";
const CLIENT_SECRET: &str = "latch-demo-slack-client-secret-000000";
const SIGNING_SECRET: &str = "latch-demo-slack-signing-secret-00000";
/// The demo Slack app's id: fixed, as a Slack app's id is, so a kept stand-in's installation
/// and every new one name the same app.
const APP_ID: &str = "A0LATCHDEMO";

/// The stand-in's state file in a kept data directory.
pub const STANDIN_STATE_FILE: &str = "slack-standin.json";

/// The ports the last run of a kept demo listened on, in its data directory.
pub const PORTS_FILE: &str = "demo-ports.json";

/// A demo person: email, name, title, manager's email, group.
pub struct DemoPerson {
    pub email: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub manager: Option<&'static str>,
    pub group: Option<&'static str>,
}

const fn person(
    email: &'static str,
    name: &'static str,
    title: &'static str,
    manager: Option<&'static str>,
    group: Option<&'static str>,
) -> DemoPerson {
    DemoPerson {
        email,
        name,
        title,
        manager,
        group,
    }
}

/// The company: a dozen people with managers, in two groups.
pub const PEOPLE: &[DemoPerson] = &[
    person("alice@acme.test", "Alice Park", "CTO", None, None),
    person(
        "bob@acme.test",
        "Bob Chen",
        "Engineering Manager",
        Some("alice@acme.test"),
        Some("Engineering"),
    ),
    person(
        "carol@acme.test",
        "Carol Diaz",
        "Security Lead",
        Some("alice@acme.test"),
        None,
    ),
    person(
        "dave@acme.test",
        "Dave Evans",
        "Software Engineer",
        Some("bob@acme.test"),
        Some("Engineering"),
    ),
    person(
        "erin@acme.test",
        "Erin Fox",
        "Software Engineer",
        Some("bob@acme.test"),
        Some("Engineering"),
    ),
    person(
        "frank@acme.test",
        "Frank Green",
        "Site Reliability Engineer",
        Some("bob@acme.test"),
        Some("Engineering"),
    ),
    person(
        "henry@acme.test",
        "Henry Ito",
        "Head of Data",
        Some("alice@acme.test"),
        Some("Data"),
    ),
    person(
        "grace@acme.test",
        "Grace Hall",
        "Data Scientist",
        Some("henry@acme.test"),
        Some("Data"),
    ),
    person(
        "irene@acme.test",
        "Irene Jones",
        "Data Analyst",
        Some("henry@acme.test"),
        Some("Data"),
    ),
    person(
        "leo@acme.test",
        "Leo Moss",
        "Analytics Engineer",
        Some("henry@acme.test"),
        Some("Data"),
    ),
    person(
        "jack@acme.test",
        "Jack Kim",
        "IT Administrator",
        Some("carol@acme.test"),
        None,
    ),
    person(
        "kate@acme.test",
        "Kate Lee",
        "Security Engineer",
        Some("carol@acme.test"),
        None,
    ),
];

/// How to run the demo.
pub struct DemoOptions {
    /// The settings to start from (the secret key, site root, log filter; the data directory
    /// and database when `keep` is set).
    pub settings: Settings,
    /// Keep the data in `settings.data_dir` (`--data-dir`); otherwise a fresh temporary
    /// directory is used and removed at shutdown.
    pub keep: bool,
}

/// Why the demo did not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database holds people but was not made by `latch demo`: nothing was changed.
    #[error(
        "the database at {0} already holds data that `latch demo` did not make; it was left \
         unchanged. Give the demo its own directory with --data-dir, or none for a fresh one."
    )]
    NotADemoDatabase(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// A running demo: Latch, the Slack stand-in and the demo webhook receiver.
pub struct DemoHandle {
    /// Latch's console, e.g. `http://127.0.0.1:41234`.
    pub console_url: String,
    /// The Slack stand-in's base URL.
    pub slack_url: String,
    /// The Slack simulator (served by the stand-in).
    pub simulator_url: String,
    /// Where the webhook-provisioned entitlement's calls go.
    pub receiver_url: String,
    /// The data directory in use.
    pub data_dir: PathBuf,
    /// The Slack workspace (team id) Latch was connected to.
    pub team_id: String,
    /// Whether this start seeded the data (false when an existing demo directory was reused).
    pub seeded: bool,
    /// Whether this start installed the Slack app through OAuth (false when a kept demo's
    /// installation still worked in the kept stand-in).
    pub slack_installed: bool,
    pub db: Db,
    pub slack: slack_standin::SlackStandin,
    stop_latch: oneshot::Sender<()>,
    latch: JoinHandle<std::io::Result<()>>,
    stop_receiver: oneshot::Sender<()>,
    receiver: JoinHandle<()>,
    _temp_dir: Option<tempfile::TempDir>,
}

impl DemoHandle {
    /// What to open and who to be.
    pub fn instructions(&self) -> String {
        let mut text = format!(
            "Latch demo is running.\n\n\
             Console:   {}/login\n\
             Simulator: {} (pick who you are, then type /c1 request in the app's DM)\n\n\
             Sign in with any of these (password for all: {DEMO_PASSWORD}):\n",
            self.console_url, self.simulator_url
        );
        for p in PEOPLE {
            let role = if p.email == DEMO_ADMIN {
                ", Super Admin"
            } else {
                ""
            };
            text.push_str(&format!(
                "  {:<18} {} ({}{role})\n",
                p.email, p.name, p.title
            ));
        }
        text.push_str(&format!(
            "\nData: {}\nCtrl-C stops Latch and the stand-in.\n",
            self.data_dir.display()
        ));
        text
    }

    /// Stops Latch (gracefully: in-flight requests finish, background work releases its
    /// leases), then the receiver and the stand-in. The temporary directory, if any, goes last.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop_latch.send(());
        let served = self.latch.await.context("Latch's server task failed")?;
        let _ = self.stop_receiver.send(());
        let _ = self.receiver.await;
        self.slack.stop().await;
        self.db.pool.close().await;
        served.context("Latch's server stopped with an error")?;
        Ok(())
    }
}

/// Starts the demo and returns once Slack is connected and the data is in place.
pub async fn run(options: DemoOptions) -> Result<DemoHandle, DemoError> {
    let DemoOptions { mut settings, keep } = options;
    let temp_dir = if keep {
        None
    } else {
        let dir = tempfile::Builder::new()
            .prefix("latch-demo-")
            .tempdir()
            .context("cannot create a temporary data directory")?;
        settings.data_dir = dir.path().to_path_buf();
        let url = format!("sqlite://{}", dir.path().join("latch.db").display());
        settings.engine = Engine::from_url(&url).context("the demo database URL")?;
        settings.database_url = SecretString::from(url);
        Some(dir)
    };
    // Before anything is written, even the data directory's key file.
    refuse_foreign_database(&settings).await?;
    settings
        .prepare_data_dir()
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    // A kept demo listens where it did last time when it can: earlier messages link there.
    let previous = if keep {
        DemoPorts::read(&settings.data_dir)
    } else {
        DemoPorts::default()
    };

    // The receiver's address goes into the catalog, so it is bound first.
    let receiver_listener = bind_preferring(previous.receiver)
        .await
        .context("cannot listen for the demo webhook receiver")?;
    let receiver_url = format!(
        "http://{}/provision",
        receiver_listener.local_addr().context("local address")?
    );

    // Seeded before Latch starts, so it starts with its admin (and mints no first-run link).
    let seeded = seed(&settings, &receiver_url).await?;

    let listener = bind_preferring(previous.console)
        .await
        .context("cannot listen on 127.0.0.1")?;
    let console_url = format!("http://{}", listener.local_addr().context("local address")?);
    let slack = start_standin(
        &console_url,
        keep.then(|| settings.data_dir.join(STANDIN_STATE_FILE)),
        previous.slack,
    )
    .await?;
    let (team_id, channel_id) = ensure_workspace(&slack)?;
    if keep {
        let ports = DemoPorts {
            console: Some(listener.local_addr().context("local address")?.port()),
            slack: Some(slack.local_addr().port()),
            receiver: Some(
                receiver_listener
                    .local_addr()
                    .context("local address")?
                    .port(),
            ),
        };
        if let Err(error) = ports.write(&settings.data_dir) {
            tracing::warn!(%error, "the demo's ports were not saved; the next run picks new ones");
        }
    }

    settings.public_url = PublicUrl::new(&console_url);
    settings.listen_addr = listener.local_addr().context("local address")?;
    settings.slack = SlackConfig {
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(SecretString::from(CLIENT_SECRET)),
        signing_secret: Some(SecretString::from(SIGNING_SECRET)),
        api_url: slack.api_url(),
        authorize_url: slack.authorize_url(),
        ..SlackConfig::default()
    };
    let data_dir = settings.data_dir.clone();
    let app = Application::build_with_listener(settings, listener)
        .await
        .context("cannot start Latch")?;
    let state = app.state().clone();
    let db = state.db.clone();
    let (stop_latch, stopped) = oneshot::channel::<()>();
    let latch = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let (stop_receiver, receiver) =
        start_receiver(receiver_listener, db.clone(), Arc::clone(&state.slack));

    // A kept stand-in still holds last run's installation: when its token still answers, Latch
    // carries on with it (and with the messages it remembers).
    let kept_installation =
        !seeded && slack.restored() && installation_works(&state, &slack, &team_id).await;
    if !kept_installation {
        if !seeded {
            // Last run's workspace is gone (or its installation no longer answers): its
            // installation is disconnected, as the admin's Disconnect button does.
            disconnect_previous(&state).await?;
        }
        connect_slack(&console_url, slack.base_url(), &team_id, &channel_id).await?;
    }

    let slack_url = slack.base_url().to_string();
    Ok(DemoHandle {
        simulator_url: format!("{slack_url}/simulator"),
        console_url,
        slack_url,
        receiver_url,
        data_dir,
        team_id,
        seeded,
        slack_installed: !kept_installation,
        db,
        slack,
        stop_latch,
        latch,
        stop_receiver,
        receiver,
        _temp_dir: temp_dir,
    })
}

/// Refuses a database that holds people but no demo mark, before migrating or writing anything.
async fn refuse_foreign_database(settings: &Settings) -> Result<(), DemoError> {
    let url = settings.database_url.expose_secret();
    if let Some(path) = url.strip_prefix("sqlite://")
        && !std::path::Path::new(path.split('?').next().unwrap_or(path)).exists()
    {
        return Ok(());
    }
    let db = Db::connect(url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    // A database without the tables (fresh) has nobody in it.
    let people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&db.pool)
        .await
        .unwrap_or(0);
    let marked: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(DEMO_MARK)
        .fetch_optional(&db.pool)
        .await
        .unwrap_or(None);
    db.pool.close().await;
    if people > 0 && marked.is_none() {
        let shown = match settings.engine {
            Engine::Sqlite => settings.data_dir.display().to_string(),
            _ => "LATCH_DATABASE_URL".to_string(),
        };
        return Err(DemoError::NotADemoDatabase(shown));
    }
    Ok(())
}

/// The Slack stand-in on `port` when it is free (else a free one), sending Latch its events
/// and keeping its state in `state_file` when given.
async fn start_standin(
    console_url: &str,
    state_file: Option<PathBuf>,
    port: Option<u16>,
) -> anyhow::Result<slack_standin::SlackStandin> {
    let config = slack_standin::StandinConfig {
        redirect_urls: vec![format!("{console_url}/slack/oauth/callback")],
        events_url: Some(format!("{console_url}/slack/events")),
        enforce_rate_limits: false,
        app_id: APP_ID.into(),
        state_file,
        bind: SocketAddr::from(([127, 0, 0, 1], port.unwrap_or(0))),
        ..slack_standin::StandinConfig::new(CLIENT_ID, CLIENT_SECRET, SIGNING_SECRET)
    };
    let started = match slack_standin::SlackStandin::start(config.clone()).await {
        // The port of the last run is taken: any free one will do.
        Err(slack_standin::StandinError::Io(_)) if port.is_some() => {
            slack_standin::SlackStandin::start(slack_standin::StandinConfig {
                bind: SocketAddr::from(([127, 0, 0, 1], 0)),
                ..config
            })
            .await
        }
        started => started,
    };
    started.map_err(|e| anyhow::anyhow!("cannot start the Slack stand-in: {e}"))
}

/// The stand-in's workspace: the same people (by email, so identities link), and a channel for
/// the install's incoming webhook. A kept stand-in already has them (it is left as it is, and
/// only what is missing is added); a fresh one gets them all.
fn ensure_workspace(slack: &slack_standin::SlackStandin) -> anyhow::Result<(String, String)> {
    let team = match slack
        .workspaces()
        .into_iter()
        .find(|team| team.domain == "acme")
    {
        Some(team) => team,
        None => slack
            .add_workspace("Acme", "acme")
            .context("seeding the stand-in")?,
    };
    let existing = slack.users();
    let mut ids = Vec::new();
    for p in PEOPLE {
        if let Some(user) = existing
            .iter()
            .find(|u| u.team_id == team.id && u.email.as_deref() == Some(p.email))
        {
            ids.push(user.id.clone());
            continue;
        }
        let handle = p.email.split('@').next().unwrap_or(p.email);
        let user = slack
            .add_user(
                &team.id,
                slack_standin::NewUser {
                    real_name: Some(p.name.to_string()),
                    is_admin: p.email == DEMO_ADMIN,
                    ..slack_standin::NewUser::new(handle, p.email)
                },
            )
            .context("seeding the stand-in's users")?;
        ids.push(user.id);
    }
    let channel = match slack.channel_by_name(&team.id, "it-access") {
        Some(channel) => channel,
        None => slack
            .add_channel(
                &team.id,
                "it-access",
                false,
                &ids.iter().map(String::as_str).collect::<Vec<_>>(),
            )
            .context("seeding the stand-in's channel")?,
    };
    Ok((team.id, channel.id))
}

/// Whether Latch's installation for the workspace is connected and its bot token still answers
/// Slack's `auth.test` for that workspace (what a kept stand-in makes true across runs).
async fn installation_works(
    state: &app::ssr::AppState,
    slack: &slack_standin::SlackStandin,
    team_id: &str,
) -> bool {
    let install = match app::ssr::slack::store::find_for_workspace(&state.db, team_id, None).await {
        Ok(Some(install)) => install,
        Ok(None) => return false,
        Err(error) => {
            tracing::warn!(%error, "reading the kept Slack installation");
            return false;
        }
    };
    let Ok(Some(token)) = install.bot_token(&state.slack.sealer) else {
        return false;
    };
    let answer = async {
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()?
            .post(format!("{}/auth.test", slack.api_url()))
            .bearer_auth(token)
            .send()
            .await?
            .json::<serde_json::Value>()
            .await
    }
    .await;
    match answer {
        Ok(answer) => {
            let works = answer["ok"] == true && answer["team_id"] == team_id;
            if !works {
                tracing::info!(%answer, "the kept Slack installation no longer answers; installing again");
            }
            works
        }
        Err(error) => {
            tracing::warn!(%error, "checking the kept Slack installation");
            false
        }
    }
}

/// The ports a kept demo listened on last time (each `None` when unknown).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct DemoPorts {
    console: Option<u16>,
    slack: Option<u16>,
    receiver: Option<u16>,
}

impl DemoPorts {
    /// Last run's ports; none when the file is missing or unreadable (new ports are fine).
    fn read(data_dir: &Path) -> Self {
        std::fs::read(data_dir.join(PORTS_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn write(&self, data_dir: &Path) -> anyhow::Result<()> {
        std::fs::write(data_dir.join(PORTS_FILE), serde_json::to_vec(self)?)?;
        Ok(())
    }
}

/// Listens on 127.0.0.1:`port` when it is given and free, else on a free port.
async fn bind_preferring(port: Option<u16>) -> std::io::Result<TcpListener> {
    if let Some(port) = port
        && let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await
    {
        return Ok(listener);
    }
    TcpListener::bind("127.0.0.1:0").await
}

/// Migrates the database, marks it as the demo's, and seeds it unless it was seeded before (then
/// only the catalog is applied again: the receiver's port is new each time). Returns whether
/// it seeded.
async fn seed(settings: &Settings, receiver_url: &str) -> anyhow::Result<bool> {
    let db = Db::connect(settings.database_url.expose_secret())
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    db.migrate()
        .await
        .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    crate::startup::bind_secret_key(&db, settings).await?;
    // Marked first: a demo whose seeding was interrupted is still the demo's next time.
    if stored_settings::get(&db, DEMO_MARK).await?.is_none() {
        let mut tx = db.begin().await?;
        stored_settings::put(&mut tx, DEMO_MARK, "1", now()).await?;
        tx.commit().await?;
    }
    let seeded = users::find_by_email(&db, DEMO_ADMIN).await?.is_none();
    if seeded {
        seed_people(&db, receiver_url).await?;
    } else {
        apply_catalog(&db, receiver_url).await?;
    }
    db.pool.close().await;
    Ok(seeded)
}

/// The accounts (one shared password), the catalog (which also makes the groups), then managers
/// and group members through the directory's CSV import.
async fn seed_people(db: &Db, receiver_url: &str) -> anyhow::Result<()> {
    let hash = passwords::hash_password(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!(e))?;
    let mut admin = None;
    for p in PEOPLE {
        let email = Email::parse(p.email).map_err(|e| anyhow::anyhow!("{}: {e}", p.email))?;
        let role = if p.email == DEMO_ADMIN {
            Role::SuperAdmin
        } else {
            Role::BasicUser
        };
        let created = users::create_account(
            db,
            NewAccount {
                email: &email,
                name: p.name,
                password_hash: &hash,
                role,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the demo account {}: {e:?}", p.email))?;
        if role == Role::SuperAdmin {
            admin = Some(created);
        }
    }
    let admin = admin.context("the demo has no admin")?;
    let actor = Actor::new(admin);
    let mut csv = String::from("email,name,manager_email,department,title,groups\n");
    for p in PEOPLE {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            p.email,
            p.name,
            p.manager.unwrap_or(""),
            p.group.unwrap_or(""),
            p.title,
            p.group.unwrap_or("")
        ));
    }
    // Owners must exist before the catalog names them, groups before members are added.
    apply_catalog(db, receiver_url).await?;
    match directory::import_csv(db, &actor, &csv).await? {
        app::shapes::directory::ImportOutcome::Imported { .. } => {}
        app::shapes::directory::ImportOutcome::Rejected(errors) => {
            anyhow::bail!("the demo directory was refused: {errors:?}");
        }
    }
    Ok(())
}

/// The demo catalog as `latch apply` reads it: groups, policies, and three apps.
fn catalog_files(receiver_url: &str) -> Vec<(&'static str, String)> {
    let groups = "groups:\n  - name: Engineering\n  - name: Data\n".to_string();
    let policies = "\
policies:
  - name: Manager then owner
    steps:
      - kind: approval
        manager: true
      - kind: approval
        app_owners: true
        require_approval_reason: true
  - name: Auto-approve
    steps:
      - kind: auto_approve
        message: Low-risk access is granted without approval.
  - name: Emergency (security on call)
    steps:
      - kind: approval
        users: carol@acme.test, kate@acme.test
        require_approval_reason: true
"
    .to_string();
    let aws = "\
apps:
  - name: AWS
    description: Amazon Web Services accounts.
    owners: [carol@acme.test]
    default_request_policy: Manager then owner
    instructions: |
      Add the person to the IAM Identity Center group named after the entitlement.
    entitlements:
      - name: AWS Read-only
        slug: read-only
        alias: aws-read
        description: Read-only console access. Low risk, granted at once.
        risk_level: low
        maximum_duration: 1d
        request_policy: Auto-approve
        provisioners: [jack@acme.test]
      - name: AWS Admin
        slug: admin
        alias: aws-admin
        description: Administrator on the production account.
        risk_level: high
        maximum_duration: 8h
        request_policy: Manager then owner
        emergency_policy: Emergency (security on call)
        provisioners: [jack@acme.test]
"
    .to_string();
    let github = format!(
        "\
apps:
  - name: GitHub
    description: The acme organisation on GitHub.
    owners: [bob@acme.test]
    default_request_policy: Manager then owner
    entitlements:
      - name: Repository maintainer
        slug: maintainer
        alias: gh-maintain
        description: Maintain the product repositories. Provisioned by a webhook.
        risk_level: medium
        maximum_duration: 7d
        request_policy: Manager then owner
        webhook_url: {receiver_url}
"
    );
    let warehouse = "\
apps:
  - name: Data Warehouse
    description: The analytics warehouse.
    owners: [henry@acme.test]
    default_request_policy: Manager then owner
    entitlements:
      - name: Production read
        slug: prod-read
        alias: dw-read
        description: Query production tables. Expires after 5 minutes, so you can watch it.
        risk_level: medium
        maximum_duration: 5m
        request_policy: Manager then owner
        provisioners: [jack@acme.test]
"
    .to_string();
    vec![
        ("demo-catalog/groups.yaml", groups),
        ("demo-catalog/policies.yaml", policies),
        ("demo-catalog/apps/aws.yaml", aws),
        ("demo-catalog/apps/github.yaml", github),
        ("demo-catalog/apps/warehouse.yaml", warehouse),
    ]
}

/// `latch apply` of the demo catalog (as the CLI does, audited as the system).
async fn apply_catalog(db: &Db, receiver_url: &str) -> anyhow::Result<()> {
    let mut tree = app::domain::catalog_code::CatalogTree::default();
    for (path, text) in catalog_files(receiver_url) {
        let file = crate::catalog_files::parse_file(path, &text)
            .map_err(|errors| anyhow::anyhow!("the demo catalog {path} is invalid: {errors:?}"))?;
        tree.files.push(file);
    }
    let options = ApplyOptions {
        source_ref: Some("latch demo".into()),
        ..ApplyOptions::default()
    };
    match apply::apply(db, tree, options, ApplyActor::Cli).await {
        Ok(_) => Ok(()),
        Err(ApplyError::Invalid(errors)) => Err(anyhow::anyhow!(
            "the demo catalog was refused: {}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )),
        Err(ApplyError::Access(e)) => Err(anyhow::anyhow!("applying the demo catalog: {e}")),
    }
}

/// Disconnects every connected installation (from an earlier run of a kept demo).
async fn disconnect_previous(state: &app::ssr::AppState) -> anyhow::Result<()> {
    let admin = users::find_by_email(&state.db, DEMO_ADMIN)
        .await?
        .context("the demo admin is missing")?;
    for install in app::ssr::slack::store::list(&state.db).await? {
        if install.connected {
            // The old token is unknown to this stand-in, or no longer answers: the revoke's
            // answer is moot.
            let _ = app::ssr::slack::manage::disconnect(state, install.id, admin.user.id)
                .await
                .map_err(|e| anyhow::anyhow!("disconnecting the previous run's Slack: {e}"))?;
        }
    }
    Ok(())
}

/// The real OAuth install, as the admin's browser does it: sign in, Add to Slack, Allow on the
/// stand-in's consent page (for the demo workspace, its channel for the incoming webhook), and
/// follow the redirect back to Latch's callback.
async fn connect_slack(
    console_url: &str,
    slack_url: &str,
    team_id: &str,
    channel_id: &str,
) -> anyhow::Result<()> {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    let signed_in = browser
        .post(format!("{console_url}/auth/login"))
        .form(&[
            ("email", DEMO_ADMIN),
            ("password", DEMO_PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .context("signing in to Latch")?;
    anyhow::ensure!(
        signed_in.status().is_redirection(),
        "signing in as {DEMO_ADMIN} failed ({})",
        signed_in.status()
    );
    let install = browser
        .get(format!("{console_url}/slack/install"))
        .send()
        .await
        .context("Add to Slack")?;
    let authorize = location(&install).context("Add to Slack did not redirect to Slack")?;
    let authorize = reqwest::Url::parse(&authorize).context("Slack's authorize URL")?;
    let mut form: Vec<(String, String)> = authorize
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    form.push(("decision".into(), "allow".into()));
    form.push(("target".into(), team_id.into()));
    form.push(("webhook_channel".into(), channel_id.into()));
    let allowed = browser
        .post(format!("{slack_url}/oauth/v2/authorize"))
        .form(&form)
        .send()
        .await
        .context("Allow on Slack's consent page")?;
    let callback = location(&allowed).context("Slack's consent page did not redirect back")?;
    let back = browser
        .get(&callback)
        .send()
        .await
        .context("Latch's OAuth callback")?;
    let settings = location(&back).unwrap_or_default();
    anyhow::ensure!(
        settings.contains("slack=connected"),
        "connecting Slack failed: Latch answered {} {settings}",
        back.status()
    );
    Ok(())
}

fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[derive(Clone)]
struct Receiver {
    db: Db,
    slack: Arc<Slack>,
}

/// The demo's provisioning system: accepts a call signed with Latch's current webhook secret and
/// answers success; anything else is refused with 401, as a real receiver should.
fn start_receiver(
    listener: TcpListener,
    db: Db,
    slack: Arc<Slack>,
) -> (oneshot::Sender<()>, JoinHandle<()>) {
    let router = Router::new()
        .route("/provision", post(receive))
        .with_state(Receiver { db, slack });
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "the demo webhook receiver stopped");
        }
    });
    (stop, task)
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Some(signature) = headers
        .get(app::domain::webhook::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
    else {
        return StatusCode::UNAUTHORIZED;
    };
    let secrets =
        match webhook_secret::signing_secrets(&receiver.db, &receiver.slack.sealer, now()).await {
            Ok(secrets) => secrets,
            Err(error) => {
                tracing::error!(%error, "the demo receiver cannot read the webhook secret");
                return StatusCode::SERVICE_UNAVAILABLE;
            }
        };
    let valid = secrets.iter().any(|secret| {
        app::domain::webhook::verify(
            secret.as_bytes(),
            signature,
            &body,
            now(),
            app::domain::webhook::DEFAULT_TOLERANCE_SECS,
        )
        .is_ok()
    });
    if valid {
        tracing::info!("demo receiver: provisioning call accepted");
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}
