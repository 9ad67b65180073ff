//! Tags: `tag_config` (arches, permission, lock, maven flags) and `tag_extra`, both versioned,
//! plus the listing queries.

use tokio_postgres::Row;

use super::Client;
use super::names::NameOrId;
use super::query::{QueryOpts, SqlBuilder};
use super::types::Tx;
use super::versioned::{Change, valid_at};
use crate::error::Result;

/// One `tag_extra` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraRow {
    /// The key.
    pub key: String,
    /// The JSON text; `None` means the key is blocked.
    pub value: Option<String>,
}

/// A tag with its configuration and extra values, as valid at some event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRow {
    /// The tag id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The permission it requires.
    pub perm_id: Option<i64>,
    /// That permission's name.
    pub perm: Option<String>,
    /// Space-separated arches.
    pub arches: Option<String>,
    /// Locked.
    pub locked: bool,
    /// Maven support.
    pub maven_support: bool,
    /// Maven include-all.
    pub maven_include_all: bool,
    /// When this configuration was revoked (only set for queries in the past).
    pub revoke_event: Option<i64>,
    /// Extra values (blocked ones included), by key.
    pub extra: Vec<ExtraRow>,
}

impl TagRow {
    fn from_row(row: &Row) -> Result<TagRow> {
        let keys: Vec<String> = row.try_get("extra_keys")?;
        let values: Vec<Option<String>> = row.try_get("extra_values")?;
        Ok(TagRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            perm_id: row.try_get("perm_id")?,
            perm: row.try_get("perm")?,
            arches: row.try_get("arches")?,
            locked: row.try_get("locked")?,
            maven_support: row.try_get("maven_support")?,
            maven_include_all: row.try_get("maven_include_all")?,
            revoke_event: row.try_get("revoke_event")?,
            extra: keys
                .into_iter()
                .zip(values)
                .map(|(key, value)| ExtraRow { key, value })
                .collect(),
        })
    }
}

/// The tag as valid at `event` (now when `None`), in one statement: this is the hot path of
/// `getTag`, so the statement is prepared once per connection and then only executed (one
/// round trip, no re-planning).
pub async fn get(client: &Client, key: &NameOrId, event: Option<i64>) -> Result<Option<TagRow>> {
    let by = match key {
        NameOrId::Id(_) => "tag.id = $1",
        NameOrId::Name(_) => "tag.name = $1",
    };
    let event_param = event.map(|_| "$2");
    let sql = format!(
        "SELECT tag.id, tag.name, tc.perm_id, p.name AS perm, tc.arches, tc.locked, tc.maven_support, \
           tc.maven_include_all, tc.revoke_event, \
           ARRAY(SELECT e.key FROM tag_extra e WHERE e.tag_id = tag.id AND {extra} ORDER BY e.key) AS extra_keys, \
           ARRAY(SELECT e.value FROM tag_extra e WHERE e.tag_id = tag.id AND {extra} ORDER BY e.key) AS extra_values \
         FROM tag JOIN tag_config tc ON tc.tag_id = tag.id LEFT JOIN permissions p ON p.id = tc.perm_id \
         WHERE {by} AND {config}",
        extra = valid_at("e", event_param),
        config = valid_at("tc", event_param),
    );
    let rows = match (key, event) {
        (NameOrId::Id(id), None) => client.query(&sql, &[id]).await?,
        (NameOrId::Name(name), None) => client.query(&sql, &[name]).await?,
        (NameOrId::Id(id), Some(e)) => client.query(&sql, &[id, &e]).await?,
        (NameOrId::Name(name), Some(e)) => client.query(&sql, &[name, &e]).await?,
    };
    rows.first().map(TagRow::from_row).transpose()
}

/// Several tags as valid at `event`, in one statement (tags that did not exist are left out).
pub async fn get_many(client: &Client, ids: &[i64], event: Option<i64>) -> Result<Vec<TagRow>> {
    let event_param = event.map(|_| "$2");
    let sql = format!(
        "SELECT tag.id, tag.name, tc.perm_id, p.name AS perm, tc.arches, tc.locked, tc.maven_support, \
           tc.maven_include_all, tc.revoke_event, \
           ARRAY(SELECT e.key FROM tag_extra e WHERE e.tag_id = tag.id AND {extra} ORDER BY e.key) AS extra_keys, \
           ARRAY(SELECT e.value FROM tag_extra e WHERE e.tag_id = tag.id AND {extra} ORDER BY e.key) AS extra_values \
         FROM tag JOIN tag_config tc ON tc.tag_id = tag.id LEFT JOIN permissions p ON p.id = tc.perm_id \
         WHERE tag.id = ANY($1) AND {config}",
        extra = valid_at("e", event_param),
        config = valid_at("tc", event_param),
    );
    let rows = match event {
        None => client.query(&sql, &[&ids]).await?,
        Some(e) => client.query(&sql, &[&ids, &e]).await?,
    };
    rows.iter().map(TagRow::from_row).collect()
}

