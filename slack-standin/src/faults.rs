//! Fault switches: make the next N Web API calls fail the way Slack fails
//! under load (429 + `Retry-After`, 5xx with an HTML body) or respond slowly.

use serde::{Deserialize, Serialize};
use std::time::Duration;

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
    pub fn take_latency(&mut self, method: &str) -> Option<Duration> {
        let idx = self
            .latencies
            .iter()
            .position(|l| matches(&l.method, method))?;
        let fault = self.latencies.get_mut(idx)?;
        let delay = Duration::from_millis(fault.delay_ms);
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
