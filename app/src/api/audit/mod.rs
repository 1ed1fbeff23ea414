//! Reading the audit log.
//!
//! One server function per file; each file's items are re-exported here, so a page imports an
//! area in one line (`use crate::api::requests::{CreateRequest, my_requests};`).

pub mod list_audit;

pub use list_audit::*;
