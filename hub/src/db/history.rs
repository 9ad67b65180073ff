//! History over the versioned tables (Koji's `queryHistory`): every row, current and revoked,
//! with who made and revoked it, when, and the names behind its ids; plus the "last change" of
//! a tag that repo freshness depends on.
//!
//! Each table is described as data ([`TableSpec`]), so another area adds its tables here by
//! adding a spec.

use tokio_postgres::Row;

use super::Client;
use super::query::{QueryOpts, SqlBuilder};
use super::types::Micros;
use crate::error::Result;

/// The type of a column, to read it from a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An integer (read as `BIGINT`).
    Int,
    /// A boolean.
    Bool,
    /// Text.
    Text,
}

/// A column of a history table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The column (and key) name.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
}

/// A name looked up for an id column (Koji's `name_joins`).
#[derive(Debug, Clone, Copy)]
pub struct NameJoin {
    /// The id column of the history table.
    pub column: &'static str,
    /// The registry table holding the name.
    pub table: &'static str,
    /// The alias it is joined as (filters match `<alias>.id`).
    pub alias: &'static str,
    /// The key the name is returned under, e.g. `tag.name`.
    pub key: &'static str,
}

/// A versioned table `queryHistory` can return.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// The table name.
    pub name: &'static str,
    /// Its own columns, in Koji's order.
    pub columns: &'static [Column],
    /// Names joined for id columns, in Koji's order (later joins of the same registry win when
    /// a filter picks its alias, as in Koji).
    pub joins: &'static [NameJoin],
    /// The natural key, for a stable order within an event.
    pub key: &'static [&'static str],
}

const fn int(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Int,
    }
}
const fn boolean(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Bool,
    }
}
const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
    }
}
const fn join(column: &'static str, table: &'static str, alias: &'static str, key: &'static str) -> NameJoin {
    NameJoin {
        column,
        table,
        alias,
        key,
    }
}

const TAG: NameJoin = join("tag_id", "tag", "tag", "tag.name");
const EXTERNAL_REPO: NameJoin = join(
    "external_repo_id",
    "external_repo",
    "external_repo",
    "external_repo.name",
);

/// Tables whose rows name a build: the build's package name, version and release are joined
/// in (as `name`, `version`, `release`), and `package` and `build` filters apply to them.
const BUILD_TABLES: &[&str] = &["tag_listing"];

fn joins_build(spec: &TableSpec) -> bool {
    BUILD_TABLES.contains(&spec.name)
}

