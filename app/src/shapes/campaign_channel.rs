//! The Configuration tab's **Communications** area: the campaign's Slack channel, its state,
//! who was invited and who could not be (people without a linked Slack account are listed, not
//! silently skipped), and what the area offers now.

use serde::{Deserialize, Serialize};

use crate::domain::campaign::channel::{ChannelStatus, CommunicationsActions};

/// The Communications area of one campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Communications {
    pub campaign_id: String,
    /// Whether Latch is connected to a Slack workspace (Settings > Slack).
    pub slack_connected: bool,
    pub channel: Option<ChannelView>,
    pub actions: CommunicationsActions,
}

/// The channel attached to the campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    /// Without the `#`.
    pub name: String,
    pub channel_id: String,
    /// Opens the channel in Slack.
    pub link: String,
    pub is_private: bool,
    /// Latch created it (rather than joining an existing one).
    pub created_by_latch: bool,
    pub status: ChannelStatus,
    /// The status tracker is posted and pinned.
    pub tracker_posted: bool,
    /// Slack's refusal of the last post or edit, in words.
    pub failure: Option<String>,
    /// People invited (or already in it).
    pub invited: u64,
    /// People still to be invited (the channel job does it within seconds).
    pub waiting: u64,
    /// People without a Slack account Latch could find: not invited.
    pub unlinked: Vec<ChannelPerson>,
    /// People Slack refused to invite, with its reason.
    pub refused: Vec<ChannelPerson>,
}

/// Someone who should be in the channel but is not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPerson {
    pub name: String,
    pub email: String,
    /// Slack's reason, for a refused invitation.
    pub reason: Option<String>,
}
