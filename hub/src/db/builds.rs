//! Builds (`build`, `build_types`, `btype`, `volume`): typed rows with their package, owner,
//! volume and creation event joined in.

use tokio_postgres::Row;

use super::Client;
use super::query::{QueryOpts, SqlBuilder};
use super::types::{Micros, Tx};
use crate::error::Result;

/// The columns every build query reads; `b` is the build.
pub(crate) const COLUMNS: &str = "b.id, b.pkg_id, p.name AS package_name, b.version, b.release, b.epoch, b.draft, \
     b.state, b.task_id, b.owner AS owner_id, o.name AS owner_name, b.volume_id, v.name AS volume_name, \
     b.create_event, ce.time AS creation_time, b.start_time, b.completion_time, b.promotion_time, \
     b.promoter AS promoter_id, pr.name AS promoter_name, b.source, b.extra, b.cg_id";

/// The joins behind [`COLUMNS`], after `tag_listing tl JOIN`.
pub(crate) const FROM_ON_TL: &str = "build b ON b.id = tl.build_id JOIN package p ON p.id = b.pkg_id \
     JOIN users o ON o.id = b.owner JOIN volume v ON v.id = b.volume_id JOIN events ce ON ce.id = b.create_event \
     LEFT JOIN users pr ON pr.id = b.promoter";

/// The joins behind [`COLUMNS`].
const FROM: &str = "build b JOIN package p ON p.id = b.pkg_id JOIN users o ON o.id = b.owner \
     JOIN volume v ON v.id = b.volume_id JOIN events ce ON ce.id = b.create_event \
     LEFT JOIN users pr ON pr.id = b.promoter";

/// A build with its joined names.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildRow {
    /// The build id.
    pub id: i64,
    /// The package.
    pub package_id: i64,
    /// Its name.
    pub package_name: String,
    /// The version.
    pub version: String,
    /// The release.
    pub release: String,
    /// The epoch.
    pub epoch: Option<i32>,
    /// A draft build.
    pub draft: bool,
    /// `BUILD_STATES`.
    pub state: i32,
    /// The build task.
    pub task_id: Option<i64>,
    /// The owner.
    pub owner_id: i64,
    /// The owner's name.
    pub owner_name: String,
    /// The volume.
    pub volume_id: i64,
    /// The volume's name.
    pub volume_name: String,
    /// The creation event.
    pub create_event: i64,
    /// Its time.
    pub creation_time: Micros,
    /// When the build started.
    pub start_time: Option<Micros>,
    /// When it finished.
    pub completion_time: Option<Micros>,
    /// When a draft was promoted.
    pub promotion_time: Option<Micros>,
    /// Who promoted it.
    pub promoter_id: Option<i64>,
    /// Their name.
    pub promoter_name: Option<String>,
    /// The SCM URL.
    pub source: Option<String>,
    /// JSON text.
    pub extra: Option<String>,
    /// Content generator.
    pub cg_id: Option<i64>,
}

/// Reads a build from a row that has [`COLUMNS`].
pub(crate) fn from_row(row: &Row) -> Result<BuildRow> {
    BuildRow::from_row(row)
}

impl BuildRow {
    fn from_row(row: &Row) -> Result<BuildRow> {
        Ok(BuildRow {
            id: row.try_get("id")?,
            package_id: row.try_get("pkg_id")?,
            package_name: row.try_get("package_name")?,
            version: row.try_get("version")?,
            release: row.try_get("release")?,
            epoch: row.try_get("epoch")?,
            draft: row.try_get("draft")?,
            state: row.try_get("state")?,
            task_id: row.try_get("task_id")?,
            owner_id: row.try_get("owner_id")?,
            owner_name: row.try_get("owner_name")?,
            volume_id: row.try_get("volume_id")?,
            volume_name: row.try_get("volume_name")?,
            create_event: row.try_get("create_event")?,
            creation_time: row.try_get("creation_time")?,
            start_time: row.try_get("start_time")?,
            completion_time: row.try_get("completion_time")?,
            promotion_time: row.try_get("promotion_time")?,
            promoter_id: row.try_get("promoter_id")?,
            promoter_name: row.try_get("promoter_name")?,
            source: row.try_get("source")?,
            extra: row.try_get("extra")?,
            cg_id: row.try_get("cg_id")?,
        })
    }

    /// `name-version-release`.
    pub fn nvr(&self) -> String {
        format!("{}-{}-{}", self.package_name, self.version, self.release)
    }
}

