//! Tagging: `listTagged`, `getLatestBuilds`, `listTaggedRPMS`, `getLatestRPMS`, `tagBuild`
//! (a `tagBuild` task, as Koji), `untagBuild`, `moveBuild`, `tagBuildBypass`,
//! `untagBuildBypass`; Koji's `readTaggedBuilds` latest rule and its tag access checks.

use std::collections::{HashMap, HashSet};

use common::signature;
use common::states::BuildState;
use common::wire::TaggedBuild;
use common::xmlrpc::{Params, Signature, Value, to_value};
use tracing::info;

use crate::db::builds::BuildRow;
use crate::db::names::{NameOrId, Registry};
use crate::db::query::QueryOpts;
use crate::db::rpms::RpmFilter;
use crate::db::tagged::{TaggedFilter, TaggedRow};
use crate::db::tags::TagRow;
use crate::db::{self, Client, Tx};
use crate::error::{Error, Result};
use crate::root::builds::{json_extra, require_build, state_name};
use crate::root::inheritance::full_inheritance;
use crate::root::lookup::{self, py_str};
use crate::root::packages::{PackageListQuery, read_package_list};
use crate::root::rpms::rpm_info;
use crate::root::users::require_user;
use crate::rpc::call::Call;
use crate::tasks::create::{TaskSpec, create};

/// How many builds per package [`read_tagged`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latest {
    /// All of them.
    All,
    /// The newest N.
    Newest(i64),
}

impl Latest {
    /// Koji's `latest` argument: nil/false for all, true for 1, N for N.
    pub fn from_value(value: &Value) -> Result<Latest> {
        match value {
            Value::Nil | Value::Bool(false) => Ok(Latest::All),
            Value::Bool(true) => Ok(Latest::Newest(1)),
            other => match other.as_i64() {
                Some(0) => Ok(Latest::All),
                Some(n) if n > 0 => Ok(Latest::Newest(n)),
                _ => Err(Error::InvalidValue(format!("Invalid value for latest: {other}"))),
            },
        }
    }
}

/// What [`read_tagged`] reads.
#[derive(Debug, Clone)]
pub struct TaggedQuery {
    /// The tag.
    pub tag_id: i64,
    /// As of this event.
    pub event: Option<i64>,
    /// Follow inheritance.
    pub inherit: bool,
    /// How many per package.
    pub latest: Latest,
    /// Of this package.
    pub package_id: Option<i64>,
    /// Owned by this user.
    pub owner_id: Option<i64>,
    /// Package names starting with this.
    pub prefix: Option<String>,
    /// Of this build type.
    pub btype_id: Option<i64>,
    /// Draft or not.
    pub draft: Option<bool>,
}

/// Koji's `readTaggedBuilds`: the COMPLETE builds of the tag (and, with `inherit`, its
/// ancestors in inheritance order), newest tagging first within each tag, keeping only
/// packages the tag lists and does not block; with `latest`, the first N builds seen per
/// package win.
pub async fn read_tagged(client: &Client, query: &TaggedQuery) -> Result<Vec<TaggedRow>> {
    let mut order = vec![query.tag_id];
    if query.inherit {
        for node in full_inheritance(client, query.tag_id, query.event, false).await? {
            if !order.contains(&node.link.parent_id) {
                order.push(node.link.parent_id);
            }
        }
    }
    let list = PackageListQuery {
        tag: Some(query.tag_id),
        package: query.package_id,
        inherit: true,
        with_owners: false,
        with_blocked: true,
        event: query.event,
        ..PackageListQuery::default()
    };
    let allowed: HashSet<i64> = read_package_list(client, &list)
        .await?
        .into_iter()
        .filter(|e| !e.blocked)
        .map(|e| e.package_id)
        .collect();
    let filter = TaggedFilter {
        tag_ids: order.clone(),
        event: query.event,
        package_id: query.package_id,
        owner_id: query.owner_id,
        prefix: query.prefix.clone(),
        draft: query.draft,
        btype_id: query.btype_id,
    };
    let mut by_tag: HashMap<i64, Vec<TaggedRow>> = HashMap::new();
    for row in db::tagged::tagged(client, &filter).await? {
        by_tag.entry(row.tag_id).or_default().push(row);
    }
    let mut seen: HashMap<i64, i64> = HashMap::new();
    let mut out = Vec::new();
    for tag_id in order {
        for row in by_tag.remove(&tag_id).unwrap_or_default() {
            let package_id = row.build.package_id;
            if !allowed.contains(&package_id) {
                continue;
            }
            if let Latest::Newest(n) = query.latest {
                let count = seen.entry(package_id).or_insert(0);
                if *count >= n {
                    continue;
                }
                *count += 1;
            }
            out.push(row);
        }
    }
    Ok(out)
}

