//! Comps groups per tag: `getTagGroups` (with inheritance), `groupListAdd`/`Remove`/`Block`/
//! `Unblock`, `groupPackageListAdd`/…, `groupReqListAdd`/…, and the group data repos render
//! into `comps.xml`.

use std::collections::HashMap;

use common::signature;
use common::wire::{GroupPackage, GroupReq, TagGroup};
use common::xmlrpc::{Params, Signature, Struct, Value, to_value};
use tracing::info;

use crate::db::groups::{
    GroupPackageRow, GroupReqRow, GroupRow, GroupSettings, PackageSettings, ReqSettings,
};
use crate::db::names::{NameOrId, NameRow, Registry};
use crate::db::tags::TagRow;
use crate::db::{self, Client};
use crate::error::{Error, Result};
use crate::root::inheritance::tag_and_ancestors;
use crate::root::lookup::{self, TagChange, py_str};
use crate::rpc::call::{Authorized, Call};

/// A group of a tag with its packages and requirements, first entry winning along the
/// inheritance (Koji's `get_tag_groups`; blocked entries included).
#[derive(Debug, Clone)]
pub struct GroupState {
    /// The group entry.
    pub group: GroupRow,
    /// Package entries by package name, in first-seen order.
    pub packages: Vec<GroupPackageRow>,
    /// Requirement entries, in first-seen order.
    pub reqs: Vec<GroupReqRow>,
}

/// Koji's `get_tag_groups`: the groups of a tag (and, with `inherit`, of its ancestors), in
/// first-seen order. Three queries whatever the depth of the inheritance.
pub async fn tag_groups(
    client: &Client,
    tag_id: i64,
    event: Option<i64>,
    inherit: bool,
    incl_pkgs: bool,
    incl_reqs: bool,
) -> Result<Vec<GroupState>> {
    let tags = if inherit {
        tag_and_ancestors(client, tag_id, event).await?
    } else {
        vec![tag_id]
    };
    let position: HashMap<i64, usize> = tags.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    let by_tag = |tag_id: i64| position.get(&tag_id).copied().unwrap_or(usize::MAX);
    let mut configs = db::groups::configs(client, &tags, event).await?;
    configs.sort_by_key(|g| (by_tag(g.tag_id), g.group_id));
    let mut groups: Vec<GroupState> = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    for group in configs {
        if index.contains_key(&group.group_id) {
            continue;
        }
        index.insert(group.group_id, groups.len());
        groups.push(GroupState {
            group,
            packages: Vec::new(),
            reqs: Vec::new(),
        });
    }
    if incl_pkgs {
        let mut rows = db::groups::packages(client, &tags, event).await?;
        rows.sort_by_key(|p| by_tag(p.tag_id));
        for row in rows {
            let Some(state) = index.get(&row.group_id).and_then(|i| groups.get_mut(*i)) else {
                continue;
            };
            if state.group.blocked || state.packages.iter().any(|p| p.package == row.package) {
                continue;
            }
            state.packages.push(row);
        }
    }
    if incl_reqs {
        let blocked: HashMap<i64, bool> = groups
            .iter()
            .map(|g| (g.group.group_id, g.group.blocked))
            .collect();
        let mut rows = db::groups::reqs(client, &tags, event).await?;
        rows.sort_by_key(|r| by_tag(r.tag_id));
        for row in rows {
            if blocked.get(&row.req_id) != Some(&false) {
                continue;
            }
            let Some(state) = index.get(&row.group_id).and_then(|i| groups.get_mut(*i)) else {
                continue;
            };
            if state.group.blocked || state.reqs.iter().any(|r| r.req_id == row.req_id) {
                continue;
            }
            state.reqs.push(row);
        }
    }
    Ok(groups)
}

