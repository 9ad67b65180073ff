//! RPMs (`rpminfo`), their signature records (`rpmsigs`) and what buildroots installed
//! (`buildroot_listing`).

use tokio_postgres::Row;

use super::Client;
use super::query::{QueryOpts, SqlBuilder};
use super::types::Tx;
use crate::error::Result;

const COLUMNS: &str = "r.id, r.name, r.version, r.release, r.epoch, r.arch, r.draft, r.payloadhash, r.size, \
     r.buildtime, r.build_id, r.buildroot_id, r.external_repo_id, er.name AS external_repo_name, \
     r.metadata_only, r.extra";

const FROM: &str = "rpminfo r JOIN external_repo er ON er.id = r.external_repo_id";

/// An rpm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmRow {
    /// The rpm id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The version.
    pub version: String,
    /// The release.
    pub release: String,
    /// The epoch.
    pub epoch: Option<i32>,
    /// The arch.
    pub arch: String,
    /// Mirrors the build's draft flag.
    pub draft: Option<bool>,
    /// Hex SIGMD5.
    pub payloadhash: String,
    /// File size.
    pub size: i64,
    /// Header build time.
    pub buildtime: i64,
    /// The build.
    pub build_id: Option<i64>,
    /// The buildroot it was built in.
    pub buildroot_id: Option<i64>,
    /// 0 for internal rpms.
    pub external_repo_id: i64,
    /// The external repo's name.
    pub external_repo_name: String,
    /// Only metadata was imported.
    pub metadata_only: bool,
    /// JSON text.
    pub extra: Option<String>,
}

impl RpmRow {
    fn from_row(row: &Row) -> Result<RpmRow> {
        Ok(RpmRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            version: row.try_get("version")?,
            release: row.try_get("release")?,
            epoch: row.try_get("epoch")?,
            arch: row.try_get("arch")?,
            draft: row.try_get("draft")?,
            payloadhash: row.try_get("payloadhash")?,
            size: row.try_get("size")?,
            buildtime: row.try_get("buildtime")?,
            build_id: row.try_get("build_id")?,
            buildroot_id: row.try_get("buildroot_id")?,
            external_repo_id: row.try_get("external_repo_id")?,
            external_repo_name: row.try_get("external_repo_name")?,
            metadata_only: row.try_get("metadata_only")?,
            extra: row.try_get("extra")?,
        })
    }

    /// `name-version-release.arch.rpm`.
    pub fn filename(&self) -> String {
        format!(
            "{}-{}-{}.{}.rpm",
            self.name, self.version, self.release, self.arch
        )
    }
}

/// Filters for [`list`].
#[derive(Debug, Clone, Default)]
pub struct RpmFilter {
    /// These ids.
    pub ids: Option<Vec<i64>>,
    /// Of this build.
    pub build_id: Option<i64>,
    /// Of these builds.
    pub build_ids: Option<Vec<i64>>,
    /// Built in this buildroot.
    pub buildroot_id: Option<i64>,
    /// Installed in this buildroot.
    pub component_buildroot_id: Option<i64>,
    /// Built on this host.
    pub host_id: Option<i64>,
    /// Of these arches.
    pub arches: Option<Vec<String>>,
    /// This name, version, release and arch.
    pub nvra: Option<(String, String, String, String)>,
    /// From this external repo (0: internal).
    pub external_repo_id: Option<i64>,
    /// Draft or not.
    pub draft: Option<bool>,
}

const ORDER: &[(&str, &str)] = &[
    ("id", "r.id"),
    ("name", "r.name"),
    ("version", "r.version"),
    ("release", "r.release"),
    ("arch", "r.arch"),
    ("epoch", "r.epoch"),
    ("build_id", "r.build_id"),
    ("buildroot_id", "r.buildroot_id"),
    ("size", "r.size"),
    ("buildtime", "r.buildtime"),
    ("payloadhash", "r.payloadhash"),
    ("external_repo_id", "r.external_repo_id"),
    ("external_repo_name", "er.name"),
];

fn list_query(filter: &RpmFilter) -> SqlBuilder {
    let mut from = FROM.to_owned();
    let mut columns = COLUMNS.to_owned();
    if filter.component_buildroot_id.is_some() {
        from.push_str(" JOIN buildroot_listing bl ON bl.rpm_id = r.id");
        columns.push_str(", bl.is_update");
    }
    if filter.host_id.is_some() {
        from.push_str(" JOIN standard_buildroot sb ON sb.buildroot_id = r.buildroot_id");
    }
    let mut q = SqlBuilder::new(&columns, &from);
    if let Some(ids) = &filter.ids {
        q.filter("r.id = ANY({})", ids.clone());
    }
    if let Some(id) = filter.build_id {
        q.filter("r.build_id = {}", id);
    }
    if let Some(ids) = &filter.build_ids {
        q.filter("r.build_id = ANY({})", ids.clone());
    }
    if let Some(id) = filter.buildroot_id {
        q.filter("r.buildroot_id = {}", id);
    }
    if let Some(id) = filter.component_buildroot_id {
        q.filter("bl.buildroot_id = {}", id);
    }
    if let Some(id) = filter.host_id {
        q.filter("sb.host_id = {}", id);
    }
    if let Some(arches) = &filter.arches {
        q.filter("r.arch = ANY({})", arches.clone());
    }
    if let Some((name, version, release, arch)) = &filter.nvra {
        q.filter("r.name = {}", name.clone());
        q.filter("r.version = {}", version.clone());
        q.filter("r.release = {}", release.clone());
        q.filter("r.arch = {}", arch.clone());
    }
    if let Some(id) = filter.external_repo_id {
        q.filter("r.external_repo_id = {}", id);
    }
    if let Some(draft) = filter.draft {
        q.filter("r.draft = {}", draft);
    }
    q
}

