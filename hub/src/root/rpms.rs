//! RPMs: `getRPM`, `listRPMs`, `listBuildRPMs`, `queryRPMSigs`, `getBuildrootListing`, and
//! `importRPM` (bootstrapping: an uploaded SRPM makes a build, binaries attach to it).

use common::signature;
use common::states::{BuildState, TagUpdateType};
use common::wire::{RpmInfo, RpmSig};
use common::xmlrpc::{Params, Signature, Value, to_value};
use tracing::info;

use crate::db::builds::{BuildRow, NewBuild};
use crate::db::names::Registry;
use crate::db::query::QueryOpts;
use crate::db::rpms::{NewRpm, RpmFilter, RpmRow};
use crate::db::{self, Client, Tx};
use crate::error::{Error, Result};
use crate::files::packages::{self, RpmHeader};
use crate::root::builds::{json_extra, parse_nvr, require_build, state_name};
use crate::root::lookup::py_str;
use crate::rpc::call::Call;

/// The wire form of an rpm.
pub fn rpm_info(row: &RpmRow) -> RpmInfo {
    RpmInfo {
        id: row.id,
        name: row.name.clone(),
        version: row.version.clone(),
        release: row.release.clone(),
        epoch: row.epoch.map(i64::from),
        arch: row.arch.clone(),
        draft: row.draft,
        payloadhash: row.payloadhash.clone(),
        size: row.size,
        buildtime: row.buildtime,
        build_id: row.build_id,
        buildroot_id: row.buildroot_id,
        external_repo_id: row.external_repo_id,
        external_repo_name: row.external_repo_name.clone(),
        metadata_only: row.metadata_only,
        extra: json_extra(row.extra.as_deref()),
    }
}

/// Koji's `parse_NVRA`: `name-version-release.arch`, optionally `@location`.
pub fn parse_nvra(text: &str) -> Result<(String, String, String, String, Option<String>)> {
    let (nvra, location) = match text.split_once('@') {
        Some((n, l)) => (n, Some(l.to_owned())),
        None => (text, None),
    };
    let nvra = nvra.strip_suffix(".rpm").unwrap_or(nvra);
    let (nvr, arch) = nvra
        .rsplit_once('.')
        .filter(|(_, a)| !a.is_empty())
        .ok_or_else(|| Error::Generic(format!("invalid format: {text}")))?;
    let (name, version, release) = parse_nvr(nvr)?;
    Ok((name, version, release, arch.to_owned(), location))
}

/// Koji's `get_rpm`: an id, an `N-V-R.A[@location]` string, or a struct; without a location
/// an internal rpm is preferred over external ones.
pub async fn find_rpm(client: &Client, info: &Value) -> Result<Option<RpmRow>> {
    let (name, version, release, arch, location) = match info {
        Value::Int(id) => return db::rpms::get(client, *id).await,
        Value::String(text) => {
            if let Ok(id) = text.trim().parse::<i64>() {
                return db::rpms::get(client, id).await;
            }
            parse_nvra(text)?
        }
        Value::Struct(members) => {
            if let Some(id) = members.get("id").and_then(Value::as_i64) {
                return db::rpms::get(client, id).await;
            }
            let field = |key: &str| {
                members
                    .get(key)
                    .map(py_str)
                    .ok_or_else(|| Error::Generic(format!("rpminfo is missing {key}: {info}")))
            };
            (
                field("name")?,
                field("version")?,
                field("release")?,
                field("arch")?,
                members.get("location").and_then(Value::as_str).map(str::to_owned),
            )
        }
        other => return Err(Error::Generic(format!("Invalid rpm value: {other}"))),
    };
    let external_repo_id = match location {
        Some(location) => Some(
            db::external_repos::id_of_name(client, &location)
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: "external repo",
                    key: location.clone(),
                })?,
        ),
        None => None,
    };
    db::rpms::find_component(client, &name, &version, &release, &arch, external_repo_id).await
}

/// `getRPM(rpminfo, strict=False, multi=False)`.
pub async fn get_rpm(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getRPM", ["rpminfo"], ["strict", "multi"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let strict: bool = b.arg()?;
    let multi: bool = b.arg()?;
    let found = find_rpm(cx.db(), &info).await?;
    if multi {
        return Ok(to_value(&found.iter().map(rpm_info).collect::<Vec<_>>())?);
    }
    match found {
        Some(row) => Ok(to_value(&rpm_info(&row))?),
        None if strict => Err(Error::NoSuchRpm {
            rpm: info.to_string(),
        }),
        None => Ok(Value::Nil),
    }
}

