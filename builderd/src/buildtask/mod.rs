//! What the RPM build handlers (`build`, `buildSRPMFromSCM`, `buildArch`) share: reading their
//! arguments, calls to the hub, files fetched from `topurl`, and buildroots the hub records
//! (Koji's `BuildRoot`: `host.newBuildRoot`, `setBuildRootList`, `setBuildRootState`).

pub mod args;
pub mod fetch;
pub mod hubroot;

pub use args::{Args, bool_opt, int_opt, string_opt};
pub use fetch::{fetch, repo_url, work_url};
pub use hubroot::{BuildSession, HubBuildroot};
