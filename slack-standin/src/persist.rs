//! The stand-in's state kept in a file ([`crate::StandinConfig::state_file`]), so a demo that
//! stops and starts again finds its Slack as it left it: the same workspaces, people, DMs and
//! messages (edits, threads, pins), views, installations and their tokens.
//!
//! What is kept is what Slack itself would still hold after the app restarted:
//! enterprises, workspaces, users, channels and their members, messages and ephemerals, pins,
//! views, installations, tokens, incoming webhooks, what people typed into messages and the
//! options last shown to them, which workspaces restrict public channels, the message
//! timestamp clock (a message posted after a restart never reuses or precedes an earlier ts),
//! the app's id and its verification token. OAuth codes (10 minutes) and `response_url`s
//! (30 minutes) are kept with their issue time on the wall clock, so they expire when they
//! would have had the stand-in kept running (the app may hold a `response_url` in a modal's
//! metadata across the restart).
//!
//! What is not kept: trigger ids (they live 3 seconds), rate-limit windows (a minute at most),
//! fault switches (a test's, for its own run), and the stand-in's logs of the traffic it saw
//! (Web API calls, hook posts, deliveries: they are about a run, and would grow without end).
//! Settings (events URL, consent mode, rate limits, event subscriptions) come from the
//! configuration at each start.
//!
//! The file is JSON with a format name and version; a file that does not parse, or was written
//! by another version, is refused with its path. It is written atomically (a temporary file in
//! the same directory, then a rename), at most once a second while the state changes, and once
//! more when the stand-in stops.

use crate::error::{Result, StandinError};
use crate::ids::TsClock;
use crate::state::{
    Channel, Enterprise, EphemeralMessage, Installation, Message, OAuthCode, Pin, ResponseUrl,
    State, Team, Token, User, View, Webhook,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The `format` every state file carries.
pub const FORMAT: &str = "slack-standin-state";

/// The version of the file's layout this stand-in reads and writes. Bump it when a kept type
/// changes in a way older files cannot be read as.
pub const VERSION: u32 = 1;

/// Who the state belongs to and the clock, besides the model.
#[derive(Debug, Clone)]
pub struct AppIdentity {
    /// The Slack app's client id: a file saved for another app is refused.
    pub client_id: String,
    /// The app's id (`A…`), kept: Slack's id of an app does not change.
    pub app_id: String,
    /// The deprecated verification token put in payloads, kept for the same reason.
    pub verification_token: String,
}

/// Converts between the monotonic clock the model uses and the wall clock a file can hold. One
/// anchor per run, so the same instant always gives the same number (an unchanged state saves
/// to the same bytes).
#[derive(Debug, Clone, Copy)]
pub struct Anchor {
    instant: Instant,
    wall_ms: u128,
}

impl Anchor {
    /// Now, on both clocks.
    pub fn now() -> Self {
        Self {
            instant: Instant::now(),
            wall_ms: wall_now_ms(),
        }
    }

    fn to_wall_ms(self, at: Instant) -> u128 {
        if at >= self.instant {
            self.wall_ms + at.duration_since(self.instant).as_millis()
        } else {
            self.wall_ms
                .saturating_sub(self.instant.duration_since(at).as_millis())
        }
    }
}

fn wall_now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// The instant `wall_ms` was, for something that lives `ttl`. One that expired long ago is put
/// just past its lifetime (it still answers as expired, as Slack's does); `None` only when the
/// monotonic clock cannot go back that far (then it is dropped).
fn issued_instant(wall_ms: u128, ttl: Duration) -> Option<Instant> {
    let age_ms = wall_now_ms().saturating_sub(wall_ms);
    let age = Duration::from_millis(u64::try_from(age_ms).unwrap_or(u64::MAX));
    Instant::now().checked_sub(age.min(ttl + Duration::from_secs(1)))
}

/// A pending OAuth code as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedCode {
    code: String,
    client_id: String,
    redirect_uri: Option<String>,
    install_id: String,
    issued_unix_ms: u128,
    used: bool,
}

/// A `response_url` as kept (its secret included: the app holds the URL).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedResponseUrl {
    id: String,
    secret: String,
    kind: String,
    team_id: String,
    channel_id: String,
    user_id: String,
    source_ts: Option<String>,
    source_is_ephemeral: bool,
    install_id: String,
    uses: u32,
    issued_unix_ms: Option<u128>,
}

