//! Slack connection server functions (Super Admins only); their shapes are in `crate::shapes::slack`.
//! Nothing here ever carries a token or a webhook URL.
//!
//! One server function per file; each file's items are re-exported here, so a page imports an
//! area in one line (`use crate::api::requests::{CreateRequest, my_requests};`).

pub mod disconnect;
pub mod install_url;
pub mod manifest;
pub mod overview;
pub mod test_message;

pub use disconnect::*;
pub use install_url::*;
pub use manifest::*;
pub use overview::*;
pub use test_message::*;
