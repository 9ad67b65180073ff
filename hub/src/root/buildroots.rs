//! Buildroots: `listBuildroots`, `getBuildroot`. Builders fill the tables (`host::buildroots`);
//! `hostinfo`, `taskinfo` and `list-buildroot` list them.

use common::signature;
use common::wire::BuildrootInfo;
use common::xmlrpc::{Params, Signature, Value, to_value};

use crate::db;
use crate::db::buildroots::{BuildrootFilter, BuildrootRow};
use crate::db::query::QueryOpts;
use crate::error::{Error, Result};
use crate::root::hosts::resolve_host;
use crate::rpc::call::Call;

fn buildroot_info(row: &BuildrootRow) -> BuildrootInfo {
    let extra = row.extra.as_deref().and_then(|text| {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|json| to_value(&json).ok())
    });
    BuildrootInfo {
        id: row.id,
        br_type: row.br_type,
        cg_id: row.cg_id,
        // FIXME: content generators have no table yet; their names come with them.
        cg_name: None,
        cg_version: row.cg_version.clone(),
        container_arch: row.container_arch.clone(),
        arch: row.container_arch.clone(),
        container_type: row.container_type.clone(),
        host_os: row.host_os.clone(),
        host_arch: row.host_arch.clone(),
        extra,
        state: row.state,
        task_id: row.task_id,
        host_id: row.host_id,
        host_name: row.host_name.clone(),
        repo_id: row.repo_id,
        repo_state: row.repo_state,
        tag_id: row.tag_id,
        tag_name: row.tag_name.clone(),
        create_event_id: row.create_event,
        create_event_time: row.create_time.map(|t| t.koji_time()),
        create_ts: row.create_time.map(|t| t.koji_ts()),
        retire_event_id: row.retire_event,
        retire_event_time: row.retire_time.map(|t| t.koji_time()),
        retire_ts: row.retire_time.map(|t| t.koji_ts()),
        repo_create_event_id: row.repo_create_event,
        repo_create_event_time: row.repo_create_time.map(|t| t.koji_time()),
    }
}

fn int_list(value: &Value, what: &str) -> Result<Option<Vec<i64>>> {
    match value {
        Value::Nil => Ok(None),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_i64()
                    .ok_or_else(|| Error::InvalidValue(format!("Invalid {what}: {v}")))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        other => other
            .as_i64()
            .map(|v| Some(vec![v]))
            .ok_or_else(|| Error::InvalidValue(format!("Invalid {what}: {other}"))),
    }
}

fn state_list(value: &Value) -> Result<Option<Vec<i32>>> {
    let to_state = |v: &Value| -> Result<i32> {
        let state = match v {
            Value::String(name) => common::states::BuildrootState::from_name(name),
            other => other
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .and_then(common::states::BuildrootState::from_code),
        };
        state
            .map(common::states::BuildrootState::code)
            .ok_or_else(|| Error::InvalidValue(format!("Invalid buildroot state: {v}")))
    };
    match value {
        Value::Nil => Ok(None),
        Value::Array(items) => items.iter().map(to_state).collect::<Result<Vec<_>>>().map(Some),
        other => Ok(Some(vec![to_state(other)?])),
    }
}

/// `listBuildroots(hostID=None, tagID=None, state=None, rpmID=None, archiveID=None,
/// taskID=None, buildrootID=None, repoID=None, queryOpts=None)`.
pub async fn list_buildroots(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "listBuildroots",
        [],
        [
            "hostID",
            "tagID",
            "state",
            "rpmID",
            "archiveID",
            "taskID",
            "buildrootID",
            "repoID",
            "queryOpts"
        ]
    );
    let mut bound = params.bind(&SIG)?;
    let host = bound.next_raw();
    let tag = bound.next_raw();
    let states = state_list(&bound.next_raw())?;
    let rpm = bound.next_raw();
    let archive = bound.next_raw();
    let task_id: Option<i64> = bound.arg()?;
    let ids = int_list(&bound.next_raw(), "buildrootID")?;
    let repo_id: Option<i64> = bound.arg()?;
    let opts = QueryOpts::from_value(&bound.next_raw())?;
    // Kiln has no archives, so no buildroot used one.
    if !archive.is_nil() {
        return Ok(if opts.count_only {
            Value::Int(0)
        } else {
            Value::Array(vec![])
        });
    }
    let host_id = match &host {
        Value::Nil => None,
        other => match resolve_host(cx.db(), other, None).await? {
            Some(host) => Some(host.id),
            None => return Ok(Value::Array(vec![])),
        },
    };
    let tag_id = match &tag {
        Value::Nil => None,
        other => match crate::root::lookup::get_tag(cx.db(), other, None).await? {
            Some(tag) => Some(tag.id),
            None => return Ok(Value::Array(vec![])),
        },
    };
    let rpm_id = match &rpm {
        Value::Nil => None,
        other => match crate::root::rpms::find_rpm(cx.db(), other).await? {
            Some(rpm) => Some(rpm.id),
            None => return Ok(Value::Array(vec![])),
        },
    };
    let filter = BuildrootFilter {
        host_id,
        states,
        task_id,
        ids,
        repo_id,
        tag_id,
        rpm_id,
    };
    let rows = db::buildroots::list(cx.db(), &filter, &opts).await?;
    if opts.count_only {
        return Ok(Value::Int(i64::try_from(rows.len()).unwrap_or(i64::MAX)));
    }
    let infos: Vec<BuildrootInfo> = rows.iter().map(buildroot_info).collect();
    Ok(to_value(&infos)?)
}

/// `getBuildroot(buildrootID, strict=False)`.
pub async fn get_buildroot(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getBuildroot", ["buildrootID"], ["strict"]);
    let mut bound = params.bind(&SIG)?;
    let id: i64 = bound.arg()?;
    let strict: bool = bound.arg()?;
    let filter = BuildrootFilter {
        ids: Some(vec![id]),
        ..BuildrootFilter::default()
    };
    let rows = db::buildroots::list(cx.db(), &filter, &QueryOpts::default()).await?;
    match rows.first() {
        Some(row) => Ok(to_value(&buildroot_info(row))?),
        None if strict => Err(Error::NotFound {
            what: "buildroot",
            key: id.to_string(),
        }),
        None => Ok(Value::Nil),
    }
}