/// The wire form of a tagged build.
pub fn tagged_build(row: &TaggedRow, with_extra: bool) -> TaggedBuild {
    let b = &row.build;
    TaggedBuild {
        id: b.id,
        build_id: b.id,
        name: b.package_name.clone(),
        package_id: b.package_id,
        package_name: b.package_name.clone(),
        version: b.version.clone(),
        release: b.release.clone(),
        epoch: b.epoch.map(i64::from),
        nvr: b.nvr(),
        state: b.state,
        draft: b.draft,
        task_id: b.task_id,
        owner_id: b.owner_id,
        owner_name: b.owner_name.clone(),
        promoter_id: b.promoter_id,
        promoter_name: b.promoter_name.clone(),
        creation_event_id: b.create_event,
        creation_time: b.creation_time.koji_time(),
        start_time: b.start_time.map(db::Micros::koji_time),
        completion_time: b.completion_time.map(db::Micros::koji_time),
        promotion_time: b.promotion_time.map(db::Micros::koji_time),
        volume_id: b.volume_id,
        volume_name: b.volume_name.clone(),
        tag_id: row.tag_id,
        tag_name: row.tag_name.clone(),
        create_event: row.create_event,
        extra: if with_extra {
            Some(json_extra(b.extra.as_deref()).unwrap_or(Value::Nil))
        } else {
            None
        },
    }
}

/// The tag a listing call names: strict calls fail on unknown tags, others get `None`.
async fn listing_tag(
    client: &Client,
    tag: &Value,
    event: Option<i64>,
    strict: bool,
) -> Result<Option<TagRow>> {
    if strict {
        return Ok(Some(lookup::require_tag(client, tag, event).await?));
    }
    lookup::get_tag(client, tag, event).await
}

/// A package named by id or name for a listing; `Err(None)` means "no such package, empty
/// answer".
async fn listing_package(client: &Client, package: &Value, strict: bool) -> Result<Option<Option<i64>>> {
    if package.is_nil() {
        return Ok(Some(None));
    }
    match lookup::lookup(client, Registry::Package, package).await? {
        Some(row) => Ok(Some(Some(row.id))),
        None if strict => Err(Error::NotFound {
            what: "package name",
            key: py_str(package),
        }),
        None => Ok(None),
    }
}

async fn btype_of(client: &Client, value: &Value) -> Result<Option<i64>> {
    let Some(name) = value.as_str() else {
        return Ok(None);
    };
    db::builds::btypes(client)
        .await?
        .into_iter()
        .find(|(_, n)| n == name)
        .map(|(id, _)| Some(id))
        .ok_or_else(|| Error::Generic(format!("unsupported build type: {name}")))
}

