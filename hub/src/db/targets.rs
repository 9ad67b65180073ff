//! Build targets: `build_target_config` (build tag and destination tag), versioned.

use tokio_postgres::Row;

use super::Client;
use super::names::NameOrId;
use super::query::{QueryOpts, SqlBuilder};
use super::types::Tx;
use super::versioned::{Change, valid_at};
use crate::error::Result;

/// A build target with its tags' names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRow {
    /// The target id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The build tag.
    pub build_tag: i64,
    /// Its name.
    pub build_tag_name: String,
    /// The destination tag.
    pub dest_tag: i64,
    /// Its name.
    pub dest_tag_name: String,
}

impl TargetRow {
    fn from_row(row: &Row) -> Result<TargetRow> {
        Ok(TargetRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            build_tag: row.try_get("build_tag")?,
            build_tag_name: row.try_get("build_tag_name")?,
            dest_tag: row.try_get("dest_tag")?,
            dest_tag_name: row.try_get("dest_tag_name")?,
        })
    }
}

/// What `getBuildTargets` filters on.
#[derive(Debug, Clone, Default)]
pub struct TargetFilter {
    /// One target by name or id.
    pub target: Option<NameOrId>,
    /// Targets building from this tag.
    pub build_tag: Option<i64>,
    /// Targets building into this tag.
    pub dest_tag: Option<i64>,
}

const ORDER: &[(&str, &str)] = &[
    ("id", "bt.id"),
    ("name", "bt.name"),
    ("build_tag", "c.build_tag"),
    ("build_tag_name", "t1.name"),
    ("dest_tag", "c.dest_tag"),
    ("dest_tag_name", "t2.name"),
];

fn query(filter: &TargetFilter, event: Option<i64>) -> SqlBuilder {
    let mut q = SqlBuilder::new(
        "bt.id, bt.name, c.build_tag, t1.name AS build_tag_name, c.dest_tag, t2.name AS dest_tag_name",
        "build_target_config c JOIN build_target bt ON bt.id = c.build_target_id \
         JOIN tag t1 ON t1.id = c.build_tag JOIN tag t2 ON t2.id = c.dest_tag",
    );
    match event {
        None => q.filter_raw(&valid_at("c", None)),
        Some(e) => {
            let p = q.bind(e);
            q.filter_raw(&valid_at("c", Some(&p)));
        }
    }
    match &filter.target {
        Some(NameOrId::Id(id)) => q.filter("bt.id = {}", *id),
        Some(NameOrId::Name(name)) => q.filter("bt.name = {}", name.clone()),
        None => {}
    }
    if let Some(tag) = filter.build_tag {
        q.filter("c.build_tag = {}", tag);
    }
    if let Some(tag) = filter.dest_tag {
        q.filter("c.dest_tag = {}", tag);
    }
    q
}

/// The targets matching `filter` at `event`.
pub async fn list(
    client: &Client,
    filter: &TargetFilter,
    event: Option<i64>,
    opts: &QueryOpts,
) -> Result<Vec<TargetRow>> {
    let mut q = query(filter, event);
    q.order_and_page(opts, ORDER, "bt.id")?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter().map(TargetRow::from_row).collect()
}

/// How many targets match `filter` at `event`.
pub async fn count(client: &Client, filter: &TargetFilter, event: Option<i64>) -> Result<i64> {
    let q = query(filter, event);
    let row = client.query_one(&q.count_sql(), &q.count_params()).await?;
    Ok(row.try_get(0)?)
}

/// Inserts a current configuration for a target.
pub async fn insert_config(
    tx: &Tx<'_>,
    target_id: i64,
    build_tag: i64,
    dest_tag: i64,
    change: Change,
) -> Result<()> {
    tx.execute(
        "INSERT INTO build_target_config (build_target_id, build_tag, dest_tag, create_event, creator_id) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &target_id,
            &build_tag,
            &dest_tag,
            &change.event_id,
            &change.user_id,
        ],
    )
    .await?;
    Ok(())
}

/// Revokes a target's current configuration (deleting the target).
pub async fn revoke_config(tx: &Tx<'_>, target_id: i64, change: Change) -> Result<()> {
    tx.execute(
        "UPDATE build_target_config SET active = NULL, revoke_event = $2, revoker_id = $3 \
         WHERE build_target_id = $1 AND active IS TRUE",
        &[&target_id, &change.event_id, &change.user_id],
    )
    .await?;
    Ok(())
}
