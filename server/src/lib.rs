//! The `latch` server: configuration, start-up, HTTP adapters and background work.
//! Domain rules and storage live in the `app` crate (`app::domain`, `app::ssr`); this crate wires
//! them to the network.

pub mod background;
pub mod catalog_files;
pub mod cli;
pub mod config;
pub mod demo;
pub mod http;
pub mod sessions;
pub mod startup;
pub mod telemetry;

pub use startup::Application;