/// The tables with history, sorted by name (the order Koji returns them in).
pub static TABLES: &[TableSpec] = &[
    TableSpec {
        name: "build_target_config",
        columns: &[int("build_target_id"), int("build_tag"), int("dest_tag")],
        joins: &[
            join(
                "build_target_id",
                "build_target",
                "build_target",
                "build_target.name",
            ),
            join("build_tag", "tag", "build_tag", "build_tag.name"),
            join("dest_tag", "tag", "dest_tag", "dest_tag.name"),
        ],
        key: &["build_target_id"],
    },
    TableSpec {
        name: "external_repo_config",
        columns: &[int("external_repo_id"), text("url")],
        joins: &[EXTERNAL_REPO],
        key: &["external_repo_id"],
    },
    TableSpec {
        name: "group_config",
        columns: &[
            int("group_id"),
            int("tag_id"),
            boolean("blocked"),
            boolean("exported"),
            text("display_name"),
            boolean("is_default"),
            boolean("uservisible"),
            text("description"),
            text("langonly"),
            boolean("biarchonly"),
        ],
        joins: &[join("group_id", "groups", "groups", "group.name"), TAG],
        key: &["tag_id", "group_id"],
    },
    TableSpec {
        name: "group_package_listing",
        columns: &[
            int("group_id"),
            int("tag_id"),
            text("package"),
            boolean("blocked"),
            text("type"),
            boolean("basearchonly"),
            text("requires"),
        ],
        joins: &[join("group_id", "groups", "groups", "group.name"), TAG],
        key: &["tag_id", "group_id", "package"],
    },
    TableSpec {
        name: "group_req_listing",
        columns: &[
            int("group_id"),
            int("tag_id"),
            int("req_id"),
            boolean("blocked"),
            text("type"),
            boolean("is_metapkg"),
        ],
        joins: &[
            join("group_id", "groups", "groups", "group.name"),
            TAG,
            join("req_id", "groups", "req", "req.name"),
        ],
        key: &["tag_id", "group_id", "req_id"],
    },
    TableSpec {
        name: "tag_config",
        columns: &[
            int("tag_id"),
            text("arches"),
            int("perm_id"),
            boolean("locked"),
            boolean("maven_support"),
            boolean("maven_include_all"),
        ],
        joins: &[
            TAG,
            join("perm_id", "permissions", "permission", "permission.name"),
        ],
        key: &["tag_id"],
    },
    TableSpec {
        name: "tag_external_repos",
        columns: &[
            int("tag_id"),
            int("external_repo_id"),
            int("priority"),
            text("merge_mode"),
            text("arches"),
        ],
        joins: &[TAG, EXTERNAL_REPO],
        key: &["tag_id", "priority"],
    },
    TableSpec {
        name: "tag_extra",
        columns: &[int("tag_id"), text("key"), text("value")],
        joins: &[TAG],
        key: &["tag_id", "key"],
    },
    TableSpec {
        name: "tag_inheritance",
        columns: &[
            int("tag_id"),
            int("parent_id"),
            int("priority"),
            int("maxdepth"),
            boolean("intransitive"),
            boolean("noconfig"),
            text("pkg_filter"),
        ],
        joins: &[TAG, join("parent_id", "tag", "parent", "parent.name")],
        key: &["tag_id", "priority"],
    },
    TableSpec {
        name: "tag_listing",
        columns: &[int("build_id"), int("tag_id")],
        joins: &[TAG],
        key: &["tag_id", "build_id"],
    },
    TableSpec {
        name: "tag_package_owners",
        columns: &[int("package_id"), int("tag_id"), int("owner")],
        joins: &[
            join("package_id", "package", "package", "package.name"),
            TAG,
            join("owner", "users", "owner", "owner.name"),
        ],
        key: &["tag_id", "package_id"],
    },
    TableSpec {
        name: "tag_packages",
        columns: &[
            int("package_id"),
            int("tag_id"),
            boolean("blocked"),
            text("extra_arches"),
        ],
        joins: &[join("package_id", "package", "package", "package.name"), TAG],
        key: &["tag_id", "package_id"],
    },
    TableSpec {
        name: "user_groups",
        columns: &[int("user_id"), int("group_id")],
        joins: &[
            join("user_id", "users", "users", "user.name"),
            join("group_id", "users", "usergroup", "group.name"),
        ],
        key: &["user_id", "group_id"],
    },
    TableSpec {
        name: "user_perms",
        columns: &[int("user_id"), int("perm_id")],
        joins: &[
            join("user_id", "users", "users", "user.name"),
            join("perm_id", "permissions", "permission", "permission.name"),
        ],
        key: &["user_id", "perm_id"],
    },
];

/// Tables Koji keeps history for that Kiln does not have yet (their areas will add them);
/// asking for one gives an empty list rather than an error.
pub const PLANNED_TABLES: &[&str] = &["cg_users", "external_repo_data", "host_channels", "host_config"];

/// The spec of a table, if Kiln keeps its history.
pub fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

impl TableSpec {
    /// The alias a filter on `registry` ids matches, as Koji picks it: the last join of that
    /// registry.
    pub fn alias_of(&self, registry: &str) -> Option<&'static str> {
        self.joins
            .iter()
            .rev()
            .find(|j| j.table == registry)
            .map(|j| j.alias)
    }

    fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c.name == name)
    }
}

