//! Comps groups per tag: `group_config`, `group_package_listing` and `group_req_listing`, all
//! versioned.

use tokio_postgres::Row;

use super::Client;
use super::types::Tx;
use super::versioned::{Change, valid_at};
use crate::error::Result;

/// A `group_config` row with the group's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// The group name.
    pub name: String,
    /// The group id.
    pub group_id: i64,
    /// The tag holding the entry.
    pub tag_id: i64,
    /// The entry blocks the group.
    pub blocked: bool,
    /// Exported.
    pub exported: Option<bool>,
    /// Display name.
    pub display_name: String,
    /// Default.
    pub is_default: Option<bool>,
    /// User visible.
    pub uservisible: Option<bool>,
    /// Description.
    pub description: Option<String>,
    /// Language.
    pub langonly: Option<String>,
    /// Multilib only.
    pub biarchonly: Option<bool>,
}

impl GroupRow {
    fn from_row(row: &Row) -> Result<GroupRow> {
        Ok(GroupRow {
            name: row.try_get("name")?,
            group_id: row.try_get("group_id")?,
            tag_id: row.try_get("tag_id")?,
            blocked: row.try_get("blocked")?,
            exported: row.try_get("exported")?,
            display_name: row.try_get("display_name")?,
            is_default: row.try_get("is_default")?,
            uservisible: row.try_get("uservisible")?,
            description: row.try_get("description")?,
            langonly: row.try_get("langonly")?,
            biarchonly: row.try_get("biarchonly")?,
        })
    }
}

/// The values of a group entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSettings {
    /// Blocks the group.
    pub blocked: bool,
    /// Exported.
    pub exported: Option<bool>,
    /// Display name.
    pub display_name: String,
    /// Default.
    pub is_default: Option<bool>,
    /// User visible.
    pub uservisible: Option<bool>,
    /// Description.
    pub description: Option<String>,
    /// Language.
    pub langonly: Option<String>,
    /// Multilib only.
    pub biarchonly: Option<bool>,
}

/// A `group_package_listing` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPackageRow {
    /// The group.
    pub group_id: i64,
    /// The tag holding the entry.
    pub tag_id: i64,
    /// The binary package name.
    pub package: String,
    /// Blocks the package.
    pub blocked: bool,
    /// The package type (`mandatory`, …).
    pub kind: String,
    /// Base arch only.
    pub basearchonly: Option<bool>,
    /// Conditional on this package.
    pub requires: Option<String>,
}

impl GroupPackageRow {
    fn from_row(row: &Row) -> Result<GroupPackageRow> {
        Ok(GroupPackageRow {
            group_id: row.try_get("group_id")?,
            tag_id: row.try_get("tag_id")?,
            package: row.try_get("package")?,
            blocked: row.try_get("blocked")?,
            kind: row.try_get("type")?,
            basearchonly: row.try_get("basearchonly")?,
            requires: row.try_get("requires")?,
        })
    }
}

/// A `group_req_listing` row with the required group's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupReqRow {
    /// The requiring group.
    pub group_id: i64,
    /// The tag holding the entry.
    pub tag_id: i64,
    /// The required group.
    pub req_id: i64,
    /// Blocks the requirement.
    pub blocked: bool,
    /// The requirement type.
    pub kind: Option<String>,
    /// A metapkg.
    pub is_metapkg: bool,
    /// The required group's name.
    pub name: String,
}

impl GroupReqRow {
    fn from_row(row: &Row) -> Result<GroupReqRow> {
        Ok(GroupReqRow {
            group_id: row.try_get("group_id")?,
            tag_id: row.try_get("tag_id")?,
            req_id: row.try_get("req_id")?,
            blocked: row.try_get("blocked")?,
            kind: row.try_get("type")?,
            is_metapkg: row.try_get("is_metapkg")?,
            name: row.try_get("name")?,
        })
    }
}

/// Runs `sql` (which has `$1` for the tag ids and `$2` for the event, if any).
async fn query_tags(client: &Client, sql: &str, tags: &[i64], event: Option<i64>) -> Result<Vec<Row>> {
    Ok(match event {
        None => client.query(sql, &[&tags]).await?,
        Some(e) => client.query(sql, &[&tags, &e]).await?,
    })
}

