//! API tokens for automation (Admin > API tokens): create (the token is shown once), list
//! (never a secret), revoke. Super Admins only; each change is audited.
//!
//! One server function per file; each file's items are re-exported here.

pub mod create_api_token;
pub mod list_api_tokens;
pub mod revoke_api_token;

pub use create_api_token::*;
pub use list_api_tokens::*;
pub use revoke_api_token::*;
