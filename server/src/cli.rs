//! The `latch` command line.

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use app::domain::{Email, Role};
use app::ssr::passwords::{self, MIN_PASSWORD_CHARS};
use app::ssr::users::{self, CreateAccountError, NewAccount};
use app::ssr::{Db, setup};
use secrecy::ExposeSecret;

use crate::config::{RawSettings, Settings};

/// No `Debug`: the settings hold secrets as plain strings until they are validated.
#[derive(Parser)]
#[command(
    name = "latch",
    version,
    about = "Latch: self-hosted just-in-time access governance",
    long_about = "Latch: self-hosted just-in-time access governance.\n\nWith no command, `latch` runs `latch serve`.",
    after_help = "Each setting is a flag, a LATCH_* environment variable, or a key of the --config \
                  file (the flag's name with _ for -, e.g. data_dir). Flags win over the \
                  environment, and the environment over the file."
)]
pub struct Cli {
    /// TOML configuration file (the settings' keys in lower case, e.g. data_dir). Flags and
    /// environment variables win over it.
    #[arg(long, global = true, env = "LATCH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub settings: RawSettings,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run migrations, serve the console and the API, and run background work (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a Super Admin account. Reads the password from the first line of standard input.
    CreateAdmin {
        /// The admin's email address (their sign-in name).
        #[arg(long)]
        email: String,
        /// The admin's display name.
        #[arg(long)]
        name: String,
    },
    /// Create a console account with the User role. Reads the password from standard input.
    CreateUser {
        /// The person's email address (their sign-in name).
        #[arg(long)]
        email: String,
        /// The person's display name.
        #[arg(long)]
        name: String,
        /// Also make them a Campaign Administrator (creates and manages access review campaigns
        /// they own).
        #[arg(long)]
        campaign_admin: bool,
    },
    /// Make the catalog match a tree of YAML files (apps with their entitlements, request
    /// policies, groups), in one transaction: all or nothing. Errors name file, line and field.
    Apply {
        /// The tree's root directory (every *.yaml / *.yml under it is read).
        dir: PathBuf,
        /// Print what would change (create / update with the fields that differ / delete) and
        /// change nothing.
        #[arg(long)]
        plan: bool,
        /// Also delete objects that came from code and are no longer in the tree (refused, with
        /// the reason, while still in use). Objects made in the console are never deleted.
        #[arg(long)]
        prune: bool,
        /// Recorded on every audit event and changed object, e.g. the commit id.
        #[arg(long, value_name = "REF")]
        source_ref: Option<String>,
    },
    /// Write the current catalog (groups, policies, apps with their entitlements) as a tree of
    /// YAML files in DIR, the format `latch apply` reads. Refuses to overwrite files.
    Export {
        /// Where to write (created if missing).
        dir: PathBuf,
    },
    /// Try Latch without a Slack workspace: starts Latch and a local Slack stand-in (with its
    /// simulator) on free ports, connects them through the OAuth install, and seeds a small
    /// company with apps, entitlements and policies. Uses a fresh temporary data directory unless
    /// --data-dir names one to keep (an existing demo directory is reused; a directory holding
    /// other data is refused). Prints the URLs and the demo sign-ins; Ctrl-C stops everything.
    Demo,
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Re-compute the audit log's hash chain and check it ends at the recorded head, signed with
    /// this secret key. Exits non-zero and names the first bad event when the log was altered.
    Verify {
        /// Also check the log still holds the event a checkpoint file (from `latch audit
        /// checkpoint`) recorded, with the same hash: detects truncation and rewriting up to it.
        #[arg(long, value_name = "FILE")]
        against: Option<PathBuf>,
    },
    /// Verify the log, then write its head as a signed checkpoint (JSON) to keep somewhere the
    /// database's administrators cannot write; `latch audit verify --against FILE` checks it later.
    Checkpoint {
        /// Where to write the checkpoint (refuses to overwrite). Default: standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Failures a command reports to the operator; the process exits non-zero.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

async fn open_db(settings: &Settings) -> Result<Db, CliError> {
    let db = Db::connect(settings.database_url.expose_secret())
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "LATCH_DATABASE_URL: cannot open the {} database: {e}",
                settings.engine.name()
            )
        })?;
    db.migrate()
        .await
        .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    crate::startup::bind_secret_key(&db, settings).await?;
    Ok(db)
}

