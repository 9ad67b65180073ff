//! Builds, RPMs and external repos, with Koji's field names.

use serde::{Deserialize, Serialize};

use crate::xmlrpc::Value;

/// A build (`getBuild`); `listBuilds` rows are the same without `id`, `cg_id` and `cg_name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildInfo {
    /// The build id.
    pub id: i64,
    /// The build id again (Koji returns both).
    pub build_id: i64,
    /// The package id.
    pub package_id: i64,
    /// The package name.
    pub package_name: String,
    /// The package name again.
    pub name: String,
    /// The version.
    pub version: String,
    /// The release.
    pub release: String,
    /// The epoch, nil when none.
    pub epoch: Option<i64>,
    /// `name-version-release`.
    pub nvr: String,
    /// A draft build.
    pub draft: bool,
    /// `BUILD_STATES`.
    pub state: i32,
    /// The top-level build task.
    pub task_id: Option<i64>,
    /// The owner.
    pub owner_id: i64,
    /// The owner's name.
    pub owner_name: String,
    /// The volume.
    pub volume_id: i64,
    /// The volume's name.
    pub volume_name: String,
    /// The event that created the build.
    pub creation_event_id: i64,
    /// That event's time.
    pub creation_time: String,
    /// That event's time, epoch seconds.
    pub creation_ts: f64,
    /// When the build started.
    pub start_time: Option<String>,
    /// Epoch seconds.
    pub start_ts: Option<f64>,
    /// When the build finished.
    pub completion_time: Option<String>,
    /// Epoch seconds.
    pub completion_ts: Option<f64>,
    /// When a draft was promoted.
    pub promotion_time: Option<String>,
    /// Epoch seconds.
    pub promotion_ts: Option<f64>,
    /// Who promoted it.
    pub promoter_id: Option<i64>,
    /// Their name.
    pub promoter_name: Option<String>,
    /// The SCM URL with the commit resolved.
    pub source: Option<String>,
    /// Extra data (JSON), parsed.
    pub extra: Option<Value>,
    /// Content generator.
    pub cg_id: Option<i64>,
    /// Its name.
    pub cg_name: Option<String>,
}

/// A tagged build (`listTagged`, `getLatestBuilds`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggedBuild {
    /// The build id.
    pub id: i64,
    /// The build id again.
    pub build_id: i64,
    /// The package name.
    pub name: String,
    /// The package id.
    pub package_id: i64,
    /// The package name again.
    pub package_name: String,
    /// The version.
    pub version: String,
    /// The release.
    pub release: String,
    /// The epoch.
    pub epoch: Option<i64>,
    /// `name-version-release`.
    pub nvr: String,
    /// `BUILD_STATES`.
    pub state: i32,
    /// A draft build.
    pub draft: bool,
    /// The build task.
    pub task_id: Option<i64>,
    /// The owner.
    pub owner_id: i64,
    /// The owner's name.
    pub owner_name: String,
    /// Who promoted it.
    pub promoter_id: Option<i64>,
    /// Their name.
    pub promoter_name: Option<String>,
    /// The event that created the build.
    pub creation_event_id: i64,
    /// That event's time.
    pub creation_time: String,
    /// When the build started.
    pub start_time: Option<String>,
    /// When the build finished.
    pub completion_time: Option<String>,
    /// When a draft was promoted.
    pub promotion_time: Option<String>,
    /// The volume.
    pub volume_id: i64,
    /// Its name.
    pub volume_name: String,
    /// The tag it is tagged in.
    pub tag_id: i64,
    /// Its name.
    pub tag_name: String,
    /// The event that tagged it.
    pub create_event: i64,
    /// Extra data, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Value>,
}

/// An RPM (`getRPM`, `listRPMs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpmInfo {
    /// The rpm id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The version.
    pub version: String,
    /// The release.
    pub release: String,
    /// The epoch.
    pub epoch: Option<i64>,
    /// The arch (`src` for source rpms).
    pub arch: String,
    /// Mirrors the build's draft flag; nil for external rpms.
    pub draft: Option<bool>,
    /// Hex of the header's SIGMD5.
    pub payloadhash: String,
    /// File size in bytes.
    pub size: i64,
    /// The header's build time.
    pub buildtime: i64,
    /// The build, nil for external rpms.
    pub build_id: Option<i64>,
    /// The buildroot it was built in.
    pub buildroot_id: Option<i64>,
    /// 0 for Kiln's own rpms.
    pub external_repo_id: i64,
    /// `INTERNAL` for Kiln's own rpms.
    pub external_repo_name: String,
    /// Only the metadata was imported.
    pub metadata_only: bool,
    /// Extra data (JSON), parsed.
    pub extra: Option<Value>,
}

/// A signature record (`queryRPMSigs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpmSig {
    /// The rpm.
    pub rpm_id: i64,
    /// Lower-case key id, `""` for the unsigned header.
    pub sigkey: String,
    /// md5 of the signature header.
    pub sighash: String,
}

/// An external repo (`getExternalRepo`, `listExternalRepos`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalRepoInfo {
    /// The external repo id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its URL (ends with `/`).
    pub url: String,
}

/// An external repo attached to a tag (`getTagExternalRepos`, `getExternalRepoList`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagExternalRepo {
    /// The external repo.
    pub external_repo_id: i64,
    /// Its name.
    pub external_repo_name: String,
    /// Priority within the tag (lower first).
    pub priority: i64,
    /// The tag.
    pub tag_id: i64,
    /// Its name.
    pub tag_name: String,
    /// The repo's URL.
    pub url: String,
    /// `koji`, `simple` or `bare`.
    pub merge_mode: String,
    /// Space-separated arches, nil for all.
    pub arches: Option<String>,
}

/// A build log (`getBuildLogs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildLog {
    /// The file name.
    pub name: String,
    /// The arch directory it is in.
    pub dir: String,
    /// The path relative to topdir.
    pub path: String,
}
