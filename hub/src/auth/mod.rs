//! Authentication: password hashing and session validation.

pub mod callnums;
pub mod password;
pub mod session;