/// How a package filter matches: by id where the package name is joined, by name where the
/// table holds binary package names (`group_package_listing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageMatch {
    /// The package id, when the package exists.
    pub id: Option<i64>,
    /// The name as given.
    pub name: String,
}

/// `queryHistory`'s filters, with names already resolved to ids.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    /// Rows about this tag.
    pub tag: Option<i64>,
    /// Rows about this package.
    pub package: Option<PackageMatch>,
    /// Rows about this user.
    pub user: Option<i64>,
    /// Rows about this permission.
    pub permission: Option<i64>,
    /// Rows about this build target.
    pub build_target: Option<i64>,
    /// Rows about this comps group.
    pub group: Option<i64>,
    /// Rows about this build.
    pub build: Option<i64>,
    /// Rows about this external repo.
    pub external_repo: Option<i64>,
    /// `tag_extra` rows with this key.
    pub xkey: Option<String>,
    /// Only current rows (true) or only revoked ones (false).
    pub active: Option<bool>,
    /// Rows created or revoked by this user.
    pub editor: Option<i64>,
    /// Created or revoked after this time.
    pub after: Option<Micros>,
    /// Created or revoked before this time.
    pub before: Option<Micros>,
    /// Created or revoked after this event.
    pub after_event: Option<i64>,
    /// Created or revoked before this event.
    pub before_event: Option<i64>,
    /// A filter on something no table here holds (builds, hosts, channels, content generators,
    /// external repos): every table is left out.
    pub unsupported: bool,
}

impl HistoryFilter {
    /// Whether `spec` can satisfy every filter (Koji leaves out the tables that cannot).
    pub fn applies_to(&self, spec: &TableSpec) -> bool {
        !self.unsupported
            && (self.tag.is_none() || spec.alias_of("tag").is_some())
            && (self.package.is_none()
                || spec.alias_of("package").is_some()
                || spec.has_column("package")
                || joins_build(spec))
            && (self.build.is_none() || joins_build(spec))
            && (self.external_repo.is_none() || spec.alias_of("external_repo").is_some())
            && (self.user.is_none() || spec.alias_of("users").is_some())
            && (self.permission.is_none() || spec.alias_of("permissions").is_some())
            && (self.build_target.is_none() || spec.alias_of("build_target").is_some())
            && (self.group.is_none() || spec.alias_of("groups").is_some())
            && (self.xkey.is_none() || spec.has_column("key"))
    }
}

/// A column value of a history row.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryValue {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
}

/// One version of a row.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    /// True while current, `None` once revoked.
    pub active: Option<bool>,
    /// The event that created it.
    pub create_event: i64,
    /// The event that revoked it.
    pub revoke_event: Option<i64>,
    /// Who created it.
    pub creator_id: i64,
    /// Who revoked it.
    pub revoker_id: Option<i64>,
    /// The creator's name.
    pub creator_name: String,
    /// The revoker's name.
    pub revoker_name: Option<String>,
    /// When it was created.
    pub create_time: Micros,
    /// When it was revoked.
    pub revoke_time: Option<Micros>,
    /// The table's columns, joined names and filter flags, by key.
    pub fields: Vec<(&'static str, HistoryValue)>,
}

/// A boolean column computed for a time filter, telling which half of the row matched.
struct Flag {
    key: &'static str,
    sql: String,
}

