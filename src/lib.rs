//! # instant-edge
//!
//! A small, robust client for the [InstantDB](https://instantdb.com) Admin HTTP API, written in
//! Rust for WebAssembly hosts (Cloudflare Workers, Node, Deno, Bun, browsers). The npm package
//! (`pkg/`) is this crate with the `js` feature; Rust code targeting wasm32 (workers-rs, Leptos)
//! uses it directly:
//!
//! ```no_run
//! # async fn run() -> instant_edge::Result<()> {
//! use instant_edge::{id, lookup, link_target, tx, Impersonation, Instant, Value};
//!
//! let db = Instant::builder("8aa64e4c-64f9-472e-8a61-3fa28870e6cb")
//!     .api_uri("http://127.0.0.1:8888") // the emulator; nothing defaults to Instant Cloud
//!     .admin_token("0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0")
//!     .build()?;
//!
//! let (goal, todo) = (id(), id());
//! db.transact([
//!     tx("todos", &todo).update(Value::object([("text", "Run 5k".into())])),
//!     tx("goals", &goal)
//!         .update(Value::object([("title", "Get fit".into()), ("slug", "get-fit".into())]))
//!         .link(Value::object([("todos", todo.clone().into())])),
//! ])
//! .await?;
//!
//! let goals: Value = db.query(&Value::object([("goals", Value::object([("todos", Value::empty_object())]))])).await?;
//! let as_guest: Value = db.as_user(Impersonation::Guest).query(&Value::object([("goals", Value::empty_object())])).await?;
//! # let _ = (goals, as_guest, lookup("slug", "get-fit"), link_target);
//! # Ok(()) }
//! ```
//!
//! Layers, bottom up (data flows one way; `cargo xtask test lint` checks it):
//! [`models`], [`Value`] (with the [`value!`] macro), [`http`] (plain request and response data,
//! upload bodies, URL encoding) and [`error`]; the pure core: [`config`], [`json`] (one view of
//! JSON whoever holds it), [`parse`] (JSON text read where it lies: how JS arguments, answers
//! and events enter the wasm), [`validate`], [`schema`](mod@schema) (a schema and the official client's
//! checks against it), [`typed`] (queries checked at compile time against a schema declared
//! with [`schema!`]), [`tx`], [`uuid`], [`retry`], [`sse`],
//! [`live_state`] (a live query's life as a state machine), [`request`] (exact requests per
//! area), [`response`] (errors) and [`answer`] (what each call answers, picked once for the
//! Rust API and the JS exports); [`host`], the only `cfg(target_arch)` switch (wasm32: `fetch` through
//! a few JS helpers; native: `serde_json` and a mock transport); [`client`] ([`Instant`] and the
//! per-area handles); `js` (the `#[wasm_bindgen]` exports, feature `js`), which only converts
//! arguments: JSON crosses the boundary as text, once each way.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
// The npm build (`--no-default-features --features js`) leaves std out of the wasm: alloc only,
// and a panic handler of our own in `host::wasm` (std's formats the message, in code nothing
// else needs). The only `target_arch` outside `host/` besides the `js` module's gate.
#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]

extern crate alloc;

// For `value!`, which expands in crates with or without std.
#[doc(hidden)]
pub use alloc::string::String as __String;
#[doc(hidden)]
pub use alloc::vec as __vec;
// For `schema!`, whose `Row`s derive serde's `Deserialize` in the caller's crate.
#[doc(hidden)]
pub use serde as __serde;

/// What std's prelude gives and `no_std` does not: every module that needs it imports it.
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

pub mod answer;
pub mod client;
pub mod config;
pub mod decode;
pub mod error;
pub mod host;
pub mod http;
pub mod json;
pub mod live_state;
pub mod models;
pub mod parse;
#[cfg(feature = "platform")]
pub mod platform;
pub mod request;
pub mod response;
pub mod retry;
pub mod schema;
pub mod sse;
pub mod streams;
pub mod tx;
pub mod typed;
pub mod uuid;
pub mod validate;
mod value;
#[cfg(feature = "webhooks")]
pub mod webhooks;

#[cfg(all(any(feature = "js", feature = "js-platform"), target_arch = "wasm32"))]
mod js;

pub use client::{auth, live, perms_check, rooms, storage, CallOptions, DebugOptions, Instant, InstantBuilder, SchemaSetting};
pub use config::{AdminToken, Config, CLOUD_API_URI};
pub use error::{ApiError, Error, Result, ValidationClass};
pub use host::id;
pub use request::Impersonation;
pub use schema::Schema;
pub use tx::{link_target, lookup, steps_of, tx, EntityId, TxChunk};
pub use uuid::is_uuid;
pub use value::{push_number, Value};
