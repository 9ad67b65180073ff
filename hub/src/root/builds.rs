//! Builds: `getBuild`, `listBuilds`, `getBuildType`, `listBTypes`, `listVolumes`,
//! `getMavenBuild`/`getWinBuild`/`getImageBuild`, `getBuildLogs`, `getNextRelease`,
//! `cancelBuild`, `deleteBuild`, `resetBuild`, `getChangelogEntries`, `listArchives`, and the
//! ways callers name a build.

use common::signature;
use common::states::BuildState;
use common::wire::{BuildInfo, BuildLog};
use common::xmlrpc::{Params, Signature, Value, to_value};
use tracing::info;

use crate::db::builds::{BuildFilter, BuildRow};
use crate::db::names::Registry;
use crate::db::query::QueryOpts;
use crate::db::types::Micros;
use crate::db::{self, Client};
use crate::error::{Error, Result};
use crate::files::packages;
use crate::root::lookup;
use crate::root::users::require_user;
use crate::rpc::call::Call;
use crate::tasks::lifecycle;

/// Koji's `parse_NVR`: `name-version-release`, the name possibly prefixed by `epoch:`.
pub fn parse_nvr(nvr: &str) -> Result<(String, String, String)> {
    let invalid = || Error::Generic(format!("invalid format: {nvr}"));
    let p2 = nvr
        .rfind('-')
        .filter(|p| *p + 1 < nvr.len())
        .ok_or_else(invalid)?;
    let head = nvr.get(..p2).ok_or_else(invalid)?;
    let p1 = head.rfind('-').filter(|p| *p + 1 < p2).ok_or_else(invalid)?;
    let name = head.get(..p1).ok_or_else(invalid)?;
    let name = name.split_once(':').map_or(name, |(_, n)| n);
    let version = head.get(p1 + 1..).ok_or_else(invalid)?;
    let release = nvr.get(p2 + 1..).ok_or_else(invalid)?;
    Ok((name.to_owned(), version.to_owned(), release.to_owned()))
}

/// Koji's `find_build_id` + `get_build`: an id, an `N-V-R` string, or a struct with
/// `name`, `version` and `release` (or `id`). Missing builds are `None`.
pub async fn find_build(client: &Client, info: &Value) -> Result<Option<BuildRow>> {
    match info {
        Value::Int(id) => db::builds::get(client, *id).await,
        Value::String(text) => {
            if let Ok(id) = text.trim().parse::<i64>() {
                return db::builds::get(client, id).await;
            }
            let (name, version, release) = parse_nvr(text)?;
            db::builds::get_by_nvr(client, &name, &version, &release).await
        }
        Value::Struct(members) => {
            if let Some(id) = members.get("id").and_then(Value::as_i64) {
                return db::builds::get(client, id).await;
            }
            let field = |key: &str| members.get(key).map(lookup::py_str);
            match (field("name"), field("version"), field("release")) {
                (Some(n), Some(v), Some(r)) => db::builds::get_by_nvr(client, &n, &v, &r).await,
                _ => Err(Error::Generic(
                    "did not provide name, version, and release".into(),
                )),
            }
        }
        other => Err(Error::Generic(format!("Invalid build value: {other}"))),
    }
}

/// Like [`find_build`], but a missing build is Koji's "No such build: …".
pub async fn require_build(client: &Client, info: &Value) -> Result<BuildRow> {
    find_build(client, info).await?.ok_or_else(|| Error::NoSuchBuild {
        build: info.to_string(),
    })
}

/// Parses a JSON `extra` column into a wire value (nil when absent or unreadable).
pub fn json_extra(text: Option<&str>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .and_then(|json| to_value(&json).ok())
}

