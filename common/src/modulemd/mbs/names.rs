//! MBS's names and numbers for a module build (mbs.md §2.6–2.7): version, contexts, Koji tag and
//! target, dist tag, modularity label and NVRs.

use std::collections::{BTreeMap, BTreeSet};

use sha1::{Digest, Sha1};

use super::json::{PyJson, dumps};
use crate::modulemd::{MbsXmd, ModuleStream};

/// The longest Koji tag name (Koji's limit); the tag's `-build` companion must fit too.
pub const MAX_TAG_LENGTH: usize = 256;
/// The length a target name is generated against: 50 characters plus the `-build` allowance.
pub const MAX_TARGET_LENGTH: usize = 56;
/// The context of imported modules that have none.
pub const DEFAULT_MODULE_CONTEXT: &str = "00000000";

/// Lower-case hex SHA-1 of `text`.
pub fn sha1_hex(text: &str) -> String {
    let digest = Sha1::digest(text.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The module version for a commit: its committer time (UTC) as `YYYYMMDDHHMMSS`.
pub fn version_from_time(unix_seconds: i64) -> u64 {
    let days = unix_seconds.div_euclid(86_400);
    let second_of_day = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = crate::time::civil_from_days(days);
    let text = format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    );
    text.parse().unwrap_or(0)
}

/// The digits of a base-module stream as MBS reads them (`f27.0.1` → "270001", `el8` → "08"),
/// without padding; `None` when the stream has no digits.
fn stream_digits(stream: &str) -> Option<String> {
    let mut version = String::new();
    for character in stream.chars() {
        if character.is_ascii_digit() {
            version.push(character);
        } else if !version.is_empty() {
            if character == '.' {
                version.push('.');
            } else {
                break;
            }
        }
    }
    if version.is_empty() {
        return None;
    }
    let sections: Vec<String> = version
        .trim_end_matches('.')
        .split('.')
        .map(|section| format!("{section:0>2}"))
        .collect();
    Some(sections.concat())
}

/// A base module's `stream_version`, right-padded to six digits (`f27` → 270000,
/// `f27.0.1` → 270001); `None` when the stream has no digits.
pub fn stream_version(stream: &str) -> Option<u64> {
    let digits = stream_digits(stream)?;
    let padded = format!("{digits:0<6}");
    padded.parse().ok()
}

/// The version prefixed by the base module's stream version without right padding
/// (`f29` + `20180816123422` → `2920180816123422`, `el8.1.0` → `80100…`); unchanged when the
/// stream has no digits or the result would not fit a uint64.
pub fn prefixed_version(version: u64, base_module_stream: &str) -> u64 {
    let Some(digits) = stream_digits(base_module_stream) else {
        return version;
    };
    // MBS goes through a float, so leading zeros vanish ("08" → "8").
    let prefix = digits.trim_start_matches('0');
    format!("{prefix}{version}").parse().unwrap_or(version)
}

/// The stream of the first base module (in `base_module_names` order) found in
/// `xmd.mbs.buildrequires`.
pub fn base_module_stream<'a>(xmd: &'a MbsXmd, base_module_names: &[&str]) -> Option<&'a str> {
    base_module_names
        .iter()
        .find_map(|name| xmd.buildrequires.get(*name))
        .map(|entry| entry.stream.as_str())
        .filter(|stream| !stream.is_empty())
}

/// The three hashes MBS stores for a module build, and the context derived from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contexts {
    /// SHA-1 of the buildrequired `{name: stream}` map.
    pub build_context: String,
    /// The same without base modules.
    pub build_context_no_bms: String,
    /// SHA-1 of the `{name: [streams]}` run-time requires.
    pub runtime_context: String,
    /// First 8 hex digits of SHA-1 of `build_context:runtime_context`.
    pub context: String,
}

/// `build_context`: SHA-1 of Python's `json.dumps` of `{name: stream}`, keys sorted.
pub fn build_context(buildrequires: &BTreeMap<String, String>) -> String {
    let object = buildrequires
        .iter()
        .map(|(name, stream)| (name.as_str(), PyJson::String(stream)))
        .collect();
    sha1_hex(&dumps(&PyJson::Object(object)))
}

/// `runtime_context`: SHA-1 of `{name: sorted streams}`, keys sorted.
pub fn runtime_context(requires: &BTreeMap<String, BTreeSet<String>>) -> String {
    let object = requires
        .iter()
        .map(|(name, streams)| {
            (
                name.as_str(),
                PyJson::List(streams.iter().map(|stream| PyJson::String(stream)).collect()),
            )
        })
        .collect();
    sha1_hex(&dumps(&PyJson::Object(object)))
}

/// The context: first 8 hex digits of SHA-1 of `<build_context>:<runtime_context>`.
pub fn context_from(build_context: &str, runtime_context: &str) -> String {
    let mut hash = sha1_hex(&format!("{build_context}:{runtime_context}"));
    hash.truncate(8);
    hash
}

