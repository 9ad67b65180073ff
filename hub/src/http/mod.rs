//! The HTTP layer on hyper: the accept loop, TLS, and routing.

pub mod router;
pub mod server;
pub mod tls;
