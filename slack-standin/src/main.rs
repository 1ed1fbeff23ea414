//! `slack-standin` binary: runs the stand-in with a seeded demo workspace so a
//! person (or Playwright) can click through the OAuth flow.

use clap::Parser;
use slack_standin::{ConsentMode, SlackStandin, StandinConfig};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

/// A faithful local stand-in for Slack.
#[derive(Debug, Parser)]
#[command(name = "slack-standin", version, about)]
struct Args {
    /// Port to listen on.
    #[arg(long, env = "SLACK_STANDIN_PORT", default_value_t = 4000)]
    port: u16,
    /// Address to bind.
    #[arg(long, env = "SLACK_STANDIN_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// The Slack app's client id.
    #[arg(long, env = "SLACK_CLIENT_ID")]
    client_id: String,
    /// The Slack app's client secret.
    #[arg(long, env = "SLACK_CLIENT_SECRET")]
    client_secret: String,
    /// The Slack app's signing secret.
    #[arg(long, env = "SLACK_SIGNING_SECRET")]
    signing_secret: String,
    /// The app id (`A…`); random if omitted.
    #[arg(long, env = "SLACK_APP_ID")]
    app_id: Option<String>,
    /// App name shown on the consent page.
    #[arg(long, env = "SLACK_APP_NAME", default_value = "Latch")]
    app_name: String,
    /// Allowed Redirect URL (repeatable); none = any http(s) URL.
    #[arg(
        long = "redirect-url",
        env = "SLACK_REDIRECT_URLS",
        value_delimiter = ','
    )]
    redirect_urls: Vec<String>,
    /// Externally visible base URL (default http://HOST:PORT).
    #[arg(long, env = "SLACK_STANDIN_PUBLIC_URL")]
    public_url: Option<String>,
    /// The app's Event Subscriptions URL (receives tokens_revoked / app_uninstalled).
    #[arg(long, env = "SLACK_EVENTS_URL")]
    events_url: Option<String>,
    /// Consent behaviour: interactive, auto_approve, auto_approve_org_wide, auto_deny.
    #[arg(long, env = "SLACK_STANDIN_CONSENT", default_value = "interactive")]
    consent: String,
    /// Disable Slack's rate-limit tiers.
    #[arg(long, env = "SLACK_STANDIN_NO_RATE_LIMITS")]
    no_rate_limits: bool,
    /// Do not seed the demo workspace.
    #[arg(long)]
    no_seed: bool,
    /// Keep the stand-in's state (workspaces, users, messages, installations, tokens) in this
    /// file: read at start when it exists (then nothing is seeded), written while it changes
    /// and at Ctrl-C.
    #[arg(long, env = "SLACK_STANDIN_STATE_FILE")]
    state_file: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let consent = match args.consent.as_str() {
        "interactive" => ConsentMode::Interactive,
        "auto_approve" => ConsentMode::AutoApprove,
        "auto_approve_org_wide" => ConsentMode::AutoApproveOrgWide,
        "auto_deny" => ConsentMode::AutoDeny,
        other => {
            eprintln!("unknown --consent {other:?}");
            return ExitCode::from(2);
        }
    };
    let mut config = StandinConfig::new(args.client_id, args.client_secret, args.signing_secret);
    if let Some(app_id) = args.app_id {
        config.app_id = app_id;
    }
    config.app_name = args.app_name;
    config.redirect_urls = args.redirect_urls;
    config.bind = SocketAddr::new(args.host, args.port);
    config.public_url = args.public_url;
    config.events_url = args.events_url;
    config.consent = consent;
    config.enforce_rate_limits = !args.no_rate_limits;
    config.state_file = args.state_file;
    let slack = match SlackStandin::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("slack-standin: {e}");
            return ExitCode::FAILURE;
        }
    };
    if slack.restored() {
        tracing::info!("state restored from the state file: nothing seeded");
    } else if !args.no_seed {
        match slack.seed_demo() {
            Ok(team) => tracing::info!(team_id = %team.id, "seeded demo workspace Acme"),
            Err(e) => {
                eprintln!("slack-standin: seeding failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("slack-standin listening on {}", slack.base_url());
    println!("  Web API:      {}", slack.api_url());
    println!("  OAuth:        {}", slack.authorize_url());
    println!("  Inspection:   {}/_standin", slack.base_url());
    let _ = tokio::signal::ctrl_c().await;
    // The state file first: a graceful stop waits for open connections, and is cut short.
    if let Err(e) = slack.save_state().await {
        eprintln!("slack-standin: {e}");
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), slack.stop()).await;
    ExitCode::SUCCESS
}
