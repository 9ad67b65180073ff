//! The typed modulemd documents: module stream v2 and its parts, as libmodulemd models them.
//!
//! Every scalar stays the string its author wrote (`stream: 2.10` is "2.10"); only `version`
//! (uint64), `buildorder` (int64), the booleans and the rpm-map epoch are numbers.
//! Lists that libmodulemd keeps as sets (licences, rpm lists, arches, stream lists) are sorted
//! sets here too, so they compare and emit the way libmodulemd does.

use std::collections::{BTreeMap, BTreeSet};

/// The `data` of a `document: modulemd`, `version: 2` document (also what v1 and packager
/// documents are upgraded to).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleStream {
    /// Module name; MBS fills it from the SCM repository name.
    pub name: Option<String>,
    /// Stream name; MBS fills it from the branch.
    pub stream: Option<String>,
    /// Version; `None` when absent or 0 (libmodulemd's "unset").
    pub version: Option<u64>,
    /// Context; computed by MBS unless `static_context` is set.
    pub context: Option<String>,
    /// Whether `context` was chosen by the author (then it is 1–13 of `[a-zA-Z0-9_]`).
    pub static_context: bool,
    /// Artifact architecture, set at compose time.
    pub arch: Option<String>,
    /// Mandatory short summary.
    pub summary: Option<String>,
    /// Mandatory description.
    pub description: Option<String>,
    /// Service levels by name.
    pub servicelevels: BTreeMap<String, ServiceLevel>,
    /// `license.module` (mandatory, non-empty) and `license.content`.
    pub license: License,
    /// Free-form extensible metadata; `xmd.mbs` belongs to MBS (see [`MbsXmd`](super::MbsXmd)).
    pub xmd: BTreeMap<String, XmdValue>,
    /// Alternative build/run dependency configurations.
    pub dependencies: Vec<Dependencies>,
    /// Upstream links.
    pub references: References,
    /// Installation profiles by name.
    pub profiles: BTreeMap<String, Profile>,
    /// `api.rpms`.
    pub api: BTreeSet<String>,
    /// `filter.rpms`.
    pub filter: BTreeSet<String>,
    /// `demodularized.rpms`.
    pub demodularized: BTreeSet<String>,
    /// Build options; `None` when the document has no `buildopts`.
    pub buildopts: Option<Buildopts>,
    /// `components.rpms` by key (the dist-git name).
    pub rpm_components: BTreeMap<String, RpmComponent>,
    /// `components.modules` by key.
    pub module_components: BTreeMap<String, ModuleComponent>,
    /// `artifacts`.
    pub artifacts: Artifacts,
}

impl ModuleStream {
    /// `N:S:V:C` with empty parts for what is unset, as MBS prints it.
    pub fn nsvc(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.name.as_deref().unwrap_or(""),
            self.stream.as_deref().unwrap_or(""),
            self.version.unwrap_or(0),
            self.context.as_deref().unwrap_or("")
        )
    }

    /// The `buildopts.rpms.macros` text, if any.
    pub fn rpm_macros(&self) -> Option<&str> {
        self.buildopts
            .as_ref()
            .and_then(|buildopts| buildopts.rpm_macros.as_deref())
    }
}

/// One service level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceLevel {
    /// End of life, `YYYY-MM-DD`.
    pub eol: Option<String>,
}

/// `license`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct License {
    /// Licences of the module metadata itself.
    pub module: BTreeSet<String>,
    /// Licences of the built content (filled by the build system).
    pub content: BTreeSet<String>,
}

/// A stream list of a dependency: explicit streams, `[]` (all streams) or only negations.
pub type StreamList = BTreeSet<String>;

/// One entry of `dependencies`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependencies {
    /// Build-time module dependencies: module name → streams.
    pub buildrequires: BTreeMap<String, StreamList>,
    /// Run-time module dependencies: module name → streams.
    pub requires: BTreeMap<String, StreamList>,
}

