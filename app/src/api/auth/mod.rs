//! Who is signed in, and first-run setup links.
//!
//! One server function per file; each file's items are re-exported here, so a page imports an
//! area in one line (`use crate::api::requests::{CreateRequest, my_requests};`).

pub mod current_user;
pub mod setup_link;

pub use current_user::*;
pub use setup_link::*;
