//! Typed, layered configuration: built-in defaults, then a TOML file, then `LATCH_*` environment
//! variables, then command-line flags (each wins over the ones before). Every setting is declared
//! once, as a field of [`RawSettings`]: its flag, its environment variable, its TOML key and its
//! `--help` text all come from there (and a test holds the README's table to it). Everything is
//! validated once at start; a bad value stops Latch with a message naming the setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use rand::RngCore;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use app::ssr::slack::SlackConfig;
use app::ssr::{Engine, PublicUrl};

use crate::http::client_address::TrustedProxies;

/// Every setting as given, before validation: flags and `LATCH_*` environment variables (read by
/// clap as raw strings, so `LATCH_SECRET_KEY=[…` is not parsed as TOML), merged over the TOML
/// file's keys (the field names) by figment. A field left unset is skipped when serialised, so it
/// does not hide the file's value. Secrets are plain strings only here: [`Settings::from_raw`]
/// wraps them in `SecretString`, `--help` never shows their values, and there is no `Debug`.
#[derive(Clone, Default, clap::Args, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[command(next_help_heading = "Settings")]
pub struct RawSettings {
    /// Where Latch keeps its files; created on first start. Default: ./latch-data
    #[arg(long, global = true, env = "LATCH_DATA_DIR", value_name = "DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<String>,

    /// sqlite:<path> or postgres://user:pass@host/db. Default: an SQLite file latch.db in the
    /// data directory
    #[arg(
        long,
        global = true,
        env = "LATCH_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,

    /// External base URL used in links and redirects (http:// or https://); cookies are Secure
    /// when it is https. Default: http://<listen address>
    #[arg(long, global = true, env = "LATCH_PUBLIC_URL", value_name = "URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    public_url: Option<String>,

    /// At least 32 characters; encrypts secrets at rest and signs the audit log's head. If
    /// unset, generated once and kept in <data dir>/secret.key (never printed)
    #[arg(
        long,
        global = true,
        env = "LATCH_SECRET_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_key: Option<String>,

    /// Address and port to listen on. Default: 127.0.0.1:3000
    #[arg(long, global = true, env = "LATCH_LISTEN_ADDR", value_name = "ADDR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    listen_addr: Option<String>,

    /// Directory with the built console assets (pkg/, favicon). Default: target/site
    #[arg(long, global = true, env = "LATCH_SITE_ROOT", value_name = "DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    site_root: Option<String>,

    /// Reverse proxies whose X-Forwarded-For is believed: comma-separated addresses or CIDR
    /// networks (e.g. 10.0.0.0/8,::1). The client is the right-most forwarded address that is
    /// not one of them. Default: none (the connecting address is the client; X-Forwarded-For is
    /// ignored)
    #[arg(
        long,
        global = true,
        env = "LATCH_TRUSTED_PROXIES",
        value_name = "LIST"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    trusted_proxies: Option<String>,

    /// Log filter (tracing EnvFilter syntax). Default: info
    #[arg(long, global = true, env = "LATCH_LOG", value_name = "FILTER")]
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<String>,

    /// text or json. Default: text
    #[arg(long, global = true, env = "LATCH_LOG_FORMAT", value_name = "FORMAT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    log_format: Option<String>,

    /// The Slack app's Client ID (Basic Information). Needed to connect Slack
    #[arg(long, global = true, env = "LATCH_SLACK_CLIENT_ID", value_name = "ID")]
    #[serde(skip_serializing_if = "Option::is_none")]
    slack_client_id: Option<String>,

    /// The Slack app's Client Secret. Needed to connect Slack
    #[arg(
        long,
        global = true,
        env = "LATCH_SLACK_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    slack_client_secret: Option<String>,

    /// The Slack app's Signing Secret; verifies every request from Slack
    #[arg(
        long,
        global = true,
        env = "LATCH_SLACK_SIGNING_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    slack_signing_secret: Option<String>,

    /// Slack Web API base URL. Default: https://slack.com/api
    #[arg(long, global = true, env = "LATCH_SLACK_API_URL", value_name = "URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    slack_api_url: Option<String>,

    /// Slack OAuth v2 authorize URL. Default: https://slack.com/oauth/v2/authorize
    #[arg(
        long,
        global = true,
        env = "LATCH_SLACK_AUTHORIZE_URL",
        value_name = "URL"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    slack_authorize_url: Option<String>,

