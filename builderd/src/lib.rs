//! The builder daemon: logs in as a host, takes tasks from the hub and runs each in its own
//! process.
//!
//! Not built yet: the tasks/builderd issue adds it on top of `common::client`.
