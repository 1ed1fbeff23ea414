//! Request policies.
//!
//! One server function per file; each file's items are re-exported here, so a page imports an
//! area in one line (`use crate::api::requests::{CreateRequest, my_requests};`).

pub mod delete_policy;
pub mod list_policies;
pub mod policy_overview;
pub mod save_policy;

pub use delete_policy::*;
pub use list_policies::*;
pub use policy_overview::*;
pub use save_policy::*;
