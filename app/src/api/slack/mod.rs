//! Slack connection and delivery server functions (Super Admins only); their shapes are in `crate::shapes::slack`.
//! Nothing here ever carries a token or a webhook URL.
//!
//! One server function per file; each file's items are re-exported here, so a page imports an
//! area in one line (`use crate::api::requests::{CreateRequest, my_requests};`).

pub mod disconnect;
pub mod failed_deliveries;
pub mod install_url;
pub mod manifest;
pub mod notification_settings;
pub mod overview;
pub mod retry_delivery;
pub mod set_notification_kind;
pub mod set_notifications_enabled;
pub mod test_message;

pub use disconnect::*;
pub use failed_deliveries::*;
pub use install_url::*;
pub use manifest::*;
pub use notification_settings::*;
pub use overview::*;
pub use retry_delivery::*;
pub use set_notification_kind::*;
pub use set_notifications_enabled::*;
pub use test_message::*;