pub async fn migrate(settings: &Settings) -> Result<(), CliError> {
    open_db(settings).await?;
    println!("Database is up to date ({}).", settings.engine.name());
    Ok(())
}

/// Creates a sign-in account with `role`, its password read from the first line of stdin.
pub async fn create_account(
    settings: &Settings,
    email: &str,
    name: &str,
    role: Role,
) -> Result<(), CliError> {
    let email = Email::parse(email).map_err(|e| CliError::Usage(format!("--email: {e}")))?;
    if name.trim().is_empty() {
        return Err(CliError::Usage("--name: must not be empty".into()));
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| {
            CliError::Usage(format!(
                "could not read the password from standard input: {e}"
            ))
        })?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(CliError::Usage(format!(
            "the password (first line of standard input) must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let db = open_db(settings).await?;
    let hash = passwords::hash_password(&password).map_err(|e| anyhow::anyhow!(e))?;
    let created = users::create_account(
        &db,
        NewAccount {
            email: &email,
            name,
            password_hash: &hash,
            role,
        },
    )
    .await;
    match created {
        Ok(user) => {
            if role == Role::SuperAdmin {
                // The first-run link is only for installs without an admin.
                setup::revoke_all(&db).await.map_err(anyhow::Error::from)?;
            }
            println!("Created {} {} <{}>.", role.label(), user.name, user.email);
            Ok(())
        }
        Err(CreateAccountError::EmailTaken) => Err(CliError::Usage(format!(
            "an account with the email {email} already exists"
        ))),
        Err(CreateAccountError::Db(e)) => Err(anyhow::Error::from(e).into()),
        Err(CreateAccountError::Storage(e)) => Err(anyhow::Error::from(e).into()),
    }
}

/// `latch apply DIR [--plan] [--prune] [--source-ref REF]`: prints the plan (or what was
/// applied); every problem of the tree is printed, one per line, and nothing is applied.
pub async fn apply(
    settings: &Settings,
    dir: &std::path::Path,
    plan: bool,
    prune: bool,
    source_ref: Option<String>,
) -> Result<(), CliError> {
    use app::ssr::flows::apply::{self, ApplyActor, ApplyError, ApplyOptions};
    let tree = crate::catalog_files::read_tree(dir).map_err(|errors| {
        CliError::Usage(format!(
            "{}\n{} problem(s) in the tree; nothing was applied.",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            errors.len()
        ))
    })?;
    let db = open_db(settings).await?;
    let options = ApplyOptions {
        plan_only: plan,
        prune,
        source_ref: source_ref.filter(|r| !r.trim().is_empty()),
    };
    match apply::apply(&db, tree, options, ApplyActor::Cli).await {
        Ok(report) => {
            print!("{report}");
            Ok(())
        }
        Err(ApplyError::Invalid(errors)) => Err(CliError::Usage(format!(
            "{}\n{} problem(s); nothing was applied.",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            errors.len()
        ))),
        Err(ApplyError::Access(e)) => Err(CliError::Other(anyhow::anyhow!(
            "apply failed, nothing was applied: {e}"
        ))),
    }
}

/// `latch export DIR`.
pub async fn export(settings: &Settings, dir: &std::path::Path) -> Result<(), CliError> {
    let db = open_db(settings).await?;
    let files = app::ssr::flows::apply::export(&db)
        .await
        .map_err(|e| anyhow::anyhow!("could not read the catalog: {e}"))?;
    let written = crate::catalog_files::write_tree(dir, &files)
        .map_err(|e| CliError::Usage(format!("cannot write under {}: {e}", dir.display())))?;
    for path in &written {
        println!("Wrote {}", path.display());
    }
    let webhooks = files
        .iter()
        .flat_map(|f| &f.apps)
        .flat_map(|a| &a.entitlements)
        .filter(|e| e.get("webhook_url").is_some())
        .count();
    if webhooks > 0 {
        eprintln!(
            "Note: {webhooks} webhook URL(s) were written as configured; Latch refuses URLs with \
             credentials, but check none carries a token in its path or query before committing."
        );
    }
    Ok(())
}

/// `latch demo`: runs until Ctrl-C (or SIGTERM), then stops Latch and the stand-in gracefully.
pub async fn demo(settings: Settings, keep: bool) -> Result<(), CliError> {
    use crate::demo::{self, DemoError, DemoOptions};
    let handle = match demo::run(DemoOptions { settings, keep }).await {
        Ok(handle) => handle,
        Err(DemoError::NotADemoDatabase(at)) => {
            return Err(CliError::Usage(DemoError::NotADemoDatabase(at).to_string()));
        }
        Err(DemoError::Other(error)) => return Err(CliError::Other(error)),
    };
    println!("{}", handle.instructions());
    crate::startup::shutdown_signal().await;
    handle.shutdown().await?;
    Ok(())
}

/// `latch audit …`.
pub async fn audit(settings: &Settings, command: AuditCommand) -> Result<(), CliError> {
    match command {
        AuditCommand::Verify { against } => audit_verify(settings, against.as_deref()).await,
        AuditCommand::Checkpoint { out } => audit_checkpoint(settings, out.as_deref()).await,
    }
}

/// `latch audit verify [--against FILE]`.
pub async fn audit_verify(
    settings: &Settings,
    against: Option<&std::path::Path>,
) -> Result<(), CliError> {
    use app::ssr::access::audit::{self, Verification};
    let checkpoint = match against {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::Usage(format!("--against: cannot read {}: {e}", path.display()))
            })?;
            let checkpoint: app::domain::audit::Checkpoint =
                serde_json::from_str(&text).map_err(|e| {
                    CliError::Usage(format!(
                        "--against: {} is not a Latch audit checkpoint: {e}",
                        path.display()
                    ))
                })?;
            Some(checkpoint)
        }
        None => None,
    };
    let db = open_db(settings).await?;
    let verification = match &checkpoint {
        Some(checkpoint) => audit::verify_against(&db, checkpoint).await,
        None => audit::verify(&db).await,
    }
    .map_err(|e| anyhow::anyhow!("could not read the audit log: {e}"))?;
    match verification {
        Verification::Intact { events } => {
            match &checkpoint {
                Some(checkpoint) => println!(
                    "Audit log intact: {events} events, hash chain and signed head verified, and event #{} matches the checkpoint.",
                    checkpoint.seq
                ),
                None => println!(
                    "Audit log intact: {events} events, hash chain and signed head verified."
                ),
            }
            Ok(())
        }
        Verification::Broken { events, message } => Err(CliError::Other(anyhow::anyhow!(
            "audit log BROKEN after {events} good events: {message}"
        ))),
    }
}