/// The revoke event of the newest configuration of a tag (for Koji's `event="auto"`): `None`
/// when the tag exists now or never did.
pub async fn deleted_at(client: &Client, key: &NameOrId) -> Result<Option<i64>> {
    let by = match key {
        NameOrId::Id(_) => "tag.id = $1",
        NameOrId::Name(_) => "tag.name = $1",
    };
    let sql = format!(
        "SELECT tc.revoke_event FROM tag_config tc JOIN tag ON tag.id = tc.tag_id WHERE {by} \
         ORDER BY tc.create_event DESC LIMIT 1"
    );
    let row = match key {
        NameOrId::Id(id) => client.query_opt(&sql, &[id]).await?,
        NameOrId::Name(name) => client.query_opt(&sql, &[name]).await?,
    };
    Ok(match row {
        Some(row) => row.try_get("revoke_event")?,
        None => None,
    })
}

/// What `listTags` filters on.
#[derive(Debug, Clone, Default)]
pub struct TagFilter {
    /// Only tags listing this package (and then the package's owner and flags are returned).
    pub package_id: Option<i64>,
    /// A Koji glob (`*`, `?`), matched case-insensitively against the name.
    pub pattern: Option<String>,
    /// Only tags this build is tagged in now.
    pub build_id: Option<i64>,
}

/// A `listTags` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagListRow {
    /// The tag id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Arches.
    pub arches: Option<String>,
    /// Locked.
    pub locked: bool,
    /// Maven support.
    pub maven_support: bool,
    /// Maven include-all.
    pub maven_include_all: bool,
    /// The permission it requires.
    pub perm_id: Option<i64>,
    /// That permission's name.
    pub perm: Option<String>,
    /// With a package filter: the package's entry in this tag.
    pub package: Option<TagPackageRow>,
}

/// The package columns of a `listTags(package=…)` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPackageRow {
    /// The owner.
    pub owner_id: i64,
    /// The owner's name.
    pub owner_name: String,
    /// Blocked.
    pub blocked: bool,
    /// Extra arches.
    pub extra_arches: Option<String>,
}

impl TagListRow {
    fn from_row(row: &Row, with_package: bool) -> Result<TagListRow> {
        let package = if with_package {
            Some(TagPackageRow {
                owner_id: row.try_get("owner_id")?,
                owner_name: row.try_get("owner_name")?,
                blocked: row.try_get("blocked")?,
                extra_arches: row.try_get("extra_arches")?,
            })
        } else {
            None
        };
        Ok(TagListRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            arches: row.try_get("arches")?,
            locked: row.try_get("locked")?,
            maven_support: row.try_get("maven_support")?,
            maven_include_all: row.try_get("maven_include_all")?,
            perm_id: row.try_get("perm_id")?,
            perm: row.try_get("perm")?,
            package,
        })
    }
}

/// Koji's glob to LIKE translation: `\\` and `_` are escaped, `?` and `*` become `_` and `%`.
pub fn glob_to_like(pattern: &str) -> String {
    pattern
        .replace('\\', "\\\\")
        .replace('_', "\\_")
        .replace('?', "_")
        .replace('*', "%")
}

const LIST_ORDER: &[(&str, &str)] = &[
    ("id", "tag.id"),
    ("name", "tag.name"),
    ("arches", "tc.arches"),
    ("locked", "tc.locked"),
    ("maven_support", "tc.maven_support"),
    ("maven_include_all", "tc.maven_include_all"),
    ("perm_id", "tc.perm_id"),
    ("perm", "p.name"),
];

fn list_query(filter: &TagFilter) -> SqlBuilder {
    let mut columns = String::from(
        "tag.id, tag.name, tc.arches, tc.locked, tc.maven_support, tc.maven_include_all, tc.perm_id, p.name AS perm",
    );
    let mut from = String::from(
        "tag_config tc JOIN tag ON tag.id = tc.tag_id LEFT JOIN permissions p ON p.id = tc.perm_id",
    );
    if filter.package_id.is_some() {
        columns.push_str(", u.id AS owner_id, u.name AS owner_name, tp.blocked, tp.extra_arches");
        from.push_str(
            " JOIN tag_packages tp ON tp.tag_id = tag.id AND tp.active IS TRUE \
             JOIN tag_package_owners tpo ON tpo.tag_id = tp.tag_id AND tpo.package_id = tp.package_id \
               AND tpo.active IS TRUE \
             JOIN users u ON u.id = tpo.owner",
        );
    }
    let mut q = SqlBuilder::new(&columns, &from);
    q.filter_raw("tc.active IS TRUE");
    if let Some(package_id) = filter.package_id {
        q.filter("tp.package_id = {}", package_id);
    }
    if let Some(pattern) = &filter.pattern {
        q.filter("tag.name ILIKE {}", glob_to_like(pattern));
    }
    if let Some(build_id) = filter.build_id {
        q.filter(
            "EXISTS (SELECT 1 FROM tag_listing tl WHERE tl.tag_id = tag.id AND tl.build_id = {} AND tl.active IS TRUE)",
            build_id,
        );
    }
    q
}

