//! External repos: the `external_repo` name registry, its versioned URL
//! (`external_repo_config`) and the versioned links to tags (`tag_external_repos`).

use tokio_postgres::Row;

use super::Client;
use super::types::Tx;
use super::versioned::{Change, valid_at};
use crate::error::Result;

/// An external repo with its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRepoRow {
    /// The id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The URL.
    pub url: String,
}

fn repo_row(row: &Row) -> Result<ExternalRepoRow> {
    Ok(ExternalRepoRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
    })
}

/// How an external repo is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoKey {
    /// By id.
    Id(i64),
    /// By name.
    Name(String),
}

/// External repos (without the internal one, id 0), optionally one by id or name, or names
/// matching a LIKE pattern, or with this URL, as of `event`.
pub async fn list(
    client: &Client,
    key: Option<&RepoKey>,
    url: Option<&str>,
    event: Option<i64>,
) -> Result<Vec<ExternalRepoRow>> {
    let mut q = super::query::SqlBuilder::new(
        "er.id, er.name, c.url",
        "external_repo er JOIN external_repo_config c ON c.external_repo_id = er.id",
    );
    let event_param = event.map(|e| q.bind(e));
    q.filter_raw(&valid_at("c", event_param.as_deref()));
    match key {
        Some(RepoKey::Id(id)) => q.filter("er.id = {}", *id),
        Some(RepoKey::Name(name)) => q.filter("er.name = {}", name.clone()),
        None => {}
    }
    if let Some(url) = url {
        q.filter("c.url = {}", url.to_owned());
    }
    q.order_and_page(&super::query::QueryOpts::default(), &[], "er.id")?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter().map(repo_row).collect()
}

/// The registry id of an external repo name, active or not.
pub async fn id_of_name(client: &Client, name: &str) -> Result<Option<i64>> {
    let row = client
        .query_opt("SELECT id FROM external_repo WHERE name = $1", &[&name])
        .await?;
    row.map(|r| Ok(r.try_get(0)?)).transpose()
}

/// Creates (or revives) an external repo name and gives it a URL; returns its id.
pub async fn create(tx: &Tx<'_>, name: &str, url: &str, change: Change) -> Result<i64> {
    let id: i64 = match id_of_name(tx, name).await? {
        Some(id) => id,
        None => tx
            .query_one(
                "INSERT INTO external_repo (name) VALUES ($1) RETURNING id",
                &[&name],
            )
            .await?
            .try_get(0)?,
    };
    set_url(tx, id, url, change).await?;
    Ok(id)
}

/// Replaces the URL of an external repo.
pub async fn set_url(tx: &Tx<'_>, id: i64, url: &str, change: Change) -> Result<()> {
    revoke_config(tx, id, change).await?;
    tx.execute(
        "INSERT INTO external_repo_config (external_repo_id, url, create_event, creator_id) VALUES ($1, $2, $3, $4)",
        &[&id, &url, &change.event_id, &change.user_id],
    )
    .await?;
    Ok(())
}

/// Revokes the URL of an external repo (deleting it).
pub async fn revoke_config(tx: &Tx<'_>, id: i64, change: Change) -> Result<()> {
    tx.execute(
        "UPDATE external_repo_config SET active = NULL, revoke_event = $2, revoker_id = $3 \
         WHERE external_repo_id = $1 AND active IS TRUE",
        &[&id, &change.event_id, &change.user_id],
    )
    .await?;
    Ok(())
}

/// Renames an external repo.
pub async fn rename(tx: &Tx<'_>, id: i64, name: &str) -> Result<()> {
    tx.execute("UPDATE external_repo SET name = $2 WHERE id = $1", &[&id, &name])
        .await?;
    Ok(())
}