    /// Slash command put in the Slack app manifest. Default: /c1
    #[arg(
        long,
        global = true,
        env = "LATCH_SLACK_COMMAND",
        value_name = "COMMAND"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    slack_command: Option<String>,
}

/// A setting's TOML key (the field name) and its environment variable, in declaration order.
pub struct SettingName {
    pub key: String,
    pub env: String,
}

impl RawSettings {
    /// Every setting, read from the clap declaration above (so never a second list to keep).
    pub fn names() -> Vec<SettingName> {
        use clap::Args as _;
        RawSettings::augment_args(clap::Command::new("latch"))
            .get_arguments()
            .filter_map(|arg| {
                Some(SettingName {
                    key: arg.get_id().as_str().to_string(),
                    env: arg.get_env()?.to_string_lossy().into_owned(),
                })
            })
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: SecretString,
    pub engine: Engine,
    pub public_url: PublicUrl,
    pub secret_key: Option<SecretString>,
    pub listen_addr: SocketAddr,
    pub site_root: PathBuf,
    /// `LATCH_TRUSTED_PROXIES`: peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    pub log: String,
    pub log_format: LogFormat,
    /// `LATCH_SLACK_*`: the Slack app's credentials and endpoints.
    pub slack: SlackConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{setting}: {problem}")]
    Invalid {
        setting: &'static str,
        problem: String,
    },
    #[error("configuration file {path}: {problem}")]
    File { path: String, problem: String },
    #[error("{0}")]
    Other(String),
}

fn invalid(setting: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting,
        problem: problem.into(),
    }
}

impl RawSettings {
    /// Whether a data directory was given as a flag or environment variable, e.g. for `latch demo` to
    /// keep its data there rather than in a temporary directory.
    pub fn data_dir_given(&self) -> bool {
        self.data_dir
            .as_deref()
            .is_some_and(|d| !d.trim().is_empty())
    }
}

impl Settings {
    /// Loads settings: the optional TOML file, overridden by `given` (the flags and environment
    /// variables clap read).
    pub fn load(config_file: Option<&Path>, given: &RawSettings) -> Result<Settings, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = config_file {
            if !path.is_file() {
                return Err(ConfigError::File {
                    path: path.display().to_string(),
                    problem: "no such file".into(),
                });
            }
            figment = figment.merge(Toml::file(path));
        }
        let raw: RawSettings = figment
            .merge(Serialized::defaults(given))
            .extract()
            .map_err(|e| describe_figment_error(e, config_file))?;
        Settings::from_raw(raw)
    }

    fn from_raw(raw: RawSettings) -> Result<Settings, ConfigError> {
        let data_dir =
            PathBuf::from(non_empty(raw.data_dir).unwrap_or_else(|| "./latch-data".into()));

        let listen_addr: SocketAddr = non_empty(raw.listen_addr)
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|_| {
                invalid(
                    "LATCH_LISTEN_ADDR",
                    "expected an address and port such as 127.0.0.1:3000",
                )
            })?;

        let database_url = match non_empty(raw.database_url) {
            Some(url) => url,
            None => format!("sqlite://{}", data_dir.join("latch.db").display()),
        };
        let engine = Engine::from_url(&database_url).ok_or_else(|| {
            invalid(
                "LATCH_DATABASE_URL",
                "must start with sqlite: or postgres:// (or postgresql://)",
            )
        })?;

        let public_url = match non_empty(raw.public_url) {
            Some(raw_url) => {
                let parsed = url::Url::parse(&raw_url)
                    .map_err(|e| invalid("LATCH_PUBLIC_URL", format!("not a valid URL ({e})")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(invalid(
                        "LATCH_PUBLIC_URL",
                        "must start with http:// or https://",
                    ));
                }
                if parsed.query().is_some() || parsed.fragment().is_some() {
                    return Err(invalid(
                        "LATCH_PUBLIC_URL",
                        "must not have a query or fragment",
                    ));
                }
                PublicUrl::new(parsed.as_str())
            }
            None => PublicUrl::new(&format!("http://{listen_addr}")),
        };

        let secret_key = match raw.secret_key {
            Some(key) if key.is_empty() => None,
            Some(key) => {
                if key.chars().count() < 32 {
                    return Err(invalid(
                        "LATCH_SECRET_KEY",
                        "must be at least 32 characters long",
                    ));
                }
                Some(SecretString::from(key))
            }
            None => None,
        };

        let trusted_proxies =
            TrustedProxies::parse(raw.trusted_proxies.as_deref().unwrap_or_default())
                .map_err(|problem| invalid("LATCH_TRUSTED_PROXIES", problem))?;

        let log_format = match non_empty(raw.log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "LATCH_LOG_FORMAT",
                    format!("expected text or json, got {other:?}"),
                ));
            }
        };

        let slack = slack_from_raw(
            raw.slack_client_id,
            raw.slack_client_secret,
            raw.slack_signing_secret,
            raw.slack_api_url,
            raw.slack_authorize_url,
            raw.slack_command,
        )?;

        Ok(Settings {
            data_dir,
            database_url: SecretString::from(database_url),
            engine,
            public_url,
            secret_key,
            listen_addr,
            site_root: PathBuf::from(
                non_empty(raw.site_root).unwrap_or_else(|| "target/site".into()),
            ),
            trusted_proxies,
            log: non_empty(raw.log).unwrap_or_else(|| "info".into()),
            log_format,
            slack,
        })
    }

    /// Creates the data directory, and resolves the secret key: the configured one, else the one
    /// kept in `<data dir>/secret.key`, else a new random one written there (mode 0600).
    pub fn prepare_data_dir(&mut self) -> Result<(), ConfigError> {
        std::fs::create_dir_all(&self.data_dir).map_err(|e| {
            invalid(
                "LATCH_DATA_DIR",
                format!("cannot create {}: {e}", self.data_dir.display()),
            )
        })?;
        if self.secret_key.is_none() {
            self.secret_key = Some(load_or_create_secret_key(&self.data_dir)?);
        }
        Ok(())
    }
}

