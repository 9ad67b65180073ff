//! RootExports: the methods any client may call, one module per area.

pub mod events;
pub mod meta;
pub mod sessions;
pub mod users;