fn wire_package(row: GroupPackageRow) -> GroupPackage {
    GroupPackage {
        group_id: row.group_id,
        tag_id: row.tag_id,
        package: row.package,
        blocked: row.blocked,
        kind: row.kind,
        basearchonly: row.basearchonly,
        requires: row.requires,
    }
}

fn wire_req(row: GroupReqRow) -> GroupReq {
    GroupReq {
        group_id: row.group_id,
        tag_id: row.tag_id,
        req_id: row.req_id,
        blocked: row.blocked,
        kind: row.kind,
        is_metapkg: row.is_metapkg,
        name: row.name,
    }
}

/// Koji's `readTagGroups`: [`tag_groups`] as wire records, blocked entries dropped unless
/// `incl_blocked`. This is what `comps::render` takes.
pub async fn read_tag_groups(
    client: &Client,
    tag_id: i64,
    event: Option<i64>,
    inherit: bool,
    incl_pkgs: bool,
    incl_reqs: bool,
    incl_blocked: bool,
) -> Result<Vec<TagGroup>> {
    let groups = tag_groups(client, tag_id, event, inherit, incl_pkgs, incl_reqs).await?;
    Ok(groups
        .into_iter()
        .filter(|g| incl_blocked || !g.group.blocked)
        .map(|g| {
            let keep = |blocked: bool| incl_blocked || !blocked;
            TagGroup {
                packagelist: incl_pkgs.then(|| {
                    g.packages
                        .into_iter()
                        .filter(|p| keep(p.blocked))
                        .map(wire_package)
                        .collect()
                }),
                grouplist: incl_reqs.then(|| {
                    g.reqs
                        .into_iter()
                        .filter(|r| keep(r.blocked))
                        .map(wire_req)
                        .collect()
                }),
                name: g.group.name,
                group_id: g.group.group_id,
                tag_id: g.group.tag_id,
                blocked: g.group.blocked,
                exported: g.group.exported,
                display_name: g.group.display_name,
                is_default: g.group.is_default,
                uservisible: g.group.uservisible,
                description: g.group.description,
                langonly: g.group.langonly,
                biarchonly: g.group.biarchonly,
            }
        })
        .collect())
}

/// `getTagGroups(tag, event=None, inherit=True, incl_pkgs=True, incl_reqs=True,
/// incl_blocked=False)`.
pub async fn get_tag_groups(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "readTagGroups",
        ["tag"],
        ["event", "inherit", "incl_pkgs", "incl_reqs", "incl_blocked"]
    );
    let mut b = params.bind(&SIG)?;
    let tag = lookup::require(cx.db(), Registry::Tag, &b.next_raw()).await?;
    let event = lookup::event_arg(&b.next_raw())?;
    let inherit: Option<bool> = b.arg()?;
    let incl_pkgs: Option<bool> = b.arg()?;
    let incl_reqs: Option<bool> = b.arg()?;
    let incl_blocked: bool = b.arg()?;
    let groups = read_tag_groups(
        cx.db(),
        tag.id,
        event,
        inherit.unwrap_or(true),
        incl_pkgs.unwrap_or(true),
        incl_reqs.unwrap_or(true),
        incl_blocked,
    )
    .await?;
    Ok(to_value(&groups)?)
}

/// The tag a group change applies to, with its lock and permission checked for non-admins.
/// `strict_active` follows Koji: some calls need a current tag, others any tag name.
async fn group_tag(cx: &mut Call<'_>, tag: &Value, strict_active: bool) -> Result<(NameRow, Authorized)> {
    let who = cx.assert_perm("tag").await?;
    let (name, current): (NameRow, Option<TagRow>) = if strict_active {
        let row = lookup::require_tag(cx.db(), tag, None).await?;
        (
            NameRow {
                id: row.id,
                name: row.name.clone(),
            },
            Some(row),
        )
    } else {
        let name = lookup::require(cx.db(), Registry::Tag, tag).await?;
        let current = db::tags::get(cx.db(), &NameOrId::Id(name.id), None).await?;
        (name, current)
    };
    lookup::authorize_tag_change(cx, current.as_ref(), TagChange::Perm("tag")).await?;
    Ok((name, who))
}

