//! The client side of the protocol, shared by the cli and builderd.

mod session;

pub use session::{ClientConfig, ClientError, ClientSession, ssl_login_url, urlencode};
