//! Name searches over the registries (Koji's `search`): glob, regular expression or exact.

use tokio_postgres::error::SqlState;

use super::Client;
use super::names::NameRow;
use super::query::{QueryOpts, SqlBuilder};
use super::tags::glob_to_like;
use crate::error::{Error, Result};

/// What `search` looks through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchTable {
    /// Packages.
    Package,
    /// Builds, by NVR.
    Build,
    /// Current tags.
    Tag,
    /// Current build targets.
    Target,
    /// Users.
    User,
    /// Hosts.
    Host,
}

impl SearchTable {
    /// The table for Koji's type name.
    pub fn from_koji(name: &str) -> Option<SearchTable> {
        Some(match name {
            "package" => SearchTable::Package,
            "build" => SearchTable::Build,
            "tag" => SearchTable::Tag,
            "target" => SearchTable::Target,
            "user" => SearchTable::User,
            "host" => SearchTable::Host,
            _ => return None,
        })
    }

    fn tables(self) -> (&'static str, Option<&'static str>) {
        match self {
            SearchTable::Package => ("package t", None),
            SearchTable::Build => (
                "(SELECT b.id, p.name || '-' || b.version || '-' || b.release AS name \
                 FROM build b JOIN package p ON p.id = b.pkg_id) t",
                None,
            ),
            SearchTable::Tag => (
                "tag t",
                Some("EXISTS (SELECT 1 FROM tag_config c WHERE c.tag_id = t.id AND c.active IS TRUE)"),
            ),
            SearchTable::Target => (
                "build_target t",
                Some(
                    "EXISTS (SELECT 1 FROM build_target_config c WHERE c.build_target_id = t.id AND c.active IS TRUE)",
                ),
            ),
            SearchTable::User => ("users t", None),
            SearchTable::Host => ("host t", None),
        }
    }
}

/// How terms match names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// Shell glob (`*`, `?`), case-insensitive as in Koji.
    Glob,
    /// POSIX regular expression.
    Regexp,
    /// The whole name.
    Exact,
}

const ORDERABLE: &[(&str, &str)] = &[("id", "t.id"), ("name", "t.name")];

/// The `(id, name)` rows whose names match.
pub async fn search(
    client: &Client,
    table: SearchTable,
    terms: &str,
    matching: Matching,
    opts: &QueryOpts,
) -> Result<Vec<NameRow>> {
    let (from, extra) = table.tables();
    let mut q = SqlBuilder::new("t.id, t.name", from);
    if let Some(extra) = extra {
        q.filter_raw(extra);
    }
    match matching {
        Matching::Glob => q.filter("t.name ILIKE {}", glob_to_like(terms)),
        Matching::Regexp => q.filter("t.name ~ {}", terms.to_owned()),
        Matching::Exact => q.filter("t.name = {}", terms.to_owned()),
    }
    q.order_and_page(opts, ORDERABLE, "t.name")?;
    let rows = client.query(&q.sql(), &q.params()).await.map_err(|e| {
        if e.code() == Some(&SqlState::INVALID_REGULAR_EXPRESSION) {
            Error::InvalidValue(format!("Invalid regular expression: {terms}"))
        } else {
            Error::Database(e)
        }
    })?;
    rows.iter()
        .map(|r| {
            Ok(NameRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}
