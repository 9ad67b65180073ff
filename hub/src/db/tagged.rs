//! Tagging (`tag_listing`, versioned): which builds are in which tags, and the
//! `kiln_tag_content` notification that tells repo regeneration a tag's content changed.

use tokio_postgres::Row;

use super::Client;
use super::builds::BuildRow;
use super::types::Tx;
use super::versioned::{Change, valid_at};
use crate::error::Result;

/// A build as tagged in one tag.
#[derive(Debug, Clone, PartialEq)]
pub struct TaggedRow {
    /// The build.
    pub build: BuildRow,
    /// The tag.
    pub tag_id: i64,
    /// Its name.
    pub tag_name: String,
    /// The event that tagged it.
    pub create_event: i64,
}

/// What [`tagged`] reads.
#[derive(Debug, Clone, Default)]
pub struct TaggedFilter {
    /// In these tags.
    pub tag_ids: Vec<i64>,
    /// As of this event.
    pub event: Option<i64>,
    /// Of this package.
    pub package_id: Option<i64>,
    /// Owned by this user.
    pub owner_id: Option<i64>,
    /// Package names starting with this.
    pub prefix: Option<String>,
    /// Draft or not.
    pub draft: Option<bool>,
    /// Of this build type.
    pub btype_id: Option<i64>,
}

/// The COMPLETE builds tagged in the filter's tags, newest tagging first (ties: higher build id
/// first), as Koji's `readTaggedBuilds` orders them.
pub async fn tagged(client: &Client, filter: &TaggedFilter) -> Result<Vec<TaggedRow>> {
    let mut columns = String::from(super::builds::COLUMNS);
    columns.push_str(", tl.tag_id, t.name AS tag_name, tl.create_event AS tag_event");
    let from = format!(
        "tag_listing tl JOIN tag t ON t.id = tl.tag_id JOIN {}",
        super::builds::FROM_ON_TL
    );
    let mut q = super::query::SqlBuilder::new(&columns, &from);
    let event = filter.event.map(|e| q.bind(e));
    q.filter_raw(&valid_at("tl", event.as_deref()));
    q.filter("tl.tag_id = ANY({})", filter.tag_ids.clone());
    q.filter_raw("b.state = 1");
    if let Some(id) = filter.package_id {
        q.filter("b.pkg_id = {}", id);
    }
    if let Some(id) = filter.owner_id {
        q.filter("b.owner = {}", id);
    }
    if let Some(prefix) = &filter.prefix {
        q.filter("p.name ILIKE {} || '%'", prefix.clone());
    }
    if let Some(draft) = filter.draft {
        q.filter("b.draft = {}", draft);
    }
    if let Some(id) = filter.btype_id {
        q.filter(
            "EXISTS (SELECT 1 FROM build_types bt WHERE bt.build_id = b.id AND bt.btype_id = {})",
            id,
        );
    }
    q.order_and_page(
        &super::query::QueryOpts::default(),
        &[],
        "tl.create_event DESC, b.id DESC",
    )?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter().map(tagged_row).collect()
}

fn tagged_row(row: &Row) -> Result<TaggedRow> {
    Ok(TaggedRow {
        build: super::builds::from_row(row)?,
        tag_id: row.try_get("tag_id")?,
        tag_name: row.try_get("tag_name")?,
        create_event: row.try_get("tag_event")?,
    })
}

/// True if the build is tagged in the tag now; locks the listing row.
pub async fn is_tagged(tx: &Tx<'_>, build_id: i64, tag_id: i64) -> Result<bool> {
    let row = tx
        .query_opt(
            "SELECT 1 FROM tag_listing WHERE build_id = $1 AND tag_id = $2 AND active IS TRUE FOR UPDATE",
            &[&build_id, &tag_id],
        )
        .await?;
    Ok(row.is_some())
}

/// Tags a build (inserts the active row) and announces the tag's content change.
pub async fn insert(tx: &Tx<'_>, build_id: i64, tag_id: i64, change: Change) -> Result<()> {
    tx.execute(
        "INSERT INTO tag_listing (build_id, tag_id, create_event, creator_id) VALUES ($1, $2, $3, $4)",
        &[&build_id, &tag_id, &change.event_id, &change.user_id],
    )
    .await?;
    notify_content(tx, tag_id).await
}

/// Untags a build (revokes the active row); returns how many rows were revoked.
pub async fn revoke(tx: &Tx<'_>, build_id: i64, tag_id: i64, change: Change) -> Result<u64> {
    let n = tx
        .execute(
            "UPDATE tag_listing SET active = NULL, revoke_event = $3, revoker_id = $4 \
             WHERE build_id = $1 AND tag_id = $2 AND active IS TRUE",
            &[&build_id, &tag_id, &change.event_id, &change.user_id],
        )
        .await?;
    if n > 0 {
        notify_content(tx, tag_id).await?;
    }
    Ok(n)
}

/// Tells every listener (repo regeneration) that the content of `tag_id` changed; delivered
/// when the transaction commits, with the tag id as payload.
pub async fn notify_content(tx: &Tx<'_>, tag_id: i64) -> Result<()> {
    tx.execute(
        "SELECT pg_notify('kiln_tag_content', $1::BIGINT::TEXT)",
        &[&tag_id],
    )
    .await?;
    Ok(())
}

/// The tags a build is in now, as `(id, name)`.
pub async fn tags_of_build(client: &Client, build_id: i64) -> Result<Vec<(i64, String)>> {
    let rows = client
        .query(
            "SELECT t.id, t.name FROM tag_listing tl JOIN tag t ON t.id = tl.tag_id \
             WHERE tl.build_id = $1 AND tl.active IS TRUE ORDER BY t.id",
            &[&build_id],
        )
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// Records a tag change not visible in versioned tables (`tag_updates`, e.g. an import into a
/// tagged build).
pub async fn record_update(tx: &Tx<'_>, tag_id: i64, update_type: i32, change: Change) -> Result<()> {
    tx.execute(
        "INSERT INTO tag_updates (tag_id, update_event, updater_id, update_type) VALUES ($1, $2, $3, $4)",
        &[&tag_id, &change.event_id, &change.user_id, &update_type],
    )
    .await?;
    notify_content(tx, tag_id).await
}
