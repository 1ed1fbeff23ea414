//! Read models: what the console (and, next, Slack) lists and shows, built from stored
//! aggregates and the directory. Queries here only read; every write goes through
//! `ssr::access` (repositories) and `ssr::flows` (the workflows).

pub mod campaign_channel;
pub mod campaigns;
pub mod catalog;
pub mod grants;
pub mod requests;