fn non_empty_secret(value: Option<String>) -> Option<SecretString> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(SecretString::from)
}

fn http_url(
    setting: &'static str,
    value: Option<String>,
    default: &str,
) -> Result<String, ConfigError> {
    let Some(raw) = non_empty(value) else {
        return Ok(default.to_string());
    };
    let parsed =
        url::Url::parse(&raw).map_err(|e| invalid(setting, format!("not a valid URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(setting, "must start with http:// or https://"));
    }
    Ok(raw.trim_end_matches('/').to_string())
}

fn slack_from_raw(
    client_id: Option<String>,
    client_secret: Option<String>,
    signing_secret: Option<String>,
    api_url: Option<String>,
    authorize_url: Option<String>,
    command: Option<String>,
) -> Result<SlackConfig, ConfigError> {
    let defaults = SlackConfig::default();
    let client_id = non_empty(client_id);
    let client_secret = non_empty_secret(client_secret);
    // One without the other can never work; say so at start rather than on the first Connect.
    match (&client_id, &client_secret) {
        (Some(_), None) => {
            return Err(invalid(
                "LATCH_SLACK_CLIENT_SECRET",
                "must be set when LATCH_SLACK_CLIENT_ID is set",
            ));
        }
        (None, Some(_)) => {
            return Err(invalid(
                "LATCH_SLACK_CLIENT_ID",
                "must be set when LATCH_SLACK_CLIENT_SECRET is set",
            ));
        }
        _ => {}
    }
    if client_id.as_deref().is_some_and(|id| {
        id.chars()
            .any(|c| c.is_whitespace() || c == '&' || c == '=')
    }) {
        return Err(invalid(
            "LATCH_SLACK_CLIENT_ID",
            "looks wrong: copy the Client ID from the Slack app's Basic Information",
        ));
    }
    let command = match non_empty(command) {
        None => defaults.command.clone(),
        Some(c) => {
            let valid = c.starts_with('/')
                && c.len() > 1
                && c.len() <= 32
                && c[1..].chars().all(|ch| {
                    ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_'
                });
            if !valid {
                return Err(invalid(
                    "LATCH_SLACK_COMMAND",
                    "must be a slash and up to 31 lower-case letters, digits, - or _ (e.g. /c1)",
                ));
            }
            c
        }
    };
    Ok(SlackConfig {
        client_id,
        client_secret,
        signing_secret: non_empty_secret(signing_secret),
        api_url: http_url("LATCH_SLACK_API_URL", api_url, &defaults.api_url)?,
        authorize_url: http_url(
            "LATCH_SLACK_AUTHORIZE_URL",
            authorize_url,
            &defaults.authorize_url,
        )?,
        command,
        timeout: defaults.timeout,
    })
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn load_or_create_secret_key(data_dir: &Path) -> Result<SecretString, ConfigError> {
    let path = data_dir.join("secret.key");
    if path.exists() {
        let key = std::fs::read_to_string(&path).map_err(|e| {
            invalid(
                "LATCH_SECRET_KEY",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let key = key.trim().to_string();
        if key.chars().count() < 32 {
            return Err(invalid(
                "LATCH_SECRET_KEY",
                format!("{} is shorter than 32 characters", path.display()),
            ));
        }
        return Ok(SecretString::from(key));
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    write_private_file(&path, &key).map_err(|e| {
        invalid(
            "LATCH_SECRET_KEY",
            format!("cannot write {}: {e}", path.display()),
        )
    })?;
    Ok(SecretString::from(key))
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

fn describe_figment_error(error: figment::Error, config_file: Option<&Path>) -> ConfigError {
    let names = RawSettings::names();
    let setting = error
        .path
        .first()
        .and_then(|key| names.iter().find(|name| name.key == *key));
    let from_file = error
        .metadata
        .as_ref()
        .map(|m| m.name.contains("TOML"))
        .unwrap_or(false);
    let file = || {
        config_file
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    match (&error.kind, setting) {
        (figment::error::Kind::UnknownField(field, _), _) => ConfigError::File {
            path: file(),
            problem: format!(
                "unknown setting {field:?}; known settings: {}",
                names
                    .iter()
                    .map(|name| name.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        (_, Some(name)) if from_file => ConfigError::File {
            path: file(),
            problem: format!("{}: {}", name.key, error.kind),
        },
        (_, Some(name)) => ConfigError::Other(format!("{}: {}", name.env, error.kind)),
        _ => ConfigError::Other(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn raw() -> RawSettings {
        RawSettings::default()
    }

    #[test]
    fn defaults_select_sqlite_in_the_data_directory() {
        let settings = Settings::from_raw(raw()).unwrap();
        assert_eq!(settings.engine, Engine::Sqlite);
        assert_eq!(
            settings.database_url.expose_secret(),
            "sqlite://./latch-data/latch.db"
        );
        assert_eq!(settings.public_url.as_str(), "http://127.0.0.1:3000");
        assert_eq!(settings.slack.api_url, "https://slack.com/api");
        assert_eq!(
            settings.slack.authorize_url,
            "https://slack.com/oauth/v2/authorize"
        );
        assert_eq!(settings.slack.command, "/c1");
        assert!(settings.slack.client_id.is_none());
        assert!(settings.trusted_proxies.is_empty());
    }

    #[test]
    fn trusted_proxies_are_a_list_of_addresses_and_networks() {
        let settings = Settings::from_raw(RawSettings {
            trusted_proxies: Some("10.0.0.0/8, ::1".into()),
            ..raw()
        })
        .unwrap();
        assert_eq!(
            settings.trusted_proxies,
            TrustedProxies::parse("10.0.0.0/8,::1").unwrap()
        );
    }

    #[test]
    fn a_postgres_url_selects_postgres() {
        let settings = Settings::from_raw(RawSettings {
            database_url: Some("postgres://latch@localhost/latch".into()),
            ..raw()
        })
        .unwrap();
        assert_eq!(settings.engine, Engine::Postgres);
    }

    #[test]
    fn bad_values_name_the_setting() {
        let cases = [
            (
                RawSettings {
                    database_url: Some("mysql://x".into()),
                    ..raw()
                },
                "LATCH_DATABASE_URL",
            ),
            (
                RawSettings {
                    public_url: Some("not a url".into()),
                    ..raw()
                },
                "LATCH_PUBLIC_URL",
            ),
            (
                RawSettings {
                    public_url: Some("ftp://x.example".into()),
                    ..raw()
                },
                "LATCH_PUBLIC_URL",
            ),
            (
                RawSettings {
                    listen_addr: Some("localhost".into()),
                    ..raw()
                },
                "LATCH_LISTEN_ADDR",
            ),
            (
                RawSettings {
                    secret_key: Some("short".into()),
                    ..raw()
                },
                "LATCH_SECRET_KEY",
            ),
            (
                RawSettings {
                    log_format: Some("xml".into()),
                    ..raw()
                },
                "LATCH_LOG_FORMAT",
            ),
            (
                RawSettings {
                    trusted_proxies: Some("10.0.0.0/8, proxy.local".into()),
                    ..raw()
                },
                "LATCH_TRUSTED_PROXIES",
            ),
            (
                RawSettings {
                    slack_client_id: Some("123.456".into()),
                    ..raw()
                },
                "LATCH_SLACK_CLIENT_SECRET",
            ),
            (
                RawSettings {
                    slack_client_secret: Some("s".into()),
                    ..raw()
                },
                "LATCH_SLACK_CLIENT_ID",
            ),
            (
                RawSettings {
                    slack_api_url: Some("slack.com/api".into()),
                    ..raw()
                },
                "LATCH_SLACK_API_URL",
            ),
            (
                RawSettings {
                    slack_authorize_url: Some("ftp://x".into()),
                    ..raw()
                },
                "LATCH_SLACK_AUTHORIZE_URL",
            ),
            (
                RawSettings {
                    slack_command: Some("c1".into()),
                    ..raw()
                },
                "LATCH_SLACK_COMMAND",
            ),
        ];
        for (raw, setting) in cases {
            let message = Settings::from_raw(raw).unwrap_err().to_string();
            assert!(
                message.starts_with(setting),
                "{message} should name {setting}"
            );
        }
    }

    #[test]
    fn the_public_url_loses_its_trailing_slash_and_https_is_detected() {
        let settings = Settings::from_raw(RawSettings {
            public_url: Some("https://latch.example.com/".into()),
            ..raw()
        })
        .unwrap();
        assert_eq!(settings.public_url.as_str(), "https://latch.example.com");
        assert!(settings.public_url.is_https());
    }

    #[test]
    fn given_settings_win_over_the_file_and_unset_ones_leave_the_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.toml");
        std::fs::write(
            &file,
            "public_url = \"ftp://bad.example\"\nlisten_addr = \"127.0.0.1:4000\"\n",
        )
        .unwrap();
        let given = RawSettings {
            public_url: Some("https://latch.example.com".into()),
            ..raw()
        };
        let settings = Settings::load(Some(&file), &given).unwrap();
        assert_eq!(settings.public_url.as_str(), "https://latch.example.com");
        assert_eq!(settings.listen_addr.to_string(), "127.0.0.1:4000");

        let message = Settings::load(Some(&file), &raw()).unwrap_err().to_string();
        assert!(message.starts_with("LATCH_PUBLIC_URL"), "{message}");
    }

    #[test]
    fn the_file_refuses_an_unknown_key_and_a_value_of_the_wrong_type_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.toml");
        std::fs::write(&file, "publik_url = \"https://x\"\n").unwrap();
        let message = Settings::load(Some(&file), &raw()).unwrap_err().to_string();
        assert!(
            message.contains("unknown setting \"publik_url\"")
                && message.contains("public_url, secret_key"),
            "{message}"
        );

        std::fs::write(&file, "listen_addr = 3000\n").unwrap();
        let message = Settings::load(Some(&file), &raw()).unwrap_err().to_string();
        assert!(message.contains("listen_addr: invalid type"), "{message}");

        let missing = dir.path().join("missing.toml");
        let message = Settings::load(Some(&missing), &raw())
            .unwrap_err()
            .to_string();
        assert!(message.ends_with("no such file"), "{message}");
    }

    #[test]
    fn every_setting_has_a_latch_environment_variable_named_after_its_key() {
        let names = RawSettings::names();
        assert_eq!(names.len(), 15);
        for name in names {
            assert_eq!(name.env, format!("LATCH_{}", name.key.to_uppercase()));
        }
    }

    #[test]
    fn the_readme_settings_table_lists_every_setting_and_no_other() {
        let readme = include_str!("../../README.md");
        let in_table: std::collections::BTreeSet<&str> = readme
            .lines()
            .filter(|line| line.starts_with("| `LATCH_"))
            .flat_map(|line| line.split('`'))
            .filter(|word| word.starts_with("LATCH_"))
            .collect();
        let mut declared: std::collections::BTreeSet<String> = RawSettings::names()
            .into_iter()
            .map(|name| name.env)
            .collect();
        declared.insert("LATCH_CONFIG".into());
        assert_eq!(
            in_table,
            declared.iter().map(String::as_str).collect(),
            "README.md's settings table and RawSettings disagree"
        );
    }

    #[test]
    fn a_generated_secret_key_is_kept_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_secret_key(dir.path()).unwrap();
        let second = load_or_create_secret_key(dir.path()).unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
