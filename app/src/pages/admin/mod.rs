//! Admin pages: Super Admins only.

pub mod notifications;
pub mod settings;
