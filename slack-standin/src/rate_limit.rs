//! Slack's published Web API rate limits.
//!
//! Limits apply per method × workspace (installation) × app. Tiered methods
//! allow a number of calls per sliding minute; `chat.postMessage` allows about
//! one message per second per channel with short bursts (modelled as a token
//! bucket of [`POST_MESSAGE_BURST`]). Exceeding a limit yields HTTP 429 with
//! `Retry-After: <seconds>` and `{"ok":false,"error":"ratelimited"}`.
//!
//! Slack's tier numbers are floors with bursts ("20+ per minute … allowing for
//! occasional bursts": api.slack.com/docs/rate-limits). The stand-in uses them
//! as hard caps on purpose: an app that stays under them here stays under
//! them in Slack, at the price of 429s Slack might not send.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Slack's rate-limit tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// 1+ per minute.
    Tier1,
    /// 20+ per minute.
    Tier2,
    /// 50+ per minute.
    Tier3,
    /// 100+ per minute.
    Tier4,
    /// Method-specific limits (`chat.postMessage`, `auth.test`, `oauth.v2.access`).
    Special,
}

impl Tier {
    /// Calls the stand-in allows per minute: Slack's documented floor, used as
    /// a cap (`None` = not limited by the stand-in).
    pub fn per_minute(self) -> Option<usize> {
        match self {
            Tier::Tier1 => Some(1),
            Tier::Tier2 => Some(20),
            Tier::Tier3 => Some(50),
            Tier::Tier4 => Some(100),
            Tier::Special => None,
        }
    }
}

/// The tier of a Web API method (docs.slack.dev).
pub fn tier_of(method: &str) -> Tier {
    match method {
        "conversations.create"
        | "conversations.list"
        | "conversations.archive"
        | "conversations.setPurpose"
        | "pins.add" => Tier::Tier2,
        "chat.update"
        | "conversations.join"
        | "conversations.invite"
        | "conversations.info"
        | "conversations.open"
        | "conversations.history"
        | "conversations.replies"
        | "users.lookupByEmail"
        | "auth.revoke" => Tier::Tier3,
        "chat.postEphemeral" | "users.info" | "views.open" | "views.publish" | "views.update"
        | "views.push" => Tier::Tier4,
        _ => Tier::Special,
    }
}

/// Burst size tolerated for `chat.postMessage` on one channel.
pub const POST_MESSAGE_BURST: f64 = 10.0;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Sliding-window and token-bucket limiter.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: HashMap<(String, String), VecDeque<Instant>>,
    buckets: HashMap<(String, String), Bucket>,
}

impl RateLimiter {
    /// Records a call of `method` by installation `scope_key`; returns
    /// `Err(retry_after_secs)` when the call exceeds the limit.
    pub fn check(
        &mut self,
        method: &str,
        scope_key: &str,
        channel: Option<&str>,
    ) -> Result<(), u64> {
        let now = Instant::now();
        if method == "chat.postMessage" {
            let Some(channel) = channel else {
                return Ok(());
            };
            let bucket = self
                .buckets
                .entry((scope_key.to_owned(), channel.to_owned()))
                .or_insert(Bucket {
                    tokens: POST_MESSAGE_BURST,
                    at: now,
                });
            let refill = now.duration_since(bucket.at).as_secs_f64();
            bucket.tokens = (bucket.tokens + refill).min(POST_MESSAGE_BURST);
            bucket.at = now;
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                return Ok(());
            }
            return Err(1);
        }
        let Some(limit) = tier_of(method).per_minute() else {
            return Ok(());
        };
        let window = self
            .windows
            .entry((method.to_owned(), scope_key.to_owned()))
            .or_default();
        let minute = Duration::from_secs(60);
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= minute)
        {
            window.pop_front();
        }
        if window.len() >= limit {
            let oldest = window.front().copied().unwrap_or(now);
            let wait = minute.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        window.push_back(now);
        Ok(())
    }
}
