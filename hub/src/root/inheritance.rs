//! Tag inheritance: `getInheritanceData`, `setInheritanceData`, `getFullInheritance`, and the
//! flattened walk the package, group and build-config reads share.

use std::collections::{HashMap, HashSet};

use common::signature;
use common::wire::{InheritanceLink, InheritanceNode};
use common::xmlrpc::{Params, Signature, Struct, Value, to_value};
use tracing::info;

use crate::db::inheritance::{LinkRow, NewLink};
use crate::db::names::Registry;
use crate::db::{self, Client};
use crate::error::{Error, Result};
use crate::inheritance::{Graph, Link, Node, walk};
use crate::root::lookup::{self, TagChange};
use crate::rpc::call::Call;

fn to_link(row: LinkRow) -> Link {
    Link {
        tag_id: row.tag_id,
        parent_id: row.parent_id,
        name: row.name,
        priority: row.priority,
        maxdepth: row.maxdepth,
        intransitive: row.intransitive,
        noconfig: row.noconfig,
        pkg_filter: row.pkg_filter,
    }
}

/// The flattened inheritance of a tag at `event` (Koji's `readFullInheritance`): one query
/// for every reachable link, then the walk.
pub async fn full_inheritance(
    client: &Client,
    tag_id: i64,
    event: Option<i64>,
    reverse: bool,
) -> Result<Vec<Node>> {
    let links = db::inheritance::reachable(client, tag_id, event, reverse).await?;
    let graph = Graph::new(links.into_iter().map(to_link).collect(), reverse);
    Ok(walk(&graph, tag_id, reverse))
}

/// The tag itself followed by its ancestors in inheritance order (duplicates removed).
pub async fn tag_and_ancestors(client: &Client, tag_id: i64, event: Option<i64>) -> Result<Vec<i64>> {
    let mut tags = vec![tag_id];
    for node in full_inheritance(client, tag_id, event, false).await? {
        if !tags.contains(&node.link.parent_id) {
            tags.push(node.link.parent_id);
        }
    }
    Ok(tags)
}

fn wire_node(node: Node, reverse: bool) -> InheritanceNode {
    InheritanceNode {
        parent_id: node.link.parent_id,
        name: node.link.name,
        priority: node.link.priority,
        maxdepth: node.link.maxdepth,
        intransitive: node.link.intransitive,
        noconfig: node.link.noconfig,
        pkg_filter: node.link.pkg_filter,
        child_id: (!reverse).then_some(node.link.tag_id),
        tag_id: reverse.then_some(node.link.tag_id),
        currdepth: node.currdepth,
        nextdepth: node.nextdepth,
        filter: node.filter,
    }
}

/// `getInheritanceData(tag, event=None)`: the tag's parent links by priority.
pub async fn get_inheritance_data(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getInheritanceData", ["tag"], ["event"]);
    let mut b = params.bind(&SIG)?;
    let tag = lookup::require(cx.db(), Registry::Tag, &b.next_raw()).await?;
    let event = lookup::event_arg(&b.next_raw())?;
    let links: Vec<InheritanceLink> = db::inheritance::parents(cx.db(), tag.id, event)
        .await?
        .into_iter()
        .map(|l| InheritanceLink {
            parent_id: l.parent_id,
            name: l.name,
            priority: l.priority,
            maxdepth: l.maxdepth,
            intransitive: l.intransitive,
            noconfig: l.noconfig,
            pkg_filter: l.pkg_filter,
            child_id: l.tag_id,
        })
        .collect();
    Ok(to_value(&links)?)
}

/// `getFullInheritance(tag, event=None, reverse=False)`: the flattened ancestry (or
/// descendants) in Koji's walk order.
pub async fn get_full_inheritance(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getFullInheritance", ["tag"], ["event", "reverse"], **kwargs);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let event = lookup::event_arg(&b.next_raw())?;
    let reverse: bool = b.arg()?;
    for (key, value) in &b.keywords {
        if key == "stops" || key == "jumps" {
            if value.truthy() {
                return Err(Error::Param(format!("{key} option has been removed since 1.26")));
            }
        } else {
            return Err(Error::Param(format!(
                "getFullInheritance() got an unexpected keyword argument '{key}'"
            )));
        }
    }
    let tag_id = match tag {
        Value::Int(id) => id,
        other => lookup::require(cx.db(), Registry::Tag, &other).await?.id,
    };
    let nodes: Vec<InheritanceNode> = full_inheritance(cx.db(), tag_id, event, reverse)
        .await?
        .into_iter()
        .map(|n| wire_node(n, reverse))
        .collect();
    Ok(to_value(&nodes)?)
}

