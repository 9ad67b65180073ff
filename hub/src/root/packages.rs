//! Packages and package lists: `getPackage`, `getPackageID`, `createPackage`, `listPackages`,
//! `listPackagesSimple`, `packageListAdd`/`Remove`/`Block`/`Unblock`/`SetOwner`/`SetArches`,
//! `getPackageConfig`, `checkTagPackage`, and the inherited package list they share.

use std::collections::HashMap;

use common::signature;
use common::wire::{PackageInfo, PackageListEntry, PackageOwnerFields, PackageSimple};
use common::xmlrpc::{Params, Signature, Value, to_value};
use tracing::info;

use crate::db::names::{NameOrId, Registry};
use crate::db::packages::{EntryFilter, EntryRow};
use crate::db::query::QueryOpts;
use crate::db::tags::TagRow;
use crate::db::{self, Client};
use crate::error::{Error, Result};
use crate::root::inheritance::{full_inheritance, package_filter};
use crate::root::lookup::{self, TagChange, py_str};
use crate::root::users::require_user;
use crate::rpc::call::Call;

/// What [`read_package_list`] reads.
#[derive(Debug, Clone, Default)]
pub struct PackageListQuery {
    /// Entries of this tag (and its ancestors, with `inherit`).
    pub tag: Option<i64>,
    /// Entries owned by this user.
    pub owner: Option<i64>,
    /// Entries of this package.
    pub package: Option<i64>,
    /// Follow the tag's inheritance.
    pub inherit: bool,
    /// Keep entries hidden by nearer ones.
    pub with_dups: bool,
    /// Read owners.
    pub with_owners: bool,
    /// Keep blocking entries.
    pub with_blocked: bool,
    /// As of this event.
    pub event: Option<i64>,
}

/// Koji's `readPackageList`: the entries in the order Koji returns them. Without `with_dups`
/// the first entry of each package wins as inheritance is walked (so a nearer block hides a
/// farther listing); with it, all entries come grouped by package.
pub async fn read_package_list(client: &Client, query: &PackageListQuery) -> Result<Vec<EntryRow>> {
    if query.tag.is_none() && query.owner.is_none() && query.package.is_none() {
        return Err(Error::Generic("tag,user, and/or pkg must be specified".into()));
    }
    if query.owner.is_some() && !query.with_owners {
        return Err(Error::Generic(
            "userID and with_owners=False can't be used together".into(),
        ));
    }
    let filter = |tags: Option<Vec<i64>>| EntryFilter {
        tags,
        owner: query.owner,
        package: query.package,
        with_owners: query.with_owners,
        with_blocked: query.with_blocked,
    };
    let mut list = Grouped::new(query.with_dups);
    for entry in db::packages::entries(client, &filter(query.tag.map(|t| vec![t])), query.event).await? {
        list.put(entry);
    }
    let Some(tag_id) = query.tag.filter(|_| query.inherit) else {
        return Ok(list.into_entries());
    };
    let order = full_inheritance(client, tag_id, query.event, false).await?;
    let mut parents: Vec<i64> = order.iter().map(|n| n.link.parent_id).collect();
    parents.sort_unstable();
    parents.dedup();
    let mut by_tag: HashMap<i64, Vec<EntryRow>> = HashMap::new();
    for entry in db::packages::entries(client, &filter(Some(parents)), query.event).await? {
        by_tag.entry(entry.tag_id).or_default().push(entry);
    }
    let mut compiled: HashMap<String, regex::Regex> = HashMap::new();
    for node in &order {
        for pattern in &node.filter {
            if !compiled.contains_key(pattern) {
                compiled.insert(pattern.clone(), package_filter(pattern)?);
            }
        }
        let filters: Vec<&regex::Regex> = node.filter.iter().filter_map(|p| compiled.get(p)).collect();
        for entry in by_tag.get(&node.link.parent_id).into_iter().flatten() {
            if !query.with_dups && list.has(entry.package_id) {
                continue;
            }
            if filters.iter().all(|f| f.is_match(&entry.package_name)) {
                list.put(entry.clone());
            }
        }
    }
    Ok(list.into_entries())
}

