//! # instant-edge
//!
//! A client for the [InstantDB](https://instantdb.com) Admin HTTP API, written in Rust, compiled to
//! WebAssembly for Cloudflare Workers, Node, Deno, Bun and browsers, and usable as a plain Rust crate.
//!
//! This first slice holds the wire models shared with the local emulator (`instant-emulator`);
//! the client itself arrives on top of them.
//!
//! ```
//! use instant_edge::models::TransactResponse;
//! let parsed: TransactResponse = serde_json::from_str(r#"{"tx-id": 42}"#).unwrap();
//! assert_eq!(parsed.tx_id, 42);
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod models;
