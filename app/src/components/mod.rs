//! Pieces of the console shared by several pages: the layout and guards, the error pages, and
//! the small kit pages are built from (loaded lists, after-save behaviour, times).

pub mod async_list;
pub mod forms;
pub mod layout;
pub mod require;
pub mod status;
pub mod time;