/// The file as written: borrowed from the model (maps in key order, so an unchanged model
/// gives the same bytes).
#[derive(Serialize)]
struct FileOut<'a> {
    format: &'static str,
    version: u32,
    client_id: &'a str,
    app_id: &'a str,
    verification_token: &'a str,
    clock: &'a TsClock,
    enterprises: &'a BTreeMap<String, Enterprise>,
    teams: &'a BTreeMap<String, Team>,
    users: &'a BTreeMap<String, User>,
    channels: &'a [Channel],
    messages: BTreeMap<&'a String, &'a Vec<Message>>,
    ephemerals: &'a [EphemeralMessage],
    pins: &'a [Pin],
    views: &'a [View],
    installs: &'a BTreeMap<String, Installation>,
    tokens: BTreeMap<&'a String, &'a Token>,
    webhooks: &'a BTreeMap<String, Webhook>,
    oauth_codes: Vec<SavedCode>,
    response_urls: Vec<SavedResponseUrl>,
    message_inputs: BTreeMap<&'a String, &'a crate::blockkit::Inputs>,
    shown_options: BTreeMap<&'a String, &'a Vec<Value>>,
    public_channels_restricted: &'a BTreeSet<String>,
}

/// The file as read.
#[derive(Deserialize)]
struct FileIn {
    client_id: String,
    app_id: String,
    verification_token: String,
    clock: TsClock,
    enterprises: BTreeMap<String, Enterprise>,
    teams: BTreeMap<String, Team>,
    users: BTreeMap<String, User>,
    channels: Vec<Channel>,
    messages: BTreeMap<String, Vec<Message>>,
    ephemerals: Vec<EphemeralMessage>,
    pins: Vec<Pin>,
    views: Vec<View>,
    installs: BTreeMap<String, Installation>,
    tokens: BTreeMap<String, Token>,
    webhooks: BTreeMap<String, Webhook>,
    oauth_codes: Vec<SavedCode>,
    response_urls: Vec<SavedResponseUrl>,
    message_inputs: BTreeMap<String, crate::blockkit::Inputs>,
    shown_options: BTreeMap<String, Vec<Value>>,
    public_channels_restricted: BTreeSet<String>,
}

/// The kept part of `state` as the file's bytes.
pub fn to_bytes(state: &State, identity: &AppIdentity, anchor: Anchor) -> Result<Vec<u8>> {
    let mut oauth_codes: Vec<SavedCode> = state
        .codes
        .values()
        .map(|c| SavedCode {
            code: c.code.clone(),
            client_id: c.client_id.clone(),
            redirect_uri: c.redirect_uri.clone(),
            install_id: c.install_id.clone(),
            issued_unix_ms: anchor.to_wall_ms(c.issued),
            used: c.used,
        })
        .collect();
    oauth_codes.sort_by(|a, b| a.code.cmp(&b.code));
    let mut response_urls: Vec<SavedResponseUrl> = state
        .response_urls
        .values()
        .map(|r| SavedResponseUrl {
            id: r.id.clone(),
            secret: r.secret.clone(),
            kind: r.kind.clone(),
            team_id: r.team_id.clone(),
            channel_id: r.channel_id.clone(),
            user_id: r.user_id.clone(),
            source_ts: r.source_ts.clone(),
            source_is_ephemeral: r.source_is_ephemeral,
            install_id: r.install_id.clone(),
            uses: r.uses,
            issued_unix_ms: r.issued.map(|at| anchor.to_wall_ms(at)),
        })
        .collect();
    response_urls.sort_by(|a, b| a.id.cmp(&b.id));
    let file = FileOut {
        format: FORMAT,
        version: VERSION,
        client_id: &identity.client_id,
        app_id: &identity.app_id,
        verification_token: &identity.verification_token,
        clock: &state.clock,
        enterprises: &state.enterprises,
        teams: &state.teams,
        users: &state.users,
        channels: &state.channels,
        messages: state.messages.iter().collect(),
        ephemerals: &state.ephemerals,
        pins: &state.pins,
        views: &state.views,
        installs: &state.installs,
        tokens: state.tokens.iter().collect(),
        webhooks: &state.webhooks,
        oauth_codes,
        response_urls,
        message_inputs: state.message_inputs.iter().collect(),
        shown_options: state.shown_options.iter().collect(),
        public_channels_restricted: &state.public_channels_restricted,
    };
    Ok(serde_json::to_vec(&file)?)
}