/// `listTagged(tag, event=None, inherit=False, prefix=None, latest=False, package=None,
/// owner=None, type=None, strict=True, extra=False, draft=None)`.
pub async fn list_tagged(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "listTagged",
        ["tag"],
        [
            "event", "inherit", "prefix", "latest", "package", "owner", "type", "strict", "extra", "draft"
        ]
    );
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let event = lookup::event_arg(&b.next_raw())?;
    let inherit: bool = b.arg()?;
    let prefix: Option<String> = b.arg()?;
    let latest = Latest::from_value(&b.next_raw())?;
    let package = b.next_raw();
    let owner = b.next_raw();
    let btype = b.next_raw();
    let strict: Option<bool> = b.arg()?;
    let extra: bool = b.arg()?;
    let draft: Option<bool> = b.arg()?;
    let strict = strict.unwrap_or(true);
    let client = cx.db();
    let Some(tag) = listing_tag(client, &tag, event, strict).await? else {
        return Ok(Value::Array(Vec::new()));
    };
    let Some(package_id) = listing_package(client, &package, strict).await? else {
        return Ok(Value::Array(Vec::new()));
    };
    let owner_id = match &owner {
        Value::Nil => None,
        other => Some(require_user(client, other).await?.id),
    };
    let query = TaggedQuery {
        tag_id: tag.id,
        event,
        inherit,
        latest,
        package_id,
        owner_id,
        prefix,
        btype_id: btype_of(client, &btype).await?,
        draft,
    };
    let rows = read_tagged(client, &query).await?;
    let builds: Vec<TaggedBuild> = rows.iter().map(|r| tagged_build(r, extra)).collect();
    Ok(to_value(&builds)?)
}

/// `getLatestBuilds(tag, event=None, package=None, type=None, draft=None)`.
pub async fn get_latest_builds(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getLatestBuilds", ["tag"], ["event", "package", "type", "draft"]);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let event = lookup::event_arg(&b.next_raw())?;
    let package = b.next_raw();
    let btype = b.next_raw();
    let draft: Option<bool> = b.arg()?;
    let client = cx.db();
    let tag = lookup::require_tag(client, &tag, event).await?;
    let Some(package_id) = listing_package(client, &package, false).await? else {
        return Ok(Value::Array(Vec::new()));
    };
    let query = TaggedQuery {
        tag_id: tag.id,
        event,
        inherit: true,
        latest: Latest::Newest(1),
        package_id,
        owner_id: None,
        prefix: None,
        btype_id: btype_of(client, &btype).await?,
        draft,
    };
    let rows = read_tagged(client, &query).await?;
    let builds: Vec<TaggedBuild> = rows.iter().map(|r| tagged_build(r, false)).collect();
    Ok(to_value(&builds)?)
}

/// Reads an `arch` argument: a name or a list of names.
fn arches_arg(value: &Value) -> Result<Option<Vec<String>>> {
    match value {
        Value::Nil => Ok(None),
        Value::String(s) => Ok(Some(vec![s.clone()])),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Error::InvalidValue(format!("Invalid arch: {v}")))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        other => Err(Error::InvalidValue(format!("Invalid arch: {other}"))),
    }
}

/// Koji's `readTaggedRPMS`: `[rpms, builds]` for the tagged builds.
async fn tagged_rpms(
    client: &Client,
    query: &TaggedQuery,
    arches: Option<Vec<String>>,
    rpmsigs: bool,
    with_extra: bool,
) -> Result<Value> {
    let rows = read_tagged(client, query).await?;
    let build_ids: Vec<i64> = rows.iter().map(|r| r.build.id).collect();
    let filter = RpmFilter {
        build_ids: Some(build_ids),
        arches,
        ..RpmFilter::default()
    };
    let rpms = db::rpms::list(client, &filter, &QueryOpts::default()).await?;
    let sigs = if rpmsigs {
        let ids: Vec<i64> = rpms.iter().map(|(r, _)| r.id).collect();
        db::rpms::sigs(client, Some(ids), None, &QueryOpts::default()).await?
    } else {
        Vec::new()
    };
    let mut rpm_values = Vec::new();
    for (rpm, _) in &rpms {
        let mut value = to_value(&rpm_info(rpm))?;
        if let Value::Struct(members) = &mut value {
            members.remove("external_repo_id");
            members.remove("external_repo_name");
            if !with_extra {
                members.remove("extra");
            }
        }
        if rpmsigs {
            for sig in sigs.iter().filter(|s| s.rpm_id == rpm.id) {
                let mut signed = value.clone();
                if let Value::Struct(members) = &mut signed {
                    members.insert("sigkey".into(), Value::from(sig.sigkey.clone()));
                }
                rpm_values.push(signed);
            }
        } else {
            rpm_values.push(value);
        }
    }
    let builds: Vec<TaggedBuild> = rows.iter().map(|r| tagged_build(r, with_extra)).collect();
    Ok(Value::Array(vec![Value::Array(rpm_values), to_value(&builds)?]))
}