/// An external repo linked to a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRepoRow {
    /// The tag.
    pub tag_id: i64,
    /// Its name.
    pub tag_name: String,
    /// The repo.
    pub external_repo_id: i64,
    /// Its name.
    pub external_repo_name: String,
    /// Its URL.
    pub url: String,
    /// Priority in the tag.
    pub priority: i32,
    /// `koji`, `simple` or `bare`.
    pub merge_mode: String,
    /// Space-separated arches, or none for all.
    pub arches: Option<String>,
}

/// The links of these tags and/or this repo as of `event`, by tag then priority.
pub async fn tag_links(
    client: &Client,
    tag_ids: Option<Vec<i64>>,
    repo_id: Option<i64>,
    event: Option<i64>,
) -> Result<Vec<TagRepoRow>> {
    let mut q = super::query::SqlBuilder::new(
        "ter.tag_id, t.name AS tag_name, ter.external_repo_id, er.name AS external_repo_name, c.url, \
         ter.priority, ter.merge_mode, ter.arches",
        "tag_external_repos ter JOIN tag t ON t.id = ter.tag_id JOIN external_repo er ON er.id = ter.external_repo_id \
         JOIN external_repo_config c ON c.external_repo_id = er.id",
    );
    let event_param = event.map(|e| q.bind(e));
    q.filter_raw(&valid_at("ter", event_param.as_deref()));
    q.filter_raw(&valid_at("c", event_param.as_deref()));
    if let Some(ids) = tag_ids {
        q.filter("ter.tag_id = ANY({})", ids);
    }
    if let Some(id) = repo_id {
        q.filter("ter.external_repo_id = {}", id);
    }
    q.order_and_page(
        &super::query::QueryOpts::default(),
        &[],
        "ter.tag_id, ter.priority",
    )?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter()
        .map(|r| {
            Ok(TagRepoRow {
                tag_id: r.try_get("tag_id")?,
                tag_name: r.try_get("tag_name")?,
                external_repo_id: r.try_get("external_repo_id")?,
                external_repo_name: r.try_get("external_repo_name")?,
                url: r.try_get("url")?,
                priority: r.try_get("priority")?,
                merge_mode: r.try_get("merge_mode")?,
                arches: r.try_get("arches")?,
            })
        })
        .collect()
}

/// Links an external repo to a tag.
pub async fn link(
    tx: &Tx<'_>,
    tag_id: i64,
    repo_id: i64,
    priority: i32,
    merge_mode: &str,
    arches: Option<&str>,
    change: Change,
) -> Result<()> {
    tx.execute(
        "INSERT INTO tag_external_repos (tag_id, external_repo_id, priority, merge_mode, arches, create_event, \
         creator_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&tag_id, &repo_id, &priority, &merge_mode, &arches, &change.event_id, &change.user_id],
    )
    .await?;
    super::tagged::notify_content(tx, tag_id).await
}

/// Unlinks an external repo from a tag; returns how many links were revoked.
pub async fn unlink(tx: &Tx<'_>, tag_id: i64, repo_id: i64, change: Change) -> Result<u64> {
    let n = tx
        .execute(
            "UPDATE tag_external_repos SET active = NULL, revoke_event = $3, revoker_id = $4 \
             WHERE tag_id = $1 AND external_repo_id = $2 AND active IS TRUE",
            &[&tag_id, &repo_id, &change.event_id, &change.user_id],
        )
        .await?;
    if n > 0 {
        super::tagged::notify_content(tx, tag_id).await?;
    }
    Ok(n)
}

/// Unlinks an external repo from every tag (when it is deleted).
pub async fn unlink_all(tx: &Tx<'_>, repo_id: i64, change: Change) -> Result<()> {
    let rows = tx
        .query(
            "UPDATE tag_external_repos SET active = NULL, revoke_event = $2, revoker_id = $3 \
             WHERE external_repo_id = $1 AND active IS TRUE RETURNING tag_id",
            &[&repo_id, &change.event_id, &change.user_id],
        )
        .await?;
    for row in rows {
        super::tagged::notify_content(tx, row.try_get(0)?).await?;
    }
    Ok(())
}
