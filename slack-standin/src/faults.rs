//! Fault switches: make the next N Web API calls fail the way Slack fails
//! under load (429 + `Retry-After`, 5xx with an HTML body), make every call
//! fail for a while (a 429 storm), or respond slowly — before the call takes
//! effect, or after it (Slack did the work; the answer arrives too late for
//! the client, which must not do it twice).

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Which calls a fault applies to.
fn matches(filter: &Option<String>, method: &str) -> bool {
    filter.as_deref().is_none_or(|m| m == method)
}

/// Force `429 Too Many Requests` with `Retry-After`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RateLimitFault {
    /// Only this method (`None` = every method).
    #[serde(default)]
    pub method: Option<String>,
    /// Number of calls to fail.
    pub count: u32,
    /// `Retry-After` seconds.
    #[serde(default = "default_retry_after")]
    pub retry_after_secs: u64,
}

fn default_retry_after() -> u64 {
    1
}

/// Force a 5xx with an HTML body, as Slack's edge does.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ServerErrorFault {
    /// Only this method (`None` = every method).
    #[serde(default)]
    pub method: Option<String>,
    /// Number of calls to fail.
    pub count: u32,
    /// Status code (500, 502, 503, …).
    #[serde(default = "default_status")]
    pub status: u16,
}

fn default_status() -> u16 {
    503
}

/// Delay responses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LatencyFault {
    /// Only this method (`None` = every method).
    #[serde(default)]
    pub method: Option<String>,
    /// Delay per call in milliseconds.
    pub delay_ms: u64,
    /// Number of calls to slow down (`None` = until cleared).
    #[serde(default)]
    pub count: Option<u32>,
    /// The call takes effect first and only the answer is late (a message is
    /// posted even if the client gave up waiting); otherwise the delay comes
    /// before the call runs.
    #[serde(default)]
    pub after_effect: bool,
}

/// When a delay applies to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delay {
    /// How long.
    pub duration: Duration,
    /// After the call took effect (see [`LatencyFault::after_effect`]).
    pub after_effect: bool,
}

/// A 429 storm: every call (of `method`, or any) answers 429 until the storm
/// ends, with `Retry-After` = the seconds left (at least 1), so a client that
/// honours it gets through right after the storm.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RateLimitStorm {
    /// Only this method (`None` = every method).
    #[serde(default)]
    pub method: Option<String>,
    /// How long the storm lasts, in seconds.
    pub duration_secs: u64,
    /// When it started (set when the storm is added).
    #[serde(skip)]
    pub started: Option<Instant>,
}

impl RateLimitStorm {
    /// Seconds left (rounded up), or `None` once over.
    fn remaining_secs(&self, now: Instant) -> Option<u64> {
        let started = self.started?;
        let left =
            Duration::from_secs(self.duration_secs).checked_sub(now.duration_since(started))?;
        if left.is_zero() {
            return None;
        }
        Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
    }
}

/// All active fault switches.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Faults {
    /// Pending 429s.
    #[serde(default)]
    pub rate_limits: Vec<RateLimitFault>,
    /// Pending 5xx.
    #[serde(default)]
    pub server_errors: Vec<ServerErrorFault>,
    /// Active latencies.
    #[serde(default)]
    pub latencies: Vec<LatencyFault>,
    /// 429 storms (ended ones are dropped when next consulted).
    #[serde(default)]
    pub storms: Vec<RateLimitStorm>,
}

/// The fault chosen for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Injected {
    /// Respond 429 with this `Retry-After`.
    RateLimited(u64),
    /// Respond with this 5xx status.
    ServerError(u16),
}

impl Faults {
    /// Latency to add to a call of `method` (consumes one use of a counted latency).
    pub fn take_latency(&mut self, method: &str) -> Option<Delay> {
        let idx = self
            .latencies
            .iter()
            .position(|l| matches(&l.method, method))?;
        let fault = self.latencies.get_mut(idx)?;
        let delay = Delay {
            duration: Duration::from_millis(fault.delay_ms),
            after_effect: fault.after_effect,
        };
        if let Some(count) = fault.count.as_mut() {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.latencies.remove(idx);
            }
        }
        Some(delay)
    }

    /// The failure to inject into a call of `method`, if any (consumes one use).
    pub fn take_failure(&mut self, method: &str) -> Option<Injected> {
        let now = Instant::now();
        self.storms.retain(|s| s.remaining_secs(now).is_some());
        if let Some(secs) = self
            .storms
            .iter()
            .filter(|s| matches(&s.method, method))
            .filter_map(|s| s.remaining_secs(now))
            .max()
        {
            return Some(Injected::RateLimited(secs));
        }
        if let Some(idx) = self
            .rate_limits
            .iter()
            .position(|f| matches(&f.method, method) && f.count > 0)
        {
            let fault = self.rate_limits.get_mut(idx)?;
            fault.count -= 1;
            let secs = fault.retry_after_secs;
            if fault.count == 0 {
                self.rate_limits.remove(idx);
            }
            return Some(Injected::RateLimited(secs));
        }
        if let Some(idx) = self
            .server_errors
            .iter()
            .position(|f| matches(&f.method, method) && f.count > 0)
        {
            let fault = self.server_errors.get_mut(idx)?;
            fault.count -= 1;
            let status = fault.status;
            if fault.count == 0 {
                self.server_errors.remove(idx);
            }
            return Some(Injected::ServerError(status));
        }
        None
    }
}
