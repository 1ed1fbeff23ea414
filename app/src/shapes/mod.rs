//! The shapes server and browser exchange: plain data compiled for both, that `api` (server
//! functions), `ssr` (which fills them) and `pages` (which show them) all depend on, while none
//! of those imports another for them. Only what a viewer may see goes in: a field that is
//! admin-only is an `Option` filled for admins, never a domain object sent whole.

pub mod api_tokens;
pub mod audit;
pub mod campaign_channel;
pub mod campaigns;
pub mod catalog;
pub mod directory;
pub mod grants;
pub mod notifications;
pub mod policies;
pub mod requests;
pub mod slack;

pub use api_tokens::*;
pub use audit::*;
pub use campaign_channel::*;
pub use campaigns::*;
pub use catalog::*;
pub use directory::*;
pub use grants::*;
pub use notifications::*;
pub use policies::*;
pub use requests::*;
pub use slack::*;
