//! The directory: people, groups and CSV import.
//!
//! One server function per file; each file's items are re-exported here, so a page imports an
//! area in one line (`use crate::api::requests::{CreateRequest, my_requests};`).

pub mod delete_group;
pub mod import_directory_csv;
pub mod list_directory;
pub mod list_groups;
pub mod remove_group_member;
pub mod save_group;
pub mod set_directory_role;
pub mod update_directory_user;

pub use delete_group::*;
pub use import_directory_csv::*;
pub use list_directory::*;
pub use list_groups::*;
pub use remove_group_member::*;
pub use save_group::*;
pub use set_directory_role::*;
pub use update_directory_user::*;