/// The group entries of `tags` at `event`, by tag and group id.
pub async fn configs(client: &Client, tags: &[i64], event: Option<i64>) -> Result<Vec<GroupRow>> {
    let sql = format!(
        "SELECT g.name, c.group_id, c.tag_id, c.blocked, c.exported, c.display_name, c.is_default, \
           c.uservisible, c.description, c.langonly, c.biarchonly \
         FROM group_config c JOIN groups g ON g.id = c.group_id \
         WHERE c.tag_id = ANY($1) AND {} ORDER BY c.tag_id, c.group_id",
        valid_at("c", event.map(|_| "$2"))
    );
    let rows = query_tags(client, &sql, tags, event).await?;
    rows.iter().map(GroupRow::from_row).collect()
}

/// The group package entries of `tags` at `event`.
pub async fn packages(client: &Client, tags: &[i64], event: Option<i64>) -> Result<Vec<GroupPackageRow>> {
    let sql = format!(
        "SELECT l.group_id, l.tag_id, l.package, l.blocked, l.type, l.basearchonly, l.requires \
         FROM group_package_listing l WHERE l.tag_id = ANY($1) AND {} ORDER BY l.tag_id, l.group_id, l.package",
        valid_at("l", event.map(|_| "$2"))
    );
    let rows = query_tags(client, &sql, tags, event).await?;
    rows.iter().map(GroupPackageRow::from_row).collect()
}

/// The group requirement entries of `tags` at `event`.
pub async fn reqs(client: &Client, tags: &[i64], event: Option<i64>) -> Result<Vec<GroupReqRow>> {
    let sql = format!(
        "SELECT l.group_id, l.tag_id, l.req_id, l.blocked, l.type, l.is_metapkg, g.name \
         FROM group_req_listing l JOIN groups g ON g.id = l.req_id \
         WHERE l.tag_id = ANY($1) AND {} ORDER BY l.tag_id, l.group_id, l.req_id",
        valid_at("l", event.map(|_| "$2"))
    );
    let rows = query_tags(client, &sql, tags, event).await?;
    rows.iter().map(GroupReqRow::from_row).collect()
}

/// Whether `tag_id` itself has a current entry for the group, and whether it blocks.
pub async fn own_entry_blocked(client: &Client, tag_id: i64, group_id: i64) -> Result<Option<bool>> {
    let row = client
        .query_opt(
            "SELECT blocked FROM group_config WHERE tag_id = $1 AND group_id = $2 AND active IS TRUE",
            &[&tag_id, &group_id],
        )
        .await?;
    Ok(row.map(|r| r.try_get("blocked")).transpose()?)
}

/// Replaces the group entry of a tag.
pub async fn set_config(
    tx: &Tx<'_>,
    tag_id: i64,
    group_id: i64,
    settings: &GroupSettings,
    change: Change,
) -> Result<()> {
    revoke_config(tx, tag_id, group_id, change).await?;
    tx.execute(
        "INSERT INTO group_config (group_id, tag_id, blocked, exported, display_name, is_default, uservisible, \
           description, langonly, biarchonly, create_event, creator_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &group_id,
            &tag_id,
            &settings.blocked,
            &settings.exported,
            &settings.display_name,
            &settings.is_default,
            &settings.uservisible,
            &settings.description,
            &settings.langonly,
            &settings.biarchonly,
            &change.event_id,
            &change.user_id,
        ],
    )
    .await?;
    Ok(())
}

/// Revokes the group entry of a tag.
pub async fn revoke_config(tx: &Tx<'_>, tag_id: i64, group_id: i64, change: Change) -> Result<()> {
    tx.execute(
        "UPDATE group_config SET active = NULL, revoke_event = $3, revoker_id = $4 \
         WHERE tag_id = $1 AND group_id = $2 AND active IS TRUE",
        &[&tag_id, &group_id, &change.event_id, &change.user_id],
    )
    .await?;
    Ok(())
}