fn arches_arg(value: &Value) -> Result<Option<Vec<String>>> {
    match value {
        Value::Nil => Ok(None),
        Value::String(s) => Ok(Some(s.split_whitespace().map(str::to_owned).collect())),
        Value::Array(items) => Ok(Some(items.iter().map(py_str).collect())),
        other => Err(Error::InvalidValue(format!(
            "Invalid type for arches: {}",
            other.type_name()
        ))),
    }
}

/// `listRPMs(buildID=None, buildrootID=None, imageID=None, componentBuildrootID=None,
/// hostID=None, arches=None, queryOpts=None, draft=None)`; component listings add `is_update`.
pub async fn list_rpms(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "listRPMs",
        [],
        [
            "buildID",
            "buildrootID",
            "imageID",
            "componentBuildrootID",
            "hostID",
            "arches",
            "queryOpts",
            "draft"
        ]
    );
    let mut b = params.bind(&SIG)?;
    let build = b.next_raw();
    let buildroot_id: Option<i64> = b.arg()?;
    let image = b.next_raw();
    let component_buildroot_id: Option<i64> = b.arg()?;
    let host_id: Option<i64> = b.arg()?;
    let arches = arches_arg(&b.next_raw())?;
    let opts = QueryOpts::from_value(&b.next_raw())?;
    let draft: Option<bool> = b.arg()?;
    if !image.is_nil() {
        // Kiln has no image archives, so no rpm is a component of one.
        return Ok(if opts.count_only {
            Value::Int(0)
        } else {
            Value::Array(Vec::new())
        });
    }
    let build_id = match &build {
        Value::Nil => None,
        Value::Int(id) => Some(*id),
        other => match crate::root::builds::find_build(cx.db(), other).await? {
            Some(row) => Some(row.id),
            None => return Ok(Value::Array(Vec::new())),
        },
    };
    let filter = RpmFilter {
        build_id,
        buildroot_id,
        component_buildroot_id,
        host_id,
        arches,
        draft,
        ..RpmFilter::default()
    };
    if opts.count_only {
        return Ok(Value::Int(db::rpms::count(cx.db(), &filter).await?));
    }
    let rows = db::rpms::list(cx.db(), &filter, &opts).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (row, is_update) in &rows {
        let mut value = to_value(&rpm_info(row))?;
        if let (Some(is_update), Value::Struct(members)) = (is_update, &mut value) {
            members.insert("is_update".into(), Value::Bool(*is_update));
        }
        out.push(value);
    }
    Ok(Value::Array(out))
}

/// `listBuildRPMs(build)`.
pub async fn list_build_rpms(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut b = params.bind(&signature!("listBuildRPMs", ["build"], []))?;
    let info = b.next_raw();
    let row = require_build(cx.db(), &info).await?;
    let filter = RpmFilter {
        build_id: Some(row.id),
        ..RpmFilter::default()
    };
    let rows = db::rpms::list(cx.db(), &filter, &QueryOpts::default()).await?;
    Ok(to_value(
        &rows.iter().map(|(r, _)| rpm_info(r)).collect::<Vec<_>>(),
    )?)
}

/// `queryRPMSigs(rpm_id=None, sigkey=None, queryOpts=None)`.
pub async fn query_rpm_sigs(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("queryRPMSigs", [], ["rpm_id", "sigkey", "queryOpts"]);
    let mut b = params.bind(&SIG)?;
    let rpm = b.next_raw();
    let sigkey: Option<String> = b.arg()?;
    let opts = QueryOpts::from_value(&b.next_raw())?;
    let rpm_ids = match &rpm {
        Value::Nil => None,
        Value::Int(id) => Some(vec![*id]),
        other => match find_rpm(cx.db(), other).await? {
            Some(row) => Some(vec![row.id]),
            None => return Ok(Value::Array(Vec::new())),
        },
    };
    let rows = db::rpms::sigs(cx.db(), rpm_ids, sigkey.map(|k| k.to_lowercase()), &opts).await?;
    if opts.count_only {
        return Ok(Value::Int(i64::try_from(rows.len()).unwrap_or(i64::MAX)));
    }
    let sigs: Vec<RpmSig> = rows
        .into_iter()
        .map(|r| RpmSig {
            rpm_id: r.rpm_id,
            sigkey: r.sigkey,
            sighash: r.sighash,
        })
        .collect();
    Ok(to_value(&sigs)?)
}