/// `latch audit checkpoint [--out FILE]`.
pub async fn audit_checkpoint(
    settings: &Settings,
    out: Option<&std::path::Path>,
) -> Result<(), CliError> {
    use app::ssr::access::audit::{self, Verification};
    let db = open_db(settings).await?;
    let checkpoint = match audit::checkpoint(&db, app::ssr::access::now())
        .await
        .map_err(|e| anyhow::anyhow!("could not read the audit log: {e}"))?
    {
        Ok(checkpoint) => checkpoint,
        Err(Verification::Broken { events, message }) => {
            return Err(CliError::Other(anyhow::anyhow!(
                "no checkpoint: the audit log is BROKEN after {events} good events: {message}"
            )));
        }
        Err(Verification::Intact { .. }) => {
            return Err(CliError::Other(anyhow::anyhow!(
                "no checkpoint: the audit log could not be verified"
            )));
        }
    };
    let json = serde_json::to_string_pretty(&checkpoint).map_err(anyhow::Error::from)?;
    match out {
        Some(path) => {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| {
                    CliError::Usage(format!("--out: cannot create {}: {e}", path.display()))
                })?;
            file.write_all(format!("{json}\n").as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            eprintln!(
                "Checkpoint of event #{} written to {}.",
                checkpoint.seq,
                path.display()
            );
        }
        None => println!("{json}"),
    }
    Ok(())
}
