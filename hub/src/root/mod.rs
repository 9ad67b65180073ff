//! RootExports: the methods any client may call, one module per area.

pub mod events;
pub mod meta;
pub mod sessions;
pub mod users;
// Tags, inheritance, targets, package lists, comps groups and history.
pub mod groups;
pub mod history;
pub mod inheritance;
pub mod lookup;
pub mod packages;
pub mod tags;
pub mod targets;