/// `listTaggedRPMS(tag, event=None, inherit=False, latest=False, package=None, arch=None,
/// rpmsigs=False, owner=None, type=None, strict=True, extra=True, draft=None)`: `[rpms, builds]`.
pub async fn list_tagged_rpms(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "listTaggedRPMS",
        ["tag"],
        [
            "event", "inherit", "latest", "package", "arch", "rpmsigs", "owner", "type", "strict", "extra",
            "draft"
        ]
    );
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let event = lookup::event_arg(&b.next_raw())?;
    let inherit: bool = b.arg()?;
    let latest = Latest::from_value(&b.next_raw())?;
    let package = b.next_raw();
    let arches = arches_arg(&b.next_raw())?;
    let rpmsigs: bool = b.arg()?;
    let owner = b.next_raw();
    let btype = b.next_raw();
    let strict: Option<bool> = b.arg()?;
    let extra: Option<bool> = b.arg()?;
    let draft: Option<bool> = b.arg()?;
    let strict = strict.unwrap_or(true);
    let client = cx.db();
    let empty = || Value::Array(vec![Value::Array(Vec::new()), Value::Array(Vec::new())]);
    let Some(tag) = listing_tag(client, &tag, event, strict).await? else {
        return Ok(empty());
    };
    let Some(package_id) = listing_package(client, &package, strict).await? else {
        return Ok(empty());
    };
    let owner_id = match &owner {
        Value::Nil => None,
        other => Some(require_user(client, other).await?.id),
    };
    let query = TaggedQuery {
        tag_id: tag.id,
        event,
        inherit,
        latest,
        package_id,
        owner_id,
        prefix: None,
        btype_id: btype_of(client, &btype).await?,
        draft,
    };
    tagged_rpms(client, &query, arches, rpmsigs, extra.unwrap_or(true)).await
}

/// `getLatestRPMS(tag, package=None, arch=None, event=None, rpmsigs=False, type=None,
/// draft=None)`: `[rpms, builds]` of the latest builds, with inheritance.
pub async fn get_latest_rpms(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "getLatestRPMS",
        ["tag"],
        ["package", "arch", "event", "rpmsigs", "type", "draft"]
    );
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let package = b.next_raw();
    let arches = arches_arg(&b.next_raw())?;
    let event = lookup::event_arg(&b.next_raw())?;
    let rpmsigs: bool = b.arg()?;
    let btype = b.next_raw();
    let draft: Option<bool> = b.arg()?;
    let client = cx.db();
    let tag = lookup::require_tag(client, &tag, event).await?;
    let Some(package_id) = listing_package(client, &package, false).await? else {
        return Ok(Value::Array(vec![
            Value::Array(Vec::new()),
            Value::Array(Vec::new()),
        ]));
    };
    let query = TaggedQuery {
        tag_id: tag.id,
        event,
        inherit: true,
        latest: Latest::Newest(1),
        package_id,
        owner_id: None,
        prefix: None,
        btype_id: btype_of(client, &btype).await?,
        draft,
    };
    tagged_rpms(client, &query, arches, rpmsigs, true).await
}

/// Koji's `check_tag_access` + `assert_tag_access` for `user_id`: a locked tag, or one whose
/// permission the user lacks, is refused unless the user is an admin and forces it.
pub async fn assert_tag_access(client: &Client, tag: &TagRow, user_id: i64, force: bool) -> Result<()> {
    let perms = db::users::user_permissions(client, user_id, true).await?;
    let admin = perms.iter().any(|p| p == "admin");
    let reason = if tag.locked {
        Some("tag is locked".to_owned())
    } else {
        tag.perm
            .as_ref()
            .filter(|perm| !perms.contains(perm))
            .map(|perm| format!("tag requires {perm} permission"))
    };
    match reason {
        Some(reason) if !(admin && force) => Err(Error::TagAccess { reason }),
        _ => Ok(()),
    }
}

