//! Access review campaigns: the list, creating one, "Validate scope", one campaign's page, its
//! edits and lifecycle, and a reviewer's reviews (decide, submit, reassign). The report files
//! are served by a plain GET handler (`server/src/http/campaign_report.rs`).
//!
//! One server function per file; each file's items are re-exported here.

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
pub mod send_campaign_reminders;
pub mod send_review_reminder;
pub mod submit_reviews;

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
pub use send_campaign_reminders::*;
pub use send_review_reminder::*;
pub use submit_reviews::*;
