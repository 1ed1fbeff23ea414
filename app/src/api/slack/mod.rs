//! Slack connection server functions (Super Admins only); their shapes are in `crate::shapes::slack`.
//! Nothing here ever carries a token or a webhook URL.

pub mod disconnect;
pub mod install_url;
pub mod manifest;
pub mod overview;
pub mod test_message;
