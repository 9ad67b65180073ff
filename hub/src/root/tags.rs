//! Tags: `getTag`, `getTagID`, `listTags`, `createTag`, `editTag2`, `editTag`, `deleteTag`,
//! `getBuildConfig`.

use std::collections::{BTreeMap, HashMap};

use common::signature;
use common::wire::{
    BuildConfig, ConfigInheritance, TagInfo, TagListEntry, TagPackageFields, TagPermFields, TagRef,
};
use common::xmlrpc::{Params, Signature, Struct, Value, to_value};
use tracing::info;

use crate::cache::TagKey;
use crate::db::inheritance::NewLink;
use crate::db::names::{NameOrId, Registry};
use crate::db::query::QueryOpts;
use crate::db::tags::{TagConfig, TagFilter, TagRow};
use crate::db::{self};
use crate::error::{Error, Result};
use crate::pyjson;
use crate::root::inheritance::full_inheritance;
use crate::root::lookup::{self, TagChange, py_str};
use crate::rpc::call::Call;

/// An extra value parsed from its JSON text.
fn extra_value(key: &str, text: &str) -> Result<Value> {
    pyjson::loads(text).map_err(|e| Error::CorruptRow {
        table: "tag_extra",
        detail: format!("value of {key}: {e}"),
    })
}

/// The wire form of a tag. With `blocked`, each extra value is `[blocked, value]` and blocked
/// keys are included, as Koji's `get_tag(blocked=True)` returns them.
pub fn tag_info(row: &TagRow, blocked: bool) -> Result<TagInfo> {
    let mut extra = Struct::new();
    for e in &row.extra {
        match (&e.value, blocked) {
            (Some(text), false) => {
                extra.insert(e.key.clone(), extra_value(&e.key, text)?);
            }
            (None, false) => {}
            (value, true) => {
                let parsed = match value {
                    Some(text) => extra_value(&e.key, text)?,
                    None => Value::Nil,
                };
                extra.insert(
                    e.key.clone(),
                    Value::Array(vec![Value::Bool(value.is_none()), parsed]),
                );
            }
        }
    }
    Ok(TagInfo {
        id: row.id,
        name: row.name.clone(),
        perm_id: row.perm_id,
        perm: row.perm.clone(),
        arches: row.arches.clone(),
        locked: row.locked,
        maven_support: row.maven_support,
        maven_include_all: row.maven_include_all,
        extra,
        query_event: None,
        revoke_event: None,
    })
}

/// `getTag(tagInfo, strict=False, event=None, blocked=False)`: one statement on the hot path.
/// `event` may also be `"auto"`: a deleted tag is then shown as it was just before deletion.
pub async fn get_tag(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("get_tag", ["tagInfo"], ["strict", "event", "blocked"]);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let strict: bool = b.arg()?;
    let event_value = b.next_raw();
    let blocked: bool = b.arg()?;
    let key = lookup::name_or_id(&tag)?;
    // The hot path: the current tag, answered from the cache when it is fresh.
    let cached = if event_value.is_nil() {
        cx.tag_cache_generation().map(|generation| {
            (
                generation,
                TagKey {
                    info: tag.to_string(),
                    strict,
                    blocked,
                },
            )
        })
    } else {
        None
    };
    if let Some(value) = cached
        .as_ref()
        .and_then(|(generation, key)| cx.ctx.tag_cache.get(key, *generation))
    {
        return Ok(value);
    }
    let (event, revoke_event) = match &event_value {
        Value::String(s) if s == "auto" => match db::tags::deleted_at(cx.db(), &key).await? {
            Some(revoked) => (Some(revoked - 1), Some(revoked)),
            None => (None, None),
        },
        other => (lookup::event_arg(other)?, None),
    };
    let value = match db::tags::get(cx.db(), &key, event).await? {
        Some(row) => {
            let mut info = tag_info(&row, blocked)?;
            info.query_event = event;
            info.revoke_event = revoke_event;
            to_value(&info)?
        }
        None if strict => return Err(Error::NoSuchTag { tag: tag.to_string() }),
        None => Value::Nil,
    };
    match cached {
        Some((generation, cache_key)) => Ok(cx.ctx.tag_cache.put(cache_key, generation, &value)),
        None => Ok(value),
    }
}