/// Entries keyed by package in first-seen order, as Koji's dict of packages.
struct Grouped {
    with_dups: bool,
    order: Vec<i64>,
    entries: HashMap<i64, Vec<EntryRow>>,
}

impl Grouped {
    fn new(with_dups: bool) -> Grouped {
        Grouped {
            with_dups,
            order: Vec::new(),
            entries: HashMap::new(),
        }
    }

    fn has(&self, package_id: i64) -> bool {
        self.entries.contains_key(&package_id)
    }

    /// Adds an entry; without dups a later entry replaces the earlier one in place, as
    /// `packages[pkgid] = p` does.
    fn put(&mut self, entry: EntryRow) {
        let slot = self.entries.entry(entry.package_id).or_insert_with(|| {
            self.order.push(entry.package_id);
            Vec::new()
        });
        if !self.with_dups {
            slot.clear();
        }
        slot.push(entry);
    }

    fn into_entries(mut self) -> Vec<EntryRow> {
        self.order
            .iter()
            .flat_map(|id| self.entries.remove(id).unwrap_or_default())
            .collect()
    }
}

fn wire(entry: EntryRow) -> PackageListEntry {
    PackageListEntry {
        package_id: entry.package_id,
        package_name: entry.package_name,
        tag_id: entry.tag_id,
        tag_name: entry.tag_name,
        extra_arches: entry.extra_arches,
        blocked: entry.blocked,
        owner: entry
            .owner
            .map(|(owner_id, owner_name)| PackageOwnerFields { owner_id, owner_name }),
    }
}