/// Koji's `_direct_tag_build`: tags a COMPLETE build; an already tagged build is refused, or
/// re-tagged (moved to newest) with `force`.
pub async fn tag_build_direct(
    tx: &Tx<'_>,
    tag: &TagRow,
    build: &BuildRow,
    change: db::versioned::Change,
    force: bool,
) -> Result<()> {
    let nvr = build.nvr();
    if build.state != BuildState::Complete.code() {
        return Err(Error::Tag(format!(
            "build {nvr} not complete: state {}",
            state_name(build.state)
        )));
    }
    if db::tagged::is_tagged(tx, build.id, tag.id).await? {
        if !force {
            return Err(Error::Tag(format!("build {nvr} already tagged ({})", tag.name)));
        }
        db::tagged::revoke(tx, build.id, tag.id, change).await?;
    }
    db::tagged::insert(tx, build.id, tag.id, change).await?;
    info!(tag.name = %tag.name, build.nvr = %nvr, "tagged {nvr} into {}", tag.name);
    Ok(())
}

/// Koji's `_direct_untag_build`: revokes the tagging; with `strict`, an untagged build is an
/// error.
pub async fn untag_build_direct(
    tx: &Tx<'_>,
    tag: &TagRow,
    build: &BuildRow,
    change: db::versioned::Change,
    strict: bool,
) -> Result<()> {
    let n = db::tagged::revoke(tx, build.id, tag.id, change).await?;
    if n == 0 && strict {
        return Err(Error::Tag(format!(
            "build {} not in tag {}",
            build.nvr(),
            tag.name
        )));
    }
    info!(tag.name = %tag.name, build.nvr = %build.nvr(), "untagged {} from {}", build.nvr(), tag.name);
    Ok(())
}

/// `tagBuild(tag, build, force=False, fromtag=None)`: checks the build, the tag's access and
/// package list, then creates a `tagBuild` task (priority 10) that does the tagging.
pub async fn tag_build(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("tagBuild", ["tag", "build"], ["force", "fromtag"]);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let build = b.next_raw();
    let force: bool = b.arg()?;
    let fromtag = b.next_raw();
    request_tagging(cx, &tag, &build, force, &fromtag).await
}

/// `moveBuild(tag1, tag2, build, force=False)`: a `tagBuild` task into `tag2` from `tag1`.
pub async fn move_build(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("moveBuild", ["tag1", "tag2", "build"], ["force"]);
    let mut b = params.bind(&SIG)?;
    let from = b.next_raw();
    let to = b.next_raw();
    let build = b.next_raw();
    let force: bool = b.arg()?;
    request_tagging(cx, &to, &build, force, &from).await
}

async fn request_tagging(
    cx: &mut Call<'_>,
    tag: &Value,
    build: &Value,
    force: bool,
    fromtag: &Value,
) -> Result<Value> {
    let who = cx.assert_login()?;
    let build = require_build(cx.db(), build).await?;
    let tag = lookup::require_tag(cx.db(), tag, None).await?;
    let fromtag = match fromtag {
        Value::Nil => None,
        other => Some(lookup::require_tag(cx.db(), other, None).await?),
    };
    if build.state != BuildState::Complete.code() {
        return Err(Error::Tag(format!(
            "build {} not complete: state {}",
            build.nvr(),
            state_name(build.state)
        )));
    }
    assert_tag_access(cx.db(), &tag, who.user_id, force).await?;
    if let Some(from) = &fromtag {
        assert_tag_access(cx.db(), from, who.user_id, force).await?;
    }
    check_package_list(cx, &tag, &build, force).await?;
    let args = vec![
        Value::Int(tag.id),
        Value::Int(build.id),
        Value::Bool(force),
        fromtag.as_ref().map_or(Value::Nil, |t| Value::Int(t.id)),
    ];
    let spec = TaskSpec {
        method: "tagBuild".into(),
        args,
        priority: Some(10),
        ..TaskSpec::default()
    };
    let task_id = create(&cx.tx()?, Some(who.user_id), spec).await?;
    info!(task.id = task_id, tag.name = %tag.name, build.nvr = %build.nvr(), "tagBuild task {task_id} for {} into {}", build.nvr(), tag.name);
    Ok(Value::Int(task_id))
}

