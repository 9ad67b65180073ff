//! History: `queryHistory` over the versioned tables, and when a tag last (or first) changed:
//! `tagLastChangeEvent`, `tagFirstChangeEvent`, `tagChangedSinceEvent`.

use common::signature;
use common::time::parse_client_time;
use common::xmlrpc::{Params, Signature, Struct, Value};

use crate::db::history::{
    self, HistoryFilter, HistoryRow, HistoryValue, PLANNED_TABLES, PackageMatch, TableSpec,
};
use crate::db::names::Registry;
use crate::db::{self, Micros};
use crate::error::{Error, Result};
use crate::root::inheritance::tag_and_ancestors;
use crate::root::lookup::{self, py_str};
use crate::root::users::require_user;
use crate::rpc::call::Call;

fn row_value(row: HistoryRow) -> Value {
    let mut members = Struct::new();
    members.insert("active".into(), Value::from(row.active));
    members.insert("create_event".into(), Value::Int(row.create_event));
    members.insert("revoke_event".into(), Value::from(row.revoke_event));
    members.insert("creator_id".into(), Value::Int(row.creator_id));
    members.insert("revoker_id".into(), Value::from(row.revoker_id));
    members.insert("creator_name".into(), Value::from(row.creator_name));
    members.insert("revoker_name".into(), Value::from(row.revoker_name));
    members.insert("create_ts".into(), Value::Double(row.create_time.koji_ts()));
    members.insert(
        "revoke_ts".into(),
        row.revoke_time.map_or(Value::Nil, |t| Value::Double(t.koji_ts())),
    );
    for (key, value) in row.fields {
        let value = match value {
            HistoryValue::Null => Value::Nil,
            HistoryValue::Bool(b) => Value::Bool(b),
            HistoryValue::Int(i) => Value::Int(i),
            HistoryValue::Text(t) => Value::String(t),
        };
        members.insert(key.to_owned(), value);
    }
    Value::Struct(members)
}

fn time_arg(key: &str, value: &Value) -> Result<Micros> {
    parse_client_time(value)
        .map(Micros)
        .ok_or_else(|| Error::InvalidValue(format!("Invalid {key} time: {value}")))
}

fn event_filter(key: &str, value: &Value) -> Result<i64> {
    value
        .as_i64()
        .ok_or_else(|| Error::InvalidValue(format!("Invalid {key} event: {value}")))
}

/// `queryHistory(tables=None, **kwargs)`: `{table: [rows]}` for the tables that can satisfy
/// every filter. Filters: `tag`, `package`, `user`, `permission`, `build_target`, `group`,
/// `xkey`, `build`, `external_repo`, `active`, `editor`, `before`, `after`, `beforeEvent`,
/// `afterEvent`; `host`, `channel` and `cg` leave out every table Kiln has so far.
/// Unknown keywords are ignored, as in Koji (the CLI sends `utc` and `pkg`).
pub async fn query_history(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("query_history", [], ["tables"], **kwargs);
    let mut b = params.bind(&SIG)?;
    let tables = b.next_raw();
    let kwargs = std::mem::take(&mut b.keywords);
    let mut selected: Vec<&'static TableSpec> = Vec::new();
    let mut planned: Vec<String> = Vec::new();
    match &tables {
        Value::Nil => selected.extend(history::TABLES.iter()),
        Value::Array(names) => {
            for name in names {
                let name = py_str(name);
                if let Some(spec) = history::table(&name) {
                    selected.push(spec);
                } else if PLANNED_TABLES.contains(&name.as_str()) {
                    planned.push(name);
                } else {
                    return Err(Error::NoSuchHistoryTable { table: name });
                }
            }
        }
        other => {
            return Err(Error::InvalidValue(format!(
                "tables must be a list, not {}",
                other.type_name()
            )));
        }
    }
    let given = |key: &str| kwargs.get(key);
    // First decide which tables survive the filters (with placeholder ids), then resolve only
    // the names some surviving table needs, as Koji does.
    let mut filter = HistoryFilter {
        tag: given("tag").map(|_| 0),
        package: given("package").map(|v| PackageMatch {
            id: None,
            name: py_str(v),
        }),
        user: given("user").map(|_| 0),
        permission: given("permission").map(|_| 0),
        build_target: given("build_target").map(|_| 0),
        group: given("group").map(|_| 0),
        xkey: given("xkey").map(py_str),
        build: given("build").map(|_| 0),
        external_repo: given("external_repo").map(|_| 0),
        unsupported: ["host", "channel", "cg"].iter().any(|k| kwargs.contains_key(*k)),
        ..HistoryFilter::default()
    };
    selected.retain(|spec| filter.applies_to(spec));
    let needs = |registry: &str| selected.iter().any(|s| s.alias_of(registry).is_some());
    if let Some(tag) = given("tag") {
        filter.tag = Some(lookup::require(cx.db(), Registry::Tag, tag).await?.id);
    }
    if let (Some(package), Some(matcher)) = (given("package"), filter.package.as_mut())
        && needs("package")
    {
        matcher.id = Some(lookup::require(cx.db(), Registry::Package, package).await?.id);
    }
    if let Some(user) = given("user").filter(|_| needs("users")) {
        filter.user = Some(require_user(cx.db(), user).await?.id);
    }
    if let Some(perm) = given("permission").filter(|_| needs("permissions")) {
        filter.permission = Some(lookup::require(cx.db(), Registry::Permission, perm).await?.id);
    }
    if let Some(target) = given("build_target").filter(|_| needs("build_target")) {
        filter.build_target = Some(lookup::require(cx.db(), Registry::BuildTarget, target).await?.id);
    }
    if let Some(group) = given("group").filter(|_| needs("groups")) {
        filter.group = Some(lookup::require(cx.db(), Registry::Group, group).await?.id);
    }
    if let Some(build) = given("build").filter(|_| selected.iter().any(|s| s.name == "tag_listing")) {
        filter.build = Some(crate::root::builds::require_build(cx.db(), build).await?.id);
    }
    if let Some(repo) = given("external_repo").filter(|_| needs("external_repo")) {
        let found = crate::root::external_repos::find_value(cx.db(), repo).await?;
        filter.external_repo =
            Some(found.ok_or_else(|| Error::Generic(format!("No such repo: {}", py_str(repo))))?);
    }
    filter.active = match given("active") {
        None | Some(Value::Nil) => None,
        Some(v) => Some(v.truthy()),
    };
    if let Some(editor) = given("editor").filter(|v| !v.is_nil()) {
        filter.editor = Some(require_user(cx.db(), editor).await?.id);
    }
    if let Some(v) = given("after").filter(|v| !v.is_nil()) {
        filter.after = Some(time_arg("after", v)?);
    }
    if let Some(v) = given("before").filter(|v| !v.is_nil()) {
        filter.before = Some(time_arg("before", v)?);
    }
    if let Some(v) = given("afterEvent").filter(|v| !v.is_nil()) {
        filter.after_event = Some(event_filter("afterEvent", v)?);
    }
    if let Some(v) = given("beforeEvent").filter(|v| !v.is_nil()) {
        filter.before_event = Some(event_filter("beforeEvent", v)?);
    }
    let mut result = Struct::new();
    for spec in selected {
        let rows = history::query(cx.db(), spec, &filter).await?;
        result.insert(
            spec.name.to_owned(),
            Value::Array(rows.into_iter().map(row_value).collect()),
        );
    }
    if !filter.unsupported {
        for name in planned {
            result.insert(name, Value::Array(Vec::new()));
        }
    }
    Ok(Value::Struct(result))
}

