//! Tenant settings: pending-request expiry, the webhook signing secret, and whether the console
//! may edit objects managed in code.
//!
//! One server function per file; each file's items are re-exported here, so a page imports an
//! area in one line (`use crate::api::requests::{CreateRequest, my_requests};`).

pub mod get_console_edits_of_code;
pub mod get_pending_expiry;
pub mod reveal_webhook_secret;
pub mod rotate_webhook_secret;
pub mod set_console_edits_of_code;
pub mod set_pending_expiry;
pub mod webhook_secret_status;

pub use get_console_edits_of_code::*;
pub use get_pending_expiry::*;
pub use reveal_webhook_secret::*;
pub use rotate_webhook_secret::*;
pub use set_console_edits_of_code::*;
pub use set_pending_expiry::*;
pub use webhook_secret_status::*;