fn opt_bool(value: &Value) -> Option<bool> {
    (!value.is_nil()).then(|| value.truthy())
}

fn opt_text(value: &Value) -> Option<String> {
    (!value.is_nil()).then(|| py_str(value))
}

/// Koji's `grplist_add`.
async fn group_add(
    cx: &mut Call<'_>,
    tag: &Value,
    group: &Value,
    block: bool,
    force: bool,
    opts: &Struct,
) -> Result<()> {
    let (tag, who) = group_tag(cx, tag, true).await?;
    let group = match lookup::lookup(cx.db(), Registry::Group, group).await? {
        Some(row) => row,
        None => {
            let Value::String(name) = group else {
                return Err(Error::Generic("Name must be a string".into()));
            };
            lookup::validate_name(name)?;
            db::names::ensure(&cx.tx()?, Registry::Group, name).await?
        }
    };
    let groups = tag_groups(cx.db(), tag.id, None, true, false, false).await?;
    let previous = groups.into_iter().find(|g| g.group.group_id == group.id);
    let mut settings = GroupSettings {
        blocked: block,
        exported: opts.get("exported").and_then(opt_bool),
        display_name: opts.get("display_name").and_then(opt_text).unwrap_or_default(),
        is_default: opts.get("is_default").and_then(opt_bool),
        uservisible: opts.get("uservisible").and_then(opt_bool),
        description: opts.get("description").and_then(opt_text),
        langonly: opts.get("langonly").and_then(opt_text),
        biarchonly: opts.get("biarchonly").and_then(opt_bool),
    };
    if let Some(previous) = previous.map(|p| p.group) {
        if previous.blocked && !force {
            return Err(Error::Generic(format!(
                "group {} is blocked in tag {}",
                group.name, tag.name
            )));
        }
        let given = |key: &str| opts.contains_key(key);
        if !given("exported") {
            settings.exported = previous.exported;
        }
        if !given("display_name") {
            settings.display_name = previous.display_name.clone();
        }
        if !given("is_default") {
            settings.is_default = previous.is_default;
        }
        if !given("uservisible") {
            settings.uservisible = previous.uservisible;
        }
        if !given("description") {
            settings.description = previous.description.clone();
        }
        if !given("langonly") {
            settings.langonly = previous.langonly.clone();
        }
        if !given("biarchonly") {
            settings.biarchonly = previous.biarchonly;
        }
        let unchanged = settings
            == GroupSettings {
                blocked: previous.blocked,
                exported: previous.exported,
                display_name: previous.display_name.clone(),
                is_default: previous.is_default,
                uservisible: previous.uservisible,
                description: previous.description.clone(),
                langonly: previous.langonly.clone(),
                biarchonly: previous.biarchonly,
            };
        if unchanged {
            return Ok(());
        }
    } else {
        if !opts.contains_key("display_name") {
            settings.display_name = group.name.clone();
        }
        settings.biarchonly = settings.biarchonly.or(Some(false));
        settings.exported = settings.exported.or(Some(true));
        settings.uservisible = settings.uservisible.or(Some(true));
    }
    let change = lookup::change(cx, &who).await?;
    db::groups::set_config(&cx.tx()?, tag.id, group.id, &settings, change).await?;
    info!(tag.name = %tag.name, group.name = %group.name, "changed group {} in tag {}", group.name, tag.name);
    Ok(())
}

/// `groupListAdd(taginfo, grpinfo, block=False, force=False, **opts)`: adds or updates a
/// group (creating its name if new); `opts` are `display_name`, `description`, `is_default`,
/// `uservisible`, `langonly`, `biarchonly`, `exported`.
pub async fn group_list_add(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("grplist_add", ["taginfo", "grpinfo"], ["block", "force"], **opts);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let group = b.next_raw();
    let block: bool = b.arg()?;
    let force: bool = b.arg()?;
    let opts = std::mem::take(&mut b.keywords);
    group_add(cx, &tag, &group, block, force, &opts).await?;
    Ok(Value::Nil)
}

