//! Latch's web console: Leptos components, pages and server functions.
//!
//! Compiled twice: with `ssr` into the `latch` server binary (server functions run, pages render to
//! HTML) and with `hydrate` into WebAssembly (the same pages become interactive). Server-only code
//! lives in [`ssr`] and inside `#[server]` bodies, so it never reaches the browser.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod domain;
pub mod error;
pub mod pages;
pub mod session;
pub mod shapes;
pub mod shell;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use shell::{App, shell};

/// Browser entry point: attaches the reactive system to the server-rendered HTML. `hydrate_lazy`
/// (not `hydrate_body`) because some routes are lazy: on a direct visit to one, hydration waits
/// for its WebAssembly chunk (`hydrate_body` panics on a lazy route).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(App);
}
