//! Buildroots (`buildroot`, `standard_buildroot`): listed here, created by builds.

use tokio_postgres::Row;

use super::Client;
use super::query::{QueryOpts, SqlBuilder};
use super::types::Micros;
use crate::error::Result;

/// A buildroot with its standard part and host.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildrootRow {
    /// The buildroot id.
    pub id: i64,
    /// `BR_TYPES`.
    pub br_type: i32,
    /// Content generator.
    pub cg_id: Option<i64>,
    /// Content generator version.
    pub cg_version: Option<String>,
    /// `chroot` for builder buildroots.
    pub container_type: Option<String>,
    /// The build arch.
    pub container_arch: Option<String>,
    /// The host's OS.
    pub host_os: Option<String>,
    /// The host's arch.
    pub host_arch: Option<String>,
    /// JSON text.
    pub extra: Option<String>,
    /// `BR_STATES`, for standard buildroots.
    pub state: Option<i32>,
    /// The task that made it.
    pub task_id: Option<i64>,
    /// The host.
    pub host_id: Option<i64>,
    /// The host's name.
    pub host_name: Option<String>,
    /// The repo.
    pub repo_id: Option<i64>,
    /// Creation event.
    pub create_event: Option<i64>,
    /// Creation event time.
    pub create_time: Option<Micros>,
    /// Retirement event.
    pub retire_event: Option<i64>,
    /// Retirement event time.
    pub retire_time: Option<Micros>,
}

impl BuildrootRow {
    fn from_row(row: &Row) -> Result<BuildrootRow> {
        Ok(BuildrootRow {
            id: row.try_get("id")?,
            br_type: row.try_get("br_type")?,
            cg_id: row.try_get("cg_id")?,
            cg_version: row.try_get("cg_version")?,
            container_type: row.try_get("container_type")?,
            container_arch: row.try_get("container_arch")?,
            host_os: row.try_get("host_os")?,
            host_arch: row.try_get("host_arch")?,
            extra: row.try_get("extra")?,
            state: row.try_get("state")?,
            task_id: row.try_get("task_id")?,
            host_id: row.try_get("host_id")?,
            host_name: row.try_get("host_name")?,
            repo_id: row.try_get("repo_id")?,
            create_event: row.try_get("create_event")?,
            create_time: row.try_get("create_time")?,
            retire_event: row.try_get("retire_event")?,
            retire_time: row.try_get("retire_time")?,
        })
    }
}

/// Filters for [`list`] (Koji's `listBuildroots`).
#[derive(Debug, Clone, Default)]
pub struct BuildrootFilter {
    /// On this host.
    pub host_id: Option<i64>,
    /// In these states.
    pub states: Option<Vec<i32>>,
    /// Made by this task.
    pub task_id: Option<i64>,
    /// These ids.
    pub ids: Option<Vec<i64>>,
    /// From this repo.
    pub repo_id: Option<i64>,
}

/// Lists buildroots.
pub async fn list(client: &Client, filter: &BuildrootFilter, opts: &QueryOpts) -> Result<Vec<BuildrootRow>> {
    let mut q = SqlBuilder::new(
        "buildroot.id, buildroot.br_type, buildroot.cg_id, buildroot.cg_version, buildroot.container_type, \
         buildroot.container_arch, buildroot.host_os, buildroot.host_arch, buildroot.extra, \
         sb.state, sb.task_id, sb.host_id, host.name AS host_name, sb.repo_id, \
         sb.create_event, ce.time AS create_time, sb.retire_event, re.time AS retire_time",
        "buildroot LEFT JOIN standard_buildroot sb ON sb.buildroot_id = buildroot.id \
         LEFT JOIN host ON host.id = sb.host_id \
         LEFT JOIN events ce ON ce.id = sb.create_event LEFT JOIN events re ON re.id = sb.retire_event",
    );
    if let Some(host_id) = filter.host_id {
        q.filter("sb.host_id = {}", host_id);
    }
    if let Some(states) = &filter.states {
        q.filter("sb.state = ANY({})", states.clone());
    }
    if let Some(task_id) = filter.task_id {
        q.filter("sb.task_id = {}", task_id);
    }
    if let Some(ids) = &filter.ids {
        q.filter("buildroot.id = ANY({})", ids.clone());
    }
    if let Some(repo_id) = filter.repo_id {
        q.filter("sb.repo_id = {}", repo_id);
    }
    q.order_and_page(
        opts,
        &[
            ("id", "buildroot.id"),
            ("state", "sb.state"),
            ("task_id", "sb.task_id"),
            ("host_id", "sb.host_id"),
            ("create_event_id", "sb.create_event"),
        ],
        "buildroot.id",
    )?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter().map(BuildrootRow::from_row).collect()
}
