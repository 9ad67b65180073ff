//! Package lists: `tag_packages` (listed or blocked, extra arches) and `tag_package_owners`,
//! both versioned, plus the `package` name listing.

use tokio_postgres::Row;

use super::Client;
use super::names::NameRow;
use super::query::{QueryOpts, SqlBuilder};
use super::types::Tx;
use super::versioned::{Change, valid_at};
use crate::error::Result;

/// A package list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    /// The package.
    pub package_id: i64,
    /// Its name.
    pub package_name: String,
    /// The tag holding the entry.
    pub tag_id: i64,
    /// Its name.
    pub tag_name: String,
    /// Extra arches.
    pub extra_arches: Option<String>,
    /// The entry blocks the package.
    pub blocked: bool,
    /// The owner id and name (when read with owners).
    pub owner: Option<(i64, String)>,
}

impl EntryRow {
    fn from_row(row: &Row, with_owners: bool) -> Result<EntryRow> {
        let owner = if with_owners {
            Some((row.try_get("owner_id")?, row.try_get("owner_name")?))
        } else {
            None
        };
        Ok(EntryRow {
            package_id: row.try_get("package_id")?,
            package_name: row.try_get("package_name")?,
            tag_id: row.try_get("tag_id")?,
            tag_name: row.try_get("tag_name")?,
            extra_arches: row.try_get("extra_arches")?,
            blocked: row.try_get("blocked")?,
            owner,
        })
    }
}

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// Entries of these tags.
    pub tags: Option<Vec<i64>>,
    /// Entries owned by this user (needs `with_owners`).
    pub owner: Option<i64>,
    /// Entries of this package.
    pub package: Option<i64>,
    /// Read owners too.
    pub with_owners: bool,
    /// Read blocking entries too.
    pub with_blocked: bool,
}

/// The entries matching `filter` at `event`, by tag and then package id (the order Koji's
/// queries return them in, in practice).
pub async fn entries(client: &Client, filter: &EntryFilter, event: Option<i64>) -> Result<Vec<EntryRow>> {
    let with_owners = filter.with_owners || filter.owner.is_some();
    let mut columns = String::from(
        "tp.package_id, p.name AS package_name, tp.tag_id, t.name AS tag_name, tp.extra_arches, tp.blocked",
    );
    let mut from =
        String::from("tag_packages tp JOIN tag t ON t.id = tp.tag_id JOIN package p ON p.id = tp.package_id");
    if with_owners {
        columns.push_str(", u.id AS owner_id, u.name AS owner_name");
        from.push_str(
            " JOIN tag_package_owners tpo ON tpo.tag_id = tp.tag_id AND tpo.package_id = tp.package_id \
             JOIN users u ON u.id = tpo.owner",
        );
    }
    let mut q = SqlBuilder::new(&columns, &from);
    let event_param = event.map(|e| q.bind(e));
    q.filter_raw(&valid_at("tp", event_param.as_deref()));
    if with_owners {
        q.filter_raw(&valid_at("tpo", event_param.as_deref()));
    }
    if let Some(tags) = &filter.tags {
        q.filter("tp.tag_id = ANY({})", tags.clone());
    }
    if let Some(owner) = filter.owner {
        q.filter("tpo.owner = {}", owner);
    }
    if let Some(package) = filter.package {
        q.filter("tp.package_id = {}", package);
    }
    if !filter.with_blocked {
        q.filter_raw("NOT tp.blocked");
    }
    q.order_and_page(&QueryOpts::default(), &[], "tp.tag_id, tp.package_id")?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter().map(|r| EntryRow::from_row(r, with_owners)).collect()
}

const SIMPLE_ORDER: &[(&str, &str)] = &[("package_id", "id"), ("package_name", "name")];

fn simple_query(prefix: Option<&str>) -> SqlBuilder {
    let mut q = SqlBuilder::new("id, name", "package");
    if let Some(prefix) = prefix {
        q.filter("name ILIKE {} || '%'", prefix.to_owned());
    }
    q
}

/// Packages whose names start with `prefix` (case-insensitively; Koji passes the prefix to
/// ILIKE as is, so `%` and `_` in it are wildcards).
pub async fn simple(client: &Client, prefix: Option<&str>, opts: &QueryOpts) -> Result<Vec<NameRow>> {
    let mut q = simple_query(prefix);
    q.order_and_page(opts, SIMPLE_ORDER, "id")?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter()
        .map(|r| {
            Ok(NameRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

/// How many packages [`simple`] would list.
pub async fn count_simple(client: &Client, prefix: Option<&str>) -> Result<i64> {
    let q = simple_query(prefix);
    let row = client.query_one(&q.count_sql(), &q.count_params()).await?;
    Ok(row.try_get(0)?)
}

/// Replaces the entry of a package in a tag (Koji's `_pkglist_add`): revokes the current
/// entry and owner and inserts new ones.
pub async fn set_entry(
    tx: &Tx<'_>,
    tag_id: i64,
    package_id: i64,
    owner: i64,
    blocked: bool,
    extra_arches: Option<&str>,
    change: Change,
) -> Result<()> {
    revoke_entry(tx, tag_id, package_id, change).await?;
    tx.execute(
        "INSERT INTO tag_packages (package_id, tag_id, blocked, extra_arches, create_event, creator_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &package_id,
            &tag_id,
            &blocked,
            &extra_arches,
            &change.event_id,
            &change.user_id,
        ],
    )
    .await?;
    set_owner(tx, tag_id, package_id, owner, change).await
}

/// Revokes the entry of a package in a tag (the owner row stays, as in Koji).
pub async fn revoke_entry(tx: &Tx<'_>, tag_id: i64, package_id: i64, change: Change) -> Result<()> {
    tx.execute(
        "UPDATE tag_packages SET active = NULL, revoke_event = $3, revoker_id = $4 \
         WHERE tag_id = $1 AND package_id = $2 AND active IS TRUE",
        &[&tag_id, &package_id, &change.event_id, &change.user_id],
    )
    .await?;
    Ok(())
}

/// Replaces the owner of a package in a tag.
pub async fn set_owner(tx: &Tx<'_>, tag_id: i64, package_id: i64, owner: i64, change: Change) -> Result<()> {
    tx.execute(
        "UPDATE tag_package_owners SET active = NULL, revoke_event = $3, revoker_id = $4 \
         WHERE tag_id = $1 AND package_id = $2 AND active IS TRUE",
        &[&tag_id, &package_id, &change.event_id, &change.user_id],
    )
    .await?;
    tx.execute(
        "INSERT INTO tag_package_owners (package_id, tag_id, owner, create_event, creator_id) \
         VALUES ($1, $2, $3, $4, $5)",
        &[&package_id, &tag_id, &owner, &change.event_id, &change.user_id],
    )
    .await?;
    Ok(())
}
