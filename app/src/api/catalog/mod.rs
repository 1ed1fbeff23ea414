//! The catalog: apps, entitlements and the organisation-wide grant cap.
//!
//! One server function per file; each file's items are re-exported here, so a page imports an
//! area in one line (`use crate::api::requests::{CreateRequest, my_requests};`).

pub mod catalog_overview;
pub mod grant_cap;
pub mod list_apps;
pub mod save_app;
pub mod save_entitlement;
pub mod set_grant_cap;

pub use catalog_overview::*;
pub use grant_cap::*;
pub use list_apps::*;
pub use save_app::*;
pub use save_entitlement::*;
pub use set_grant_cap::*;
