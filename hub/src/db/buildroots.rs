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
    /// The repo's state.
    pub repo_state: Option<i32>,
    /// The repo's tag.
    pub tag_id: Option<i64>,
    /// The tag's name.
    pub tag_name: Option<String>,
    /// The repo's event.
    pub repo_create_event: Option<i64>,
    /// That event's time.
    pub repo_create_time: Option<Micros>,
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
            repo_state: row.try_get("repo_state")?,
            tag_id: row.try_get("tag_id")?,
            tag_name: row.try_get("tag_name")?,
            repo_create_event: row.try_get("repo_create_event")?,
            repo_create_time: row.try_get("repo_create_time")?,
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
    /// From a repo of this tag.
    pub tag_id: Option<i64>,
    /// That installed this rpm.
    pub rpm_id: Option<i64>,
}

/// Lists buildroots.
pub async fn list(client: &Client, filter: &BuildrootFilter, opts: &QueryOpts) -> Result<Vec<BuildrootRow>> {
    let mut q = SqlBuilder::new(
        "buildroot.id, buildroot.br_type, buildroot.cg_id, buildroot.cg_version, buildroot.container_type, \
         buildroot.container_arch, buildroot.host_os, buildroot.host_arch, buildroot.extra, \
         sb.state, sb.task_id, sb.host_id, host.name AS host_name, sb.repo_id, \
         sb.create_event, ce.time AS create_time, sb.retire_event, re.time AS retire_time, \
         repo.state AS repo_state, repo.tag_id, tag.name AS tag_name, repo.create_event AS repo_create_event, \
         rce.time AS repo_create_time",
        "buildroot LEFT JOIN standard_buildroot sb ON sb.buildroot_id = buildroot.id \
         LEFT JOIN host ON host.id = sb.host_id \
         LEFT JOIN events ce ON ce.id = sb.create_event LEFT JOIN events re ON re.id = sb.retire_event \
         LEFT JOIN repo ON repo.id = sb.repo_id LEFT JOIN tag ON tag.id = repo.tag_id \
         LEFT JOIN events rce ON rce.id = repo.create_event",
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
    if let Some(tag_id) = filter.tag_id {
        q.filter("repo.tag_id = {}", tag_id);
    }
    if let Some(rpm_id) = filter.rpm_id {
        q.filter(
            "buildroot.id IN (SELECT bl.buildroot_id FROM buildroot_listing bl WHERE bl.rpm_id = {})",
            rpm_id,
        );
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

/// The standard part of a buildroot: who owns it and its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandardRow {
    /// The buildroot.
    pub id: i64,
    /// The host it lives on.
    pub host_id: i64,
    /// The task that made it.
    pub task_id: i64,
    /// `BR_STATES`.
    pub state: i32,
}

/// The standard part of a buildroot, locked when read inside a transaction that writes.
pub async fn get_standard(client: &Client, buildroot_id: i64) -> Result<Option<StandardRow>> {
    let row = client
        .query_opt(
            "SELECT buildroot_id, host_id, task_id, state FROM standard_buildroot WHERE buildroot_id = $1",
            &[&buildroot_id],
        )
        .await?;
    row.map(|r| {
        Ok(StandardRow {
            id: r.try_get("buildroot_id")?,
            host_id: r.try_get("host_id")?,
            task_id: r.try_get("task_id")?,
            state: r.try_get::<_, Option<i32>>("state")?.unwrap_or(0),
        })
    })
    .transpose()
}

/// Creates a standard buildroot (`chroot`, state INIT) and returns its id.
pub async fn insert_standard(
    tx: &super::Tx<'_>,
    host_id: i64,
    repo_id: i64,
    arch: &str,
    task_id: i64,
) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO buildroot (br_type, container_type, container_arch) VALUES (0, 'chroot', $1) RETURNING id",
            &[&arch],
        )
        .await?;
    let id: i64 = row.try_get(0)?;
    tx.execute(
        "INSERT INTO standard_buildroot (buildroot_id, host_id, repo_id, task_id, state) VALUES ($1, $2, $3, $4, 0)",
        &[&id, &host_id, &repo_id, &task_id],
    )
    .await?;
    Ok(id)
}

/// Sets a buildroot's state; EXPIRED also records the retirement event.
pub async fn set_state(
    tx: &super::Tx<'_>,
    buildroot_id: i64,
    state: i32,
    retire_event: Option<i64>,
) -> Result<()> {
    tx.execute(
        "UPDATE standard_buildroot SET state = $2, retire_event = COALESCE($3, retire_event) WHERE buildroot_id = $1",
        &[&buildroot_id, &state, &retire_event],
    )
    .await?;
    Ok(())
}

/// True if a repo with this id exists.
pub async fn repo_exists(client: &Client, repo_id: i64) -> Result<bool> {
    let row = client
        .query_opt("SELECT 1 FROM repo WHERE id = $1", &[&repo_id])
        .await?;
    Ok(row.is_some())
}
