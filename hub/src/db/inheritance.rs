//! `tag_inheritance`: each tag's parent links, versioned.

use tokio_postgres::Row;

use super::Client;
use super::types::Tx;
use super::versioned::{Change, valid_at};
use crate::error::Result;

/// A `tag_inheritance` row, with the name of the tag at its far end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    /// The child.
    pub tag_id: i64,
    /// The parent.
    pub parent_id: i64,
    /// The parent's name (the child's, when read for a reverse walk).
    pub name: String,
    /// Lower first.
    pub priority: i64,
    /// Levels to follow beyond the parent.
    pub maxdepth: Option<i64>,
    /// Followed only from the child.
    pub intransitive: bool,
    /// The parent's configuration is not inherited.
    pub noconfig: bool,
    /// Regex packages must match.
    pub pkg_filter: Option<String>,
}

const LINK_COLUMNS: &str = "ti.tag_id, ti.parent_id, t.name, ti.priority::bigint AS priority, \
     ti.maxdepth::bigint AS maxdepth, ti.intransitive, ti.noconfig, ti.pkg_filter";

impl LinkRow {
    fn from_row(row: &Row) -> Result<LinkRow> {
        Ok(LinkRow {
            tag_id: row.try_get("tag_id")?,
            parent_id: row.try_get("parent_id")?,
            name: row.try_get("name")?,
            priority: row.try_get("priority")?,
            maxdepth: row.try_get("maxdepth")?,
            intransitive: row.try_get("intransitive")?,
            noconfig: row.try_get("noconfig")?,
            pkg_filter: row.try_get("pkg_filter")?,
        })
    }
}

/// A tag's parent links valid at `event`, by priority (Koji's `readInheritanceData`).
pub async fn parents(client: &Client, tag_id: i64, event: Option<i64>) -> Result<Vec<LinkRow>> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM tag_inheritance ti JOIN tag t ON t.id = ti.parent_id \
         WHERE ti.tag_id = $1 AND {} ORDER BY ti.priority",
        valid_at("ti", event.map(|_| "$2"))
    );
    let rows = match event {
        None => client.query(&sql, &[&tag_id]).await?,
        Some(e) => client.query(&sql, &[&tag_id, &e]).await?,
    };
    rows.iter().map(LinkRow::from_row).collect()
}

/// Every link reachable from `root` at `event`, following parents (or children when
/// `reverse`), in one recursive query; the walk itself is `crate::inheritance::walk`. For
/// reverse reads `name` is the child's name, as in Koji's `readDescendantsData`.
pub async fn reachable(
    client: &Client,
    root: i64,
    event: Option<i64>,
    reverse: bool,
) -> Result<Vec<LinkRow>> {
    let (near, far) = if reverse {
        ("parent_id", "tag_id")
    } else {
        ("tag_id", "parent_id")
    };
    let valid = valid_at("ti", event.map(|_| "$2"));
    let sql = format!(
        "WITH RECURSIVE reach(id) AS ( \
             SELECT $1::bigint \
           UNION \
             SELECT ti.{far} FROM tag_inheritance ti JOIN reach ON ti.{near} = reach.id WHERE {valid} \
         ) \
         SELECT {LINK_COLUMNS} FROM tag_inheritance ti JOIN tag t ON t.id = ti.{far} \
         WHERE ti.{near} IN (SELECT id FROM reach) AND {valid} \
         ORDER BY ti.{near}, ti.priority"
    );
    // Four shapes at most (forward or reverse, now or at an event): prepared once per
    // connection, which saves the planning of a recursive query on every walk.
    let rows = match event {
        None => client.query(&sql, &[&root]).await?,
        Some(e) => client.query(&sql, &[&root, &e]).await?,
    };
    rows.iter().map(LinkRow::from_row).collect()
}

/// The values of a new link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    /// The parent.
    pub parent_id: i64,
    /// Priority.
    pub priority: i32,
    /// Max depth.
    pub maxdepth: Option<i32>,
    /// Intransitive.
    pub intransitive: bool,
    /// No config.
    pub noconfig: bool,
    /// Package filter.
    pub pkg_filter: Option<String>,
}

/// Revokes the current link from `tag_id` to `parent_id`, if any.
pub async fn revoke(tx: &Tx<'_>, tag_id: i64, parent_id: i64, change: Change) -> Result<()> {
    tx.execute(
        "UPDATE tag_inheritance SET active = NULL, revoke_event = $3, revoker_id = $4 \
         WHERE tag_id = $1 AND parent_id = $2 AND active IS TRUE",
        &[&tag_id, &parent_id, &change.event_id, &change.user_id],
    )
    .await?;
    Ok(())
}

/// Inserts a current link.
pub async fn insert(tx: &Tx<'_>, tag_id: i64, link: &NewLink, change: Change) -> Result<()> {
    tx.execute(
        "INSERT INTO tag_inheritance (tag_id, parent_id, priority, maxdepth, intransitive, noconfig, \
           pkg_filter, create_event, creator_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &tag_id,
            &link.parent_id,
            &link.priority,
            &link.maxdepth,
            &link.intransitive,
            &link.noconfig,
            &link.pkg_filter,
            &change.event_id,
            &change.user_id,
        ],
    )
    .await?;
    Ok(())
}
