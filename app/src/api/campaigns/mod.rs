//! Access review campaigns: the list, creating one, "Validate scope", one campaign's page, its
//! edits and lifecycle, and a reviewer's reviews (decide, submit, reassign). The report files
//! are served by a plain GET handler (`server/src/http/campaign_report.rs`).
//!
//! One server function per file; each file's items are re-exported here.

pub mod add_campaign_channel;
pub mod campaign_communications;
pub mod campaign_detail;
pub mod campaign_open_reviews;
pub mod change_campaign_status;
pub mod check_campaign_scope;
pub mod create_campaign;
pub mod decide_reviews;
pub mod edit_campaign;
pub mod list_campaigns;
pub mod my_reviews;
pub mod reassign_review;
pub mod remove_campaign_channel;
pub mod search_people;
pub mod send_campaign_reminders;
pub mod send_review_reminder;
pub mod set_campaign_channel_active;
pub mod submit_reviews;

pub use add_campaign_channel::*;
pub use campaign_communications::*;
pub use campaign_detail::*;
pub use campaign_open_reviews::*;
pub use change_campaign_status::*;
pub use check_campaign_scope::*;
pub use create_campaign::*;
pub use decide_reviews::*;
pub use edit_campaign::*;
pub use list_campaigns::*;
pub use my_reviews::*;
pub use reassign_review::*;
pub use remove_campaign_channel::*;
pub use search_people::*;
pub use send_campaign_reminders::*;
pub use send_review_reminder::*;
pub use set_campaign_channel_active::*;
pub use submit_reviews::*;
