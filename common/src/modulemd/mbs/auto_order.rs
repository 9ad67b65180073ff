//! Kiln's opt-in `buildorder: auto`: batches derived from what each component BuildRequires and
//! Provides, so packagers need not maintain `buildorder` by hand.
//!
//! A component comes after every other component that provides one of its BuildRequires; the
//! batches are the longest-path layers of that graph, numbered from 2 (after
//! `module-build-macros`). BuildRequires nobody in the module provides come from the buildroot
//! and impose no order.

use std::collections::{BTreeMap, BTreeSet};

use super::batches::{BatchPlan, PlanError, layers};

/// What the auto mode needs to know about one component (read from its spec or SRPM by the
/// caller).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoComponent {
    /// The component key.
    pub key: String,
    /// Its BuildRequires, as rpm prints them (`libfoo-devel >= 2.0`, `(a or b)`).
    pub build_requires: Vec<String>,
    /// What its binary packages provide (package names and virtual provides, versions allowed).
    pub provides: Vec<String>,
}

/// The capability name of a dependency string: the first word (`libfoo-devel >= 2.0` →
/// `libfoo-devel`); `None` for rich dependencies and rpmlib internals.
fn capability(dependency: &str) -> Option<&str> {
    let name = dependency.split_whitespace().next()?;
    if name.starts_with('(') || name.starts_with("rpmlib(") {
        return None;
    }
    Some(name)
}

/// Batches for components ordered by their BuildRequires and Provides.
///
/// Fails with [`PlanError::Cycle`] naming the components that BuildRequire each other.
pub fn auto_batches(components: &[AutoComponent]) -> Result<BatchPlan, PlanError> {
    let mut providers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for component in components {
        for provide in &component.provides {
            if let Some(name) = capability(provide) {
                providers.entry(name).or_default().insert(&component.key);
            }
        }
    }
    let graph: BTreeMap<String, BTreeSet<String>> = components
        .iter()
        .map(|component| {
            let after = component
                .build_requires
                .iter()
                .filter_map(|requirement| capability(requirement))
                .filter_map(|name| providers.get(name))
                .flatten()
                .filter(|provider| **provider != component.key)
                .map(|provider| (*provider).to_owned())
                .collect();
            (component.key.clone(), after)
        })
        .collect();
    let mut batches = layers(&graph)?;
    batches.insert(
        0,
        super::batches::Batch {
            number: 1,
            components: vec![super::batches::MODULE_BUILD_MACROS.to_owned()],
        },
    );
    Ok(BatchPlan { batches })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(key: &str, build_requires: &[&str], provides: &[&str]) -> AutoComponent {
        AutoComponent {
            key: key.to_owned(),
            build_requires: build_requires.iter().map(|text| (*text).to_owned()).collect(),
            provides: provides.iter().map(|text| (*text).to_owned()).collect(),
        }
    }

    fn check(components: &[AutoComponent], expected: Result<Vec<Vec<&str>>, Vec<&str>>) {
        let actual = auto_batches(components).map(|plan| {
            plan.batches
                .into_iter()
                .skip(1)
                .map(|batch| batch.components)
                .collect::<Vec<_>>()
        });
        let expected = expected
            .map(|batches| {
                batches
                    .into_iter()
                    .map(|batch| batch.into_iter().map(str::to_owned).collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            })
            .map_err(|cycle| PlanError::Cycle {
                cycle: cycle.into_iter().map(str::to_owned).collect(),
            });
        assert_eq!(actual, expected);
    }

    #[test]
    fn independent_components_share_one_batch() {
        check(
            &[component("a", &["gcc"], &["a"]), component("b", &[], &["b"])],
            Ok(vec![vec!["a", "b"]]),
        );
    }

    #[test]
    fn three_levels_from_devel_packages() {
        check(
            &[
                component("app", &["libmid-devel >= 1.0", "gcc"], &["app"]),
                component("libbase", &["gcc"], &["libbase", "libbase-devel = 1.2-1"]),
                component("libmid", &["libbase-devel"], &["libmid", "libmid-devel"]),
                component("docs", &[], &["docs"]),
            ],
            Ok(vec![vec!["docs", "libbase"], vec!["libmid"], vec!["app"]]),
        );
    }

    #[test]
    fn longest_path_wins() {
        check(
            &[
                component("a", &[], &["a"]),
                component("b", &["a"], &["b"]),
                component("c", &["a", "b"], &["c"]),
            ],
            Ok(vec![vec!["a"], vec!["b"], vec!["c"]]),
        );
    }

    #[test]
    fn self_provides_are_ignored() {
        check(
            &[component("a", &["a-devel"], &["a", "a-devel"])],
            Ok(vec![vec!["a"]]),
        );
    }

    #[test]
    fn rich_and_rpmlib_dependencies_are_ignored() {
        check(
            &[
                component("a", &["(b or c)", "rpmlib(CompressedFileNames) <= 3.0.4-1"], &[]),
                component("b", &[], &["b"]),
            ],
            Ok(vec![vec!["a", "b"]]),
        );
    }

    #[test]
    fn cycles_are_named() {
        check(
            &[
                component("a", &["b-devel"], &["a-devel"]),
                component("b", &["a-devel"], &["b-devel"]),
            ],
            Err(vec!["a", "b", "a"]),
        );
    }

    #[test]
    fn cycle_error_message() {
        let error = PlanError::Cycle {
            cycle: vec!["a".into(), "b".into(), "a".into()],
        };
        assert_eq!(
            error.to_string(),
            "components depend on each other in a cycle: a -> b -> a"
        );
    }
}
