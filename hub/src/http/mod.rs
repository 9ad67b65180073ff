//! The HTTP layer on hyper: the accept loop, TLS, routing, raw uploads and the file tree.

pub mod files;
pub mod router;
pub mod server;
pub mod tls;
pub mod upload;