/// `getBuildrootListing(id)`: the rpms installed in a buildroot.
pub async fn get_buildroot_listing(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut b = params.bind(&signature!("getBuildrootListing", ["id"], []))?;
    let buildroot_id: i64 = b.arg()?;
    let filter = RpmFilter {
        component_buildroot_id: Some(buildroot_id),
        ..RpmFilter::default()
    };
    let rows = db::rpms::list(cx.db(), &filter, &QueryOpts::default()).await?;
    let out: Vec<Value> = rows
        .iter()
        .map(|(r, is_update)| {
            Value::structure([
                ("rpm_id", Value::Int(r.id)),
                ("is_update", Value::Bool(is_update.unwrap_or(false))),
                ("name", Value::from(r.name.clone())),
                ("version", Value::from(r.version.clone())),
                ("release", Value::from(r.release.clone())),
                ("epoch", r.epoch.map_or(Value::Nil, |e| Value::Int(i64::from(e)))),
                ("arch", Value::from(r.arch.clone())),
                ("build_id", r.build_id.map_or(Value::Nil, Value::Int)),
                ("external_repo_id", Value::Int(r.external_repo_id)),
                ("external_repo_name", Value::from(r.external_repo_name.clone())),
            ])
        })
        .collect();
    Ok(Value::Array(out))
}

/// `getRPMHeaders(rpmID=None, taskID=None, filepath=None, headers=None, strict=False)`: header
/// values read from the stored rpm (an imported rpm by id, or a file a task wrote); headers
/// the file lacks are nil.
pub async fn get_rpm_headers(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "getRPMHeaders",
        [],
        ["rpmID", "taskID", "filepath", "headers", "strict"]
    );
    let mut b = params.bind(&SIG)?;
    let rpm = b.next_raw();
    let task_id: Option<i64> = b.arg()?;
    let filepath: Option<String> = b.arg()?;
    let headers: Option<Vec<String>> = b.arg()?;
    let strict: bool = b.arg()?;
    let topdir = cx.ctx.config.topdir.clone();
    let path = match (&rpm, task_id, filepath) {
        (Value::Nil, Some(task_id), Some(filepath)) => {
            crate::files::paths::check_output_name(&filepath)?;
            crate::files::paths::task_dir(&topdir, task_id).join(filepath)
        }
        (Value::Nil, _, _) => {
            return Err(Error::Generic(
                "either rpmID or taskID and filepath required".into(),
            ));
        }
        (info, _, _) => {
            let row = find_rpm(cx.db(), info).await?.ok_or_else(|| Error::NoSuchRpm {
                rpm: info.to_string(),
            })?;
            let build_id = row
                .build_id
                .ok_or_else(|| Error::Generic(format!("rpm {} has no file here", row.id)))?;
            let build = db::builds::get(cx.db(), build_id)
                .await?
                .ok_or_else(|| Error::Internal(format!("build {build_id} vanished")))?;
            let build_rel = packages::build_rel(&build.package_name, &build.version, &build.release);
            topdir.join(packages::rpm_rel(&build_rel, &row.arch, &row.filename()))
        }
    };
    if !path.is_file() {
        if strict {
            return Err(Error::Generic(format!("Missing rpm file: {}", path.display())));
        }
        return Ok(Value::Struct(Default::default()));
    }
    let names = headers.unwrap_or_default();
    let values = tokio::task::spawn_blocking(move || packages::read_named_headers(&path, &names))
        .await
        .map_err(|e| Error::Internal(format!("rpm header reader died: {e}")))??;
    Ok(Value::structure(values.into_iter().map(|(name, value)| {
        let value = match value {
            packages::HeaderValue::Text(t) => Value::from(t),
            packages::HeaderValue::Number(n) => Value::Int(n),
            packages::HeaderValue::Missing => Value::Nil,
        };
        (name, value)
    })))
}

/// Checks the file name Koji insists on: exactly `N-V-R.A.rpm` from the header.
pub fn check_filename(header: &RpmHeader, basename: &str) -> Result<()> {
    let expected = header.expected_filename();
    if basename != expected {
        return Err(Error::Import(format!(
            "bad filename: {basename} (expected {expected})"
        )));
    }
    Ok(())
}

/// Inserts one rpm of `build` with its unsigned signature record, and links its file into
/// the build's directory under topdir. Duplicates are refused with the NVRA.
pub async fn insert_rpm(
    tx: &Tx<'_>,
    topdir: &std::path::Path,
    build: &BuildRow,
    header: &RpmHeader,
    file: &std::path::Path,
    buildroot_id: Option<i64>,
) -> Result<i64> {
    let nvra = format!("{}.{}", header.nvr(), header.arch);
    let existing = RpmFilter {
        nvra: Some((
            header.name.clone(),
            header.version.clone(),
            header.release.clone(),
            header.arch.clone(),
        )),
        external_repo_id: Some(0),
        ..RpmFilter::default()
    };
    if let Some((old, _)) = db::rpms::list(tx, &existing, &QueryOpts::default())
        .await?
        .first()
    {
        let detail = if old.payloadhash == header.payloadhash {
            String::new()
        } else {
            format!(
                " with a different payload ({} != {})",
                old.payloadhash, header.payloadhash
            )
        };
        return Err(Error::Import(format!("RPM {nvra} already imported{detail}")));
    }
    let rpm_id = db::rpms::insert(
        tx,
        &NewRpm {
            build_id: Some(build.id),
            buildroot_id,
            name: &header.name,
            version: &header.version,
            release: &header.release,
            epoch: header.epoch,
            arch: &header.arch,
            external_repo_id: 0,
            payloadhash: &header.payloadhash,
            size: header.size,
            buildtime: header.buildtime,
        },
    )
    .await?;
    db::rpms::add_sig(tx, rpm_id, &header.sigkey, &header.sighash).await?;
    let build_rel = packages::build_rel(&build.package_name, &build.version, &build.release);
    packages::place(
        topdir,
        file,
        &packages::rpm_rel(&build_rel, &header.arch, &header.expected_filename()),
    )?;
    Ok(rpm_id)
}