/// `references`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    /// Upstream community site.
    pub community: Option<String>,
    /// Upstream documentation.
    pub documentation: Option<String>,
    /// Upstream bug tracker.
    pub tracker: Option<String>,
}

/// One profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Optional description.
    pub description: Option<String>,
    /// Binary RPMs it installs.
    pub rpms: BTreeSet<String>,
    /// `default: true` (packager v3 style).
    pub default: bool,
}

/// `buildopts`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Buildopts {
    /// `rpms.macros`, verbatim.
    pub rpm_macros: Option<String>,
    /// `rpms.whitelist`: package names allowed in the module's tags instead of the components.
    pub rpm_whitelist: BTreeSet<String>,
    /// `arches`: restrict the module to these arches.
    pub arches: BTreeSet<String>,
}

/// One `components.rpms` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmComponent {
    /// The real package name when it differs from the key.
    pub name: Option<String>,
    /// Why the component is there.
    pub rationale: Option<String>,
    /// SCM repository; MBS defaults it.
    pub repository: Option<String>,
    /// Lookaside cache; MBS defaults it.
    pub cache: Option<String>,
    /// Branch, tag or commit.
    pub git_ref: Option<String>,
    /// Build order group; 0 means "not set".
    pub buildorder: i64,
    /// Keys of components that must be built first.
    pub buildafter: BTreeSet<String>,
    /// Its RPMs go to `filter.rpms` after the build.
    pub buildonly: bool,
    /// Later batches get the `buildroot` profile.
    pub buildroot: bool,
    /// Later batches get the `srpm-buildroot` profile.
    pub srpm_buildroot: bool,
    /// Build only on these arches.
    pub arches: BTreeSet<String>,
    /// Arches shipping multilib packages.
    pub multilib: BTreeSet<String>,
}

/// One `components.modules` entry (an included module).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleComponent {
    /// Why the module is included.
    pub rationale: Option<String>,
    /// SCM repository of its modulemd.
    pub repository: Option<String>,
    /// Branch, tag or commit.
    pub git_ref: Option<String>,
    /// Build order group; 0 means "not set".
    pub buildorder: i64,
    /// Keys of components that must be built first.
    pub buildafter: BTreeSet<String>,
}

/// `artifacts`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Artifacts {
    /// `N-E:V-R.A` strings.
    pub rpms: BTreeSet<String>,
    /// `rpm-map`: digest type → checksum → entry.
    pub rpm_map: BTreeMap<String, BTreeMap<String, RpmMapEntry>>,
}

/// One `artifacts.rpm-map` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmMapEntry {
    /// RPM name.
    pub name: Option<String>,
    /// RPM epoch.
    pub epoch: Option<u32>,
    /// RPM version.
    pub version: Option<String>,
    /// RPM release.
    pub release: Option<String>,
    /// RPM arch.
    pub arch: Option<String>,
    /// The full `N-E:V-R.A`.
    pub nevra: Option<String>,
}

/// A value inside `xmd`, as libmodulemd stores it: plain `TRUE` / `FALSE` are booleans, every
/// other scalar is a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmdValue {
    /// Any scalar but `TRUE` / `FALSE`.
    String(String),
    /// `TRUE` or `FALSE`.
    Bool(bool),
    /// A sequence.
    List(Vec<XmdValue>),
    /// A mapping; libmodulemd sorts its keys.
    Map(BTreeMap<String, XmdValue>),
}

impl XmdValue {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            XmdValue::String(text) => Some(text),
            _ => None,
        }
    }

    /// The mapping, if this is one.
    pub fn as_map(&self) -> Option<&BTreeMap<String, XmdValue>> {
        match self {
            XmdValue::Map(map) => Some(map),
            _ => None,
        }
    }
}

impl From<&str> for XmdValue {
    fn from(text: &str) -> Self {
        XmdValue::String(text.to_owned())
    }
}

impl From<String> for XmdValue {
    fn from(text: String) -> Self {
        XmdValue::String(text)
    }
}

impl From<bool> for XmdValue {
    fn from(value: bool) -> Self {
        XmdValue::Bool(value)
    }
}
