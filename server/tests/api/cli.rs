//! The `latch` binary itself: configuration errors, help, create-admin.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::fresh_database_url;

fn latch(data_dir: &std::path::Path, database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latch"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LATCH_DATA_DIR", data_dir)
        .env("LATCH_DATABASE_URL", database_url);
    command
}

fn create_admin(
    data_dir: &std::path::Path,
    url: &str,
    email: &str,
    password: &str,
) -> std::process::Output {
    create_account("create-admin", data_dir, url, email, password)
}

fn create_account(
    command: &str,
    data_dir: &std::path::Path,
    url: &str,
    email: &str,
    password: &str,
) -> std::process::Output {
    let mut child = latch(data_dir, url)
        .args([command, "--email", email, "--name", "Root Admin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_reads_the_password_from_stdin_and_refuses_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;

    let output = create_admin(dir.path(), &url, "Root@Example.com", "a very long password");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("Created Super Admin Root Admin <root@example.com>")
    );

    let again = create_admin(dir.path(), &url, "root@example.com", "a very long password");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let short = create_admin(dir.path(), &url, "other@example.com", "short");
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_user_makes_an_account_without_admin_rights() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let output = create_account(
        "create-user",
        dir.path(),
        &url,
        "pat@example.com",
        "a very long password",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("Created User Root Admin <pat@example.com>")
    );
    let db = app::ssr::Db::connect(&url).await.unwrap();
    let role: (String,) = sqlx::query_as("SELECT role FROM users WHERE email = 'pat@example.com'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(role.0, "user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_user_with_campaign_admin_makes_a_plain_user_who_is_a_campaign_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let mut child = latch(dir.path(), &url)
        .args([
            "create-user",
            "--email",
            "cam@example.com",
            "--name",
            "Cam Lead",
            "--campaign-admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a very long password\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("Created Campaign Administrator Cam Lead <cam@example.com>")
    );
    let db = app::ssr::Db::connect(&url).await.unwrap();
    let account = app::ssr::users::find_by_email(&db, "cam@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.user.role, app::domain::Role::BasicUser);
    assert_eq!(
        account.user.granted_roles,
        vec![app::domain::Role::CampaignAdmin]
    );
}

#[test]
fn a_bad_setting_stops_latch_with_a_message_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = latch(dir.path(), "mysql://nope")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("LATCH_DATABASE_URL"), "{stderr}");

    let output = latch(dir.path(), "sqlite://x.db")
        .env("LATCH_PUBLIC_URL", "latch.example.com")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("LATCH_PUBLIC_URL"));
}

#[test]
fn a_config_file_is_read_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latch.toml");
    std::fs::write(
        &file,
        "public_url = \"ftp://bad.example\"\nlisten_addr = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let output = latch(
        dir.path(),
        &format!("sqlite://{}/l.db", dir.path().display()),
    )
    .args(["--config", file.to_str().unwrap(), "migrate"])
    .output()
    .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "the file's bad public_url is reported"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("LATCH_PUBLIC_URL"));

    let output = latch(
        dir.path(),
        &format!("sqlite://{}/l.db", dir.path().display()),
    )
    .env("LATCH_PUBLIC_URL", "https://latch.example.com")
    .args(["--config", file.to_str().unwrap(), "migrate"])
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    std::fs::write(&file, "publik_url = \"https://x\"\n").unwrap();
    let output = latch(dir.path(), "sqlite://x.db")
        .args(["--config", file.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("publik_url"));
}

#[test]
fn a_flag_wins_over_the_environment_and_help_never_shows_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/l.db", dir.path().display());
    let output = latch(dir.path(), &url)
        .env("LATCH_PUBLIC_URL", "latch.example.com")
        .args(["migrate", "--public-url", "https://latch.example.com"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let secret = "a-secret-value-that-must-never-be-printed";
    let output = latch(dir.path(), &format!("postgres://latch:{secret}@db/latch"))
        .env("LATCH_SECRET_KEY", secret)
        .env("LATCH_SLACK_CLIENT_SECRET", secret)
        .env("LATCH_SLACK_SIGNING_SECRET", secret)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("LATCH_SLACK_SIGNING_SECRET"), "{help}");
    assert!(!help.contains(secret), "{help}");
}

#[test]
fn help_documents_every_command_and_setting() {
    let output = Command::new(env!("CARGO_BIN_EXE_latch"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for word in [
        "serve",
        "migrate",
        "create-admin",
        "create-user",
        "LATCH_CONFIG",
    ] {
        assert!(help.contains(word), "--help lacks {word}");
    }
    let serve_help = Command::new(env!("CARGO_BIN_EXE_latch"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let serve_help = String::from_utf8_lossy(&serve_help.stdout);
    for setting in latch_server::config::RawSettings::names() {
        let flag = format!("--{}", setting.key.replace('_', "-"));
        for (command, help) in [("latch", &help), ("latch serve", &serve_help)] {
            assert!(
                help.contains(&format!("{flag} <")) && help.contains(&setting.env),
                "{command} --help lacks {flag} or {}",
                setting.env
            );
        }
    }
    let output = Command::new(env!("CARGO_BIN_EXE_latch"))
        .args(["audit", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for word in ["verify", "checkpoint"] {
        assert!(help.contains(word), "audit --help lacks {word}");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_latch"))
        .args(["audit", "verify", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("--against"));
}

#[test]
fn a_bad_trusted_proxy_stops_latch_with_a_message_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let output = latch(
        dir.path(),
        &format!("sqlite://{}/l.db", dir.path().display()),
    )
    .env("LATCH_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")
    .arg("migrate")
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("LATCH_TRUSTED_PROXIES") && stderr.contains("proxy.internal"),
        "{stderr}"
    );
}

#[test]
fn the_secret_key_is_generated_once_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/l.db", dir.path().display());
    let output = latch(dir.path(), &url).arg("migrate").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let key = std::fs::read_to_string(dir.path().join("secret.key")).unwrap();
    assert!(key.len() >= 32);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!printed.contains(key.trim()));
    let _ = latch(dir.path(), &url).arg("migrate").output().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("secret.key")).unwrap(),
        key
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_user_takes_any_valid_address_and_names_what_is_wrong_with_an_invalid_one() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;

    let valid = create_account(
        "create-user",
        dir.path(),
        &url,
        "a.b+tag@sub.example.co.uk",
        "a very long password",
    );
    assert!(
        valid.status.success(),
        "{}",
        String::from_utf8_lossy(&valid.stderr)
    );

    let invalid = create_account(
        "create-user",
        dir.path(),
        &url,
        "ops@my_corp.com",
        "a very long password",
    );
    assert_eq!(invalid.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert!(
        stderr.contains(
            "--email: \"ops@my_corp.com\" is not a valid email address: invalid character in the domain"
        ),
        "{stderr}"
    );
}
