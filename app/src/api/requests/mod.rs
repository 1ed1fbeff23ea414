//! Access requests: creating, reading and acting on them.
//!
//! One server function per file; each file's items are re-exported here, so a page imports an
//! area in one line (`use crate::api::requests::{CreateRequest, my_requests};`).

pub mod cancel_request;
pub mod comment_request;
pub mod create_request;
pub mod escalate_request;
pub mod my_requests;
pub mod request_detail;
pub mod requestable_entitlements;
pub mod retry_provisioning;

pub use cancel_request::*;
pub use comment_request::*;
pub use create_request::*;
pub use escalate_request::*;
pub use my_requests::*;
pub use request_detail::*;
pub use requestable_entitlements::*;
pub use retry_provisioning::*;