/// The build with this id.
pub async fn get(client: &Client, build_id: i64) -> Result<Option<BuildRow>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE b.id = $1");
    client
        .query_opt(&sql, &[&build_id])
        .await?
        .as_ref()
        .map(BuildRow::from_row)
        .transpose()
}

/// The build with this id, its row locked for the rest of the transaction.
pub async fn get_for_update(tx: &Tx<'_>, build_id: i64) -> Result<Option<BuildRow>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE b.id = $1 FOR UPDATE OF b");
    tx.query_opt(&sql, &[&build_id])
        .await?
        .as_ref()
        .map(BuildRow::from_row)
        .transpose()
}

/// The build of this name, version and release.
pub async fn get_by_nvr(
    client: &Client,
    name: &str,
    version: &str,
    release: &str,
) -> Result<Option<BuildRow>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE p.name = $1 AND b.version = $2 AND b.release = $3");
    client
        .query_opt(&sql, &[&name, &version, &release])
        .await?
        .as_ref()
        .map(BuildRow::from_row)
        .transpose()
}

/// Filters for [`list`] (Koji's `listBuilds`).
#[derive(Debug, Clone, Default)]
pub struct BuildFilter {
    /// Of this package.
    pub package_id: Option<i64>,
    /// Owned by this user.
    pub owner_id: Option<i64>,
    /// Made by this task; `-1` means any task.
    pub task_id: Option<i64>,
    /// Package names starting with this (case-insensitive).
    pub prefix: Option<String>,
    /// In this state.
    pub state: Option<i32>,
    /// On this volume.
    pub volume_id: Option<i64>,
    /// Source matching this glob.
    pub source: Option<String>,
    /// Created before (Unix microseconds).
    pub created_before: Option<Micros>,
    /// Created after.
    pub created_after: Option<Micros>,
    /// Completed before.
    pub complete_before: Option<Micros>,
    /// Completed after.
    pub complete_after: Option<Micros>,
    /// Of this build type.
    pub btype_id: Option<i64>,
    /// NVR matching this glob.
    pub pattern: Option<String>,
    /// Draft or not.
    pub draft: Option<bool>,
    /// Of this content generator.
    pub cg_id: Option<i64>,
}

const ORDER: &[(&str, &str)] = &[
    ("build_id", "b.id"),
    ("id", "b.id"),
    ("name", "p.name"),
    ("package_name", "p.name"),
    ("package_id", "b.pkg_id"),
    ("version", "b.version"),
    ("release", "b.release"),
    ("epoch", "b.epoch"),
    ("nvr", "p.name || '-' || b.version || '-' || b.release"),
    ("state", "b.state"),
    ("task_id", "b.task_id"),
    ("owner_id", "b.owner"),
    ("owner_name", "o.name"),
    ("creation_event_id", "b.create_event"),
    ("creation_time", "ce.time"),
    ("creation_ts", "ce.time"),
    ("completion_time", "b.completion_time"),
    ("completion_ts", "b.completion_time"),
    ("start_time", "b.start_time"),
    ("start_ts", "b.start_time"),
    ("volume_id", "b.volume_id"),
    ("volume_name", "v.name"),
];

