//! The task handlers this builder has, one file per method, and the registry that lists them.

pub mod fork;
pub mod sleep;
pub mod tag_build;
pub mod waittest;

use crate::handler::HandlerEntry;

/// Every handler builderd can run.
pub const REGISTRY: &[HandlerEntry] = &[
    HandlerEntry::of::<sleep::Sleep>(),
    HandlerEntry::of::<fork::Fork>(),
    HandlerEntry::of::<waittest::WaitTest>(),
    HandlerEntry::of::<tag_build::TagBuild>(),
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
