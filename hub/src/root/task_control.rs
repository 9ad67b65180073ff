//! Creating and steering tasks: `makeTask`, `cancelTask`, `cancelTaskFull`,
//! `cancelTaskChildren`, `setTaskPriority`, `freeTask`, `assignTask`.

use common::signature;
use common::states::UserType;
use common::xmlrpc::{Params, Signature, Struct, Value};
use tracing::info;

use crate::db;
use crate::db::hosts::HostKey;
use crate::error::{Error, Result};
use crate::root::hosts::resolve_host;
use crate::root::users::require_user;
use crate::rpc::call::Call;
use crate::tasks::create::{self, TaskSpec};
use crate::tasks::lifecycle;

fn int_option(opts: &mut Struct, key: &str) -> Result<Option<i64>> {
    match opts.remove(key) {
        None | Some(Value::Nil) => Ok(None),
        Some(value) => value
            .as_i64()
            .map(Some)
            .ok_or_else(|| Error::InvalidValue(format!("Invalid {key}: {value}"))),
    }
}

fn string_option(opts: &mut Struct, key: &str) -> Result<Option<String>> {
    match opts.remove(key) {
        None | Some(Value::Nil) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Error::InvalidValue(format!("Invalid {key}: {other}"))),
    }
}

/// `makeTask(method, arglist, **opts)` (admin) with opts `channel`, `priority`, `arch`,
/// `assign` (a host), `parent`, `label`, `owner`: the new task's id.
pub async fn make_task(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("makeTask", ["method", "arglist"], [], **opts);
    let mut bound = params.bind(&SIG)?;
    let method: String = bound.arg()?;
    let args: Option<Vec<Value>> = bound.arg()?;
    let mut opts = std::mem::take(&mut bound.keywords);
    let admin = cx.assert_perm("admin").await?;
    let priority = int_option(&mut opts, "priority")?
        .map(|p| i32::try_from(p).map_err(|_| Error::InvalidValue(format!("Invalid priority: {p}"))))
        .transpose()?;
    let parent = int_option(&mut opts, "parent")?;
    let label = string_option(&mut opts, "label")?;
    let arch = string_option(&mut opts, "arch")?;
    let channel = opts.remove("channel").filter(|c| !c.is_nil());
    let assign = match opts.remove("assign") {
        None | Some(Value::Nil) => None,
        Some(host) => Some(
            resolve_host(cx.db(), &host, None)
                .await?
                .ok_or_else(|| Error::Generic(format!("Invalid hostInfo: {host}")))?
                .id,
        ),
    };
    let owner = match opts.remove("owner") {
        None | Some(Value::Nil) => None,
        Some(user) => Some(require_user(cx.db(), &user).await?.id),
    };
    if let Some(name) = opts.keys().next() {
        return Err(Error::Param(format!(
            "makeTask() got an unexpected keyword argument '{name}'"
        )));
    }
    if label.is_some() && parent.is_none() {
        return Err(Error::InvalidValue("only subtasks can have a label".into()));
    }
    let spec = TaskSpec {
        method,
        args: args.unwrap_or_default(),
        owner,
        parent,
        label,
        channel,
        arch,
        priority,
        assign,
    };
    let task_id = create::create(&cx.tx()?, Some(admin.user_id), spec).await?;
    Ok(Value::Int(task_id))
}

/// Allows owners, the host running the task, and admins (Koji's check for `cancelTask`).
async fn assert_may_steer(cx: &mut Call<'_>, task_id: i64) -> Result<()> {
    let task = db::tasks::get(cx.db(), task_id)
        .await?
        .ok_or(Error::TaskNotFound { task_id })?;
    if let Some(session) = cx.session().cloned() {
        if task.owner == session.user_id {
            return Ok(());
        }
        if session.usertype == UserType::Host
            && let Some(host) = db::hosts::get(cx.db(), HostKey::User(session.user_id), None).await?
            && lifecycle::host_holds(cx.db(), task_id, host.id).await?
        {
            return Ok(());
        }
    }
    cx.assert_perm("admin").await?;
    Ok(())
}

/// `cancelTask(task_id, recurse=True)`.
pub async fn cancel_task(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("cancelTask", ["task_id"], ["recurse"]);
    let mut bound = params.bind(&SIG)?;
    let task_id: i64 = bound.arg()?;
    let recurse: Option<bool> = bound.arg()?;
    assert_may_steer(cx, task_id).await?;
    lifecycle::cancel(&cx.tx()?, task_id, recurse.unwrap_or(true)).await?;
    Ok(Value::Nil)
}

/// `cancelTaskFull(task_id, strict=True)` (admin).
pub async fn cancel_task_full(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("cancelTaskFull", ["task_id"], ["strict"]);
    let mut bound = params.bind(&SIG)?;
    let task_id: i64 = bound.arg()?;
    let strict: Option<bool> = bound.arg()?;
    cx.assert_perm("admin").await?;
    lifecycle::cancel_full(&cx.tx()?, task_id, strict.unwrap_or(true)).await?;
    Ok(Value::Nil)
}

/// `cancelTaskChildren(task_id)`.
pub async fn cancel_task_children(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("cancelTaskChildren", ["task_id"], []))?;
    let task_id: i64 = bound.arg()?;
    assert_may_steer(cx, task_id).await?;
    lifecycle::cancel_children(&cx.tx()?, task_id).await?;
    Ok(Value::Nil)
}

/// `setTaskPriority(task_id, priority, recurse=True)` (admin).
pub async fn set_task_priority(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("setTaskPriority", ["task_id", "priority"], ["recurse"]);
    let mut bound = params.bind(&SIG)?;
    let task_id: i64 = bound.arg()?;
    let priority: i32 = bound.arg()?;
    let recurse: Option<bool> = bound.arg()?;
    cx.assert_perm("admin").await?;
    let tx = cx.tx()?;
    lifecycle::lock(&tx, task_id).await?;
    let mut pending = vec![task_id];
    while let Some(id) = pending.pop() {
        db::tasks::set_priority(&tx, id, priority).await?;
        if recurse.unwrap_or(true) {
            pending.extend(db::tasks::child_ids(&tx, id).await?);
        }
    }
    Ok(Value::Nil)
}

/// `freeTask(task_id)` (admin).
pub async fn free_task(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("freeTask", ["task_id"], []))?;
    let task_id: i64 = bound.arg()?;
    cx.assert_perm("admin").await?;
    lifecycle::free(&cx.tx()?, task_id).await?;
    info!(task.id = task_id, "freed task {task_id}");
    Ok(Value::Nil)
}

/// `assignTask(task_id, host, force=False, override=False)` (admin): true if assigned.
pub async fn assign_task(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("assignTask", ["task_id", "host"], ["force", "override"]);
    let mut bound = params.bind(&SIG)?;
    let task_id: i64 = bound.arg()?;
    let host = bound.next_raw();
    let force: bool = bound.arg()?;
    let _override: bool = bound.arg()?;
    cx.assert_perm("admin").await?;
    let host = resolve_host(cx.db(), &host, None)
        .await?
        .ok_or_else(|| Error::Generic(format!("Invalid hostInfo: {host}")))?;
    let assigned = lifecycle::assign(&cx.tx()?, task_id, host.id, force).await?;
    Ok(Value::Bool(assigned))
}