/// `getTagID(info, strict=False, create=False)`: the id of a tag name, deleted tags included.
pub async fn get_tag_id(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("get_tag_id", ["info"], ["strict", "create"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let strict: bool = b.arg()?;
    let create: bool = b.arg()?;
    if create {
        return Err(Error::NotAllowed(
            "getTagID cannot create tags; use createTag".into(),
        ));
    }
    match lookup::lookup(cx.db(), Registry::Tag, &info).await? {
        Some(row) => Ok(Value::Int(row.id)),
        None if strict => Err(Error::NoSuchEntry {
            table: "tag",
            key: py_str(&info),
        }),
        None => Ok(Value::Nil),
    }
}

/// `listTags(build=None, package=None, perms=True, queryOpts=None, pattern=None)`.
pub async fn list_tags(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "list_tags",
        [],
        ["build", "package", "perms", "queryOpts", "pattern"]
    );
    let mut b = params.bind(&SIG)?;
    let build = b.next_raw();
    let package = b.next_raw();
    let perms: Option<bool> = b.arg()?;
    let opts = QueryOpts::from_value(&b.next_raw())?;
    let pattern: Option<String> = b.arg()?;
    if !build.is_nil() && !package.is_nil() {
        return Err(Error::Generic(
            "only one of build and package may be specified".into(),
        ));
    }
    let build_id = if build.is_nil() {
        None
    } else {
        Some(crate::root::builds::require_build(cx.db(), &build).await?.id)
    };
    let package_id = if package.is_nil() {
        None
    } else {
        let found = lookup::lookup(cx.db(), Registry::Package, &package).await?;
        Some(
            found
                .ok_or_else(|| Error::Generic(format!("No such package: {}", py_str(&package))))?
                .id,
        )
    };
    let filter = TagFilter {
        package_id,
        pattern,
        build_id,
    };
    if opts.count_only {
        return Ok(Value::Int(db::tags::count(cx.db(), &filter).await?));
    }
    let perms = perms.unwrap_or(true);
    // Every tag, as the CLI's list-tags asks: the answer is cached while it stays fresh.
    let unfiltered = filter.package_id.is_none()
        && filter.build_id.is_none()
        && filter.pattern.is_none()
        && opts == QueryOpts::default()
        && perms;
    let generation = if unfiltered {
        cx.tag_cache_generation()
    } else {
        None
    };
    if let Some(value) = generation.and_then(|g| cx.ctx.tag_cache.get_listing(g)) {
        return Ok(value);
    }
    let rows = db::tags::list(cx.db(), &filter, &opts).await?;
    let entries: Vec<TagListEntry> = rows
        .into_iter()
        .map(|r| TagListEntry {
            id: r.id,
            name: r.name,
            arches: r.arches,
            locked: r.locked,
            maven_support: r.maven_support,
            maven_include_all: r.maven_include_all,
            perms: perms.then_some(TagPermFields {
                perm_id: r.perm_id,
                perm: r.perm,
            }),
            package: r.package.map(|p| TagPackageFields {
                owner_id: p.owner_id,
                owner_name: p.owner_name,
                blocked: p.blocked,
                extra_arches: p.extra_arches,
            }),
        })
        .collect();
    let value = Value::Array(entries.iter().map(Value::from).collect());
    match generation {
        Some(generation) => Ok(cx.ctx.tag_cache.put_listing(generation, &value)),
        None => Ok(value),
    }
}

/// The permission id a caller named (an id or a name), strictly.
async fn permission_id(cx: &Call<'_>, perm: &Value) -> Result<Option<i64>> {
    if perm.is_nil() {
        return Ok(None);
    }
    Ok(Some(
        lookup::require(cx.db(), Registry::Permission, perm).await?.id,
    ))
}

fn refuse_maven(enabled: bool) -> Result<()> {
    if enabled {
        return Err(Error::Generic("Maven support not enabled".into()));
    }
    Ok(())
}

/// `createTag(name, parent=None, arches=None, perm=None, locked=False, maven_support=False,
/// maven_include_all=False, extra=None)`: the new tag's id.
pub async fn create_tag(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "create_tag",
        ["name"],
        [
            "parent",
            "arches",
            "perm",
            "locked",
            "maven_support",
            "maven_include_all",
            "extra"
        ]
    );
    let mut b = params.bind(&SIG)?;
    let name: String = b.arg()?;
    let parent = b.next_raw();
    let arches = b.next_raw();
    let perm = b.next_raw();
    let locked: bool = b.arg()?;
    let maven_support: bool = b.arg()?;
    let maven_include_all: bool = b.arg()?;
    let extra = b.next_raw();
    let who = cx.assert_perm("tag").await?;
    lookup::validate_name(&name)?;
    let arches = lookup::parse_arches(&arches)?;
    refuse_maven(maven_support || maven_include_all)?;
    if db::tags::get(cx.db(), &NameOrId::Name(name.clone()), None)
        .await?
        .is_some()
    {
        return Err(Error::TagExists { name });
    }
    let parent_id = if parent.truthy() {
        let found = lookup::get_tag(cx.db(), &parent, None).await?;
        Some(
            found
                .ok_or_else(|| Error::NoSuchParentTag {
                    parent: py_str(&parent),
                })?
                .id,
        )
    } else {
        None
    };
    let perm_id = permission_id(cx, &perm).await?;
    let extra = match extra {
        Value::Nil => Struct::new(),
        Value::Struct(members) => members,
        other => {
            return Err(Error::InvalidValue(format!(
                "extra must be a struct, not {}",
                other.type_name()
            )));
        }
    };
    let mut encoded = Vec::with_capacity(extra.len());
    for (key, value) in &extra {
        encoded.push((
            key,
            pyjson::dumps(value).map_err(|e| Error::InvalidValue(e.to_string()))?,
        ));
    }
    let change = lookup::change(cx, &who).await?;
    cx.note_tag_change().await?;
    let tx = cx.tx()?;
    let tag = db::names::ensure(&tx, Registry::Tag, &name).await?;
    let config = TagConfig {
        arches: Some(arches),
        perm_id,
        locked,
        maven_support,
        maven_include_all,
    };
    db::tags::insert_config(&tx, tag.id, &config, change).await?;
    for (key, value) in &encoded {
        db::tags::set_extra(&tx, tag.id, key, Some(value), change).await?;
    }
    if let Some(parent_id) = parent_id {
        let link = NewLink {
            parent_id,
            priority: 0,
            maxdepth: None,
            intransitive: false,
            noconfig: false,
            pkg_filter: Some(String::new()),
        };
        db::inheritance::insert(&tx, tag.id, &link, change).await?;
    }
    info!(tag.name = %name, tag.id = tag.id, "created tag {name}");
    Ok(Value::Int(tag.id))
}