/// The package-list check of `tagBuild`: the build's package must be listed in the tag (or an
/// ancestor) and not blocked; an admin forcing it adds the package to the list instead.
async fn check_package_list(cx: &mut Call<'_>, tag: &TagRow, build: &BuildRow, force: bool) -> Result<()> {
    let list = PackageListQuery {
        tag: Some(tag.id),
        package: Some(build.package_id),
        inherit: true,
        with_owners: false,
        with_blocked: true,
        ..PackageListQuery::default()
    };
    let entry = read_package_list(cx.db(), &list).await?.into_iter().next();
    let problem = match entry {
        None => Some(format!(
            "Package {} not in list for {}",
            build.package_name, tag.name
        )),
        Some(e) if e.blocked => Some(format!("Package {} blocked in {}", build.package_name, tag.name)),
        Some(_) => None,
    };
    let Some(problem) = problem else {
        return Ok(());
    };
    if !(force && cx.is_admin().await?) {
        return Err(Error::Tag(problem));
    }
    let who = cx.assert_login()?;
    let change = lookup::change(cx, &who).await?;
    db::packages::set_entry(
        &cx.tx()?,
        tag.id,
        build.package_id,
        who.user_id,
        false,
        None,
        change,
    )
    .await?;
    info!(tag.name = %tag.name, "tagBuild: {problem}, force=True: added the package to the list");
    Ok(())
}

/// `untagBuild(tag, build, strict=True, force=False)`: synchronous, no task.
pub async fn untag_build(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("untagBuild", ["tag", "build"], ["strict", "force"]);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let build = b.next_raw();
    let strict: Option<bool> = b.arg()?;
    let force: bool = b.arg()?;
    let who = cx.assert_login()?;
    untag(cx, &who, &tag, &build, strict.unwrap_or(true), force).await?;
    Ok(Value::Nil)
}

async fn untag(
    cx: &mut Call<'_>,
    who: &crate::rpc::call::Authorized,
    tag: &Value,
    build: &Value,
    strict: bool,
    force: bool,
) -> Result<()> {
    let tag = lookup::require_tag(cx.db(), tag, None).await?;
    let build = require_build(cx.db(), build).await?;
    assert_tag_access(cx.db(), &tag, who.user_id, force).await?;
    let change = lookup::change(cx, who).await?;
    untag_build_direct(&cx.tx()?, &tag, &build, change, strict).await
}

/// `tagBuildBypass(tag, build, force=False, notify=False)` (perm `tag`): tags at once, no task,
/// no package-list check.
pub async fn tag_build_bypass(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("tagBuildBypass", ["tag", "build"], ["force", "notify"]);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let build = b.next_raw();
    let force: bool = b.arg()?;
    let _notify: bool = b.arg()?;
    let who = cx.assert_perm("tag").await?;
    let tag = lookup::require_tag(cx.db(), &tag, None).await?;
    let build = require_build(cx.db(), &build).await?;
    assert_tag_access(cx.db(), &tag, who.user_id, force).await?;
    let change = lookup::change(cx, &who).await?;
    tag_build_direct(&cx.tx()?, &tag, &build, change, force).await?;
    Ok(Value::Nil)
}

/// `untagBuildBypass(tag, build, strict=True, force=False, notify=False)` (perm `tag`).
pub async fn untag_build_bypass(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "untagBuildBypass",
        ["tag", "build"],
        ["strict", "force", "notify"]
    );
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let build = b.next_raw();
    let strict: Option<bool> = b.arg()?;
    let force: bool = b.arg()?;
    let _notify: bool = b.arg()?;
    let who = cx.assert_perm("tag").await?;
    untag(cx, &who, &tag, &build, strict.unwrap_or(true), force).await?;
    Ok(Value::Nil)
}

/// The tag named by an id, for `host.tagBuild` (which gets ids or names).
pub async fn tag_by_value(client: &Client, value: &Value) -> Result<TagRow> {
    let key = lookup::name_or_id(value)?;
    db::tags::get(client, &key, None)
        .await?
        .ok_or_else(|| Error::NoSuchTag {
            tag: match key {
                NameOrId::Id(id) => id.to_string(),
                NameOrId::Name(name) => format!("'{name}'"),
            },
        })
}
