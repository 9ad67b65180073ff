//! Module stream expansion at submit time (mbs.md §2.9), for the cases Kiln supports: one
//! `dependencies` entry whose buildrequires each name exactly one stream, and static contexts
//! (`xmd.mbs_options.contexts`). Several, all (`[]`) or negated build-time streams are refused with
//! a clear error instead of being expanded.

use std::collections::{BTreeMap, BTreeSet};

use super::error::SubmitError;
use super::names::{Contexts, base_module_stream, compute_contexts, prefixed_version};
use super::submit::{SubmitConfig, check_dashes};
use crate::modulemd::{Dependencies, MbsXmd, ModuleStream, XmdBuildrequire, XmdValue};

/// A module build a buildrequire resolved to (a `ready` build found by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedModule {
    /// Module name.
    pub name: String,
    /// Stream.
    pub stream: String,
    /// Version.
    pub version: u64,
    /// Context.
    pub context: String,
    /// Its module commit (`xmd.mbs.commit`), for `xmd.mbs.buildrequires.<n>.ref`.
    pub git_ref: Option<String>,
    /// Its Koji tag.
    pub koji_tag: Option<String>,
    /// `N-E:V-R` of its RPMs named in its `filter.rpms`.
    pub filtered_rpms: Vec<String>,
}

/// The identity of the submission, recorded in `xmd.mbs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmissionInfo {
    /// The module SCM URL; "" for YAML submissions.
    pub scmurl: String,
    /// The module commit; "" for YAML submissions.
    pub commit: String,
    /// The submitted branch.
    pub branch: Option<String>,
}

/// One module build of the submission, ready to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandedBuild {
    /// The expanded stream: single build-time streams, `xmd.mbs` filled, prefixed version,
    /// context set.
    pub stream: ModuleStream,
    /// Its context hashes.
    pub contexts: Contexts,
}

