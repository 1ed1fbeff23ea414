//! Pieces of the console shared by several pages.

pub mod layout;
pub mod require;
pub mod status;
pub mod time;
