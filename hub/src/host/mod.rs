//! HostExports: the `host.*` methods builders call. The dispatcher verifies the caller is a
//! host (`auth::verify`) and hands each handler the verified [`Host`].

pub mod auth;
pub mod buildroots;
pub mod builds;
pub mod hosts;
pub mod modules;
pub mod repos;
pub mod subtasks;
pub mod tasks;
pub mod wait;

pub use auth::{Host, verify};