/// `getPackage(info, strict=False, create=False)`: `{id, name}`.
pub async fn get_package(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("lookup_package", ["info"], ["strict", "create"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let strict: bool = b.arg()?;
    let create: bool = b.arg()?;
    if let Some(row) = lookup::lookup(cx.db(), Registry::Package, &info).await? {
        return Ok(to_value(&PackageInfo {
            id: row.id,
            name: row.name,
        })?);
    }
    if strict {
        return Err(Error::NoSuchEntry {
            table: "package",
            key: py_str(&info),
        });
    }
    if !create {
        return Ok(Value::Nil);
    }
    let Value::String(name) = info else {
        return Err(Error::Generic("Name must be a string".into()));
    };
    cx.assert_perm("tag").await?;
    lookup::validate_name(&name)?;
    let row = db::names::ensure(&cx.tx()?, Registry::Package, &name).await?;
    Ok(to_value(&PackageInfo {
        id: row.id,
        name: row.name,
    })?)
}

/// `getPackageID(name, strict=False)`.
pub async fn get_package_id(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getPackageID", ["name"], ["strict"]);
    let mut b = params.bind(&SIG)?;
    let name = b.next_raw();
    let strict: bool = b.arg()?;
    let found = match &name {
        Value::String(n) => db::names::lookup(cx.db(), Registry::Package, &NameOrId::Name(n.clone())).await?,
        _ => None,
    };
    match found {
        Some(row) => Ok(Value::Int(row.id)),
        None if strict => Err(Error::NotFound {
            what: "package name",
            key: py_str(&name),
        }),
        None => Ok(Value::Nil),
    }
}

/// `createPackage(name)` (Kiln): registers a package name and returns its id.
pub async fn create_package(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("createPackage", ["name"], []);
    let mut b = params.bind(&SIG)?;
    let name: String = b.arg()?;
    cx.assert_perm("tag").await?;
    lookup::validate_name(&name)?;
    if db::names::lookup(cx.db(), Registry::Package, &NameOrId::Name(name.clone()))
        .await?
        .is_some()
    {
        return Err(Error::AlreadyExists {
            what: "package",
            name,
        });
    }
    let row = db::names::ensure(&cx.tx()?, Registry::Package, &name).await?;
    Ok(Value::Int(row.id))
}

/// Koji's `_applyQueryOpts` for package rows: in-memory order, offset, limit and count.
fn apply_opts(mut rows: Vec<PackageListEntry>, opts: &QueryOpts) -> Result<Value> {
    for (field, descending) in opts.order.iter().rev() {
        let key = |e: &PackageListEntry| -> Result<(i64, String)> {
            Ok(match field.as_str() {
                "package_id" => (e.package_id, String::new()),
                "package_name" => (0, e.package_name.clone()),
                "tag_id" => (e.tag_id, String::new()),
                "tag_name" => (0, e.tag_name.clone()),
                "owner_id" => (e.owner.as_ref().map_or(0, |o| o.owner_id), String::new()),
                "owner_name" => (
                    0,
                    e.owner.as_ref().map(|o| o.owner_name.clone()).unwrap_or_default(),
                ),
                "blocked" => (i64::from(e.blocked), String::new()),
                "extra_arches" => (0, e.extra_arches.clone().unwrap_or_default()),
                other => return Err(Error::InvalidValue(format!("Invalid order field: {other}"))),
            })
        };
        let mut keyed = rows
            .into_iter()
            .map(|r| Ok((key(&r)?, r)))
            .collect::<Result<Vec<_>>>()?;
        keyed.sort_by(|a, b| if *descending { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) });
        rows = keyed.into_iter().map(|(_, r)| r).collect();
    }
    if opts.count_only {
        return Ok(Value::Int(i64::try_from(rows.len()).unwrap_or(i64::MAX)));
    }
    let offset = usize::try_from(opts.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = opts
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let rows: Vec<PackageListEntry> = rows.into_iter().skip(offset).take(limit).collect();
    Ok(to_value(&rows)?)
}

/// `listPackagesSimple(prefix=None, queryOpts=None)`.
pub async fn list_packages_simple(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("listPackagesSimple", [], ["prefix", "queryOpts"]);
    let mut b = params.bind(&SIG)?;
    let prefix: Option<String> = b.arg()?;
    let opts = QueryOpts::from_value(&b.next_raw())?;
    simple(cx.db(), prefix.as_deref(), &opts).await
}

async fn simple(client: &Client, prefix: Option<&str>, opts: &QueryOpts) -> Result<Value> {
    if opts.count_only {
        return Ok(Value::Int(db::packages::count_simple(client, prefix).await?));
    }
    let rows: Vec<PackageSimple> = db::packages::simple(client, prefix, opts)
        .await?
        .into_iter()
        .map(|r| PackageSimple {
            package_id: r.id,
            package_name: r.name,
        })
        .collect();
    Ok(to_value(&rows)?)
}

/// `listPackages(tagID=None, userID=None, pkgID=None, prefix=None, inherited=False,
/// with_dups=False, event=None, queryOpts=None, with_owners=True, with_blocked=True)`.
pub async fn list_packages(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "listPackages",
        [],
        [
            "tagID",
            "userID",
            "pkgID",
            "prefix",
            "inherited",
            "with_dups",
            "event",
            "queryOpts",
            "with_owners",
            "with_blocked"
        ]
    );
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let user = b.next_raw();
    let package = b.next_raw();
    let prefix: Option<String> = b.arg()?;
    let inherited: bool = b.arg()?;
    let with_dups: bool = b.arg()?;
    let event = lookup::event_arg(&b.next_raw())?;
    let opts = QueryOpts::from_value(&b.next_raw())?;
    let with_owners: Option<bool> = b.arg()?;
    let with_blocked: Option<bool> = b.arg()?;
    if tag.is_nil() && user.is_nil() && package.is_nil() {
        return simple(cx.db(), prefix.as_deref(), &opts).await;
    }
    let tag = match &tag {
        Value::Nil => None,
        other => Some(lookup::require(cx.db(), Registry::Tag, other).await?.id),
    };
    let owner = match &user {
        Value::Nil => None,
        other => Some(require_user(cx.db(), other).await?.id),
    };
    let package = match &package {
        Value::Nil => None,
        other => Some(lookup::require(cx.db(), Registry::Package, other).await?.id),
    };
    let query = PackageListQuery {
        tag,
        owner,
        package,
        inherit: inherited,
        with_dups,
        with_owners: with_owners.unwrap_or(true),
        with_blocked: with_blocked.unwrap_or(true),
        event,
    };
    let mut rows: Vec<PackageListEntry> = read_package_list(cx.db(), &query)
        .await?
        .into_iter()
        .map(wire)
        .collect();
    if let Some(prefix) = prefix {
        let prefix = prefix.to_lowercase();
        rows.retain(|r| r.package_name.to_lowercase().starts_with(&prefix));
    }
    apply_opts(rows, &opts)
}

/// The entry of one package as the tag sees it through inheritance.
async fn inherited_entry(
    client: &Client,
    tag_id: i64,
    package_id: i64,
    event: Option<i64>,
) -> Result<Option<EntryRow>> {
    let query = PackageListQuery {
        tag: Some(tag_id),
        package: Some(package_id),
        inherit: true,
        with_owners: true,
        with_blocked: true,
        event,
        ..PackageListQuery::default()
    };
    Ok(read_package_list(client, &query).await?.into_iter().next())
}

/// What `packageListAdd` and its variants were asked to do.
struct AddRequest {
    owner: Value,
    block: Option<bool>,
    extra_arches: Value,
    force: bool,
    update: bool,
}

/// Koji's `pkglist_add`: adds or updates the entry of a package in a tag; creates the package
/// name if needed; no-op when nothing changes.
async fn add_to_list(
    cx: &mut Call<'_>,
    tag_value: &Value,
    package_value: &Value,
    request: AddRequest,
) -> Result<()> {
    let tag = lookup::require_tag(cx.db(), tag_value, None).await?;
    let existing = lookup::lookup(cx.db(), Registry::Package, package_value).await?;
    if existing.is_none() && !matches!(package_value, Value::String(_)) {
        return Err(Error::Generic(format!(
            "No such package: {}",
            py_str(package_value)
        )));
    }
    let owner = match &request.owner {
        Value::Nil => None,
        other => Some(require_user(cx.db(), other).await?.id),
    };
    let who = lookup::authorize_tag_change(cx, Some(&tag), TagChange::PackageList).await?;
    let extra_arches = match &request.extra_arches {
        Value::Nil => None,
        other => Some(lookup::parse_arches(other)?),
    };
    let package = match existing {
        Some(p) => p,
        None => {
            let name = py_str(package_value);
            lookup::validate_name(&name)?;
            db::names::ensure(&cx.tx()?, Registry::Package, &name).await?
        }
    };
    let previous = inherited_entry(cx.db(), tag.id, package.id, None).await?;
    let (owner, block, extra_arches, changed, changed_owner) = match &previous {
        None => {
            if request.update && !request.force {
                return Err(Error::Generic(format!(
                    "cannot update: tag {} has no data for package {}",
                    tag.name, package.name
                )));
            }
            (owner, request.block.unwrap_or(false), extra_arches, true, false)
        }
        Some(prev) => {
            let prev_owner = prev.owner.as_ref().map(|o| o.0);
            let owner = owner.or(prev_owner);
            let block = request.block.unwrap_or(prev.blocked);
            let extra_arches = extra_arches.or_else(|| prev.extra_arches.clone());
            let changed = prev.blocked != block || prev.extra_arches != extra_arches;
            let changed_owner = prev_owner != owner;
            if !changed && !changed_owner && !request.force {
                return Ok(());
            }
            if prev.blocked && !block && !request.force {
                return Err(Error::Generic(format!(
                    "package {} is blocked in tag {}",
                    package.name, tag.name
                )));
            }
            (owner, block, extra_arches, changed, changed_owner)
        }
    };
    let owner = match owner {
        Some(owner) => owner,
        None if request.force => who.user_id,
        None => return Err(Error::Generic("owner not specified".into())),
    };
    let change = lookup::change(cx, &who).await?;
    let tx = cx.tx()?;
    if previous.is_none() || changed {
        db::packages::set_entry(
            &tx,
            tag.id,
            package.id,
            owner,
            block,
            extra_arches.as_deref(),
            change,
        )
        .await?;
    } else if changed_owner {
        db::packages::set_owner(&tx, tag.id, package.id, owner, change).await?;
    }
    info!(
        tag.name = %tag.name,
        package.name = %package.name,
        "changed the entry of {} in the package list of {}",
        package.name,
        tag.name
    );
    Ok(())
}

/// `packageListAdd(taginfo, pkginfo, owner=None, block=None, extra_arches=None, force=False,
/// update=False)`.
pub async fn package_list_add(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "pkglist_add",
        ["taginfo", "pkginfo"],
        ["owner", "block", "extra_arches", "force", "update"]
    );
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let package = b.next_raw();
    let owner = b.next_raw();
    let block = b.next_raw();
    let extra_arches = b.next_raw();
    let force: bool = b.arg()?;
    let update: bool = b.arg()?;
    let request = AddRequest {
        owner,
        block: (!block.is_nil()).then(|| block.truthy()),
        extra_arches,
        force,
        update,
    };
    add_to_list(cx, &tag, &package, request).await?;
    Ok(Value::Nil)
}