/// `tagLastChangeEvent(tag, before=None, inherit=True)`: the newest event that changed the tag
/// (or, with `inherit`, its ancestors as of `before`); for a deleted tag, the deletion.
pub async fn tag_last_change_event(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("tag_last_change_event", ["tag"], ["before", "inherit"]);
    let mut b = params.bind(&SIG)?;
    let tag_value = b.next_raw();
    let before = lookup::event_arg(&b.next_raw())?;
    let inherit: Option<bool> = b.arg()?;
    let key = lookup::name_or_id(&tag_value)?;
    let tag_id = match db::tags::deleted_at(cx.db(), &key).await? {
        Some(revoked) => return Ok(Value::Int(revoked)),
        None => match db::tags::get(cx.db(), &key, None).await? {
            Some(tag) => tag.id,
            None => {
                return Err(Error::NoSuchTag {
                    tag: tag_value.to_string(),
                });
            }
        },
    };
    let tags = if inherit.unwrap_or(true) {
        tag_and_ancestors(cx.db(), tag_id, before).await?
    } else {
        vec![tag_id]
    };
    Ok(Value::from(
        history::last_change_event(cx.db(), &tags, before).await?,
    ))
}

/// `tagFirstChangeEvent(tag, after=None, inherit=True)`: the first event after `after` that
/// changed the tag or (with `inherit`) its ancestors; without `after`, the tag's creation.
pub async fn tag_first_change_event(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("tag_first_change_event", ["tag"], ["after", "inherit"]);
    let mut b = params.bind(&SIG)?;
    let tag = lookup::require(cx.db(), Registry::Tag, &b.next_raw()).await?;
    let after = lookup::event_arg(&b.next_raw())?;
    let inherit: Option<bool> = b.arg()?;
    let Some(after) = after else {
        return Ok(Value::from(history::tag_created_event(cx.db(), tag.id).await?));
    };
    let tags = if inherit.unwrap_or(true) {
        tag_and_ancestors(cx.db(), tag.id, Some(after)).await?
    } else {
        vec![tag.id]
    };
    Ok(Value::from(
        history::first_change_event(cx.db(), &tags, after).await?,
    ))
}

/// `tagChangedSinceEvent(event, taglist)`: whether any of the tags changed after `event` (no
/// inheritance: callers list the tags they care about).
pub async fn tag_changed_since_event(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("tag_changed_since_event", ["event", "taglist"], []);
    let mut b = params.bind(&SIG)?;
    let event: i64 = b.arg()?;
    let taglist = b.next_raw();
    let mut tags = Vec::new();
    for tag in taglist.as_array().unwrap_or_default() {
        let id = match tag {
            Value::Int(id) => *id,
            other => match db::names::lookup(cx.db(), Registry::Tag, &lookup::name_or_id(other)?).await? {
                Some(row) => row.id,
                None => continue,
            },
        };
        tags.push(id);
    }
    Ok(Value::Bool(history::changed_since(cx.db(), event, &tags).await?))
}
