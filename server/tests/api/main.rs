#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The server's integration tests: one binary, a module per feature. Each test starts the real
//! application on port 0 with a fresh database (SQLite, or PostgreSQL when
//! `LATCH_TEST_POSTGRES_URL` is set).

mod access_fixtures;
mod access_loop;
mod access_webhooks;
mod audit_integrity;
mod catalog_admin;
mod cli;
mod console;
mod hardening;
mod health;
mod helpers;
mod leases;
mod migrations;
mod pending_expiry;
mod removal;
mod request_actions;
mod policies;
mod setup_link;
mod sign_in;
mod slack_connect;
mod keep_alive;
mod slack_events;
mod webhook_signing;
mod visibility;
mod schema_parity;
mod role_matrix;