/// Whether the tag itself has a current entry for the package in the group, and whether it
/// blocks.
pub async fn own_package_blocked(
    client: &Client,
    tag_id: i64,
    group_id: i64,
    package: &str,
) -> Result<Option<bool>> {
    let row = client
        .query_opt(
            "SELECT blocked FROM group_package_listing \
             WHERE tag_id = $1 AND group_id = $2 AND package = $3 AND active IS TRUE",
            &[&tag_id, &group_id, &package],
        )
        .await?;
    Ok(row.map(|r| r.try_get("blocked")).transpose()?)
}

/// The values of a group package entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSettings {
    /// Blocks the package.
    pub blocked: bool,
    /// Type.
    pub kind: String,
    /// Base arch only.
    pub basearchonly: Option<bool>,
    /// Conditional on.
    pub requires: Option<String>,
}

/// Replaces a package entry of a group in a tag.
pub async fn set_package(
    tx: &Tx<'_>,
    tag_id: i64,
    group_id: i64,
    package: &str,
    settings: &PackageSettings,
    change: Change,
) -> Result<()> {
    revoke_package(tx, tag_id, group_id, package, change).await?;
    tx.execute(
        "INSERT INTO group_package_listing (group_id, tag_id, package, blocked, type, basearchonly, requires, \
           create_event, creator_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &group_id,
            &tag_id,
            &package,
            &settings.blocked,
            &settings.kind,
            &settings.basearchonly,
            &settings.requires,
            &change.event_id,
            &change.user_id,
        ],
    )
    .await?;
    Ok(())
}

/// Revokes a package entry of a group in a tag.
pub async fn revoke_package(
    tx: &Tx<'_>,
    tag_id: i64,
    group_id: i64,
    package: &str,
    change: Change,
) -> Result<()> {
    tx.execute(
        "UPDATE group_package_listing SET active = NULL, revoke_event = $4, revoker_id = $5 \
         WHERE tag_id = $1 AND group_id = $2 AND package = $3 AND active IS TRUE",
        &[&tag_id, &group_id, &package, &change.event_id, &change.user_id],
    )
    .await?;
    Ok(())
}

/// Whether the tag itself has a current requirement entry, and whether it blocks.
pub async fn own_req_blocked(
    client: &Client,
    tag_id: i64,
    group_id: i64,
    req_id: i64,
) -> Result<Option<bool>> {
    let row = client
        .query_opt(
            "SELECT blocked FROM group_req_listing \
             WHERE tag_id = $1 AND group_id = $2 AND req_id = $3 AND active IS TRUE",
            &[&tag_id, &group_id, &req_id],
        )
        .await?;
    Ok(row.map(|r| r.try_get("blocked")).transpose()?)
}

/// The values of a group requirement entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReqSettings {
    /// Blocks the requirement.
    pub blocked: bool,
    /// Type.
    pub kind: Option<String>,
    /// A metapkg.
    pub is_metapkg: bool,
}

/// Replaces a requirement entry of a group in a tag.
pub async fn set_req(
    tx: &Tx<'_>,
    tag_id: i64,
    group_id: i64,
    req_id: i64,
    settings: &ReqSettings,
    change: Change,
) -> Result<()> {
    revoke_req(tx, tag_id, group_id, req_id, change).await?;
    tx.execute(
        "INSERT INTO group_req_listing (group_id, tag_id, req_id, blocked, type, is_metapkg, create_event, \
           creator_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &group_id,
            &tag_id,
            &req_id,
            &settings.blocked,
            &settings.kind,
            &settings.is_metapkg,
            &change.event_id,
            &change.user_id,
        ],
    )
    .await?;
    Ok(())
}

/// Revokes a requirement entry of a group in a tag.
pub async fn revoke_req(tx: &Tx<'_>, tag_id: i64, group_id: i64, req_id: i64, change: Change) -> Result<()> {
    tx.execute(
        "UPDATE group_req_listing SET active = NULL, revoke_event = $4, revoker_id = $5 \
         WHERE tag_id = $1 AND group_id = $2 AND req_id = $3 AND active IS TRUE",
        &[&tag_id, &group_id, &req_id, &change.event_id, &change.user_id],
    )
    .await?;
    Ok(())
}
