//! RootExports: the methods any client may call, one module per area.

pub mod build_admin;
pub mod build_task;
pub mod buildroots;
pub mod builds;
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
pub mod external_repos;
pub mod groups;
pub mod history;
pub mod inheritance;
pub mod lookup;
pub mod packages;
pub mod repos;
pub mod rpms;
pub mod tagging;
pub mod tags;
pub mod targets;
// `search` and `resubmitTask` (the web interface uses both).
pub mod search;
pub mod task_resubmit;