/// Lists rpms; for component buildroots each row also says whether it was an update.
pub async fn list(
    client: &Client,
    filter: &RpmFilter,
    opts: &QueryOpts,
) -> Result<Vec<(RpmRow, Option<bool>)>> {
    let mut q = list_query(filter);
    q.order_and_page(opts, ORDER, "r.id")?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    let component = filter.component_buildroot_id.is_some();
    rows.iter()
        .map(|r| {
            let is_update = if component {
                Some(r.try_get("is_update")?)
            } else {
                None
            };
            Ok((RpmRow::from_row(r)?, is_update))
        })
        .collect()
}

/// Counts rpms.
pub async fn count(client: &Client, filter: &RpmFilter) -> Result<i64> {
    let q = list_query(filter);
    Ok(client
        .query_one(&q.count_sql(), &q.count_params())
        .await?
        .try_get(0)?)
}

/// The rpm with this id.
pub async fn get(client: &Client, rpm_id: i64) -> Result<Option<RpmRow>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE r.id = $1");
    client
        .query_opt(&sql, &[&rpm_id])
        .await?
        .as_ref()
        .map(RpmRow::from_row)
        .transpose()
}

/// An rpm to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRpm<'a> {
    /// The build (none for external rpms).
    pub build_id: Option<i64>,
    /// Where it was built.
    pub buildroot_id: Option<i64>,
    /// The name.
    pub name: &'a str,
    /// The version.
    pub version: &'a str,
    /// The release.
    pub release: &'a str,
    /// The epoch.
    pub epoch: Option<i32>,
    /// The arch.
    pub arch: &'a str,
    /// 0 for internal rpms.
    pub external_repo_id: i64,
    /// Hex SIGMD5.
    pub payloadhash: &'a str,
    /// File size.
    pub size: i64,
    /// Header build time.
    pub buildtime: i64,
}

/// Inserts an rpm and returns its id. Internal rpms get `draft = false`, external ones NULL.
pub async fn insert(tx: &Tx<'_>, rpm: &NewRpm<'_>) -> Result<i64> {
    let draft: Option<bool> = rpm.build_id.map(|_| false);
    let row = tx
        .query_one(
            "INSERT INTO rpminfo (build_id, buildroot_id, name, version, release, epoch, arch, draft, \
             external_repo_id, payloadhash, size, buildtime) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            &[
                &rpm.build_id,
                &rpm.buildroot_id,
                &rpm.name,
                &rpm.version,
                &rpm.release,
                &rpm.epoch,
                &rpm.arch,
                &draft,
                &rpm.external_repo_id,
                &rpm.payloadhash,
                &rpm.size,
                &rpm.buildtime,
            ],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Records a signature header of an rpm (ignored when the same key is already recorded).
pub async fn add_sig(tx: &Tx<'_>, rpm_id: i64, sigkey: &str, sighash: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO rpmsigs (rpm_id, sigkey, sighash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        &[&rpm_id, &sigkey, &sighash],
    )
    .await?;
    Ok(())
}

/// A signature record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigRow {
    /// The rpm.
    pub rpm_id: i64,
    /// The key id.
    pub sigkey: String,
    /// md5 of the signature header.
    pub sighash: String,
}

/// Signature records, by rpm and/or key.
pub async fn sigs(
    client: &Client,
    rpm_ids: Option<Vec<i64>>,
    sigkey: Option<String>,
    opts: &QueryOpts,
) -> Result<Vec<SigRow>> {
    let mut q = SqlBuilder::new("rpm_id, sigkey, sighash", "rpmsigs");
    if let Some(ids) = rpm_ids {
        q.filter("rpm_id = ANY({})", ids);
    }
    if let Some(key) = sigkey {
        q.filter("sigkey = {}", key);
    }
    q.order_and_page(
        opts,
        &[("rpm_id", "rpm_id"), ("sigkey", "sigkey"), ("sighash", "sighash")],
        "rpm_id, sigkey",
    )?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter()
        .map(|r| {
            Ok(SigRow {
                rpm_id: r.try_get("rpm_id")?,
                sigkey: r.try_get("sigkey")?,
                sighash: r.try_get("sighash")?,
            })
        })
        .collect()
}

/// The internal or external rpm with this NEVRA and payload hash in any external repo, for
/// buildroot listings.
pub async fn find_component(
    client: &Client,
    name: &str,
    version: &str,
    release: &str,
    arch: &str,
    external_repo_id: Option<i64>,
) -> Result<Option<RpmRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE r.name = $1 AND r.version = $2 AND r.release = $3 AND r.arch = $4 \
         AND ($5::BIGINT IS NULL OR r.external_repo_id = $5) AND r.draft IS NOT TRUE ORDER BY r.external_repo_id LIMIT 1"
    );
    client
        .query_opt(&sql, &[&name, &version, &release, &arch, &external_repo_id])
        .await?
        .as_ref()
        .map(RpmRow::from_row)
        .transpose()
}

/// Adds rpms to a buildroot's listing (already listed ones are kept).
pub async fn add_to_buildroot(
    tx: &Tx<'_>,
    buildroot_id: i64,
    rpm_ids: &[i64],
    is_update: bool,
) -> Result<()> {
    tx.execute(
        "INSERT INTO buildroot_listing (buildroot_id, rpm_id, is_update) SELECT $1, unnest($2::BIGINT[]), $3 \
         ON CONFLICT DO NOTHING",
        &[&buildroot_id, &rpm_ids, &is_update],
    )
    .await?;
    Ok(())
}
