//! Build batches (mbs.md §2.3): batch 1 is `module-build-macros`, then one batch per distinct
//! `buildorder`, ascending; plus longest-path layering for `buildafter` and for the opt-in
//! `buildorder: auto` mode (see `auto_order`).

use std::collections::{BTreeMap, BTreeSet};

use super::error::InitError;
use crate::modulemd::{ModuleStream, ModulemdError};

/// The package MBS synthesizes and builds first, alone, in batch 1.
pub const MODULE_BUILD_MACROS: &str = "module-build-macros";

/// One batch: components built together once every earlier batch is in the buildroot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// 1 for `module-build-macros`, then 2, 3, … (dense, never the buildorder values).
    pub number: u32,
    /// Component keys, in MBS's order (by key within a buildorder).
    pub components: Vec<String>,
}

/// Every batch of a module build, batch 1 (`module-build-macros`) included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPlan {
    /// In build order.
    pub batches: Vec<Batch>,
}

impl BatchPlan {
    /// The batch a component is in.
    pub fn batch_of(&self, component: &str) -> Option<u32> {
        self.batches
            .iter()
            .find(|batch| batch.components.iter().any(|key| key == component))
            .map(|batch| batch.number)
    }

    /// The sizes of batches 2, 3, … (what the fixtures' SOURCES.md lists).
    pub fn component_batch_sizes(&self) -> Vec<usize> {
        self.batches
            .iter()
            .skip(1)
            .map(|batch| batch.components.len())
            .collect()
    }

    fn with_macros(mut batches: Vec<Batch>) -> BatchPlan {
        batches.insert(
            0,
            Batch {
                number: 1,
                components: vec![MODULE_BUILD_MACROS.to_owned()],
            },
        );
        BatchPlan { batches }
    }
}

