//! One module per console page.

pub mod access_reviews;
pub mod admin;
pub mod apps;
pub mod home;
pub mod login;
pub mod requests;
pub mod setup;