/// The wire form of a build.
pub fn build_info(row: &BuildRow) -> BuildInfo {
    BuildInfo {
        id: row.id,
        build_id: row.id,
        package_id: row.package_id,
        package_name: row.package_name.clone(),
        name: row.package_name.clone(),
        version: row.version.clone(),
        release: row.release.clone(),
        epoch: row.epoch.map(i64::from),
        nvr: row.nvr(),
        draft: row.draft,
        state: row.state,
        task_id: row.task_id,
        owner_id: row.owner_id,
        owner_name: row.owner_name.clone(),
        volume_id: row.volume_id,
        volume_name: row.volume_name.clone(),
        creation_event_id: row.create_event,
        creation_time: row.creation_time.koji_time(),
        creation_ts: row.creation_time.koji_ts(),
        start_time: row.start_time.map(Micros::koji_time),
        start_ts: row.start_time.map(Micros::koji_ts),
        completion_time: row.completion_time.map(Micros::koji_time),
        completion_ts: row.completion_time.map(Micros::koji_ts),
        promotion_time: row.promotion_time.map(Micros::koji_time),
        promotion_ts: row.promotion_time.map(Micros::koji_ts),
        promoter_id: row.promoter_id,
        promoter_name: row.promoter_name.clone(),
        source: row.source.clone(),
        extra: json_extra(row.extra.as_deref()),
        cg_id: row.cg_id,
        // FIXME: content generators have no table yet.
        cg_name: None,
    }
}

/// The name of a build state for messages.
pub fn state_name(state: i32) -> &'static str {
    BuildState::from_code(state).map_or("UNKNOWN", BuildState::name)
}

/// `getBuild(buildInfo, strict=False)`.
pub async fn get_build(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getBuild", ["buildInfo"], ["strict"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let strict: bool = b.arg()?;
    // A string that is not an NVR is an error even when not strict, as in Koji.
    match find_build(cx.db(), &info).await? {
        Some(row) => Ok(to_value(&build_info(&row))?),
        None if strict => Err(Error::NoSuchBuild {
            build: info.to_string(),
        }),
        None => Ok(Value::Nil),
    }
}

fn time_arg(value: &Value, name: &str) -> Result<Option<Micros>> {
    if value.is_nil() {
        return Ok(None);
    }
    common::time::parse_client_time(value)
        .map(|t| Some(Micros(t)))
        .ok_or_else(|| Error::InvalidValue(format!("Invalid time for {name}: {value}")))
}

/// The btype id for a type name; unknown names are Koji's "unsupported build type".
async fn btype_id(client: &Client, name: &Value) -> Result<Option<i64>> {
    let Some(name) = name.as_str() else {
        return Ok(None);
    };
    db::builds::btypes(client)
        .await?
        .into_iter()
        .find(|(_, n)| n == name)
        .map(|(id, _)| Some(id))
        .ok_or_else(|| Error::Generic(format!("unsupported build type: {name}")))
}

