//! The `kiln` command-line client (Koji's commands plus the module commands).
//!
//! Not built yet: the CLI issue adds the commands on top of `common::client`.
