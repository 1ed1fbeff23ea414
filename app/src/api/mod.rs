//! Server functions, one per file, grouped by area. Each is thin: it checks who is calling,
//! calls into `ssr`, and maps the outcome to [`crate::error::AppError`].

pub mod approvals;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod catalog;
pub mod directory;
pub mod grants;
pub mod policies;
pub mod requests;
#[cfg(feature = "ssr")]
pub mod server;
pub mod settings;
pub mod slack;
pub mod tokens;