/// `listBuilds(packageID=None, userID=None, taskID=None, prefix=None, state=None,
/// volumeID=None, source=None, createdBefore=None, createdAfter=None, completeBefore=None,
/// completeAfter=None, type=None, typeInfo=None, queryOpts=None, pattern=None, cgID=None,
/// draft=None)`.
pub async fn list_builds(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "listBuilds",
        [],
        [
            "packageID",
            "userID",
            "taskID",
            "prefix",
            "state",
            "volumeID",
            "source",
            "createdBefore",
            "createdAfter",
            "completeBefore",
            "completeAfter",
            "type",
            "typeInfo",
            "queryOpts",
            "pattern",
            "cgID",
            "draft",
            "promotedBefore",
            "promotedAfter",
            "promoter"
        ]
    );
    let mut b = params.bind(&SIG)?;
    let package = b.next_raw();
    let user = b.next_raw();
    let task_id: Option<i64> = b.arg()?;
    let prefix: Option<String> = b.arg()?;
    let state = b.next_raw();
    let volume_id: Option<i64> = b.arg()?;
    let source: Option<String> = b.arg()?;
    let created_before = time_arg(&b.next_raw(), "createdBefore")?;
    let created_after = time_arg(&b.next_raw(), "createdAfter")?;
    let complete_before = time_arg(&b.next_raw(), "completeBefore")?;
    let complete_after = time_arg(&b.next_raw(), "completeAfter")?;
    let btype = b.next_raw();
    let _type_info = b.next_raw();
    let opts = QueryOpts::from_value(&b.next_raw())?;
    let pattern: Option<String> = b.arg()?;
    let cg_id: Option<i64> = b.arg()?;
    let draft: Option<bool> = b.arg()?;
    let empty = || -> Result<Value> {
        Ok(if opts.count_only {
            Value::Int(0)
        } else {
            Value::Array(Vec::new())
        })
    };
    let package_id = match &package {
        Value::Nil => None,
        other => match lookup::lookup(cx.db(), Registry::Package, other).await? {
            Some(row) => Some(row.id),
            None => return empty(),
        },
    };
    let owner_id = match &user {
        Value::Nil => None,
        other => Some(require_user(cx.db(), other).await?.id),
    };
    let state = match &state {
        Value::Nil => None,
        other => Some(
            common::xmlrpc::from_value::<BuildState>(other.clone())
                .ok()
                .map(BuildState::code)
                .ok_or_else(|| Error::InvalidValue(format!("Invalid build state: {other}")))?,
        ),
    };
    let filter = BuildFilter {
        package_id,
        owner_id,
        task_id,
        prefix,
        state,
        volume_id,
        source,
        created_before,
        created_after,
        complete_before,
        complete_after,
        btype_id: btype_id(cx.db(), &btype).await?,
        pattern,
        draft,
        cg_id,
    };
    if opts.count_only {
        return Ok(Value::Int(db::builds::count(cx.db(), &filter).await?));
    }
    let rows = db::builds::list(cx.db(), &filter, &opts).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut value = to_value(&build_info(row))?;
        if let Value::Struct(members) = &mut value {
            for key in ["id", "cg_id", "cg_name"] {
                members.remove(key);
            }
        }
        out.push(value);
    }
    Ok(Value::Array(out))
}

/// `getBuildType(buildInfo, strict=False)`: `{btype: typeinfo}`; rpm builds have no type info.
pub async fn get_build_type(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getBuildType", ["buildInfo"], ["strict"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let strict: bool = b.arg()?;
    let row = match find_build(cx.db(), &info).await? {
        Some(row) => row,
        None if strict => {
            return Err(Error::NoSuchBuild {
                build: info.to_string(),
            });
        }
        None => return Ok(Value::Nil),
    };
    let extra = json_extra(row.extra.as_deref());
    let typeinfo = extra.as_ref().and_then(|e| e.get("typeinfo"));
    let members = db::builds::types(cx.db(), row.id)
        .await?
        .into_iter()
        .map(|(_, name)| {
            let info = typeinfo.and_then(|t| t.get(&name)).cloned().unwrap_or(Value::Nil);
            (name, info)
        });
    Ok(Value::structure(members))
}

/// `listBTypes(query=None, queryOpts=None)`: `[{id, name}]`, filtered by `name` or `id`.
pub async fn list_btypes(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("listBTypes", [], ["query", "queryOpts"]);
    let mut b = params.bind(&SIG)?;
    let query = b.next_raw();
    let _opts = QueryOpts::from_value(&b.next_raw())?;
    let rows = db::builds::btypes(cx.db()).await?;
    let name = query.get("name").and_then(Value::as_str);
    let id = query.get("id").and_then(Value::as_i64);
    Ok(Value::Array(
        rows.into_iter()
            .filter(|(i, n)| name.is_none_or(|x| x == n) && id.is_none_or(|x| x == *i))
            .map(|(i, n)| Value::structure([("id", Value::Int(i)), ("name", Value::from(n))]))
            .collect(),
    ))
}

/// `listVolumes()`: `[{id, name}]`.
pub async fn list_volumes(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    params.bind(&signature!("listVolumes", [], []))?;
    let rows = db::builds::volumes(cx.db()).await?;
    Ok(Value::Array(
        rows.into_iter()
            .map(|(i, n)| Value::structure([("id", Value::Int(i)), ("name", Value::from(n))]))
            .collect(),
    ))
}

