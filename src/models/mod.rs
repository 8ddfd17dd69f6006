//! Wire types, spelled exactly as the Instant server spells them (kebab-case, `?` suffixes).
//!
//! These are shared by the client and the emulator; the spec (`shared/spec/instant-admin-api.md`)
//! is the independent check on both.

mod perms_check;
mod storage;
mod transact;
mod user;
pub mod webhook;

pub use perms_check::{CheckBindings, CheckProgram, QueryCheckResult, QueryPermsCheck, TransactCheckResult, TransactPermsCheck};
pub use storage::{StoredFile, Uploaded};
pub use transact::TransactResponse;
pub use user::{User, UsersPage};
