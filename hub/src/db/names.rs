//! Name registries: `tag`, `build_target`, `package`, `groups` and `permissions` map names to
//! ids for ever (Koji's `lookup_name`); the versioned tables say whether the thing exists now.

use tokio_postgres::Row;

use super::Client;
use super::types::Tx;
use crate::error::Result;

/// A name table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    /// `tag`.
    Tag,
    /// `build_target`.
    BuildTarget,
    /// `package`.
    Package,
    /// `groups` (comps groups).
    Group,
    /// `permissions`.
    Permission,
}

impl Registry {
    /// The table name, as Koji's messages show it.
    pub fn table(self) -> &'static str {
        match self {
            Registry::Tag => "tag",
            Registry::BuildTarget => "build_target",
            Registry::Package => "package",
            Registry::Group => "groups",
            Registry::Permission => "permissions",
        }
    }
}

/// How a caller names a thing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NameOrId {
    /// By id.
    Id(i64),
    /// By name.
    Name(String),
}

/// A registry row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRow {
    /// The id.
    pub id: i64,
    /// The name.
    pub name: String,
}

impl NameRow {
    fn from_row(row: &Row) -> Result<NameRow> {
        Ok(NameRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
        })
    }
}

/// The row named by `key`, if any.
pub async fn lookup(client: &Client, registry: Registry, key: &NameOrId) -> Result<Option<NameRow>> {
    let table = registry.table();
    let row = match key {
        NameOrId::Id(id) => {
            client
                .query_opt(&format!("SELECT id, name FROM {table} WHERE id = $1"), &[id])
                .await?
        }
        NameOrId::Name(name) => {
            client
                .query_opt(&format!("SELECT id, name FROM {table} WHERE name = $1"), &[name])
                .await?
        }
    };
    row.as_ref().map(NameRow::from_row).transpose()
}

/// The rows named by `names` that exist.
pub async fn lookup_names(client: &Client, registry: Registry, names: &[String]) -> Result<Vec<NameRow>> {
    let table = registry.table();
    let rows = client
        .query(
            &format!("SELECT id, name FROM {table} WHERE name = ANY($1) ORDER BY id"),
            &[&names],
        )
        .await?;
    rows.iter().map(NameRow::from_row).collect()
}

/// The id for `name`, creating the registry row if there is none yet (a deleted tag's name
/// keeps its id).
pub async fn ensure(tx: &Tx<'_>, registry: Registry, name: &str) -> Result<NameRow> {
    let table = registry.table();
    let row = tx
        .query_one(
            &format!(
                "WITH new AS (INSERT INTO {table} (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id, name) \
                 SELECT id, name FROM new UNION ALL SELECT id, name FROM {table} WHERE name = $1 LIMIT 1"
            ),
            &[&name],
        )
        .await?;
    NameRow::from_row(&row)
}

/// Renames a registry row (Koji renames tags and targets in place: the name is not versioned).
pub async fn rename(tx: &Tx<'_>, registry: Registry, id: i64, name: &str) -> Result<()> {
    let table = registry.table();
    tx.execute(
        &format!("UPDATE {table} SET name = $2 WHERE id = $1"),
        &[&id, &name],
    )
    .await?;
    Ok(())
}
