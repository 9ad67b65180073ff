//! The web interface (koji-web's pages, served by the hub under `/koji/`): server-rendered
//! pages over the same RootExports handlers the XML-RPC clients call, a session cookie backed
//! by the sessions table, and CSRF-guarded actions.

pub mod actions;
pub mod api;
pub mod auth;
pub mod error;
pub mod pages;
pub mod params;
pub mod render;
pub mod router;

pub use router::{PREFIX, route};