/// One requested change of a link.
#[derive(Debug, Clone, PartialEq)]
enum Requested {
    /// Set the link to `parent_id` to these values.
    Set(NewLink),
    /// Delete the link to this parent.
    Delete(i64),
}

fn field<'a>(link: &'a Struct, name: &str) -> Result<&'a Value> {
    link.get(name)
        .ok_or_else(|| Error::Generic(format!("No value for {name}")))
}

fn int_field(link: &Struct, name: &str) -> Result<i64> {
    let value = field(link, name)?;
    value
        .as_i64()
        .ok_or_else(|| Error::InvalidValue(format!("Invalid {name} value: {value}")))
}

/// Reads one link struct as clients send it: priorities may be strings (`koji
/// add-tag-inheritance --priority 10` sends `"10"`), extra keys such as `name` are ignored.
fn requested(link: &Value) -> Result<Requested> {
    let Some(members) = link.as_struct() else {
        return Err(Error::InvalidValue(format!(
            "inheritance links must be structs, not {}",
            link.type_name()
        )));
    };
    let parent_id = int_field(members, "parent_id")?;
    if members.get("delete link").is_some_and(Value::truthy) {
        return Ok(Requested::Delete(parent_id));
    }
    let priority = int_field(members, "priority")?;
    if priority < 0 {
        return Err(Error::NegativePriority { parent_id, priority });
    }
    let maxdepth = match field(members, "maxdepth")? {
        Value::Nil => None,
        Value::String(s) if s.trim().is_empty() || s.eq_ignore_ascii_case("none") => None,
        other => Some(
            other
                .as_i64()
                .filter(|d| *d >= 0)
                .ok_or_else(|| Error::InvalidValue(format!("Invalid maxdepth value: {other}")))?,
        ),
    };
    let pkg_filter = match field(members, "pkg_filter")? {
        Value::Nil => None,
        Value::String(s) => Some(s.clone()),
        other => {
            return Err(Error::InvalidValue(format!("Invalid pkg_filter value: {other}")));
        }
    };
    if let Some(filter) = pkg_filter.as_deref().filter(|f| !f.is_empty()) {
        package_filter(filter)?;
    }
    let narrow =
        |v: i64| i32::try_from(v).map_err(|_| Error::InvalidValue(format!("value out of range: {v}")));
    Ok(Requested::Set(NewLink {
        parent_id,
        priority: narrow(priority)?,
        maxdepth: maxdepth.map(narrow).transpose()?,
        intransitive: field(members, "intransitive")?.truthy(),
        noconfig: field(members, "noconfig")?.truthy(),
        pkg_filter,
    }))
}

/// Compiles a package filter as Python's `re.match` uses it (anchored at the start only).
pub fn package_filter(filter: &str) -> Result<regex::Regex> {
    regex::Regex::new(&format!("^(?:{filter})")).map_err(|e| Error::BadPackageFilter {
        filter: filter.to_owned(),
        reason: e.to_string(),
    })
}

fn current_link(row: &LinkRow) -> NewLink {
    NewLink {
        parent_id: row.parent_id,
        priority: i32::try_from(row.priority).unwrap_or(i32::MAX),
        maxdepth: row.maxdepth.and_then(|d| i32::try_from(d).ok()),
        intransitive: row.intransitive,
        noconfig: row.noconfig,
        pkg_filter: row.pkg_filter.clone(),
    }
}

/// A link's state while merging a request into the current links (Koji's `data` dict).
#[derive(Debug, Clone)]
struct Merged {
    link: Option<NewLink>,
    updated: bool,
}