fn build(spec: &TableSpec, filter: &HistoryFilter) -> Result<(SqlBuilder, Vec<Flag>)> {
    let t = spec.name;
    let mut columns = format!(
        "{t}.active, {t}.create_event, {t}.revoke_event, {t}.creator_id, {t}.revoker_id, \
         creator.name AS creator_name, revoker.name AS revoker_name, ev1.time AS create_time, \
         ev2.time AS revoke_time"
    );
    for column in spec.columns {
        let cast = if column.kind == Kind::Int { "::bigint" } else { "" };
        columns.push_str(&format!(", {t}.{name}{cast} AS \"{name}\"", name = column.name));
    }
    let mut from = format!(
        "{t} JOIN events AS ev1 ON ev1.id = {t}.create_event \
         LEFT OUTER JOIN events AS ev2 ON ev2.id = {t}.revoke_event \
         JOIN users AS creator ON creator.id = {t}.creator_id \
         LEFT OUTER JOIN users AS revoker ON revoker.id = {t}.revoker_id"
    );
    for j in spec.joins {
        columns.push_str(&format!(", {}.name AS \"{}\"", j.alias, j.key));
        from.push_str(&format!(
            " LEFT OUTER JOIN {} AS {} ON {}.id = {t}.{}",
            j.table, j.alias, j.alias, j.column
        ));
    }
    if joins_build(spec) {
        columns.push_str(
            ", package.name AS \"name\", build.version AS \"version\", build.release AS \"release\"",
        );
        from.push_str(&format!(
            " LEFT OUTER JOIN build ON build.id = {t}.build_id LEFT OUTER JOIN package ON package.id = build.pkg_id"
        ));
    }
    let mut q = SqlBuilder::new(&columns, &from);
    let mut flags = Vec::new();
    if let Some(build) = filter.build.filter(|_| joins_build(spec)) {
        q.filter(&format!("{t}.build_id = {{}}"), build);
    }
    if let (Some(repo), Some(alias)) = (filter.external_repo, spec.alias_of("external_repo")) {
        q.filter(&format!("{alias}.id = {{}}"), repo);
    }
    if let (Some(tag), Some(alias)) = (filter.tag, spec.alias_of("tag")) {
        if t == "tag_inheritance" {
            q.filter(
                "(tag_inheritance.tag_id = {} OR tag_inheritance.parent_id = {})",
                tag,
            );
        } else {
            q.filter(&format!("{alias}.id = {{}}"), tag);
        }
    }
    if let Some(package) = &filter.package {
        if spec.alias_of("package").is_some() || joins_build(spec) {
            q.filter("package.id = {}", package.id.unwrap_or(-1));
        } else {
            q.filter(&format!("{t}.package = {{}}"), package.name.clone());
        }
    }
    for (value, registry) in [
        (filter.user, "users"),
        (filter.permission, "permissions"),
        (filter.build_target, "build_target"),
        (filter.group, "groups"),
    ] {
        if let (Some(id), Some(alias)) = (value, spec.alias_of(registry)) {
            q.filter(&format!("{alias}.id = {{}}"), id);
        }
    }
    if let Some(key) = &filter.xkey {
        q.filter(&format!("{t}.key = {{}}"), key.clone());
    }
    match filter.active {
        Some(true) => q.filter_raw(&format!("{t}.active IS TRUE")),
        Some(false) => q.filter_raw(&format!("{t}.active IS NULL")),
        None => {}
    }
    let mut either =
        |q: &mut SqlBuilder, created: (&'static str, String), revoked: (&'static str, String)| {
            q.filter_raw(&format!("(({}) IS TRUE OR ({}) IS TRUE)", created.1, revoked.1));
            flags.push(Flag {
                key: created.0,
                sql: created.1,
            });
            flags.push(Flag {
                key: revoked.0,
                sql: revoked.1,
            });
        };
    if let Some(editor) = filter.editor {
        let p = q.bind(editor);
        either(
            &mut q,
            ("_created_by", format!("creator.id = {p}")),
            ("_revoked_by", format!("revoker.id = {p}")),
        );
    }
    if let Some(after) = filter.after {
        let p = q.bind(after);
        either(
            &mut q,
            ("_created_after", format!("ev1.time > {p}")),
            ("_revoked_after", format!("ev2.time > {p}")),
        );
    }
    if let Some(event) = filter.after_event {
        let p = q.bind(event);
        either(
            &mut q,
            ("_created_after_event", format!("{t}.create_event > {p}")),
            ("_revoked_after_event", format!("{t}.revoke_event > {p}")),
        );
    }
    if let Some(before) = filter.before {
        let p = q.bind(before);
        either(
            &mut q,
            ("_created_before", format!("ev1.time < {p}")),
            ("_revoked_before", format!("ev2.time < {p}")),
        );
    }
    if let Some(event) = filter.before_event {
        let p = q.bind(event);
        either(
            &mut q,
            ("_created_before_event", format!("{t}.create_event < {p}")),
            ("_revoked_before_event", format!("{t}.revoke_event < {p}")),
        );
    }
    for flag in &flags {
        q.add_columns(&format!("COALESCE(({}), FALSE) AS \"{}\"", flag.sql, flag.key));
    }
    let order: Vec<String> = std::iter::once(format!("{t}.create_event"))
        .chain(spec.key.iter().map(|k| format!("{t}.{k}")))
        .collect();
    // queryHistory offers no paging; the order only makes the output stable.
    q.order_and_page(&QueryOpts::default(), &[], &order.join(", "))?;
    Ok((q, flags))
}