/// `packageListSetOwner(taginfo, pkginfo, owner, force=False)`.
pub async fn package_list_set_owner(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("pkglist_setowner", ["taginfo", "pkginfo", "owner"], ["force"]);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let package = b.next_raw();
    let owner = b.next_raw();
    let force: bool = b.arg()?;
    let request = AddRequest {
        owner,
        block: None,
        extra_arches: Value::Nil,
        force,
        update: true,
    };
    add_to_list(cx, &tag, &package, request).await?;
    Ok(Value::Nil)
}

/// `packageListSetArches(taginfo, pkginfo, arches, force=False)`.
pub async fn package_list_set_arches(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("pkglist_setarches", ["taginfo", "pkginfo", "arches"], ["force"]);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let package = b.next_raw();
    let arches = b.next_raw();
    let force: bool = b.arg()?;
    let request = AddRequest {
        owner: Value::Nil,
        block: None,
        extra_arches: arches,
        force,
        update: true,
    };
    add_to_list(cx, &tag, &package, request).await?;
    Ok(Value::Nil)
}

/// The tag and package of a list operation on an existing package.
async fn tag_and_package(
    cx: &Call<'_>,
    tag: &Value,
    package: &Value,
) -> Result<(TagRow, crate::db::names::NameRow)> {
    let tag = lookup::require_tag(cx.db(), tag, None).await?;
    let package = lookup::require(cx.db(), Registry::Package, package).await?;
    Ok((tag, package))
}

