//! Application services: one function per use case of the access core, callable from any door
//! (console server functions, Slack handlers, the CLI, background jobs) with an
//! [`Actor`](crate::ssr::access::Actor), or as Latch for the background work.
//!
//! Each use case is one transaction through [`Db::begin`](crate::ssr::Db::begin) (the lease fence,
//! and `BEGIN IMMEDIATE` on SQLite), and every read it makes goes through that transaction. The
//! flows load through the repositories in `crate::ssr::access`, ask `crate::domain` for the
//! transition, and save through the repositories again, in the lock order written in
//! `ssr/access/grants.rs`: grant, then tasks, then the request, then the audit head, always last.
//! They are the only code that changes more than one aggregate in a transaction. Nothing here
//! knows about Leptos.
//!
//! - [`access_loop`]: what people do to requests, tasks and grants (create, decide, cancel,
//!   reassign, escalate, comment, retry provisioning, complete a task, release, revoke).
//! - [`sweeps`]: the background jobs' work (grant expiry, expiry reminders, pending-request
//!   expiry, stuck removals).
//! - [`webhooks`]: provisioning webhook calls and what their answers do.
//! - [`apply`]: catalog and policies as code (`latch apply` / `latch export`, `/api/v1`): a tree
//!   of files applied in one transaction.
//! - [`decider`]: external decider calls of policy steps and what their answers do.
//! - [`campaigns`]: access review campaigns (draft, scope preview, stage with its snapshot,
//!   start, decide and submit reviews, reassign, end with Skip or Revoke, complete) and the
//!   cancelling of a suspended or deleted subject's open reviews.
//! - [`directory`]: a person's directory fields and status (suspending cancels their open
//!   reviews) and the roles granted on top of an account's tier.

pub mod access_loop;
pub mod apply;
pub mod campaign_channel;
pub mod campaign_notifications;
pub mod campaigns;
pub mod decider;
pub mod directory;
pub mod sweeps;
pub mod webhooks;