/// The current tags matching `filter`.
pub async fn list(client: &Client, filter: &TagFilter, opts: &QueryOpts) -> Result<Vec<TagListRow>> {
    let mut q = list_query(filter);
    // No order unless asked for, as in Koji (clients sort): sorting 10,000 rows would double
    // the query's time.
    q.order_and_page(opts, LIST_ORDER, "")?;
    let sql = q.sql();
    let rows = client.query(&sql, &q.params()).await?;
    let with_package = filter.package_id.is_some();
    rows.iter()
        .map(|r| TagListRow::from_row(r, with_package))
        .collect()
}

/// How many current tags match `filter`.
pub async fn count(client: &Client, filter: &TagFilter) -> Result<i64> {
    let q = list_query(filter);
    let row = client.query_one(&q.count_sql(), &q.count_params()).await?;
    Ok(row.try_get(0)?)
}

/// The configuration columns of a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagConfig {
    /// Arches.
    pub arches: Option<String>,
    /// Required permission.
    pub perm_id: Option<i64>,
    /// Locked.
    pub locked: bool,
    /// Maven support.
    pub maven_support: bool,
    /// Maven include-all.
    pub maven_include_all: bool,
}

/// Inserts a new current configuration.
pub async fn insert_config(tx: &Tx<'_>, tag_id: i64, config: &TagConfig, change: Change) -> Result<()> {
    tx.execute(
        "INSERT INTO tag_config (tag_id, arches, perm_id, locked, maven_support, maven_include_all, \
           create_event, creator_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &tag_id,
            &config.arches,
            &config.perm_id,
            &config.locked,
            &config.maven_support,
            &config.maven_include_all,
            &change.event_id,
            &change.user_id,
        ],
    )
    .await?;
    Ok(())
}

/// Revokes the current configuration; returns false if there was none.
pub async fn revoke_config(tx: &Tx<'_>, tag_id: i64, change: Change) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE tag_config SET active = NULL, revoke_event = $2, revoker_id = $3 \
             WHERE tag_id = $1 AND active IS TRUE",
            &[&tag_id, &change.event_id, &change.user_id],
        )
        .await?;
    Ok(n > 0)
}

/// Sets an extra value (JSON text, or `None` to block the key), replacing the current one.
pub async fn set_extra(
    tx: &Tx<'_>,
    tag_id: i64,
    key: &str,
    value: Option<&str>,
    change: Change,
) -> Result<()> {
    revoke_extra(tx, tag_id, key, change).await?;
    tx.execute(
        "INSERT INTO tag_extra (tag_id, key, value, create_event, creator_id) VALUES ($1, $2, $3, $4, $5)",
        &[&tag_id, &key, &value, &change.event_id, &change.user_id],
    )
    .await?;
    Ok(())
}

/// Revokes the current value of an extra key.
pub async fn revoke_extra(tx: &Tx<'_>, tag_id: i64, key: &str, change: Change) -> Result<()> {
    tx.execute(
        "UPDATE tag_extra SET active = NULL, revoke_event = $3, revoker_id = $4 \
         WHERE tag_id = $1 AND key = $2 AND active IS TRUE",
        &[&tag_id, &key, &change.event_id, &change.user_id],
    )
    .await?;
    Ok(())
}

/// The versioned rows a deleted tag leaves behind, by table and the column naming the tag.
/// (The builds, repos and external-repo areas add `tag_listing` and `tag_external_repos`.)
const TAG_ROWS: &[(&str, &str)] = &[
    ("tag_config", "tag_id"),
    ("tag_extra", "tag_id"),
    ("tag_inheritance", "tag_id"),
    ("tag_inheritance", "parent_id"),
    ("build_target_config", "build_tag"),
    ("build_target_config", "dest_tag"),
    ("tag_packages", "tag_id"),
    ("tag_package_owners", "tag_id"),
    ("group_config", "tag_id"),
    ("group_req_listing", "tag_id"),
    ("group_package_listing", "tag_id"),
];

/// Deletes a tag Koji's way: revokes its configuration and every current row that refers to
/// it (inheritance both ways, targets using it, package lists, groups).
pub async fn delete(tx: &Tx<'_>, tag_id: i64, change: Change) -> Result<()> {
    for (table, column) in TAG_ROWS {
        tx.execute(
            &format!(
                "UPDATE {table} SET active = NULL, revoke_event = $2, revoker_id = $3 \
                 WHERE {column} = $1 AND active IS TRUE"
            ),
            &[&tag_id, &change.event_id, &change.user_id],
        )
        .await?;
    }
    Ok(())
}

/// Announces a change to tags (names, config, extra) to every hub when the transaction commits,
/// so they drop cached tag answers.
pub async fn notify_changed(tx: &Tx<'_>) -> Result<()> {
    tx.execute("SELECT pg_notify('kiln_tags', '')", &[]).await?;
    Ok(())
}