/// The list arguments of `editTag2` (`remove_extra`, `block_extra`).
fn key_list(value: Option<&Value>, name: &str) -> Result<Vec<String>> {
    match value {
        None | Some(Value::Nil) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.iter().map(py_str).collect()),
        Some(other) => Err(Error::Param(format!(
            "Invalid type for value '{other}' of {name}: expected a list"
        ))),
    }
}

/// Koji's `_edit_tag`, shared by `editTag2` and `editTag`.
async fn edit(cx: &mut Call<'_>, tag_value: &Value, kwargs: &Struct) -> Result<()> {
    let who = cx.assert_perm("tag").await?;
    let maven = ["maven_support", "maven_include_all"]
        .iter()
        .any(|k| kwargs.get(*k).is_some_and(Value::truthy));
    refuse_maven(maven)?;
    let remove_extra = key_list(kwargs.get("remove_extra"), "remove_extra")?;
    let block_extra = key_list(kwargs.get("block_extra"), "block_extra")?;
    let tag = lookup::require_tag(cx.db(), tag_value, None).await?;
    lookup::authorize_tag_change(cx, Some(&tag), TagChange::Perm("tag")).await?;
    let current = tag_info(&tag, false)?;

    // Validate everything before writing anything.
    let perm = kwargs.get("perm_id").or_else(|| kwargs.get("perm"));
    let perm_id = match perm {
        Some(p) => Some(permission_id(cx, p).await?),
        None => None,
    };
    let rename = match kwargs.get("name") {
        Some(v) if v.truthy() => {
            let name = py_str(v);
            if name == tag.name {
                None
            } else {
                lookup::validate_name(&name)?;
                if let Some(taken) =
                    db::names::lookup(cx.db(), Registry::Tag, &NameOrId::Name(name.clone())).await?
                {
                    return Err(Error::TagNameTaken {
                        name,
                        tag_id: taken.id,
                    });
                }
                Some(name)
            }
        }
        _ => None,
    };
    let arches = match kwargs.get("arches") {
        None => None,
        Some(Value::Nil) => Some(None),
        Some(v) if !v.truthy() => Some(Some(String::new())),
        Some(v) => Some(Some(lookup::parse_arches(v)?)),
    };
    let mut config = TagConfig {
        arches: tag.arches.clone(),
        perm_id: tag.perm_id,
        locked: tag.locked,
        maven_support: tag.maven_support,
        maven_include_all: tag.maven_include_all,
    };
    if let Some(perm_id) = perm_id {
        config.perm_id = perm_id;
    }
    if let Some(arches) = arches {
        config.arches = arches;
    }
    for (key, slot) in [
        ("locked", &mut config.locked),
        ("maven_support", &mut config.maven_support),
        ("maven_include_all", &mut config.maven_include_all),
    ] {
        if let Some(v) = kwargs.get(key) {
            *slot = v.truthy();
        }
    }
    let config_changed = config.arches != tag.arches
        || config.perm_id != tag.perm_id
        || config.locked != tag.locked
        || config.maven_support != tag.maven_support
        || config.maven_include_all != tag.maven_include_all;
    let mut extra_sets: Vec<(String, String)> = Vec::new();
    if let Some(extra) = kwargs.get("extra").filter(|v| !v.is_nil()) {
        let Some(extra) = extra.as_struct() else {
            return Err(Error::InvalidValue(format!(
                "extra must be a struct, not {}",
                extra.type_name()
            )));
        };
        if let Some(conflict) = extra
            .keys()
            .find(|k| remove_extra.contains(k) || block_extra.contains(k))
        {
            return Err(Error::Generic(format!(
                "Can not both add/update and remove tag-extra: '{conflict}'"
            )));
        }
        for (key, value) in extra {
            if current.extra.get(key) != Some(value) {
                // A nil value is stored as JSON null (SQL NULL would block the key).
                let text = pyjson::dumps(value).map_err(|e| Error::InvalidValue(e.to_string()))?;
                extra_sets.push((key.clone(), text));
            }
        }
    }
    let missing: Vec<&str> = remove_extra
        .iter()
        .filter(|k| !current.extra.contains_key(*k))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(Error::Generic(format!(
            "Tag: {} doesn't have extra: {}",
            tag.name,
            missing.join(", ")
        )));
    }
    if rename.is_none()
        && !config_changed
        && extra_sets.is_empty()
        && block_extra.is_empty()
        && remove_extra.is_empty()
    {
        return Ok(());
    }

    let change = lookup::change(cx, &who).await?;
    cx.note_tag_change().await?;
    let tx = cx.tx()?;
    if let Some(name) = &rename {
        db::names::rename(&tx, Registry::Tag, tag.id, name).await?;
    }
    if config_changed {
        db::tags::revoke_config(&tx, tag.id, change).await?;
        db::tags::insert_config(&tx, tag.id, &config, change).await?;
    }
    for (key, text) in &extra_sets {
        db::tags::set_extra(&tx, tag.id, key, Some(text), change).await?;
    }
    for key in &block_extra {
        db::tags::set_extra(&tx, tag.id, key, None, change).await?;
    }
    for key in &remove_extra {
        db::tags::revoke_extra(&tx, tag.id, key, change).await?;
    }
    info!(tag.name = %tag.name, "edited tag {}", tag.name);
    Ok(())
}

