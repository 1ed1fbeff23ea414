//! Slack delivery as Settings > Notifications shows it: which notifications go to Slack, and
//! the deliveries that failed for good (with why, in words).

use serde::{Deserialize, Serialize};

/// The Delivery section's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettingsView {
    /// The kill switch: off, no notification is sent (nor queued).
    pub slack: bool,
    pub kinds: Vec<NotificationKindSetting>,
}

/// One kind of notification and whether it goes to Slack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationKindSetting {
    /// The stable kind name (`request_created`…).
    pub kind: String,
    /// What it tells, in words.
    pub label: String,
    /// Who gets it.
    pub audience: String,
    pub on: bool,
}

/// A notification Latch gave up delivering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedDelivery {
    pub id: i64,
    pub recipient: String,
    pub recipient_email: String,
    /// The kind's label (see [`NotificationKindSetting::label`]).
    pub kind: String,
    /// The reason code (Slack's, or `not_linked`, `gave_up`…).
    pub reason: String,
    /// The reason in words, with what to do.
    pub reason_text: String,
    /// Unix ms.
    pub failed_at: i64,
    pub attempts: i64,
}