/// `importRPM(path, basename)` (admin): imports an uploaded rpm. A source rpm makes (or
/// completes) its build; a binary rpm attaches to the build its `sourcerpm` names.
pub async fn import_rpm(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("importRPM", ["path", "basename"], ["sigkey"]);
    let mut b = params.bind(&SIG)?;
    let path: String = b.arg()?;
    let basename: String = b.arg()?;
    let _sigkey: Option<String> = b.arg()?;
    let who = cx.assert_perm("admin").await?;
    crate::files::paths::check_upload_name(&basename)?;
    let topdir = cx.ctx.config.topdir.clone();
    let file = packages::work_file(&topdir, &format!("{path}/{basename}"))?;
    let header = packages::read_header_async(file.clone()).await?;
    check_filename(&header, &basename)?;
    let event_id = cx.event().await?;
    let build = if header.source {
        match db::builds::get_by_nvr(cx.db(), &header.name, &header.version, &header.release).await? {
            Some(build) if build.state == BuildState::Complete.code() => build,
            Some(build) => {
                return Err(Error::Import(format!(
                    "Build is {}: {}",
                    state_name(build.state),
                    build.nvr()
                )));
            }
            None => {
                let package = db::names::ensure(&cx.tx()?, Registry::Package, &header.name).await?;
                let new = NewBuild {
                    package_id: package.id,
                    version: &header.version,
                    release: &header.release,
                    epoch: header.epoch,
                    state: BuildState::Complete.code(),
                    task_id: None,
                    owner_id: who.user_id,
                    source: None,
                    extra: None,
                    event_id,
                };
                let id = db::builds::insert(&cx.tx()?, &new).await?;
                db::builds::get(cx.db(), id)
                    .await?
                    .ok_or_else(|| Error::Internal(format!("build {id} vanished")))?
            }
        }
    } else {
        let sourcerpm = header.sourcerpm.clone().unwrap_or_default();
        let (name, version, release, _, _) = parse_nvra(&sourcerpm)?;
        let build = db::builds::get_by_nvr(cx.db(), &name, &version, &release)
            .await?
            .ok_or_else(|| Error::Import("No matching build".into()))?;
        let state = BuildState::from_code(build.state);
        if matches!(
            state,
            Some(BuildState::Failed | BuildState::Canceled | BuildState::Deleted)
        ) {
            return Err(Error::Import(format!(
                "Build is {}: {}",
                state_name(build.state),
                build.nvr()
            )));
        }
        build
    };
    let tx = cx.tx()?;
    let rpm_id = insert_rpm(&tx, &topdir, &build, &header, &file, None).await?;
    let change = db::versioned::Change {
        event_id,
        user_id: who.user_id,
    };
    for (tag_id, _) in db::tagged::tags_of_build(&tx, build.id).await? {
        db::tagged::record_update(&tx, tag_id, TagUpdateType::Import.code(), change).await?;
    }
    info!(build.nvr = %build.nvr(), rpm.id = rpm_id, "imported {basename}");
    let row = db::rpms::get(&tx, rpm_id)
        .await?
        .ok_or_else(|| Error::Internal(format!("rpm {rpm_id} vanished")))?;
    Ok(to_value(&rpm_info(&row))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvras_parse_like_kojis() {
        assert_eq!(
            parse_nvra("foo-1.0-1.fc40.noarch").unwrap(),
            ("foo".into(), "1.0".into(), "1.fc40".into(), "noarch".into(), None)
        );
        assert_eq!(
            parse_nvra("foo-1.0-1.src@myrepo").unwrap(),
            (
                "foo".into(),
                "1.0".into(),
                "1".into(),
                "src".into(),
                Some("myrepo".into())
            )
        );
        assert!(parse_nvra("foo-1").is_err());
    }
}
