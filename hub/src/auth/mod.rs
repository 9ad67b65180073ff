//! Authentication: password hashing and session validation.

pub mod password;
pub mod session;