fn read(spec: &TableSpec, flags: &[Flag], row: &Row) -> Result<HistoryRow> {
    let mut fields = Vec::with_capacity(spec.columns.len() + spec.joins.len() + flags.len());
    for column in spec.columns {
        let value = match column.kind {
            Kind::Int => row
                .try_get::<_, Option<i64>>(column.name)?
                .map_or(HistoryValue::Null, HistoryValue::Int),
            Kind::Bool => row
                .try_get::<_, Option<bool>>(column.name)?
                .map_or(HistoryValue::Null, HistoryValue::Bool),
            Kind::Text => row
                .try_get::<_, Option<String>>(column.name)?
                .map_or(HistoryValue::Null, HistoryValue::Text),
        };
        fields.push((column.name, value));
    }
    for j in spec.joins {
        let value = row
            .try_get::<_, Option<String>>(j.key)?
            .map_or(HistoryValue::Null, HistoryValue::Text);
        fields.push((j.key, value));
    }
    if joins_build(spec) {
        for key in ["name", "version", "release"] {
            let value = row
                .try_get::<_, Option<String>>(key)?
                .map_or(HistoryValue::Null, HistoryValue::Text);
            fields.push((key, value));
        }
    }
    for flag in flags {
        fields.push((flag.key, HistoryValue::Bool(row.try_get(flag.key)?)));
    }
    Ok(HistoryRow {
        active: row.try_get("active")?,
        create_event: row.try_get("create_event")?,
        revoke_event: row.try_get("revoke_event")?,
        creator_id: row.try_get("creator_id")?,
        revoker_id: row.try_get("revoker_id")?,
        creator_name: row.try_get("creator_name")?,
        revoker_name: row.try_get("revoker_name")?,
        create_time: row.try_get("create_time")?,
        revoke_time: row.try_get("revoke_time")?,
        fields,
    })
}

/// The history of one table under `filter` (the caller checks [`HistoryFilter::applies_to`]).
pub async fn query(client: &Client, spec: &TableSpec, filter: &HistoryFilter) -> Result<Vec<HistoryRow>> {
    let (q, flags) = build(spec, filter)?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter().map(|r| read(spec, &flags, r)).collect()
}

/// The versioned tables whose changes change a tag's contents, by the column naming the tag.
/// (`tag_updates`, not versioned, counts through its `update_event`.)
const TAG_CHANGE_TABLES: &[&str] = &[
    "tag_listing",
    "tag_external_repos",
    "tag_config",
    "tag_extra",
    "tag_inheritance",
    "tag_packages",
    "group_config",
    "group_package_listing",
    "group_req_listing",
];

