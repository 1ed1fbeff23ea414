//! Deciding and reassigning requests, and what waits for the caller's decision.
//!
//! One server function per file; each file's items are re-exported here, so a page imports an
//! area in one line (`use crate::api::requests::{CreateRequest, my_requests};`).

pub mod assigned_to_me;
pub mod decide_request;
pub mod reassign_request;

pub use assigned_to_me::*;
pub use decide_request::*;
pub use reassign_request::*;
