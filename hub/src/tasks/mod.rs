//! The task system's rules, shared by RootExports, HostExports and the scheduler: creating
//! tasks, moving them between states, and reading their stored requests and results.

pub mod codec;
pub mod create;
pub mod lifecycle;
