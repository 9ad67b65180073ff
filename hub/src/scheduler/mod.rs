//! The hub's scheduler: hosts claim FREE tasks they can run (channel, arch, method, capacity,
//! priority then age) with row locks that skip what others hold; PostgreSQL notifications wake
//! long-polling builders and waiting parents; a periodic check frees or fails the tasks of hosts
//! that stopped checking in.

pub mod claim;
pub mod monitor;
pub mod wakeups;

pub use wakeups::{HostEvent, Wakeups};