/// `editTag2(tagInfo, **kwargs)`: `name`, `arches`, `locked`, `perm`/`perm_id`,
/// `maven_support`, `maven_include_all`, `extra`, `remove_extra`, `block_extra`; other
/// keywords are ignored, as in Koji.
pub async fn edit_tag2(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("edit_tag", ["tagInfo"], [], **kwargs);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let kwargs = std::mem::take(&mut b.keywords);
    edit(cx, &tag, &kwargs).await?;
    Ok(Value::Nil)
}

/// `editTag(tagInfo, name, arches, locked, permissionID, extra=None)`: the old form of
/// `editTag2`.
pub async fn edit_tag(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "old_edit_tag",
        ["tagInfo", "name", "arches", "locked", "permissionID"],
        ["extra"]
    );
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let mut kwargs = Struct::new();
    for key in ["name", "arches", "locked", "perm_id", "extra"] {
        kwargs.insert(key.to_owned(), b.next_raw());
    }
    edit(cx, &tag, &kwargs).await?;
    Ok(Value::Nil)
}

/// `deleteTag(tagInfo)`: revokes the tag's configuration and everything that refers to it.
pub async fn delete_tag(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("delete_tag", ["tagInfo"], []);
    let mut b = params.bind(&SIG)?;
    let tag_value = b.next_raw();
    cx.assert_perm("tag").await?;
    let tag = lookup::require_tag(cx.db(), &tag_value, None).await?;
    let who = lookup::authorize_tag_change(cx, Some(&tag), TagChange::Perm("tag")).await?;
    let change = lookup::change(cx, &who).await?;
    cx.note_tag_change().await?;
    db::tags::delete(&cx.tx()?, tag.id, change).await?;
    info!(tag.name = %tag.name, tag.id = tag.id, "deleted tag {}", tag.name);
    Ok(Value::Nil)
}

