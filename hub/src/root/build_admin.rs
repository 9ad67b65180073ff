//! More build calls: `findBuildID`, `createEmptyBuild` (what `koji import --create-build`
//! uses), `untaggedBuilds` and `getAverageBuildDuration` (kojid's task weights, MBS).

use common::signature;
use common::states::BuildState;
use common::xmlrpc::{Params, Signature, Value};
use tracing::info;

use crate::db::builds::NewBuild;
use crate::db::names::Registry;
use crate::db::query::QueryOpts;
use crate::db::{self};
use crate::error::{Error, Result};
use crate::host::builds::new_build;
use crate::root::builds::find_build;
use crate::root::lookup::{self, py_str};
use crate::root::users::require_user;
use crate::rpc::call::Call;

/// `findBuildID(X, strict=False)`: the id of the build `X` names, or nil.
pub async fn find_build_id(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("findBuildID", ["X"], ["strict"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let strict: bool = b.arg()?;
    match find_build(cx.db(), &info).await? {
        Some(row) => Ok(Value::Int(row.id)),
        None if strict => Err(Error::NoSuchBuild {
            build: info.to_string(),
        }),
        None => Ok(Value::Nil),
    }
}

/// `createEmptyBuild(name, version, release, epoch, owner=None, draft=False)` (admin): a
/// COMPLETE build without rpms; returns its id.
pub async fn create_empty_build(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "createEmptyBuild",
        ["name", "version", "release", "epoch"],
        ["owner", "draft"]
    );
    let mut b = params.bind(&SIG)?;
    let name = py_str(&b.next_raw());
    let version = py_str(&b.next_raw());
    let release = py_str(&b.next_raw());
    let epoch = b.next_raw();
    let owner = b.next_raw();
    let draft: bool = b.arg()?;
    let who = cx.assert_perm("admin").await?;
    if draft {
        return Err(Error::Generic("draft builds are not supported".into()));
    }
    lookup::validate_name(&name)?;
    let epoch = match &epoch {
        Value::Nil => None,
        Value::String(s) if s.is_empty() => None,
        other => Some(
            other
                .as_i64()
                .and_then(|e| i32::try_from(e).ok())
                .ok_or_else(|| Error::InvalidValue(format!("Invalid epoch: {other}")))?,
        ),
    };
    let owner_id = match &owner {
        Value::Nil => who.user_id,
        other => require_user(cx.db(), other).await?.id,
    };
    let event_id = cx.event().await?;
    let new = NewBuild {
        package_id: 0,
        version: &version,
        release: &release,
        epoch,
        state: BuildState::Complete.code(),
        task_id: None,
        owner_id,
        source: None,
        extra: None,
        event_id,
    };
    let described = Value::structure([
        ("name", Value::from(name.clone())),
        ("version", Value::from(version.clone())),
        ("release", Value::from(release.clone())),
        ("epoch", epoch.map_or(Value::Nil, |e| Value::Int(i64::from(e)))),
    ]);
    let build_id = new_build(&cx.tx()?, &name, new, &described).await?;
    info!(
        build.id = build_id,
        "created empty build {name}-{version}-{release}"
    );
    Ok(Value::Int(build_id))
}

/// `untaggedBuilds(name=None, queryOpts=None, draft=None)`: `[{id, name, version, release}]`
/// of builds in no tag now.
pub async fn untagged_builds(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("untaggedBuilds", [], ["name", "queryOpts", "draft"]);
    let mut b = params.bind(&SIG)?;
    let name: Option<String> = b.arg()?;
    let opts = QueryOpts::from_value(&b.next_raw())?;
    let draft: Option<bool> = b.arg()?;
    let rows = db::builds::untagged(cx.db(), name.as_deref(), draft, &opts).await?;
    if opts.count_only {
        return Ok(Value::Int(i64::try_from(rows.len()).unwrap_or(i64::MAX)));
    }
    Ok(Value::Array(
        rows.into_iter()
            .map(|r| {
                Value::structure([
                    ("id", Value::Int(r.id)),
                    ("name", Value::from(r.package_name)),
                    ("version", Value::from(r.version)),
                    ("release", Value::from(r.release)),
                ])
            })
            .collect(),
    ))
}

/// `getAverageBuildDuration(package, age=None)`: mean seconds from creation to completion of
/// the package's COMPLETE built (not imported) builds, optionally of the last `age` months; nil
/// when there are none.
pub async fn get_average_build_duration(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getAverageBuildDuration", ["package"], ["age"]);
    let mut b = params.bind(&SIG)?;
    let package = b.next_raw();
    let age: Option<i64> = b.arg()?;
    let Some(package) = lookup::lookup(cx.db(), Registry::Package, &package).await? else {
        return Ok(Value::Nil);
    };
    let average = db::builds::average_duration(cx.db(), package.id, age).await?;
    Ok(average.map_or(Value::Nil, Value::Double))
}