/// `packageListBlock(taginfo, pkginfo, force=False)`: the package must be listed (perhaps
/// through inheritance).
pub async fn package_list_block(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("pkglist_block", ["taginfo", "pkginfo"], ["force"]);
    let mut b = params.bind(&SIG)?;
    let tag_value = b.next_raw();
    let package_value = b.next_raw();
    let force: bool = b.arg()?;
    let (tag, package) = tag_and_package(cx, &tag_value, &package_value).await?;
    if inherited_entry(cx.db(), tag.id, package.id, None)
        .await?
        .is_none()
    {
        return Err(Error::Generic(format!(
            "Package {} is not in tag listing for {}",
            package.name, tag.name
        )));
    }
    let request = AddRequest {
        owner: Value::Nil,
        block: Some(true),
        extra_arches: Value::Nil,
        force,
        update: false,
    };
    add_to_list(cx, &tag_value, &package_value, request).await?;
    Ok(Value::Nil)
}

/// `packageListUnblock(taginfo, pkginfo, force=False)`: removes a block made in the tag itself,
/// or adds an unblocking entry over an inherited one.
pub async fn package_list_unblock(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("pkglist_unblock", ["taginfo", "pkginfo"], ["force"]);
    let mut b = params.bind(&SIG)?;
    let tag_value = b.next_raw();
    let package_value = b.next_raw();
    let _force: bool = b.arg()?;
    let (tag, package) = tag_and_package(cx, &tag_value, &package_value).await?;
    let who = lookup::authorize_tag_change(cx, Some(&tag), TagChange::PackageList).await?;
    let Some(previous) = inherited_entry(cx.db(), tag.id, package.id, None).await? else {
        return Err(Error::Generic(format!(
            "no data (blocked or otherwise) for package {} in tag {}",
            package.name, tag.name
        )));
    };
    if !previous.blocked {
        return Err(Error::Generic(format!(
            "package {} NOT blocked in tag {}",
            package.name, tag.name
        )));
    }
    let owner = previous
        .owner
        .as_ref()
        .map_or(who.user_id, |(owner_id, _)| *owner_id);
    let change = lookup::change(cx, &who).await?;
    let tx = cx.tx()?;
    if previous.tag_id == tag.id {
        db::packages::revoke_entry(&tx, tag.id, package.id, change).await?;
        let after = inherited_entry(cx.db(), tag.id, package.id, None).await?;
        if after.is_none_or(|e| e.blocked) {
            db::packages::set_entry(
                &tx,
                tag.id,
                package.id,
                owner,
                false,
                previous.extra_arches.as_deref(),
                change,
            )
            .await?;
        }
    } else {
        db::packages::set_entry(
            &tx,
            tag.id,
            package.id,
            owner,
            false,
            previous.extra_arches.as_deref(),
            change,
        )
        .await?;
    }
    info!(tag.name = %tag.name, package.name = %package.name, "unblocked {} in {}", package.name, tag.name);
    Ok(Value::Nil)
}