/// `groupListBlock(taginfo, grpinfo)`.
pub async fn group_list_block(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("grplist_block", ["taginfo", "grpinfo"], []);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let group = b.next_raw();
    group_add(cx, &tag, &group, true, false, &Struct::new()).await?;
    Ok(Value::Nil)
}

/// `groupListRemove(taginfo, grpinfo, force=False)`: revokes the tag's own group entry.
pub async fn group_list_remove(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("grplist_remove", ["taginfo", "grpinfo"], ["force"]);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let group = b.next_raw();
    let force: bool = b.arg()?;
    let (tag, who) = group_tag(cx, &tag, true).await?;
    let group = lookup::require(cx.db(), Registry::Group, &group).await?;
    if !force
        && db::groups::own_entry_blocked(cx.db(), tag.id, group.id)
            .await?
            .is_none()
    {
        return Err(Error::Generic(format!(
            "No group: {} found for tag: {}",
            group.name, tag.name
        )));
    }
    let change = lookup::change(cx, &who).await?;
    db::groups::revoke_config(&cx.tx()?, tag.id, group.id, change).await?;
    Ok(Value::Nil)
}

/// `groupListUnblock(taginfo, grpinfo)`: removes a block the tag itself made.
pub async fn group_list_unblock(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("grplist_unblock", ["taginfo", "grpinfo"], []);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let group = b.next_raw();
    let (tag, who) = group_tag(cx, &tag, false).await?;
    let group = lookup::require(cx.db(), Registry::Group, &group).await?;
    if db::groups::own_entry_blocked(cx.db(), tag.id, group.id).await? != Some(true) {
        return Err(Error::Generic(format!(
            "group {} is NOT blocked in tag {}",
            group.name, tag.name
        )));
    }
    let change = lookup::change(cx, &who).await?;
    db::groups::revoke_config(&cx.tx()?, tag.id, group.id, change).await?;
    Ok(Value::Nil)
}

/// The group state of `group` in `tag` (inherited), which must be present and unblocked.
async fn present_group(
    client: &Client,
    tag: &NameRow,
    group: &NameRow,
    incl_pkgs: bool,
    incl_reqs: bool,
) -> Result<GroupState> {
    let groups = tag_groups(client, tag.id, None, true, incl_pkgs, incl_reqs).await?;
    let Some(state) = groups.into_iter().find(|g| g.group.group_id == group.id) else {
        return Err(Error::Generic(format!(
            "group {} not present in tag {}",
            group.name, tag.name
        )));
    };
    if state.group.blocked {
        return Err(Error::Generic(format!(
            "group {} is blocked in tag {}",
            group.name, tag.name
        )));
    }
    Ok(state)
}

/// Koji's `grp_pkg_add`.
async fn group_package_add(
    cx: &mut Call<'_>,
    tag: &Value,
    group: &Value,
    package: &str,
    block: bool,
    force: bool,
    opts: &Struct,
) -> Result<()> {
    let (tag, who) = group_tag(cx, tag, false).await?;
    let group = lookup::require(cx.db(), Registry::Group, group).await?;
    let state = present_group(cx.db(), &tag, &group, true, false).await?;
    let previous = state.packages.into_iter().find(|p| p.package == package);
    let mut settings = PackageSettings {
        blocked: block,
        kind: opts
            .get("type")
            .and_then(opt_text)
            .unwrap_or_else(|| "mandatory".into()),
        basearchonly: opts.get("basearchonly").and_then(opt_bool),
        requires: opts.get("requires").and_then(opt_text),
    };
    if let Some(previous) = previous {
        if previous.blocked && !force {
            return Err(Error::Generic(format!(
                "package {package} blocked in group {}, tag {}",
                group.name, tag.name
            )));
        }
        if !opts.contains_key("type") {
            settings.kind = previous.kind.clone();
        }
        if !opts.contains_key("basearchonly") {
            settings.basearchonly = previous.basearchonly;
        }
        if !opts.contains_key("requires") {
            settings.requires = previous.requires.clone();
        }
        let changed = block
            || settings.kind != previous.kind
            || settings.basearchonly != previous.basearchonly
            || settings.requires != previous.requires;
        if !changed && !force {
            return Ok(());
        }
    }
    let change = lookup::change(cx, &who).await?;
    db::groups::set_package(&cx.tx()?, tag.id, group.id, package, &settings, change).await?;
    Ok(())
}

