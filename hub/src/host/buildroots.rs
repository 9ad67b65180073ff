//! Buildroots on a host (kojid's calls): `host.newBuildRoot`, `host.setBuildRootState`,
//! `host.setBuildRootList`, `host.updateBuildRootList`.

use common::signature;
use common::states::BuildrootState;
use common::xmlrpc::{Params, Signature, Value};
use tracing::info;

use crate::db::buildroots::StandardRow;
use crate::db::external_repos::RepoKey;
use crate::db::rpms::{NewRpm, RpmRow};
use crate::db::{self, Tx};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::root::lookup::py_str;
use crate::root::rpms::find_rpm;
use crate::rpc::call::Call;
use crate::tasks::lifecycle;

/// `host.newBuildRoot(repo, arch, task_id=None)`: a STANDARD `chroot` buildroot in state INIT
/// on this host; Kiln records the task, so it is required.
pub async fn new_buildroot(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("newBuildRoot", ["repo", "arch"], ["task_id"]);
    let mut b = params.bind(&SIG)?;
    let repo_id: i64 = b.arg()?;
    let arch: String = b.arg()?;
    let task_id: Option<i64> = b.arg()?;
    let Some(task_id) = task_id else {
        return Err(Error::Generic("newBuildRoot: a task_id is required".into()));
    };
    crate::tasks::create::check_arch(&arch)?;
    let tx = cx.tx()?;
    lifecycle::assert_host(&tx, task_id, host.id).await?;
    if !db::buildroots::repo_exists(&tx, repo_id).await? {
        return Err(Error::Generic(format!("No such repo: {repo_id}")));
    }
    let id = db::buildroots::insert_standard(&tx, host.id, repo_id, &arch, task_id).await?;
    info!(
        task.id = task_id,
        buildroot.id = id,
        "new buildroot {id} for {arch} from repo {repo_id}"
    );
    Ok(Value::Int(id))
}

/// The buildroot a host call names: it must exist, live on this host and (when a task is
/// given) belong to that task, which the host must hold.
async fn owned_buildroot(
    tx: &Tx<'_>,
    host: &Host,
    buildroot_id: i64,
    task_id: Option<i64>,
) -> Result<StandardRow> {
    if let Some(task_id) = task_id {
        lifecycle::assert_host(tx, task_id, host.id).await?;
    }
    let row = db::buildroots::get_standard(tx, buildroot_id)
        .await?
        .ok_or_else(|| Error::Generic(format!("no buildroot with ID: {buildroot_id}")))?;
    if row.host_id != host.id {
        return Err(Error::NotAllowed(format!(
            "Host {} not owner of buildroot {buildroot_id}",
            host.id
        )));
    }
    if let Some(task_id) = task_id
        && row.task_id != task_id
    {
        return Err(Error::NotAllowed(format!(
            "Task {task_id} does not have lock on buildroot {buildroot_id}"
        )));
    }
    Ok(row)
}

/// `host.setBuildRootState(brootid, state, task_id=None)`: `state` by number or name; going
/// back to INIT is refused, and expiring an expired root changes nothing.
pub async fn set_buildroot_state(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("setBuildRootState", ["brootid", "state"], ["task_id"]);
    let mut b = params.bind(&SIG)?;
    let buildroot_id: i64 = b.arg()?;
    let state: BuildrootState = b.arg()?;
    let task_id: Option<i64> = b.arg()?;
    let tx = cx.tx()?;
    let row = owned_buildroot(&tx, &host, buildroot_id, task_id).await?;
    if state == BuildrootState::Init {
        return Err(Error::Generic(format!(
            "buildroot {buildroot_id} cannot go back to INIT"
        )));
    }
    if row.state == BuildrootState::Expired.code() {
        return Ok(Value::Nil);
    }
    let retire = if state == BuildrootState::Expired {
        Some(cx.event().await?)
    } else {
        None
    };
    db::buildroots::set_state(&tx, buildroot_id, state.code(), retire).await?;
    Ok(Value::Nil)
}