/// Replaces the streams of existing dependencies (`buildrequire_overrides`,
/// `require_overrides`); overrides naming modules the document does not depend on are refused.
pub fn apply_overrides(
    stream: &mut ModuleStream,
    buildrequire_overrides: &BTreeMap<String, Vec<String>>,
    require_overrides: &BTreeMap<String, Vec<String>>,
) -> Result<(), SubmitError> {
    for (runtime, overrides) in [(false, buildrequire_overrides), (true, require_overrides)] {
        let known: BTreeSet<&str> = stream
            .dependencies
            .iter()
            .flat_map(|entry| {
                if runtime {
                    entry.requires.keys()
                } else {
                    entry.buildrequires.keys()
                }
            })
            .map(String::as_str)
            .collect();
        let unknown: Vec<String> = overrides
            .keys()
            .filter(|name| !known.contains(name.as_str()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(SubmitError::OverridesNotApplicable {
                runtime,
                modules: unknown,
            });
        }
        for entry in &mut stream.dependencies {
            let lists = if runtime {
                &mut entry.requires
            } else {
                &mut entry.buildrequires
            };
            for (name, streams) in overrides {
                if let Some(list) = lists.get_mut(name) {
                    *list = streams.iter().cloned().collect();
                }
            }
        }
    }
    Ok(())
}

/// The streams of a stream with static contexts in `xmd.mbs_options.contexts`, one per context;
/// `None` when it has none.
pub fn static_context_streams(stream: &ModuleStream) -> Result<Option<Vec<ModuleStream>>, SubmitError> {
    let Some(options) = stream.xmd.get("mbs_options").and_then(XmdValue::as_map) else {
        return Ok(None);
    };
    let wanted = matches!(options.get("static_context"), Some(XmdValue::Bool(true)))
        || options.get("static_context").and_then(XmdValue::as_str) == Some("true");
    let Some(contexts) = options.get("contexts") else {
        if wanted {
            return Err(SubmitError::StaticContextsMissing);
        }
        return Ok(None);
    };
    let Some(contexts) = contexts.as_map() else {
        return Err(SubmitError::StaticContextsMissing);
    };
    let mut streams = Vec::with_capacity(contexts.len());
    for (context, body) in contexts {
        let body = body.as_map();
        let mut dependencies = Dependencies::default();
        for (key, runtime) in [("buildrequires", false), ("requires", true)] {
            let Some(map) = body.and_then(|body| body.get(key)).and_then(XmdValue::as_map) else {
                return Err(SubmitError::StaticContextKeyMissing {
                    context: context.clone(),
                    key,
                });
            };
            for (module, value) in map {
                let Some(module_stream) = value.as_str().filter(|text| !text.starts_with('-')) else {
                    return Err(SubmitError::StaticContextStreamSyntax {
                        context: context.clone(),
                        module: module.clone(),
                    });
                };
                let lists = if runtime {
                    &mut dependencies.requires
                } else {
                    &mut dependencies.buildrequires
                };
                lists.insert(module.clone(), BTreeSet::from([module_stream.to_owned()]));
            }
        }
        let mut copy = stream.clone();
        copy.dependencies = vec![dependencies];
        copy.context = Some(context.clone());
        copy.static_context = true;
        streams.push(copy);
    }
    Ok(Some(streams))
}

/// Expands a stream for the simple case: exactly one `dependencies` entry, one stream per
/// buildrequired module.
///
/// `resolve(name, stream)` returns the build the buildrequire resolves to followed by the builds
/// its run-time requires resolve to (transitively), or `None` when no `ready` build exists.
/// `version` is the unprefixed version (commit time); the base module's stream prefixes it.
/// The result has passed libmodulemd's validation (else `Could not validate stream to emit`).
pub fn expand_simple(
    stream: &ModuleStream,
    version: u64,
    submission: &SubmissionInfo,
    config: &SubmitConfig,
    mut resolve: impl FnMut(&str, &str) -> Option<Vec<ResolvedModule>>,
) -> Result<ExpandedBuild, SubmitError> {
    let [entry] = stream.dependencies.as_slice() else {
        return Err(SubmitError::UnsupportedDependencyAlternatives {
            count: stream.dependencies.len(),
        });
    };
    let mut chosen = BTreeMap::new();
    for (module, streams) in &entry.buildrequires {
        let mut positive = streams.iter().filter(|value| !value.starts_with('-'));
        let (Some(single), None, true) = (positive.next(), positive.next(), streams.len() == 1) else {
            return Err(SubmitError::UnsupportedStreamExpansion {
                runtime: false,
                module: module.clone(),
                streams: streams.iter().cloned().collect(),
            });
        };
        chosen.insert(module.clone(), single.clone());
    }
    let mut buildrequires: BTreeMap<String, XmdBuildrequire> = BTreeMap::new();
    for (module, module_stream) in &chosen {
        let Some(resolved) = resolve(module, module_stream) else {
            return Err(SubmitError::BuildrequireNotFound {
                module: module.clone(),
                stream: module_stream.clone(),
            });
        };
        for build in resolved {
            buildrequires
                .entry(build.name.clone())
                .or_insert_with(|| XmdBuildrequire {
                    git_ref: build.git_ref,
                    stream: build.stream,
                    version: build.version.to_string(),
                    context: build.context,
                    koji_tag: build.koji_tag,
                    filtered_rpms: build.filtered_rpms,
                    other: BTreeMap::new(),
                });
        }
    }

    let mut expanded = stream.clone();
    // Requires listing exactly the build-time streams are narrowed to the stream built against;
    // with one stream per buildrequire that is the same list, so they are copied as they are.
    let mut xmd = MbsXmd::from_stream(stream).unwrap_or_default();
    xmd.mse = true;
    xmd.scmurl = Some(submission.scmurl.clone());
    xmd.commit = Some(submission.commit.clone());
    xmd.branch.clone_from(&submission.branch);
    xmd.buildrequires = buildrequires;
    xmd.store(&mut expanded);

    let base_names = config.base_module_name_refs();
    expanded.version = Some(match base_module_stream(&xmd, &base_names) {
        Some(base_stream) => prefixed_version(version, base_stream),
        None => version,
    });
    let contexts = compute_contexts(&expanded, &base_names);
    if !expanded.static_context {
        expanded.context = Some(contexts.context.clone());
    }
    check_dashes(&expanded, config)?;
    expanded
        .validate()
        .map_err(|error| SubmitError::CouldNotValidate { error })?;
    Ok(ExpandedBuild {
        stream: expanded,
        contexts,
    })
}

#[cfg(test)]
#[path = "expand_tests.rs"]
mod tests;
