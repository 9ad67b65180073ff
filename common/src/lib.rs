//! Kiln's shared vocabulary: the XML-RPC value mapping with Koji's conventions, fault codes,
//! state enumerations, wire records and (with the `client` feature) the client session.
//!
//! Invariant: nothing here does I/O except the client session, and nothing here pulls in tokio,
//! hyper, tokio-postgres or nix.

#![warn(clippy::print_stdout, clippy::print_stderr)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod checksum;
#[cfg(feature = "client")]
pub mod client;
pub mod fault;
pub mod modulemd;
pub mod states;
pub mod time;
pub mod wire;
pub mod xmlrpc;

pub use fault::{Fault, FaultCode};
