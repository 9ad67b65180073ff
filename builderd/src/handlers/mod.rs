//! The task handlers this builder has, one file per method, and the registry that lists them.

pub mod build;
pub mod build_arch;
pub mod build_srpm;
pub mod createrepo;
pub mod fork;
pub mod module_build;
pub mod new_repo;
pub mod sleep;
pub mod tag_build;
pub mod waittest;

use crate::handler::HandlerEntry;

/// Every handler builderd can run.
pub const REGISTRY: &[HandlerEntry] = &[
    HandlerEntry::of::<sleep::Sleep>(),
    HandlerEntry::of::<fork::Fork>(),
    HandlerEntry::of::<waittest::WaitTest>(),
    HandlerEntry::of::<build::Build>(),
    HandlerEntry::of::<build_srpm::BuildSrpmFromScm>(),
    HandlerEntry::of::<build_arch::BuildArch>(),
    HandlerEntry::of::<tag_build::TagBuild>(),
    HandlerEntry::of::<new_repo::NewRepo>(),
    HandlerEntry::of::<createrepo::Createrepo>(),
    HandlerEntry::of::<module_build::ModuleBuild>(),
];

/// The methods in the registry, as reported to the hub.
pub fn methods() -> Vec<&'static str> {
    REGISTRY.iter().map(|h| h.method).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_unique() {
        let mut methods = methods();
        methods.sort_unstable();
        methods.dedup();
        assert_eq!(methods.len(), REGISTRY.len());
    }
}
