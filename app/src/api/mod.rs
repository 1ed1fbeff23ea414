//! Server functions, one per file, grouped by area. Each is thin: it checks who is calling,
//! calls into `ssr`, and maps the outcome to [`crate::error::AppError`].

pub mod auth;