/// `packageListRemove(taginfo, pkginfo, force=False)`: revokes the tag's own entry (an
/// inherited one then shows through).
pub async fn package_list_remove(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("pkglist_remove", ["taginfo", "pkginfo"], ["force"]);
    let mut b = params.bind(&SIG)?;
    let tag_value = b.next_raw();
    let package_value = b.next_raw();
    let _force: bool = b.arg()?;
    let (tag, package) = tag_and_package(cx, &tag_value, &package_value).await?;
    let who = lookup::authorize_tag_change(cx, Some(&tag), TagChange::PackageList).await?;
    let change = lookup::change(cx, &who).await?;
    db::packages::revoke_entry(&cx.tx()?, tag.id, package.id, change).await?;
    info!(tag.name = %tag.name, package.name = %package.name, "removed {} from {}", package.name, tag.name);
    Ok(Value::Nil)
}

/// The ids of a tag and package named leniently (nil when either is unknown).
async fn ids(cx: &Call<'_>, tag: &Value, package: &Value) -> Result<Option<(i64, i64)>> {
    let tag = lookup::lookup(cx.db(), Registry::Tag, tag).await?;
    let package = lookup::lookup(cx.db(), Registry::Package, package).await?;
    Ok(tag.zip(package).map(|(t, p)| (t.id, p.id)))
}

/// `getPackageConfig(tag, pkg, event=None)`: the package's entry as the tag sees it, or nil.
pub async fn get_package_config(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getPackageConfig", ["tag", "pkg"], ["event"]);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let package = b.next_raw();
    let event = lookup::event_arg(&b.next_raw())?;
    let Some((tag_id, package_id)) = ids(cx, &tag, &package).await? else {
        return Ok(Value::Nil);
    };
    match inherited_entry(cx.db(), tag_id, package_id, event).await? {
        Some(entry) => Ok(to_value(&wire(entry))?),
        None => Ok(Value::Nil),
    }
}

/// `checkTagPackage(tag, pkg)`: whether the package is listed and not blocked.
pub async fn check_tag_package(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("checkTagPackage", ["tag", "pkg"], []);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let package = b.next_raw();
    let Some((tag_id, package_id)) = ids(cx, &tag, &package).await? else {
        return Ok(Value::Bool(false));
    };
    let entry = inherited_entry(cx.db(), tag_id, package_id, None).await?;
    Ok(Value::Bool(entry.is_some_and(|e| !e.blocked)))
}