/// `setInheritanceData(tag, data, clear=False)`: adds, changes or (with `"delete link"`)
/// removes parent links; only changed links get new versions. Duplicate or negative
/// priorities, loops and missing parents are refused and change nothing.
pub async fn set_inheritance_data(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("setInheritanceData", ["tag", "data"], ["clear"]);
    let mut b = params.bind(&SIG)?;
    let tag = lookup::require(cx.db(), Registry::Tag, &b.next_raw()).await?;
    let data = b.next_raw();
    let clear: bool = b.arg()?;
    let current_tag = db::tags::get(cx.db(), &db::names::NameOrId::Id(tag.id), None).await?;
    let who = lookup::authorize_tag_change(cx, current_tag.as_ref(), TagChange::Perm("tag")).await?;
    let changes = match &data {
        Value::Array(items) => items.iter().map(requested).collect::<Result<Vec<_>>>()?,
        Value::Struct(_) => vec![requested(&data)?],
        other => {
            return Err(Error::InvalidValue(format!(
                "inheritance data must be a list of links, not {}",
                other.type_name()
            )));
        }
    };
    for change in &changes {
        let parent_id = match change {
            Requested::Set(link) => link.parent_id,
            Requested::Delete(parent_id) => *parent_id,
        };
        lookup::require_tag(cx.db(), &Value::Int(parent_id), None).await?;
    }
    // Merge into the current links, in their order, as Koji does.
    let current = db::inheritance::parents(cx.db(), tag.id, None).await?;
    let mut order: Vec<i64> = current.iter().map(|l| l.parent_id).collect();
    let mut merged: HashMap<i64, Merged> = current
        .iter()
        .map(|l| {
            (
                l.parent_id,
                Merged {
                    link: Some(current_link(l)),
                    updated: false,
                },
            )
        })
        .collect();
    for change in changes {
        match change {
            Requested::Delete(parent_id) => {
                if let Some(entry) = merged.get_mut(&parent_id) {
                    *entry = Merged {
                        link: None,
                        updated: true,
                    };
                }
            }
            Requested::Set(link) => {
                let parent_id = link.parent_id;
                let differs = match merged.get(&parent_id) {
                    Some(Merged { link: Some(orig), .. }) => clear || *orig != link,
                    _ => true,
                };
                if differs {
                    if !merged.contains_key(&parent_id) {
                        order.push(parent_id);
                    }
                    merged.insert(
                        parent_id,
                        Merged {
                            link: Some(link),
                            updated: true,
                        },
                    );
                }
            }
        }
    }
    if clear {
        for entry in merged.values_mut().filter(|e| !e.updated) {
            *entry = Merged {
                link: None,
                updated: true,
            };
        }
    }
    if !merged.values().any(|e| e.updated) {
        return Ok(Value::Nil);
    }
    check_priorities(tag.id, &order, &merged)?;
    for parent_id in &order {
        let Some(Merged {
            link: Some(_),
            updated: true,
        }) = merged.get(parent_id)
        else {
            continue;
        };
        if *parent_id == tag.id || reaches(cx.db(), *parent_id, tag.id).await? {
            let parent = lookup::require_tag(cx.db(), &Value::Int(*parent_id), None).await?;
            return Err(Error::InheritanceLoop {
                tag: tag.name.clone(),
                parent: parent.name,
            });
        }
    }
    let change = lookup::change(cx, &who).await?;
    let tx = cx.tx()?;
    for parent_id in &order {
        if merged.get(parent_id).is_some_and(|e| e.updated) {
            db::inheritance::revoke(&tx, tag.id, *parent_id, change).await?;
        }
    }
    for parent_id in &order {
        if let Some(Merged {
            link: Some(link),
            updated: true,
        }) = merged.get(parent_id)
        {
            db::inheritance::insert(&tx, tag.id, link, change).await?;
        }
    }
    info!(tag.name = %tag.name, "changed the inheritance of tag {}", tag.name);
    Ok(Value::Nil)
}

/// Whether `to` is among the current ancestors of `from`, whatever the link options (a link
/// from `to` to `from` would close a loop).
async fn reaches(client: &Client, from: i64, to: i64) -> Result<bool> {
    let links = db::inheritance::reachable(client, from, None, false).await?;
    let tags: HashSet<i64> = links.iter().map(|l| l.parent_id).collect();
    Ok(tags.contains(&to))
}

/// Refuses two kept links with the same priority, naming them as Koji does.
fn check_priorities(tag_id: i64, order: &[i64], merged: &HashMap<i64, Merged>) -> Result<()> {
    let mut by_priority: Vec<(i32, Vec<i64>)> = Vec::new();
    for parent_id in order {
        let Some(Merged { link: Some(link), .. }) = merged.get(parent_id) else {
            continue;
        };
        match by_priority.iter_mut().find(|(p, _)| *p == link.priority) {
            Some((_, parents)) => parents.push(*parent_id),
            None => by_priority.push((link.priority, vec![*parent_id])),
        }
    }
    if let Some((priority, parents)) = by_priority.into_iter().find(|(_, p)| p.len() > 1) {
        let list: Vec<String> = parents.iter().map(i64::to_string).collect();
        return Err(Error::DuplicatePriority {
            tag_id,
            priority: i64::from(priority),
            parents: format!("[{}]", list.join(", ")),
        });
    }
    Ok(())
}