/// Computes the contexts of an expanded stream: build streams from `xmd.mbs.buildrequires`,
/// run-time streams as the union of every `dependencies` entry's `requires`.
pub fn compute_contexts(stream: &ModuleStream, base_module_names: &[&str]) -> Contexts {
    let xmd = MbsXmd::from_stream(stream).unwrap_or_default();
    let buildrequires: BTreeMap<String, String> = xmd
        .buildrequires
        .iter()
        .map(|(name, entry)| (name.clone(), entry.stream.clone()))
        .collect();
    let no_bms: BTreeMap<String, String> = buildrequires
        .iter()
        .filter(|(name, _)| !base_module_names.contains(&name.as_str()))
        .map(|(name, stream)| (name.clone(), stream.clone()))
        .collect();
    let mut requires: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in &stream.dependencies {
        for (name, streams) in &entry.requires {
            requires
                .entry(name.clone())
                .or_default()
                .extend(streams.iter().cloned());
        }
    }
    let build_context = build_context(&buildrequires);
    let runtime_context = runtime_context(&requires);
    let context = context_from(&build_context, &runtime_context);
    Contexts {
        build_context,
        build_context_no_bms: self::build_context(&no_bms),
        runtime_context,
        context,
    }
}

/// A module build's identity as the name generators need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nsvc<'a> {
    /// Module name.
    pub name: &'a str,
    /// Stream.
    pub stream: &'a str,
    /// Version.
    pub version: u64,
    /// Context.
    pub context: &'a str,
}

impl Nsvc<'_> {
    /// `N:S:V:C`, also the `%modularitylabel`.
    pub fn modularity_label(&self) -> String {
        format!("{}:{}:{}:{}", self.name, self.stream, self.version, self.context)
    }

    /// SHA-1 of `N.S.V.C`, hex.
    fn dotted_hash(&self) -> String {
        sha1_hex(&format!(
            "{}.{}.{}.{}",
            self.name, self.stream, self.version, self.context
        ))
    }
}

/// `scratch_id` is `Some(module build id)` for scratch builds.
fn generate_tag(nsvc: Nsvc<'_>, max_length: usize, scratch_id: Option<u64>) -> String {
    let (prefix, suffix) = match scratch_id {
        Some(id) => ("scrmod-", format!("+{id}")),
        None => ("module-", String::new()),
    };
    let tag = format!(
        "{prefix}{}-{}-{}-{}{suffix}",
        nsvc.name, nsvc.stream, nsvc.version, nsvc.context
    );
    if tag.len() + "-build".len() > max_length {
        let mut hash = nsvc.dotted_hash();
        hash.truncate(16);
        return format!("{prefix}{hash}{suffix}");
    }
    tag
}

/// The module's Koji tag, `module-N-S-V-C` (hashed when too long; `scrmod-…+<id>` for scratch
/// builds). Its build tag is this plus `-build`.
pub fn koji_tag(nsvc: Nsvc<'_>, scratch_id: Option<u64>) -> String {
    generate_tag(nsvc, MAX_TAG_LENGTH, scratch_id)
}

/// The module's Koji target: the tag name when it is at most 50 characters, else the hashed form.
pub fn koji_target(nsvc: Nsvc<'_>, scratch_id: Option<u64>) -> String {
    generate_tag(nsvc, MAX_TARGET_LENGTH, scratch_id)
}

/// What the dist tag of a module build is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DistTagInput<'a> {
    /// `DEFAULT_DIST_TAG_PREFIX` (MBS default `module+`, Fedora `module_`); ignored for scratch.
    pub prefix: &'a str,
    /// The base module's `disttag_marking`, else its stream; `None` without a base module.
    pub marking: Option<&'a str>,
    /// The smallest module build id among this build and its MSE siblings.
    pub index: u64,
    /// The build.
    pub nsvc: Nsvc<'a>,
    /// Scratch builds use the prefix `scrmod+`.
    pub scratch: bool,
}

/// The dist tag without the leading dot: `<prefix><marking>+<index>+<hash8>`
/// (`module+f28+2+814cfa39`).
pub fn dist_tag(input: DistTagInput<'_>) -> String {
    let prefix = if input.scratch { "scrmod+" } else { input.prefix };
    let marking = input
        .marking
        .map(|marking| format!("{marking}+"))
        .unwrap_or_default();
    let mut hash = input.nsvc.dotted_hash();
    hash.truncate(8);
    format!("{prefix}{marking}{}+{hash}", input.index)
}

/// `name-version-release`.
pub fn nvr(name: &str, version: &str, release: &str) -> String {
    format!("{name}-{version}-{release}")
}

/// The NVR of a component built in the module: its spec release gets `.<dist tag>` appended,
/// as `%dist` expands to it (`module-build-macros-0.1-1.module+f28+2+814cfa39`).
pub fn component_nvr(name: &str, version: &str, spec_release: &str, dist_tag: &str) -> String {
    nvr(name, version, &format!("{spec_release}.{dist_tag}"))
}

/// The content-generator build of the module itself: (name, `stream` with `-` → `_`,
/// `<version>.<context>`).
pub fn module_nvr(nsvc: Nsvc<'_>) -> (String, String, String) {
    (
        nsvc.name.to_owned(),
        nsvc.stream.replace('-', "_"),
        format!("{}.{}", nsvc.version, nsvc.context),
    )
}

#[cfg(test)]
#[path = "names_tests.rs"]
mod tests;
