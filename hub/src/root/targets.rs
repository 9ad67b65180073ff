//! Build targets: `getBuildTarget`, `getBuildTargets`, `createBuildTarget`,
//! `editBuildTarget`, `deleteBuildTarget`.

use common::signature;
use common::wire::BuildTarget;
use common::xmlrpc::{Params, Signature, Value, to_value};
use tracing::info;

use crate::db::names::{NameOrId, Registry};
use crate::db::query::QueryOpts;
use crate::db::targets::{TargetFilter, TargetRow};
use crate::db::{self, Client};
use crate::error::{Error, Result};
use crate::root::lookup::{self, py_str};
use crate::rpc::call::Call;

fn wire(row: TargetRow) -> BuildTarget {
    BuildTarget {
        id: row.id,
        name: row.name,
        build_tag: row.build_tag,
        build_tag_name: row.build_tag_name,
        dest_tag: row.dest_tag,
        dest_tag_name: row.dest_tag_name,
    }
}

/// A tag filter of `getBuildTargets`: an id as is, a name (or struct) looked up; `None` when
/// the name is unknown (nothing can match).
async fn tag_filter(client: &Client, value: &Value) -> Result<Option<Option<i64>>> {
    match value {
        Value::Nil => Ok(Some(None)),
        Value::Int(id) => Ok(Some(Some(*id))),
        other => Ok(lookup::lookup(client, Registry::Tag, other)
            .await?
            .map(|row| Some(row.id))),
    }
}

/// The targets named by `info` (nil or falsy for all) at `event`.
pub(crate) async fn targets(client: &Client, info: &Value, event: Option<i64>) -> Result<Vec<TargetRow>> {
    let target = if info.truthy() {
        Some(lookup::name_or_id(info)?)
    } else {
        None
    };
    let filter = TargetFilter {
        target,
        ..TargetFilter::default()
    };
    db::targets::list(client, &filter, event, &QueryOpts::default()).await
}

/// `getBuildTargets(info=None, event=None, buildTagID=None, destTagID=None, queryOpts=None)`.
pub async fn get_build_targets(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "get_build_targets",
        [],
        ["info", "event", "buildTagID", "destTagID", "queryOpts"]
    );
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let event = lookup::event_arg(&b.next_raw())?;
    let build_tag = b.next_raw();
    let dest_tag = b.next_raw();
    let opts = QueryOpts::from_value(&b.next_raw())?;
    let (Some(build_tag), Some(dest_tag)) = (
        tag_filter(cx.db(), &build_tag).await?,
        tag_filter(cx.db(), &dest_tag).await?,
    ) else {
        return Ok(if opts.count_only {
            Value::Int(0)
        } else {
            Value::Array(Vec::new())
        });
    };
    let filter = TargetFilter {
        target: if info.truthy() {
            Some(lookup::name_or_id(&info)?)
        } else {
            None
        },
        build_tag,
        dest_tag,
    };
    if opts.count_only {
        return Ok(Value::Int(db::targets::count(cx.db(), &filter, event).await?));
    }
    let rows = db::targets::list(cx.db(), &filter, event, &opts).await?;
    Ok(to_value(&rows.into_iter().map(wire).collect::<Vec<_>>())?)
}

/// `getBuildTarget(info, event=None, strict=False)`.
pub async fn get_build_target(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("get_build_target", ["info"], ["event", "strict"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let event = lookup::event_arg(&b.next_raw())?;
    let strict: bool = b.arg()?;
    let mut rows = targets(cx.db(), &info, event).await?;
    match (rows.len(), rows.pop()) {
        (1, Some(row)) => Ok(to_value(&wire(row))?),
        _ if strict => Err(Error::NoSuchTarget {
            target: py_str(&info),
        }),
        _ => Ok(Value::Nil),
    }
}

/// A current tag for a target, or the given error.
async fn target_tag(client: &Client, value: &Value, missing: impl FnOnce(String) -> Error) -> Result<i64> {
    match lookup::get_tag(client, value, None).await? {
        Some(tag) => Ok(tag.id),
        None => Err(missing(py_str(value))),
    }
}

/// `createBuildTarget(name, build_tag, dest_tag)`: returns nil, as Koji does.
pub async fn create_build_target(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("create_build_target", ["name", "build_tag", "dest_tag"], []);
    let mut b = params.bind(&SIG)?;
    let name: String = b.arg()?;
    let build_tag = b.next_raw();
    let dest_tag = b.next_raw();
    let who = cx.assert_perm("target").await?;
    lookup::validate_name(&name)?;
    if !targets(cx.db(), &Value::from(name.as_str()), None)
        .await?
        .is_empty()
    {
        return Err(Error::TargetExists { name });
    }
    let build_tag = target_tag(cx.db(), &build_tag, |tag| Error::NoSuchBuildTag { tag }).await?;
    let dest_tag = target_tag(cx.db(), &dest_tag, |tag| Error::NoSuchDestTag { tag }).await?;
    let change = lookup::change(cx, &who).await?;
    let tx = cx.tx()?;
    let target = db::names::ensure(&tx, Registry::BuildTarget, &name).await?;
    db::targets::insert_config(&tx, target.id, build_tag, dest_tag, change).await?;
    info!(target.name = %name, "created build target {name}");
    Ok(Value::Nil)
}

/// `editBuildTarget(buildTargetInfo, name, build_tag, dest_tag)`: renames and re-points a
/// target.
pub async fn edit_build_target(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "edit_build_target",
        ["buildTargetInfo", "name", "build_tag", "dest_tag"],
        []
    );
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let name: String = b.arg()?;
    let build_tag = b.next_raw();
    let dest_tag = b.next_raw();
    let who = cx.assert_perm("target").await?;
    lookup::validate_name(&name)?;
    let target = lookup::lookup(cx.db(), Registry::BuildTarget, &info)
        .await?
        .ok_or_else(|| Error::NoSuchTarget {
            target: py_str(&info),
        })?;
    let build_tag = target_tag(cx.db(), &build_tag, |tag| Error::NoSuchBuildTag { tag }).await?;
    let dest_tag = target_tag(cx.db(), &dest_tag, |tag| Error::NoSuchDestTag { tag }).await?;
    if target.name != name
        && let Some(taken) =
            db::names::lookup(cx.db(), Registry::BuildTarget, &NameOrId::Name(name.clone())).await?
    {
        return Err(Error::TargetNameTaken {
            name,
            target_id: taken.id,
        });
    }
    let change = lookup::change(cx, &who).await?;
    let tx = cx.tx()?;
    if target.name != name {
        db::names::rename(&tx, Registry::BuildTarget, target.id, &name).await?;
    }
    db::targets::revoke_config(&tx, target.id, change).await?;
    db::targets::insert_config(&tx, target.id, build_tag, dest_tag, change).await?;
    info!(target.name = %name, "edited build target {name}");
    Ok(Value::Nil)
}

/// `deleteBuildTarget(buildTargetInfo)`.
pub async fn delete_build_target(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("delete_build_target", ["buildTargetInfo"], []);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let who = cx.assert_perm("target").await?;
    let target = lookup::lookup(cx.db(), Registry::BuildTarget, &info)
        .await?
        .ok_or_else(|| Error::NoSuchTarget {
            target: py_str(&info),
        })?;
    let change = lookup::change(cx, &who).await?;
    db::targets::revoke_config(&cx.tx()?, target.id, change).await?;
    info!(target.name = %target.name, "deleted build target {}", target.name);
    Ok(Value::Nil)
}
