//! Admin pages: Super Admins only.

pub mod audit;
pub mod directory;
pub mod grants;
pub mod notifications;
pub mod policies;
pub mod removals;
pub mod settings;
pub mod tokens;
