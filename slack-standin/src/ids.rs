//! Slack-shaped identifiers, tokens, secrets and message timestamps.

use rand::Rng;
use rand::distributions::Alphanumeric;
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A random Slack object ID: `prefix` followed by 10 upper-case alphanumerics
/// (e.g. `C0123ABCDE`). Prefixes: `T` team, `E` enterprise, `U`/`W` user, `B`
/// bot, `A` app, `C` public channel, `G` private channel, `D` DM, `V` view.
pub fn object_id(prefix: char) -> String {
    let mut rng = rand::thread_rng();
    let mut id = String::with_capacity(11);
    id.push(prefix);
    id.push('0');
    for _ in 0..9 {
        let idx = rng.gen_range(0..ID_ALPHABET.len());
        id.push(char::from(ID_ALPHABET[idx]));
    }
    id
}

/// Random lower/upper alphanumeric secret of `len` characters.
pub fn secret(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Random decimal digits.
pub fn digits(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// Random lowercase hex.
pub fn hex_string(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16usize)]))
        .collect()
}

/// A bot token shaped like Slack's: `xoxb-<digits>-<digits>-<24 chars>`.
pub fn bot_token() -> String {
    format!("xoxb-{}-{}-{}", digits(11), digits(13), secret(24))
}

/// A user token shaped like Slack's: `xoxp-<digits>-<digits>-<digits>-<32 hex>`.
pub fn user_token() -> String {
    format!(
        "xoxp-{}-{}-{}-{}",
        digits(11),
        digits(11),
        digits(13),
        hex_string(32)
    )
}

/// A `trigger_id` shaped like Slack's: `<digits>.<digits>.<32 hex>`.
pub fn trigger_id() -> String {
    format!("{}.{}.{}", digits(13), digits(11), hex_string(32))
}

/// Whether `value` has the shape of a trigger id (`132456.7890123.abcdef`).
pub fn looks_like_trigger_id(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() == 3
        && parts[..2]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && !parts[2].is_empty()
        && parts[2].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Microseconds since the Unix epoch.
pub fn unix_micros() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

/// Issues strictly increasing Slack message timestamps (`"1503435956.000247"`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TsClock {
    last_micros: u128,
}

impl TsClock {
    /// The next timestamp; never repeats, never goes backwards.
    pub fn next_ts(&mut self) -> String {
        let now = unix_micros().max(self.last_micros + 1);
        self.last_micros = now;
        format!("{}.{:06}", now / 1_000_000, now % 1_000_000)
    }
}

/// Whether `ts` looks like a Slack message timestamp (`digits.digits`).
pub fn is_valid_ts(ts: &str) -> bool {
    match ts.split_once('.') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}