/// `groupPackageListAdd(taginfo, grpinfo, pkg_name, block=False, force=False, **opts)`:
/// `opts` are `type` (default `mandatory`), `basearchonly`, `requires`.
pub async fn group_package_list_add(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "grp_pkg_add",
        ["taginfo", "grpinfo", "pkg_name"],
        ["block", "force"],
        **opts
    );
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let group = b.next_raw();
    let package: String = b.arg()?;
    let block: bool = b.arg()?;
    let force: bool = b.arg()?;
    let opts = std::mem::take(&mut b.keywords);
    group_package_add(cx, &tag, &group, &package, block, force, &opts).await?;
    Ok(Value::Nil)
}

/// `groupPackageListBlock(taginfo, grpinfo, pkg_name)`.
pub async fn group_package_list_block(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("grp_pkg_block", ["taginfo", "grpinfo", "pkg_name"], []);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let group = b.next_raw();
    let package: String = b.arg()?;
    group_package_add(cx, &tag, &group, &package, true, false, &Struct::new()).await?;
    Ok(Value::Nil)
}

/// `groupPackageListRemove(taginfo, grpinfo, pkg_name)`.
pub async fn group_package_list_remove(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("grp_pkg_remove", ["taginfo", "grpinfo", "pkg_name"], []);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let group = b.next_raw();
    let package: String = b.arg()?;
    let (tag, who) = group_tag(cx, &tag, false).await?;
    let group = lookup::require(cx.db(), Registry::Group, &group).await?;
    let change = lookup::change(cx, &who).await?;
    db::groups::revoke_package(&cx.tx()?, tag.id, group.id, &package, change).await?;
    Ok(Value::Nil)
}

/// `groupPackageListUnblock(taginfo, grpinfo, pkg_name)`: removes a block the tag itself
/// made.
pub async fn group_package_list_unblock(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("grp_pkg_unblock", ["taginfo", "grpinfo", "pkg_name"], []);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let group = b.next_raw();
    let package: String = b.arg()?;
    let (tag, who) = group_tag(cx, &tag, false).await?;
    let group = lookup::require(cx.db(), Registry::Group, &group).await?;
    if db::groups::own_package_blocked(cx.db(), tag.id, group.id, &package).await? != Some(true) {
        return Err(Error::Generic(format!(
            "package {package} is NOT blocked in group {}, tag {}",
            group.id, tag.id
        )));
    }
    let change = lookup::change(cx, &who).await?;
    db::groups::revoke_package(&cx.tx()?, tag.id, group.id, &package, change).await?;
    Ok(Value::Nil)
}

