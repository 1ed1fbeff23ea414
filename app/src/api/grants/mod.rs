//! Grants and provisioning tasks.
//!
//! One server function per file; each file's items are re-exported here, so a page imports an
//! area in one line (`use crate::api::requests::{CreateRequest, my_requests};`).

pub mod complete_task;
pub mod list_grants;
pub mod my_grants;
pub mod my_tasks;
pub mod overdue_removals;
pub mod release_grant;
pub mod revoke_grant;

pub use complete_task::*;
pub use list_grants::*;
pub use my_grants::*;
pub use my_tasks::*;
pub use overdue_removals::*;
pub use release_grant::*;
pub use revoke_grant::*;
