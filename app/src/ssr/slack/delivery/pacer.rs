//! When the next Slack call may go: Slack's limits respected by construction, not discovered.
//!
//! Pure (no clock, no I/O): the caller passes the time in milliseconds. Per method, a sliding
//! window of calls per minute (Slack's tiers; chat.update, conversations.open,
//! conversations.history, conversations.replies and users.lookupByEmail are Tier 3, 50 a minute). chat.postMessage has
//! Slack's special limit, about one message a second per channel with short bursts: a token
//! bucket per channel. A 429 pauses the method until its `Retry-After` has passed.
//!
//! Slack counts a call when it arrives, a little after we count it here, so a window is counted
//! as a minute plus [`WINDOW_MARGIN_MS`], and the burst is smaller than Slack tolerates: the
//! differences in latency between calls never add up to a 429.

use std::collections::{BTreeMap, VecDeque};

/// The Web API methods delivery calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    PostMessage,
    Update,
    ConversationsOpen,
    ConversationsHistory,
    ConversationsReplies,
    UsersLookupByEmail,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::PostMessage => "chat.postMessage",
            Method::Update => "chat.update",
            Method::ConversationsOpen => "conversations.open",
            Method::ConversationsHistory => "conversations.history",
            Method::ConversationsReplies => "conversations.replies",
            Method::UsersLookupByEmail => "users.lookupByEmail",
        }
    }

    /// Calls a minute Slack allows (its tier's floor); `None` for chat.postMessage, which is
    /// limited per channel instead.
    pub fn per_minute(self) -> Option<usize> {
        match self {
            Method::PostMessage => None,
            Method::Update
            | Method::ConversationsOpen
            | Method::ConversationsHistory
            | Method::ConversationsReplies
            | Method::UsersLookupByEmail => Some(50),
        }
    }
}

const MINUTE_MS: i64 = 60_000;

/// Added to a minute window, for the time a call takes to reach Slack.
pub const WINDOW_MARGIN_MS: i64 = 1_000;

/// Messages a channel may take at once before the one-a-second pace applies (Slack tolerates
/// "short bursts"; the stand-in, ten).
pub const CHANNEL_BURST: u32 = 3;

/// One message a second per channel.
pub const CHANNEL_INTERVAL_MS: i64 = 1_000;

/// A channel's token bucket: `tokens` as of `at`, in thousandths of a token so refills stay
/// exact in integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    milli_tokens: i64,
    at: i64,
}

/// The pacing state of one delivering process.
#[derive(Debug, Clone, Default)]
pub struct Pacer {
    windows: BTreeMap<Method, VecDeque<i64>>,
    channels: BTreeMap<String, Bucket>,
    paused_until: BTreeMap<Method, i64>,
}

impl Pacer {
    pub fn new() -> Pacer {
        Pacer::default()
    }

    /// The earliest time (ms) a call of `method` (to `channel`, for chat.postMessage) may go;
    /// `now` or earlier means now.
    pub fn ready_at(&self, method: Method, channel: Option<&str>, now: i64) -> i64 {
        let mut at = now.max(self.paused_until.get(&method).copied().unwrap_or(0));
        if let (Some(limit), Some(window)) = (method.per_minute(), self.windows.get(&method)) {
            let live: Vec<i64> = window
                .iter()
                .copied()
                .filter(|t| now - t < MINUTE_MS + WINDOW_MARGIN_MS)
                .collect();
            if live.len() >= limit {
                // The call that makes room is the oldest one still counted.
                let oldest = live[live.len() - limit];
                at = at.max(oldest + MINUTE_MS + WINDOW_MARGIN_MS);
            }
        }
        if method == Method::PostMessage
            && let Some(bucket) = channel.and_then(|c| self.channels.get(c))
        {
            let tokens = refilled(*bucket, now);
            if tokens < 1_000 {
                at = at.max(now + (1_000 - tokens) * CHANNEL_INTERVAL_MS / 1_000);
            }
        }
        at
    }

    /// Takes a slot for a call of `method` at `now` if one is free; otherwise says when to come
    /// back (and takes nothing).
    pub fn try_take(&mut self, method: Method, channel: Option<&str>, now: i64) -> Result<(), i64> {
        let ready = self.ready_at(method, channel, now);
        if ready > now {
            return Err(ready);
        }
        if method.per_minute().is_some() {
            let window = self.windows.entry(method).or_default();
            while window
                .front()
                .is_some_and(|t| now - t >= MINUTE_MS + WINDOW_MARGIN_MS)
            {
                window.pop_front();
            }
            window.push_back(now);
        }
        if method == Method::PostMessage
            && let Some(channel) = channel
        {
            let bucket = self.channels.entry(channel.to_owned()).or_insert(Bucket {
                milli_tokens: i64::from(CHANNEL_BURST) * 1_000,
                at: now,
            });
            *bucket = Bucket {
                milli_tokens: refilled(*bucket, now) - 1_000,
                at: now,
            };
        }
        Ok(())
    }

