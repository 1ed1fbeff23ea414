//! The `latch` command line.

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use app::session::Role;
use app::ssr::passwords::{self, MIN_PASSWORD_CHARS};
use app::ssr::users::{self, CreateAccountError, NewAccount};
use app::ssr::{setup, Db};
use secrecy::ExposeSecret;

use crate::config::{Settings, SETTINGS_HELP};

#[derive(Debug, Parser)]
#[command(
    name = "latch",
    version,
    about = "Latch: self-hosted just-in-time access governance",
    long_about = "Latch: self-hosted just-in-time access governance.\n\nWith no command, `latch` runs `latch serve`.",
    after_help = SETTINGS_HELP
)]
pub struct Cli {
    /// TOML configuration file (settings below, keys in lower case). Environment variables win.
    #[arg(long, global = true, env = "LATCH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

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
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Re-compute the audit log's hash chain and check it ends at the recorded head. Exits
    /// non-zero and names the first bad event when the log was altered.
    Verify,
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
        .map_err(|e| anyhow::anyhow!("LATCH_DATABASE_URL: cannot open the {} database: {e}", settings.engine.name()))?;
    db.migrate().await.map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    Ok(db)
}

pub async fn migrate(settings: &Settings) -> Result<(), CliError> {
    open_db(settings).await?;
    println!("Database is up to date ({}).", settings.engine.name());
    Ok(())
}

/// Creates a sign-in account with `role`, its password read from the first line of stdin.
pub async fn create_account(settings: &Settings, email: &str, name: &str, role: Role) -> Result<(), CliError> {
    if !users::is_plausible_email(email) {
        return Err(CliError::Usage(format!("--email: {email:?} is not a valid email address")));
    }
    if name.trim().is_empty() {
        return Err(CliError::Usage("--name: must not be empty".into()));
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| CliError::Usage(format!("could not read the password from standard input: {e}")))?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(CliError::Usage(format!(
            "the password (first line of standard input) must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let db = open_db(settings).await?;
    let hash = passwords::hash_password(&password).map_err(|e| anyhow::anyhow!(e))?;
    let created = users::create_account(&db, NewAccount { email, name, password_hash: &hash, role }).await;
    match created {
        Ok(user) => {
            if role == Role::SuperAdmin {
                // The first-run link is only for installs without an admin.
                setup::revoke_all(&db).await.map_err(anyhow::Error::from)?;
            }
            println!("Created {} {} <{}>.", role.label(), user.name, user.email);
            Ok(())
        }
        Err(CreateAccountError::EmailTaken) => {
            Err(CliError::Usage(format!("an account with the email {} already exists", email.trim().to_lowercase())))
        }
        Err(CreateAccountError::Db(e)) => Err(anyhow::Error::from(e).into()),
        Err(CreateAccountError::Storage(e)) => Err(anyhow::Error::from(e).into()),
    }
}

/// `latch audit verify`.
pub async fn audit_verify(settings: &Settings) -> Result<(), CliError> {
    use app::ssr::access::audit::{self, Verification};
    let db = open_db(settings).await?;
    match audit::verify(&db).await.map_err(|e| anyhow::anyhow!("could not read the audit log: {e}"))? {
        Verification::Intact { events } => {
            println!("Audit log intact: {events} events, hash chain verified.");
            Ok(())
        }
        Verification::Broken { events, message } => Err(CliError::Other(anyhow::anyhow!(
            "audit log BROKEN after {events} good events: {message}"
        ))),
    }
}
