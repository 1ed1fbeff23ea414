//! Latch's pure domain rules.
//!
//! Everything here is deterministic and side-effect free: no database, HTTP, async or clock reads
//! (callers pass `now: Timestamp`). That keeps the rules unit-testable and lets the same types compile
//! for the server and for wasm32, where the Leptos UI renders them. Dependencies: serde, thiserror,
//! sha2, hex.
//!
//! Modules:
//! * [`ids`], [`time`], [`duration`] — identifiers, timestamps/business days, grant lengths;
//! * [`directory`], [`csv_import`] — users, groups, the `Directory` view, CSV import validation;
//!   [`references`] — what still uses a group (above the catalog and policies it reads);
//! * [`catalog`] — apps, entitlements, slugs, visibility, tenant cap;
//! * [`policy`] — request policies and the routing engine (`evaluate`);
//! * [`request`], [`grant`], [`provisioning`] — the state machines, and what a viewer may do
//!   (`actions_for`, from the same checks the transitions start with); [`history`] — a request's
//!   history in words;
//! * [`campaign`] — access review campaigns: lifecycle, scope, reviewers, review tasks;
//! * [`roles`] — who may request/act; [`visibility`] — who may see catalog entries and requests;
//! * [`audit`] — hash-chained audit log; [`outbox`] — notifications; [`webhook`] — signing/backoff;
//! * [`error`] — the single `DomainError`.
//!
//! Storage pattern: load the object, call a transition (it takes `&self` and returns the new value plus
//! events), then persist with `UPDATE … WHERE version = old_version`, append the audit events and
//! enqueue the outbox notifications in the same transaction.

#[macro_use]
mod macros;

pub mod api_tokens;
pub mod audit;
pub mod campaign;
pub mod catalog;
pub mod catalog_code;
pub mod csv_import;
pub mod directory;
pub mod duration;
pub mod error;
pub mod grant;
pub mod history;
pub mod ids;
pub mod outbox;
pub mod pending;
pub mod policy;
pub mod provisioning;
pub mod references;
pub mod request;
pub mod roles;
pub mod time;
pub mod visibility;
pub mod webhook;

#[cfg(test)]
mod actions_tests;

// `self::` keeps these unambiguous if the enclosing crate also depends on the `time` crate.
pub use self::audit::{
    AuditActor, AuditEvent, BreakReason, ChainBreak, ChainedEvent, GENESIS_HASH, append, canonical,
    chain_hash, verify_chain, verify_chain_to_head, verify_segment,
};
pub use self::catalog::*;
pub use self::csv_import::{ExistingUsers, ImportRow, RowError, parse_users_csv};
pub use self::directory::*;
pub use self::duration::*;
pub use self::error::*;
pub use self::grant::*;
pub use self::ids::*;
pub use self::outbox::{Notification, NotificationKind};
pub use self::pending::PendingExpiry;
pub use self::policy::*;
pub use self::provisioning::*;
pub use self::references::{ensure_group_deletable, group_references};
pub use self::request::*;
pub use self::roles::*;
pub use self::time::*;
pub use self::visibility::{
    CatalogViewer, RequestInvolvement, reassignment_refusal, subject_for_request,
};
pub use self::webhook::WebhookSecretStatus;
