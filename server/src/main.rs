use std::process::ExitCode;

use clap::Parser;

use app::domain::Role;

use latch_server::cli::{self, Cli, CliError, Command};
use latch_server::config::Settings;
use latch_server::startup::{Application, shutdown_signal};
use latch_server::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut settings = match Settings::load(cli.config.as_deref(), &cli.settings) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("latch: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log, settings.log_format);
    if let Some(Command::Demo) = cli.command {
        // Before the data directory is prepared: without --data-dir the demo uses its own.
        return exit_code(cli::demo(settings, cli.settings.data_dir_given()).await);
    }
    if let Err(error) = settings.prepare_data_dir() {
        eprintln!("latch: configuration error: {error}");
        return ExitCode::from(2);
    }

    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => cli::migrate(&settings).await,
        Command::CreateAdmin { email, name } => {
            cli::create_account(&settings, &email, &name, Role::SuperAdmin).await
        }
        Command::CreateUser {
            email,
            name,
            campaign_admin,
        } => {
            let role = if campaign_admin {
                Role::CampaignAdmin
            } else {
                Role::BasicUser
            };
            cli::create_account(&settings, &email, &name, role).await
        }
        Command::Audit { command } => cli::audit(&settings, command).await,
        Command::Apply {
            dir,
            plan,
            prune,
            source_ref,
        } => cli::apply(&settings, &dir, plan, prune, source_ref).await,
        Command::Export { dir } => cli::export(&settings, &dir).await,
        Command::Demo => cli::demo(settings, true).await,
    };
    exit_code(outcome)
}

fn exit_code(outcome: Result<(), CliError>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(message)) => {
            eprintln!("latch: {message}");
            ExitCode::from(2)
        }
        Err(CliError::Other(error)) => {
            eprintln!("latch: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> Result<(), CliError> {
    let app = Application::build(settings.clone()).await?;
    tracing::info!(
        address = %app.local_addr(),
        public_url = %settings.public_url.as_str(),
        database = settings.engine.name(),
        "Latch is listening"
    );
    app.run_until(shutdown_signal())
        .await
        .map_err(anyhow::Error::from)?;
    Ok(())
}