/// What a state file restores.
#[derive(Debug)]
pub struct Restored {
    /// The app's id and verification token the state was made with.
    pub app_id: String,
    /// See [`AppIdentity::verification_token`].
    pub verification_token: String,
}

fn refused(path: &Path, why: impl std::fmt::Display) -> StandinError {
    StandinError::Invalid(format!(
        "the stand-in's state file {} cannot be used: {why}",
        path.display()
    ))
}

/// Reads the state file at `path` into `state` (whose settings are kept). `Ok(None)` when there
/// is no file yet. `client_id` is the running app's: a file saved for another app is refused, as
/// is one that does not parse or was written by another version of the format.
pub fn load(path: &Path, client_id: &str, state: &mut State) -> Result<Option<Restored>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(refused(path, format!("reading it failed: {e}"))),
    };
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| refused(path, format!("it is not valid JSON ({e})")))?;
    if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(refused(
            path,
            format!("it is not a slack-standin state file (no \"format\": \"{FORMAT}\")"),
        ));
    }
    let version = value.get("version").and_then(Value::as_u64);
    if version != Some(u64::from(VERSION)) {
        let found = version.map_or_else(|| "none".to_owned(), |v| v.to_string());
        return Err(refused(
            path,
            format!(
                "it was written in format version {found}, and this stand-in reads version \
                 {VERSION}; remove the file to start from an empty Slack"
            ),
        ));
    }
    let file: FileIn = serde_json::from_value(value).map_err(|e| {
        refused(
            path,
            format!("its content does not fit version {VERSION}: {e}"),
        )
    })?;
    if file.client_id != client_id {
        return Err(refused(
            path,
            format!(
                "it was saved for the Slack app with client id {}, and this stand-in runs {client_id}",
                file.client_id
            ),
        ));
    }
    state.clock = file.clock;
    state.enterprises = file.enterprises;
    state.teams = file.teams;
    state.users = file.users;
    state.channels = file.channels;
    state.messages = file.messages.into_iter().collect();
    state.ephemerals = file.ephemerals;
    state.pins = file.pins;
    state.views = file.views;
    state.installs = file.installs;
    state.tokens = file.tokens.into_iter().collect();
    state.webhooks = file.webhooks;
    let code_ttl = state.timings.oauth_code_ttl;
    state.codes = file
        .oauth_codes
        .into_iter()
        .filter_map(|c| {
            let issued = issued_instant(c.issued_unix_ms, code_ttl)?;
            Some((
                c.code.clone(),
                OAuthCode {
                    code: c.code,
                    client_id: c.client_id,
                    redirect_uri: c.redirect_uri,
                    install_id: c.install_id,
                    issued,
                    used: c.used,
                },
            ))
        })
        .collect();
    let url_ttl = state.timings.response_url_ttl;
    state.response_urls = file
        .response_urls
        .into_iter()
        .filter_map(|r| {
            let issued = match r.issued_unix_ms {
                Some(ms) => Some(issued_instant(ms, url_ttl)?),
                None => None,
            };
            Some((
                r.id.clone(),
                ResponseUrl {
                    id: r.id,
                    secret: r.secret,
                    kind: r.kind,
                    team_id: r.team_id,
                    channel_id: r.channel_id,
                    user_id: r.user_id,
                    source_ts: r.source_ts,
                    source_is_ephemeral: r.source_is_ephemeral,
                    install_id: r.install_id,
                    uses: r.uses,
                    issued,
                },
            ))
        })
        .collect();
    state.message_inputs = file.message_inputs.into_iter().collect();
    state.shown_options = file.shown_options.into_iter().collect();
    state.public_channels_restricted = file.public_channels_restricted;
    Ok(Some(Restored {
        app_id: file.app_id,
        verification_token: file.verification_token,
    }))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed to
/// disk, then renamed over `path` (a crash leaves the old file or the new one, never half).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "slack-standin.json".to_owned());
    let temp: PathBuf = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        std::fs::create_dir_all(dir)?;
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}
