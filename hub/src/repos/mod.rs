//! Repositories: their options, what they hold, their files under `topdir/repos`, and the
//! loop that regenerates them when tags change (kojira's role, inside the hub).

pub mod content;
pub mod layout;
pub mod opts;
pub mod policy;