/// `getBuildConfig(tag, event=None)`: the tag with arches and extra filled in from its
/// ancestors (skipping noconfig links), blocked extra keys removed, and where each inherited
/// value came from.
pub async fn get_build_config(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getBuildConfig", ["tag"], ["event"]);
    let mut b = params.bind(&SIG)?;
    let tag_value = b.next_raw();
    let event = lookup::event_arg(&b.next_raw())?;
    let tag = lookup::require_tag(cx.db(), &tag_value, event).await?;
    let order = full_inheritance(cx.db(), tag.id, event, false).await?;
    let ancestor_ids: Vec<i64> = order
        .iter()
        .filter(|n| !n.link.noconfig)
        .map(|n| n.link.parent_id)
        .collect();
    let ancestors: HashMap<i64, TagRow> = db::tags::get_many(cx.db(), &ancestor_ids, event)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let mut arches = tag.arches.clone();
    let mut arches_from = None;
    // Key -> (blocked, JSON text); the tag's own entries first.
    let mut extra: BTreeMap<String, Option<String>> = tag
        .extra
        .iter()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect();
    let mut extra_from = BTreeMap::new();
    for parent_id in &ancestor_ids {
        let Some(ancestor) = ancestors.get(parent_id) else {
            return Err(Error::NoSuchTag {
                tag: parent_id.to_string(),
            });
        };
        let from = TagRef {
            id: ancestor.id,
            name: ancestor.name.clone(),
        };
        if arches.is_none() && ancestor.arches.is_some() {
            arches.clone_from(&ancestor.arches);
            arches_from = Some(from.clone());
        }
        for e in &ancestor.extra {
            if !extra.contains_key(&e.key) {
                extra.insert(e.key.clone(), e.value.clone());
                extra_from.insert(e.key.clone(), from.clone());
            }
        }
    }
    let mut info = tag_info(&tag, false)?;
    info.arches = arches;
    info.extra = Struct::new();
    for (key, value) in extra {
        if let Some(text) = value {
            let parsed = extra_value(&key, &text)?;
            info.extra.insert(key, parsed);
        }
    }
    info.query_event = event;
    Ok(to_value(&BuildConfig {
        tag: info,
        config_inheritance: ConfigInheritance {
            extra: extra_from,
            arches: arches_from,
        },
    })?)
}