/// `getMavenBuild`, `getWinBuild`, `getImageBuild` (`buildInfo, strict=False`): Kiln builds
/// only rpms, so there is never such a build; strict lookups of unknown builds still fail.
pub async fn get_typed_build(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("get_typed_build", ["buildInfo"], ["strict"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let strict: bool = b.arg()?;
    if strict {
        let row = require_build(cx.db(), &info).await?;
        return Err(Error::Generic(format!("no such typed build: {}", row.nvr())));
    }
    Ok(Value::Nil)
}

/// `listArchives(buildID=None, …)`: Kiln has no archive types yet (rpm builds have no
/// archives), so the answer is always empty.
pub async fn list_archives(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "listArchives",
        [],
        [
            "buildID",
            "buildrootID",
            "componentBuildrootID",
            "hostID",
            "type",
            "filename",
            "size",
            "checksum",
            "checksum_type",
            "typeInfo",
            "queryOpts",
            "imageID",
            "archiveID",
            "strict"
        ]
    );
    let mut b = params.bind(&SIG)?;
    for _ in 0..10 {
        b.next_raw();
    }
    let opts = QueryOpts::from_value(&b.next_raw())?;
    Ok(if opts.count_only {
        Value::Int(0)
    } else {
        Value::Array(Vec::new())
    })
}

/// `getBuildLogs(build)`: the files under the build's `data/logs/<arch>/`.
pub async fn get_build_logs(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut b = params.bind(&signature!("getBuildLogs", ["build"], []))?;
    let info = b.next_raw();
    let row = require_build(cx.db(), &info).await?;
    let build_rel = packages::build_rel(&row.package_name, &row.version, &row.release);
    let logs_rel = format!("{build_rel}/data/logs");
    let logs_root = cx.ctx.config.topdir.join(&logs_rel);
    let mut logs = Vec::new();
    // Koji's os.walk: files of the log directory itself are in dir ".", the rest in their
    // arch subdirectory; symbolic links are skipped.
    let mut pending = vec![(logs_root, ".".to_owned())];
    while let Some((dir, rel)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        let mut subdirs = Vec::new();
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let sub = if rel == "." {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if kind.is_dir() {
                subdirs.push((entry.path(), sub));
            } else if kind.is_file() {
                logs.push(BuildLog {
                    path: format!("{logs_rel}/{sub}"),
                    name,
                    dir: rel.clone(),
                });
            }
        }
        pending.extend(subdirs.into_iter().rev());
    }
    Ok(to_value(&logs)?)
}

/// Koji's `get_next_release`: one more than the newest build's release of this name and
/// version, also for `N.<dist>M` releases.
pub fn next_release(latest: Option<&str>, incr: i64) -> Result<String> {
    let Some(release) = latest else {
        return Ok(incr.to_string());
    };
    if let Ok(n) = release.parse::<i64>() {
        return Ok((n + incr).to_string());
    }
    if let Some((head, tail)) = release.split_once('.')
        && let Ok(n) = head.parse::<i64>()
        && !tail.contains('.')
        && tail.starts_with(|c: char| c.is_ascii_alphabetic())
        && tail.ends_with(|c: char| c.is_ascii_digit())
        && tail
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .chars()
            .all(|c| c.is_ascii_digit())
    {
        return Ok(format!("{}.{tail}", n + incr));
    }
    Err(Error::BuildFailure(format!(
        "Unable to increment release value: {release}"
    )))
}

/// `getNextRelease(build_info, incr=1)`: `build_info` holds `name` and `version`.
pub async fn get_next_release(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getNextRelease", ["build_info"], ["incr"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let incr: Option<i64> = b.arg()?;
    let (Some(name), Some(version)) = (
        info.get("name").map(lookup::py_str),
        info.get("version").map(lookup::py_str),
    ) else {
        return Err(Error::Generic("build_info must contain name and version".into()));
    };
    let latest = db::builds::latest_release(cx.db(), &name, &version).await?;
    Ok(Value::from(next_release(latest.as_deref(), incr.unwrap_or(1))?))
}

/// `cancelBuild(buildID, strict=False)`: the owner or an admin cancels a BUILDING build and
/// its task tree; true if it was canceled.
pub async fn cancel_build(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("cancelBuild", ["buildID"], ["strict"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let _strict: bool = b.arg()?;
    let who = cx.assert_login()?;
    let row = require_build(cx.db(), &info).await?;
    if row.owner_id != who.user_id && !cx.is_admin().await? {
        return Err(Error::NotAllowed("Cannot cancel build, not owner".into()));
    }
    let tx = cx.tx()?;
    let Some(locked) = db::builds::get_for_update(&tx, row.id).await? else {
        return Ok(Value::Bool(false));
    };
    if locked.state != BuildState::Building.code() {
        return Ok(Value::Bool(false));
    }
    db::builds::set_state(&tx, row.id, BuildState::Canceled.code()).await?;
    if let Some(task_id) = locked.task_id {
        lifecycle::cancel_full(&tx, task_id, false).await?;
    }
    info!(build.id = row.id, build.nvr = %row.nvr(), "canceled build {}", row.nvr());
    Ok(Value::Bool(true))
}

/// `deleteBuild(build, strict=True, min_ref_age=604800)` (admin): an untagged build not used
/// in buildroots becomes DELETED and its files go; true when deleted.
pub async fn delete_build(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("deleteBuild", ["build"], ["strict", "min_ref_age"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let strict: Option<bool> = b.arg()?;
    let _min_ref_age = b.next_raw();
    let strict = strict.unwrap_or(true);
    cx.assert_perm("admin").await?;
    let row = require_build(cx.db(), &info).await?;
    let tags = db::tagged::tags_of_build(cx.db(), row.id).await?;
    if !tags.is_empty() {
        if !strict {
            return Ok(Value::Bool(false));
        }
        let names: Vec<&str> = tags.iter().map(|(_, n)| n.as_str()).collect();
        return Err(Error::Generic(format!(
            "Cannot delete build, tagged: {}",
            names.join(", ")
        )));
    }
    let used = db::builds::used_in_buildroots(cx.db(), row.id).await?;
    if !used.is_empty() {
        if !strict {
            return Ok(Value::Bool(false));
        }
        let ids: Vec<String> = used.iter().map(i64::to_string).collect();
        return Err(Error::Generic(format!(
            "Cannot delete build, used in buildroots: {}",
            ids.join(", ")
        )));
    }
    db::builds::set_state(&cx.tx()?, row.id, BuildState::Deleted.code()).await?;
    remove_build_files(&cx.ctx.config.topdir, &row);
    info!(build.id = row.id, build.nvr = %row.nvr(), "deleted build {}", row.nvr());
    Ok(Value::Bool(true))
}

/// Removes a build's rpm files and logs (a best effort: the database is what counts).
fn remove_build_files(topdir: &std::path::Path, row: &BuildRow) {
    let dir = topdir.join(packages::build_rel(&row.package_name, &row.version, &row.release));
    if let Err(e) = std::fs::remove_dir_all(&dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(build.id = row.id, "could not remove {}: {e}", dir.display());
    }
}

/// `resetBuild(build)` (admin): forgets a build's content (rpms, signatures, buildroot
/// listings), untags it and leaves it CANCELED, so its NVR can be built again.
pub async fn reset_build(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut b = params.bind(&signature!("resetBuild", ["build"], []))?;
    let info = b.next_raw();
    let who = cx.assert_perm("admin").await?;
    let Some(row) = find_build(cx.db(), &info).await? else {
        return Ok(Value::Nil);
    };
    let change = lookup::change(cx, &who).await?;
    let tx = cx.tx()?;
    for (tag_id, _) in db::tagged::tags_of_build(&tx, row.id).await? {
        db::tagged::revoke(&tx, row.id, tag_id, change).await?;
    }
    db::builds::reset(&tx, row.id).await?;
    remove_build_files(&cx.ctx.config.topdir, &row);
    info!(build.id = row.id, build.nvr = %row.nvr(), "reset build {}", row.nvr());
    Ok(Value::Nil)
}

/// `getChangelogEntries(buildID=None, taskID=None, filepath=None, author=None, before=None,
/// after=None, queryOpts=None, strict=False)`: read from the build's source rpm.
pub async fn get_changelog_entries(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "getChangelogEntries",
        [],
        [
            "buildID",
            "taskID",
            "filepath",
            "author",
            "before",
            "after",
            "queryOpts",
            "strict"
        ]
    );
    let mut b = params.bind(&SIG)?;
    let build = b.next_raw();
    let task = b.next_raw();
    let filepath = b.next_raw();
    let author: Option<String> = b.arg()?;
    let before = time_arg(&b.next_raw(), "before")?;
    let after = time_arg(&b.next_raw(), "after")?;
    let opts = QueryOpts::from_value(&b.next_raw())?;
    let strict: bool = b.arg()?;
    if build.is_nil() || !task.is_nil() || !filepath.is_nil() {
        return Err(Error::Generic(
            "getChangelogEntries: only buildID is supported".into(),
        ));
    }
    let row = require_build(cx.db(), &build).await?;
    let build_rel = packages::build_rel(&row.package_name, &row.version, &row.release);
    let srpm = cx.ctx.config.topdir.join(packages::rpm_rel(
        &build_rel,
        "src",
        &format!("{}.src.rpm", row.nvr()),
    ));
    if !srpm.exists() {
        if strict {
            return Err(Error::Generic(format!("SRPM for build {} is missing", row.nvr())));
        }
        return Ok(Value::Array(Vec::new()));
    }
    let entries = tokio::task::spawn_blocking(move || packages::read_changelog(&srpm))
        .await
        .map_err(|e| Error::Internal(format!("changelog reader died: {e}")))??;
    let mut out = Vec::new();
    for entry in entries {
        let micros = Micros(entry.date_ts.saturating_mul(1_000_000));
        if author.as_deref().is_some_and(|a| a != entry.author)
            || before.is_some_and(|t| micros >= t)
            || after.is_some_and(|t| micros <= t)
        {
            continue;
        }
        let date = micros.koji_time();
        let date = date.strip_suffix("+00:00").unwrap_or(&date).to_owned();
        out.push(Value::structure([
            ("date", Value::from(date)),
            ("date_ts", Value::Int(entry.date_ts)),
            ("author", Value::from(entry.author)),
            ("text", Value::from(entry.text)),
        ]));
    }
    if opts.count_only {
        return Ok(Value::Int(i64::try_from(out.len()).unwrap_or(i64::MAX)));
    }
    let offset = usize::try_from(opts.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = opts
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    Ok(Value::Array(out.into_iter().skip(offset).take(limit).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvrs_parse_like_kojis() {
        assert_eq!(
            parse_nvr("foo-bar-1.0-1.fc40").unwrap(),
            ("foo-bar".into(), "1.0".into(), "1.fc40".into())
        );
        assert_eq!(
            parse_nvr("1:foo-1-2").unwrap(),
            ("foo".into(), "1".into(), "2".into())
        );
        assert_eq!(
            parse_nvr("foo-1").unwrap_err().to_string(),
            "invalid format: foo-1"
        );
        assert!(parse_nvr("foo-1-").is_err());
        assert!(parse_nvr("foo--1").is_err());
    }

    #[test]
    fn releases_increment_like_kojis() {
        assert_eq!(next_release(None, 1).unwrap(), "1");
        assert_eq!(next_release(Some("3"), 1).unwrap(), "4");
        assert_eq!(next_release(Some("3.fc40"), 2).unwrap(), "5.fc40");
        assert_eq!(
            next_release(Some("1.git.abc"), 1).unwrap_err().to_string(),
            "Unable to increment release value: 1.git.abc"
        );
    }
}