/// Why no batch plan could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The stream breaks libmodulemd's ordering rules (mixed `buildorder` and `buildafter`, an
    /// unknown `buildafter` key).
    #[error(transparent)]
    Invalid(#[from] ModulemdError),
    /// MBS refuses the stream in its init step (`buildafter`, included-module conflicts).
    #[error(transparent)]
    Init(#[from] InitError),
    /// An included module whose modulemd the caller did not pass in.
    #[error("the modulemd of included module {module} was not provided")]
    IncludedModuleMissing {
        /// The included module's key.
        module: String,
    },
    /// Components depend on each other in a cycle.
    #[error("components depend on each other in a cycle: {}", cycle.join(" -> "))]
    Cycle {
        /// The cycle, its first component repeated at the end.
        cycle: Vec<String>,
    },
}

/// MBS's plan for a stream: `buildorder` batches, included modules' RPM components inlined at
/// their module's place (`included` maps each `components.modules` key to its fetched modulemd).
///
/// Any `buildafter` fails as MBS's init step does; use [`plan_buildafter`] for Kiln's extension.
pub fn plan_batches(
    stream: &ModuleStream,
    included: &BTreeMap<String, ModuleStream>,
) -> Result<BatchPlan, PlanError> {
    check_ordering(stream)?;
    if let Some(component) = first_buildafter(stream) {
        return Err(InitError::BuildafterNotSupported { component }.into());
    }
    let main = stream.name.as_deref().unwrap_or("");
    for (key, included_stream) in included {
        let conflicts: Vec<String> = included_stream
            .rpm_components
            .keys()
            .filter(|name| stream.rpm_components.contains_key(*name))
            .cloned()
            .collect();
        if !conflicts.is_empty() {
            return Err(InitError::IncludedModuleConflicts {
                included: key.clone(),
                main: main.to_owned(),
                conflicts,
            }
            .into());
        }
    }
    let mut batches: Vec<Batch> = Vec::new();
    record(stream, included, 1, None, &mut batches)?;
    Ok(BatchPlan::with_macros(batches))
}

/// Records a stream's components from `batch` on, as MBS's `record_component_builds` does;
/// returns the last batch number used.
fn record(
    stream: &ModuleStream,
    included: &BTreeMap<String, ModuleStream>,
    mut batch: u32,
    mut previous: Option<i64>,
    batches: &mut Vec<Batch>,
) -> Result<u32, PlanError> {
    enum Item<'a> {
        Rpm(&'a str),
        Module(&'a str),
    }
    let mut items: Vec<(i64, Item<'_>)> = stream
        .rpm_components
        .iter()
        .map(|(key, component)| (component.buildorder, Item::Rpm(key)))
        .chain(
            stream
                .module_components
                .iter()
                .map(|(key, component)| (component.buildorder, Item::Module(key))),
        )
        .collect();
    items.sort_by_key(|(buildorder, _)| *buildorder);
    for (buildorder, item) in items {
        if previous != Some(buildorder) {
            previous = Some(buildorder);
            batch += 1;
        }
        match item {
            Item::Rpm(key) => match batches.last_mut() {
                Some(last) if last.number == batch => last.components.push(key.to_owned()),
                _ => batches.push(Batch {
                    number: batch,
                    components: vec![key.to_owned()],
                }),
            },
            Item::Module(key) => {
                let Some(included_stream) = included.get(key) else {
                    return Err(PlanError::IncludedModuleMissing {
                        module: key.to_owned(),
                    });
                };
                batch = record(included_stream, included, batch, previous, batches)?;
            }
        }
    }
    Ok(batch)
}

/// Batches from explicit `(key, buildorder)` pairs, numbered from 2 (after
/// `module-build-macros`), keys ordered by name within a buildorder.
pub fn batches_from_buildorder<'a>(components: impl IntoIterator<Item = (&'a str, i64)>) -> BatchPlan {
    let mut items: Vec<(&str, i64)> = components.into_iter().collect();
    items.sort();
    items.sort_by_key(|(_, buildorder)| *buildorder);
    let mut batches: Vec<Batch> = Vec::new();
    let mut previous = None;
    for (key, buildorder) in items {
        if previous == Some(buildorder)
            && let Some(last) = batches.last_mut()
        {
            last.components.push(key.to_owned());
            continue;
        }
        previous = Some(buildorder);
        let number = u32::try_from(batches.len()).unwrap_or(u32::MAX).saturating_add(2);
        batches.push(Batch {
            number,
            components: vec![key.to_owned()],
        });
    }
    BatchPlan::with_macros(batches)
}

/// Kiln's extension: batches from `buildafter`, a component's batch being one more than the
/// highest batch among those it lists (longest-path layering). Components without `buildafter`
/// go to batch 2.
pub fn plan_buildafter(stream: &ModuleStream) -> Result<BatchPlan, PlanError> {
    check_ordering(stream)?;
    let graph: BTreeMap<String, BTreeSet<String>> = stream
        .rpm_components
        .iter()
        .map(|(key, component)| (key.clone(), component.buildafter.clone()))
        .collect();
    Ok(BatchPlan::with_macros(layers(&graph)?))
}

/// libmodulemd's ordering rules, checked before planning.
fn check_ordering(stream: &ModuleStream) -> Result<(), ModulemdError> {
    let mut copy = ModuleStream {
        rpm_components: stream.rpm_components.clone(),
        module_components: stream.module_components.clone(),
        ..ModuleStream::default()
    };
    // Only the component rules matter here; give the mandatory fields placeholder values.
    copy.summary = Some(String::new());
    copy.description = Some(String::new());
    copy.license.module.insert(String::new());
    copy.validate()
}

fn first_buildafter(stream: &ModuleStream) -> Option<String> {
    stream
        .rpm_components
        .iter()
        .map(|(key, component)| (key, &component.buildafter))
        .chain(
            stream
                .module_components
                .iter()
                .map(|(key, component)| (key, &component.buildafter)),
        )
        .find(|(_, buildafter)| !buildafter.is_empty())
        .map(|(key, _)| key.clone())
}

/// Longest-path layers of a dependency graph (`node → nodes it must come after`), numbered from
/// batch 2; dependencies on unknown nodes are ignored.
pub(crate) fn layers(graph: &BTreeMap<String, BTreeSet<String>>) -> Result<Vec<Batch>, PlanError> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Mark {
        Visiting,
        Done(u32),
    }
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    // An explicit stack instead of recursion: (node, index of the next dependency to look at).
    for root in graph.keys() {
        if marks.contains_key(root.as_str()) {
            continue;
        }
        let mut stack: Vec<(&str, Vec<&str>, usize)> = Vec::new();
        let dependencies = |node: &str| -> Vec<&str> {
            graph
                .get(node)
                .map(|after| {
                    after
                        .iter()
                        .map(String::as_str)
                        .filter(|dep| graph.contains_key(*dep))
                        .collect()
                })
                .unwrap_or_default()
        };
        marks.insert(root, Mark::Visiting);
        stack.push((root, dependencies(root), 0));
        while let Some((node, deps, next)) = stack.last_mut() {
            if let Some(dep) = deps.get(*next).copied() {
                *next += 1;
                match marks.get(dep) {
                    Some(Mark::Done(_)) => {}
                    Some(Mark::Visiting) => {
                        let start = stack.iter().position(|(name, _, _)| *name == dep).unwrap_or(0);
                        let mut cycle: Vec<String> = stack[start..]
                            .iter()
                            .map(|(name, _, _)| (*name).to_owned())
                            .collect();
                        cycle.push(dep.to_owned());
                        return Err(PlanError::Cycle { cycle });
                    }
                    None => {
                        marks.insert(dep, Mark::Visiting);
                        let dep_deps = dependencies(dep);
                        stack.push((dep, dep_deps, 0));
                    }
                }
                continue;
            }
            let level = deps
                .iter()
                .filter_map(|dep| match marks.get(dep) {
                    Some(Mark::Done(level)) => Some(*level + 1),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            let node = *node;
            marks.insert(node, Mark::Done(level));
            stack.pop();
        }
    }
    let mut by_level: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (node, mark) in marks {
        if let Mark::Done(level) = mark {
            by_level.entry(level).or_default().push(node.to_owned());
        }
    }
    Ok(by_level
        .into_iter()
        .map(|(level, components)| Batch {
            number: level + 2,
            components,
        })
        .collect())
}

#[cfg(test)]
#[path = "batches_tests.rs"]
mod tests;
