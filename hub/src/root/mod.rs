//! RootExports: the methods any client may call, one module per area.

pub mod buildroots;
pub mod builds_placeholder;
pub mod channels;
pub mod events;
pub mod hosts;
pub mod meta;
pub mod scheduler;
pub mod sessions;
pub mod task_control;
pub mod task_output;
pub mod tasks;
pub mod uploads;
pub mod users;
// Tags, inheritance, targets, package lists, comps groups and history.
pub mod groups;
pub mod history;
pub mod inheritance;
pub mod lookup;
pub mod packages;
pub mod tags;
pub mod targets;
// `search` and `resubmitTask` (the web interface uses both).
pub mod search;
pub mod task_resubmit;