    /// Slack answered 429 with `Retry-After: retry_after_secs`: no call of `method` before then.
    pub fn pause(&mut self, method: Method, retry_after_secs: u64, now: i64) {
        let secs = i64::try_from(retry_after_secs.max(1)).unwrap_or(i64::MAX / 2_000);
        let until = now.saturating_add(secs.saturating_mul(1_000));
        let paused = self.paused_until.entry(method).or_insert(until);
        *paused = (*paused).max(until);
    }

    /// Forgets channels whose buckets are full again (they pace like new ones), so the map
    /// stays as small as the set of people recently messaged.
    pub fn forget_idle(&mut self, now: i64) {
        self.channels
            .retain(|_, b| refilled(*b, now) < i64::from(CHANNEL_BURST) * 1_000);
    }
}

fn refilled(bucket: Bucket, now: i64) -> i64 {
    let elapsed = (now - bucket.at).max(0);
    (bucket.milli_tokens + elapsed * 1_000 / CHANNEL_INTERVAL_MS)
        .min(i64::from(CHANNEL_BURST) * 1_000)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_takes_a_short_burst_then_one_message_a_second() {
        let mut p = Pacer::new();
        for _ in 0..CHANNEL_BURST {
            assert_eq!(p.try_take(Method::PostMessage, Some("D1"), 0), Ok(()));
        }
        assert_eq!(p.try_take(Method::PostMessage, Some("D1"), 0), Err(1_000));
        assert_eq!(p.try_take(Method::PostMessage, Some("D1"), 999), Err(1_000));
        assert_eq!(p.try_take(Method::PostMessage, Some("D1"), 1_000), Ok(()));
        assert_eq!(
            p.try_take(Method::PostMessage, Some("D1"), 1_500),
            Err(2_000)
        );
    }

    #[test]
    fn channels_are_paced_apart() {
        let mut p = Pacer::new();
        for _ in 0..CHANNEL_BURST {
            p.try_take(Method::PostMessage, Some("D1"), 0).unwrap();
        }
        assert_eq!(p.try_take(Method::PostMessage, Some("D2"), 0), Ok(()));
        assert_eq!(p.ready_at(Method::PostMessage, Some("D1"), 0), 1_000);
    }

    #[test]
    fn a_tier_three_method_allows_fifty_calls_in_a_minute_and_a_margin() {
        let mut p = Pacer::new();
        for i in 0..50 {
            assert_eq!(
                p.try_take(Method::Update, None, i * 100),
                Ok(()),
                "call {i}"
            );
        }
        let blocked = p.try_take(Method::Update, None, 5_000);
        assert_eq!(blocked, Err(MINUTE_MS + WINDOW_MARGIN_MS));
        assert_eq!(
            p.try_take(Method::Update, None, MINUTE_MS + WINDOW_MARGIN_MS),
            Ok(())
        );
        // The next slot is when the second-oldest call leaves the window.
        assert_eq!(
            p.ready_at(Method::Update, None, MINUTE_MS + WINDOW_MARGIN_MS),
            100 + MINUTE_MS + WINDOW_MARGIN_MS
        );
        // Other methods have windows of their own.
        assert_eq!(p.try_take(Method::ConversationsOpen, None, 5_000), Ok(()));
    }

    #[test]
    fn a_429_pauses_only_its_method_for_retry_after() {
        let mut p = Pacer::new();
        p.pause(Method::PostMessage, 30, 1_000);
        assert_eq!(
            p.try_take(Method::PostMessage, Some("D1"), 2_000),
            Err(31_000)
        );
        assert_eq!(p.try_take(Method::Update, None, 2_000), Ok(()));
        assert_eq!(p.try_take(Method::PostMessage, Some("D1"), 31_000), Ok(()));
        // A shorter pause never shortens a longer one.
        p.pause(Method::Update, 60, 0);
        p.pause(Method::Update, 1, 0);
        assert_eq!(p.ready_at(Method::Update, None, 0), 60_000);
    }

    #[test]
    fn a_refused_call_takes_nothing() {
        let mut p = Pacer::new();
        for _ in 0..CHANNEL_BURST {
            p.try_take(Method::PostMessage, Some("D1"), 0).unwrap();
        }
        for _ in 0..5 {
            assert!(p.try_take(Method::PostMessage, Some("D1"), 500).is_err());
        }
        assert_eq!(p.try_take(Method::PostMessage, Some("D1"), 1_000), Ok(()));
    }

    #[test]
    fn idle_channels_are_forgotten_once_their_bucket_is_full() {
        let mut p = Pacer::new();
        p.try_take(Method::PostMessage, Some("D1"), 0).unwrap();
        p.forget_idle(500);
        assert_eq!(p.channels.len(), 1);
        p.forget_idle(1_000);
        assert!(p.channels.is_empty());
    }
}