/// Koji's `grp_req_add`.
async fn group_req_add(
    cx: &mut Call<'_>,
    tag: &Value,
    group: &Value,
    req: &Value,
    block: bool,
    force: bool,
    opts: &Struct,
) -> Result<()> {
    let (tag, who) = group_tag(cx, tag, false).await?;
    let group = lookup::require(cx.db(), Registry::Group, group).await?;
    let req = lookup::require(cx.db(), Registry::Group, req).await?;
    let state = present_group(cx.db(), &tag, &group, false, true).await?;
    let previous = state.reqs.into_iter().find(|r| r.req_id == req.id);
    let mut settings = ReqSettings {
        blocked: block,
        kind: Some(
            opts.get("type")
                .and_then(opt_text)
                .unwrap_or_else(|| "mandatory".into()),
        ),
        is_metapkg: opts.get("is_metapkg").is_some_and(Value::truthy),
    };
    if let Some(previous) = previous {
        if previous.blocked && !force {
            return Err(Error::Generic(format!(
                "requirement on group {} blocked in group {}, tag {}",
                req.name, group.name, tag.name
            )));
        }
        if !opts.contains_key("type") {
            settings.kind = previous.kind.clone();
        }
        if !opts.contains_key("is_metapkg") {
            settings.is_metapkg = previous.is_metapkg;
        }
        let changed = block || settings.kind != previous.kind || settings.is_metapkg != previous.is_metapkg;
        if !changed {
            return Ok(());
        }
    }
    let change = lookup::change(cx, &who).await?;
    db::groups::set_req(&cx.tx()?, tag.id, group.id, req.id, &settings, change).await?;
    Ok(())
}

/// `groupReqListAdd(taginfo, grpinfo, reqinfo, block=False, force=False, **opts)`: `opts`
/// are `type` and `is_metapkg`.
pub async fn group_req_list_add(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "grp_req_add",
        ["taginfo", "grpinfo", "reqinfo"],
        ["block", "force"],
        **opts
    );
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let group = b.next_raw();
    let req = b.next_raw();
    let block: bool = b.arg()?;
    let force: bool = b.arg()?;
    let opts = std::mem::take(&mut b.keywords);
    group_req_add(cx, &tag, &group, &req, block, force, &opts).await?;
    Ok(Value::Nil)
}

/// `groupReqListBlock(taginfo, grpinfo, reqinfo)`.
pub async fn group_req_list_block(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("grp_req_block", ["taginfo", "grpinfo", "reqinfo"], []);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let group = b.next_raw();
    let req = b.next_raw();
    group_req_add(cx, &tag, &group, &req, true, false, &Struct::new()).await?;
    Ok(Value::Nil)
}

/// `groupReqListRemove(taginfo, grpinfo, reqinfo, force=None)`.
pub async fn group_req_list_remove(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("grp_req_remove", ["taginfo", "grpinfo", "reqinfo"], ["force"]);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let group = b.next_raw();
    let req = b.next_raw();
    let (tag, who) = group_tag(cx, &tag, false).await?;
    let group = lookup::require(cx.db(), Registry::Group, &group).await?;
    let req = lookup::require(cx.db(), Registry::Group, &req).await?;
    let change = lookup::change(cx, &who).await?;
    db::groups::revoke_req(&cx.tx()?, tag.id, group.id, req.id, change).await?;
    Ok(Value::Nil)
}

/// `groupReqListUnblock(taginfo, grpinfo, reqinfo)`: removes a block the tag itself made.
pub async fn group_req_list_unblock(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("grp_req_unblock", ["taginfo", "grpinfo", "reqinfo"], []);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let group = b.next_raw();
    let req = b.next_raw();
    let (tag, who) = group_tag(cx, &tag, false).await?;
    let group = lookup::require(cx.db(), Registry::Group, &group).await?;
    let req = lookup::require(cx.db(), Registry::Group, &req).await?;
    if db::groups::own_req_blocked(cx.db(), tag.id, group.id, req.id).await? != Some(true) {
        return Err(Error::Generic(format!(
            "group req {} is NOT blocked in group {}, tag {}",
            req.id, group.id, tag.id
        )));
    }
    let change = lookup::change(cx, &who).await?;
    db::groups::revoke_req(&cx.tx()?, tag.id, group.id, req.id, change).await?;
    Ok(Value::Nil)
}