/// The newest create or revoke event of any row of `tags` (at or before `before`), Koji's
/// `tag_last_change_event` over the tables Kiln has.
pub async fn last_change_event(client: &Client, tags: &[i64], before: Option<i64>) -> Result<Option<i64>> {
    let limit = |column: &str| match before {
        Some(_) => format!(" AND {column} <= $2"),
        None => String::new(),
    };
    let parts: Vec<String> = TAG_CHANGE_TABLES
        .iter()
        .flat_map(|t| {
            [
                format!(
                    "SELECT max(create_event) AS e FROM {t} WHERE tag_id = ANY($1){}",
                    limit("create_event")
                ),
                format!(
                    "SELECT max(revoke_event) AS e FROM {t} WHERE tag_id = ANY($1){}",
                    limit("revoke_event")
                ),
            ]
        })
        .chain(std::iter::once(format!(
            "SELECT max(update_event) AS e FROM tag_updates WHERE tag_id = ANY($1){}",
            limit("update_event")
        )))
        .collect();
    let sql = format!("SELECT max(e) FROM ({}) changes", parts.join(" UNION ALL "));
    let row = match before {
        None => client.query_one(&sql, &[&tags]).await?,
        Some(b) => client.query_one(&sql, &[&tags, &b]).await?,
    };
    Ok(row.try_get(0)?)
}

/// The oldest create or revoke event after `after` of any row of `tags`.
pub async fn first_change_event(client: &Client, tags: &[i64], after: i64) -> Result<Option<i64>> {
    let parts: Vec<String> = TAG_CHANGE_TABLES
        .iter()
        .flat_map(|t| {
            [
                format!(
                    "SELECT min(create_event) AS e FROM {t} WHERE tag_id = ANY($1) AND create_event > $2"
                ),
                format!(
                    "SELECT min(revoke_event) AS e FROM {t} WHERE tag_id = ANY($1) AND revoke_event > $2"
                ),
            ]
        })
        .chain(std::iter::once(
            "SELECT min(update_event) AS e FROM tag_updates WHERE tag_id = ANY($1) AND update_event > $2"
                .to_owned(),
        ))
        .collect();
    let sql = format!("SELECT min(e) FROM ({}) changes", parts.join(" UNION ALL "));
    let row = client.query_one(&sql, &[&tags, &after]).await?;
    Ok(row.try_get(0)?)
}

/// The event that first configured a tag.
pub async fn tag_created_event(client: &Client, tag_id: i64) -> Result<Option<i64>> {
    let row = client
        .query_one(
            "SELECT min(create_event) FROM tag_config WHERE tag_id = $1",
            &[&tag_id],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Whether any row of `tags` was created or revoked after `event`.
pub async fn changed_since(client: &Client, event: i64, tags: &[i64]) -> Result<bool> {
    let parts: Vec<String> = TAG_CHANGE_TABLES
        .iter()
        .map(|t| {
            format!(
                "EXISTS (SELECT 1 FROM {t} WHERE tag_id = ANY($2) AND (create_event > $1 OR revoke_event > $1))"
            )
        })
        .chain(std::iter::once(
            "EXISTS (SELECT 1 FROM tag_updates WHERE tag_id = ANY($2) AND update_event > $1)".to_owned(),
        ))
        .collect();
    let row = client
        .query_one(&format!("SELECT {}", parts.join(" OR ")), &[&event, &tags])
        .await?;
    Ok(row.try_get(0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert!(PLANNED_TABLES.iter().all(|p| table(p).is_none()));
    }

    #[test]
    fn filters_pick_koji_aliases() {
        let target = table("build_target_config").unwrap();
        assert_eq!(target.alias_of("tag"), Some("dest_tag"));
        assert_eq!(table("user_groups").unwrap().alias_of("users"), Some("usergroup"));
        assert_eq!(
            table("group_req_listing").unwrap().alias_of("groups"),
            Some("req")
        );
        let by_package = HistoryFilter {
            package: Some(PackageMatch {
                id: Some(1),
                name: "bash".into(),
            }),
            ..HistoryFilter::default()
        };
        let kept: Vec<&str> = TABLES
            .iter()
            .filter(|t| by_package.applies_to(t))
            .map(|t| t.name)
            .collect();
        assert_eq!(
            kept,
            [
                "group_package_listing",
                "tag_listing",
                "tag_package_owners",
                "tag_packages"
            ]
        );
    }
}
