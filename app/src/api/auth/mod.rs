pub mod current_user;
pub mod setup_link;