/// Turns a shell glob into a LIKE pattern (Koji's `pattern` filter).
fn glob_to_like(glob: &str) -> String {
    let mut out = String::new();
    for c in glob.chars() {
        match c {
            '*' => out.push('%'),
            '?' => out.push('_'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            other => out.push(other),
        }
    }
    out
}

fn list_query(filter: &BuildFilter) -> SqlBuilder {
    let mut q = SqlBuilder::new(COLUMNS, FROM);
    if let Some(id) = filter.package_id {
        q.filter("b.pkg_id = {}", id);
    }
    if let Some(id) = filter.owner_id {
        q.filter("b.owner = {}", id);
    }
    match filter.task_id {
        Some(-1) => q.filter_raw("b.task_id IS NOT NULL"),
        Some(id) => q.filter("b.task_id = {}", id),
        None => {}
    }
    if let Some(prefix) = &filter.prefix {
        q.filter("p.name ILIKE {} || '%'", prefix.clone());
    }
    if let Some(state) = filter.state {
        q.filter("b.state = {}", state);
    }
    if let Some(id) = filter.volume_id {
        q.filter("b.volume_id = {}", id);
    }
    if let Some(source) = &filter.source {
        q.filter("b.source LIKE {}", glob_to_like(source));
    }
    if let Some(t) = filter.created_before {
        q.filter("ce.time < {}", t);
    }
    if let Some(t) = filter.created_after {
        q.filter("ce.time > {}", t);
    }
    if let Some(t) = filter.complete_before {
        q.filter("b.completion_time < {}", t);
    }
    if let Some(t) = filter.complete_after {
        q.filter("b.completion_time > {}", t);
    }
    if let Some(id) = filter.btype_id {
        q.filter(
            "EXISTS (SELECT 1 FROM build_types bt WHERE bt.build_id = b.id AND bt.btype_id = {})",
            id,
        );
    }
    if let Some(pattern) = &filter.pattern {
        q.filter(
            "(p.name || '-' || b.version || '-' || b.release) LIKE {}",
            glob_to_like(pattern),
        );
    }
    if let Some(draft) = filter.draft {
        q.filter("b.draft = {}", draft);
    }
    if let Some(id) = filter.cg_id {
        q.filter("b.cg_id = {}", id);
    }
    q
}

/// Lists builds.
pub async fn list(client: &Client, filter: &BuildFilter, opts: &QueryOpts) -> Result<Vec<BuildRow>> {
    let mut q = list_query(filter);
    q.order_and_page(opts, ORDER, "")?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter().map(BuildRow::from_row).collect()
}

/// Counts builds.
pub async fn count(client: &Client, filter: &BuildFilter) -> Result<i64> {
    let q = list_query(filter);
    Ok(client
        .query_one(&q.count_sql(), &q.count_params())
        .await?
        .try_get(0)?)
}

/// A build to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBuild<'a> {
    /// The package.
    pub package_id: i64,
    /// The version.
    pub version: &'a str,
    /// The release.
    pub release: &'a str,
    /// The epoch.
    pub epoch: Option<i32>,
    /// The state to create it in.
    pub state: i32,
    /// The build task.
    pub task_id: Option<i64>,
    /// The owner.
    pub owner_id: i64,
    /// The SCM URL.
    pub source: Option<&'a str>,
    /// JSON text.
    pub extra: Option<&'a str>,
    /// The creating event.
    pub event_id: i64,
}

/// Inserts a build of type `rpm` and returns its id. Builds created BUILDING have no
/// completion time; others are complete now.
pub async fn insert(tx: &Tx<'_>, build: &NewBuild<'_>) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO build (pkg_id, version, release, epoch, state, task_id, owner, source, extra, \
             create_event, start_time, completion_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now(), CASE WHEN $5 = 0 THEN NULL ELSE now() END) \
             RETURNING id",
            &[
                &build.package_id,
                &build.version,
                &build.release,
                &build.epoch,
                &build.state,
                &build.task_id,
                &build.owner_id,
                &build.source,
                &build.extra,
                &build.event_id,
            ],
        )
        .await?;
    let id: i64 = row.try_get(0)?;
    tx.execute(
        "INSERT INTO build_types (build_id, btype_id) SELECT $1, id FROM btype WHERE name = 'rpm'",
        &[&id],
    )
    .await?;
    Ok(id)
}

/// Reuses a FAILED or CANCELED build for a new attempt (Koji's `recycle_build`).
pub async fn recycle(tx: &Tx<'_>, build_id: i64, build: &NewBuild<'_>) -> Result<()> {
    tx.execute(
        "UPDATE build SET epoch = $2, state = $3, task_id = $4, owner = $5, source = $6, extra = $7, \
         create_event = $8, start_time = now(), completion_time = CASE WHEN $3 = 0 THEN NULL ELSE now() END \
         WHERE id = $1",
        &[
            &build_id,
            &build.epoch,
            &build.state,
            &build.task_id,
            &build.owner_id,
            &build.source,
            &build.extra,
            &build.event_id,
        ],
    )
    .await?;
    Ok(())
}

/// True if the build was ever tagged or has rpms (then it cannot be recycled).
pub async fn has_history(client: &Client, build_id: i64) -> Result<(bool, bool)> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM tag_listing WHERE build_id = $1) AS tagged, \
             EXISTS (SELECT 1 FROM rpminfo WHERE build_id = $1) AS rpms",
            &[&build_id],
        )
        .await?;
    Ok((row.try_get("tagged")?, row.try_get("rpms")?))
}

/// Sets a build's state; leaving BUILDING stamps the completion time.
pub async fn set_state(tx: &Tx<'_>, build_id: i64, state: i32) -> Result<()> {
    tx.execute(
        "UPDATE build SET state = $2, completion_time = CASE WHEN $2 = 0 THEN NULL ELSE now() END WHERE id = $1",
        &[&build_id, &state],
    )
    .await?;
    Ok(())
}

