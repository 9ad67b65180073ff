//! Buildroots: where a build command runs. [`Buildroot`] is the small backend interface
//! (Koji's `BuildRoot` class, spec buildroot.md §7); [`Sandbox`] is the backend for hosts without
//! mock: a dnf installroot from the tag's repo, overlaid on the host's `/usr` and entered with
//! bwrap, without network, as an unprivileged user, with limits and a wall-clock timeout.

pub mod backend;
pub mod command;
pub mod macros;
pub mod packages;
pub mod sandbox;
pub mod statelog;

pub use backend::{Buildroot, BuildrootError};
pub use command::{Cancel, Limits};
pub use packages::InstalledPackage;
pub use sandbox::Sandbox;
pub use statelog::StateLog;
