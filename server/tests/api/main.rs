#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The server's integration tests: one binary, a module per feature. Each test starts the real
//! application on port 0 with a fresh database (SQLite, or PostgreSQL when
//! `LATCH_TEST_POSTGRES_URL` is set).

mod access_fixtures;
mod access_loop;
mod access_webhooks;
mod account_emails;
mod api_v1;
mod audit_integrity;
mod campaign_channel;
mod campaign_entitlement_policies;
mod campaign_notifications;
mod campaign_paging;
mod campaign_roles;
mod campaigns;
mod campaigns_console;
mod catalog_admin;
mod catalog_as_code;
mod cli;
mod console;
mod demo;
mod error_edge;
mod external_decider;
mod hardening;
mod health;
mod helpers;
mod keep_alive;
mod leases;
mod migrations;
mod no_leaks;
mod pending_expiry;
mod policies;
mod removal;
mod request_actions;
mod role_matrix;
mod schema_parity;
mod setup_link;
mod sign_in;
mod slack_client;
mod slack_commands;
mod slack_connect;
mod slack_decisions;
mod slack_delivery;
mod slack_events;
mod slack_home;
mod slack_identity;
mod slack_live_messages;
mod slack_request_modal;
mod slack_simulator_elements;
mod slack_threads;
mod visibility;
mod webhook_signing;