/// The build types of a build, as `(id, name)`.
pub async fn types(client: &Client, build_id: i64) -> Result<Vec<(i64, String)>> {
    let rows = client
        .query(
            "SELECT bt.id, bt.name FROM build_types t JOIN btype bt ON bt.id = t.btype_id WHERE t.build_id = $1 \
             ORDER BY bt.id",
            &[&build_id],
        )
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// Every build type, as `(id, name)`, optionally only one by id or name.
pub async fn btypes(client: &Client) -> Result<Vec<(i64, String)>> {
    let rows = client
        .query("SELECT id, name FROM btype ORDER BY id", &[])
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// Every volume, as `(id, name)`.
pub async fn volumes(client: &Client) -> Result<Vec<(i64, String)>> {
    let rows = client
        .query("SELECT id, name FROM volume ORDER BY id", &[])
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// The release of the newest build (by id) of this package name and version.
pub async fn latest_release(client: &Client, package_name: &str, version: &str) -> Result<Option<String>> {
    let row = client
        .query_opt(
            "SELECT b.release FROM build b JOIN package p ON p.id = b.pkg_id WHERE p.name = $1 AND b.version = $2 \
             ORDER BY b.id DESC LIMIT 1",
            &[&package_name, &version],
        )
        .await?;
    row.map(|r| Ok(r.try_get(0)?)).transpose()
}

/// The buildroots that installed any rpm of the build.
pub async fn used_in_buildroots(client: &Client, build_id: i64) -> Result<Vec<i64>> {
    let rows = client
        .query(
            "SELECT DISTINCT bl.buildroot_id FROM buildroot_listing bl JOIN rpminfo r ON r.id = bl.rpm_id \
             WHERE r.build_id = $1 ORDER BY bl.buildroot_id LIMIT 10",
            &[&build_id],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Forgets a build's content (Koji's `reset_build`): its rpms with their signatures and
/// buildroot listings go, and the build is CANCELED without a task.
pub async fn reset(tx: &Tx<'_>, build_id: i64) -> Result<()> {
    tx.execute(
        "DELETE FROM rpmsigs WHERE rpm_id IN (SELECT id FROM rpminfo WHERE build_id = $1)",
        &[&build_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM buildroot_listing WHERE rpm_id IN (SELECT id FROM rpminfo WHERE build_id = $1)",
        &[&build_id],
    )
    .await?;
    tx.execute("DELETE FROM rpminfo WHERE build_id = $1", &[&build_id])
        .await?;
    tx.execute(
        "UPDATE build SET state = 4, task_id = NULL, volume_id = 0, completion_time = now() WHERE id = $1",
        &[&build_id],
    )
    .await?;
    Ok(())
}

/// Builds in no tag now, optionally of one package name.
pub async fn untagged(
    client: &Client,
    name: Option<&str>,
    draft: Option<bool>,
    opts: &QueryOpts,
) -> Result<Vec<BuildRow>> {
    let mut q = SqlBuilder::new(COLUMNS, FROM);
    q.filter_raw("NOT EXISTS (SELECT 1 FROM tag_listing tl WHERE tl.build_id = b.id AND tl.active IS TRUE)");
    if let Some(name) = name {
        q.filter("p.name = {}", name.to_owned());
    }
    if let Some(draft) = draft {
        q.filter("b.draft = {}", draft);
    }
    q.order_and_page(opts, ORDER, "b.id")?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter().map(BuildRow::from_row).collect()
}

/// Mean seconds from creation to completion of a package's COMPLETE builds made by tasks,
/// optionally only those completed in the last `age_months`.
pub async fn average_duration(
    client: &Client,
    package_id: i64,
    age_months: Option<i64>,
) -> Result<Option<f64>> {
    let row = client
        .query_one(
            "SELECT date_part('epoch', avg(b.completion_time - e.time))::FLOAT8 FROM build b \
             JOIN events e ON e.id = b.create_event WHERE b.pkg_id = $1 AND b.state = 1 AND b.task_id IS NOT NULL \
             AND ($2::BIGINT IS NULL OR b.completion_time > now() - make_interval(months => $2::INT))",
            &[&package_id, &age_months],
        )
        .await?;
    Ok(row.try_get(0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_become_like_patterns() {
        assert_eq!(glob_to_like("foo-*-1?"), "foo-%-1_");
        assert_eq!(glob_to_like("a_b%"), "a\\_b\\%");
    }
}