/// Koji's `add_external_rpm`: the rpm of an external repo, created if missing; an existing one
/// must agree on payload hash, size and build time.
async fn external_rpm(tx: &Tx<'_>, entry: &Value, location: &str) -> Result<RpmRow> {
    let repo = db::external_repos::list(tx, Some(&RepoKey::Name(location.to_owned())), None, None)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::NotFound {
            what: "external repo",
            key: location.to_owned(),
        })?;
    let text = |key: &str| -> Result<String> {
        entry
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::Generic(format!(
                    "Invalid value for {key}: {}",
                    entry.get(key).cloned().unwrap_or_default()
                ))
            })
    };
    let int = |key: &str| -> Result<i64> {
        entry.get(key).and_then(Value::as_i64).ok_or_else(|| {
            Error::Generic(format!(
                "Invalid value for {key}: {}",
                entry.get(key).cloned().unwrap_or_default()
            ))
        })
    };
    let (name, version, release, arch) = (text("name")?, text("version")?, text("release")?, text("arch")?);
    let epoch = match entry.get("epoch") {
        None | Some(Value::Nil) => None,
        Some(v) => Some(
            v.as_i64()
                .and_then(|e| i32::try_from(e).ok())
                .ok_or_else(|| Error::Generic(format!("Invalid value for epoch: {v}")))?,
        ),
    };
    let payloadhash = text("payloadhash")?;
    let (size, buildtime) = (int("size")?, int("buildtime")?);
    if let Some(previous) =
        db::rpms::find_component(tx, &name, &version, &release, &arch, Some(repo.id)).await?
    {
        let display = format!("{name}-{version}-{release}.{arch}@{}", repo.name);
        for (field, same) in [
            ("payloadhash", previous.payloadhash == payloadhash),
            ("size", previous.size == size),
            ("buildtime", previous.buildtime == buildtime),
        ] {
            if !same {
                return Err(Error::Generic(format!(
                    "External rpm {display} already exists with different {field}"
                )));
            }
        }
        return Ok(previous);
    }
    let id = db::rpms::insert(
        tx,
        &NewRpm {
            build_id: None,
            buildroot_id: None,
            name: &name,
            version: &version,
            release: &release,
            epoch,
            arch: &arch,
            external_repo_id: repo.id,
            payloadhash: &payloadhash,
            size,
            buildtime,
        },
    )
    .await?;
    db::rpms::get(tx, id)
        .await?
        .ok_or_else(|| Error::Internal(format!("rpm {id} vanished")))
}

/// Resolves each listed rpm: entries with a `location` are external rpms (created as needed),
/// the others must be known rpms (by `id` or NVRA, internal ones first).
async fn resolve_list(tx: &Tx<'_>, list: &[Value]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(list.len());
    for entry in list {
        let location = entry
            .get("location")
            .or_else(|| entry.get("external_repo"))
            .filter(|v| v.truthy());
        let row = match location {
            Some(location) => external_rpm(tx, entry, &py_str(location)).await?,
            None => find_rpm(tx, entry).await?.ok_or_else(|| Error::NoSuchRpm {
                rpm: entry.to_string(),
            })?,
        };
        ids.push(row.id);
    }
    Ok(ids)
}

async fn set_list(
    cx: &mut Call<'_>,
    host: Host,
    params: Params,
    name: &'static str,
    update: bool,
) -> Result<Value> {
    let sig = Signature {
        name,
        ..signature!("setList", ["brootid", "rpmlist"], ["task_id"])
    };
    let mut b = params.bind(&sig)?;
    let buildroot_id: i64 = b.arg()?;
    let list = b.next_raw();
    let task_id: Option<i64> = b.arg()?;
    let Value::Array(list) = list else {
        return Err(Error::InvalidValue(format!("{name}: rpmlist must be a list")));
    };
    let tx = cx.tx()?;
    let row = owned_buildroot(&tx, &host, buildroot_id, task_id).await?;
    let wanted = if update {
        BuildrootState::Building
    } else {
        BuildrootState::Init
    };
    if row.state != wanted.code() {
        let state = BuildrootState::from_code(row.state).map_or("UNKNOWN", BuildrootState::name);
        return Err(Error::Generic(format!(
            "buildroot {buildroot_id} in wrong state {state}"
        )));
    }
    let ids = resolve_list(&tx, &list).await?;
    db::rpms::add_to_buildroot(&tx, buildroot_id, &ids, update).await?;
    Ok(Value::Nil)
}

/// `host.setBuildRootList(brootid, rpmlist, task_id=None)`: what was installed (root INIT).
pub async fn set_buildroot_list(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    set_list(cx, host, params, "setBuildRootList", false).await
}

/// `host.updateBuildRootList(brootid, rpmlist, task_id=None)`: what was installed later (root
/// BUILDING); rows are marked as updates, already listed rpms are kept as they were.
pub async fn update_buildroot_list(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    set_list(cx, host, params, "updateBuildRootList", true).await
}
