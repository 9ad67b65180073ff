//! What a repo holds: the builds tagged into a set of tags as of an event, and their RPMs.
//! `repos::content` applies Koji's rules (inheritance order, latest per package, package-list
//! blocks) on top.
//!
//! FIXME: `db::tagged` (the builds area) answers `listTagged`/`getLatestBuilds` with the same
//! query; the two are to be merged once both have landed.

use tokio_postgres::Row;

use super::Client;
use crate::error::Result;

/// A COMPLETE build tagged into one of the tags asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedBuildRow {
    /// The tag it is tagged into.
    pub tag_id: i64,
    /// The build.
    pub build_id: i64,
    /// Its package.
    pub package_id: i64,
    /// The package's name.
    pub package_name: String,
    /// Version.
    pub version: String,
    /// Release.
    pub release: String,
    /// Epoch.
    pub epoch: Option<i32>,
    /// The tagging event.
    pub tag_event: i64,
}

impl TaggedBuildRow {
    fn from_row(row: &Row) -> Result<TaggedBuildRow> {
        Ok(TaggedBuildRow {
            tag_id: row.try_get("tag_id")?,
            build_id: row.try_get("build_id")?,
            package_id: row.try_get("package_id")?,
            package_name: row.try_get("package_name")?,
            version: row.try_get("version")?,
            release: row.try_get("release")?,
            epoch: row.try_get("epoch")?,
            tag_event: row.try_get("tag_event")?,
        })
    }
}

/// The COMPLETE, non-draft builds tagged into `tags` as of `event`, newest tagging first in
/// each tag (Koji's `readTaggedBuilds` order).
pub async fn tagged_builds(client: &Client, tags: &[i64], event: i64) -> Result<Vec<TaggedBuildRow>> {
    let rows = client
        .query(
            "SELECT tl.tag_id, b.id AS build_id, p.id AS package_id, p.name AS package_name, \
             b.version, b.release, b.epoch, tl.create_event AS tag_event \
             FROM tag_listing tl JOIN build b ON b.id = tl.build_id JOIN package p ON p.id = b.pkg_id \
             WHERE tl.tag_id = ANY($1) AND tl.create_event <= $2 \
             AND (tl.revoke_event IS NULL OR $2 < tl.revoke_event) \
             AND b.state = 1 AND NOT b.draft \
             ORDER BY tl.tag_id, tl.create_event DESC, b.id DESC",
            &[&tags, &event],
        )
        .await?;
    rows.iter().map(TaggedBuildRow::from_row).collect()
}

/// An RPM of a build, with what a repo's package list needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRpmRow {
    /// The rpm.
    pub id: i64,
    /// Its build.
    pub build_id: i64,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Release.
    pub release: String,
    /// Epoch.
    pub epoch: Option<i32>,
    /// Arch (`src` for source rpms).
    pub arch: String,
    /// Header SIGMD5.
    pub payloadhash: String,
    /// File size.
    pub size: i64,
    /// Header build time.
    pub buildtime: i64,
}

/// The RPMs of `builds` (metadata-only ones excluded), by build, name and arch.
pub async fn rpms_of_builds(client: &Client, builds: &[i64]) -> Result<Vec<RepoRpmRow>> {
    let rows = client
        .query(
            "SELECT id, build_id, name, version, release, epoch, arch, payloadhash, size, buildtime \
             FROM rpminfo WHERE build_id = ANY($1) AND NOT metadata_only ORDER BY build_id, name, arch",
            &[&builds],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(RepoRpmRow {
                id: r.try_get("id")?,
                build_id: r.try_get("build_id")?,
                name: r.try_get("name")?,
                version: r.try_get("version")?,
                release: r.try_get("release")?,
                epoch: r.try_get("epoch")?,
                arch: r.try_get("arch")?,
                payloadhash: r.try_get("payloadhash")?,
                size: r.try_get("size")?,
                buildtime: r.try_get("buildtime")?,
            })
        })
        .collect()
}
