//! Parent tasks and their children: `host.subtask`, `host.subtask2`, `host.taskSetWait`,
//! `host.taskWait`, `host.taskUnwait`, `host.taskWaitResults`.

use common::signature;
use common::xmlrpc::{Params, STARSTAR, Signature, Struct, Value};

use crate::db;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::rpc::call::Call;
use crate::tasks::create::{self, TaskSpec};
use crate::tasks::lifecycle;

/// Koji's `encode_args`: positional args, then the keywords as a `__starstar` struct.
pub fn encode_args(mut args: Vec<Value>, kwargs: Struct) -> Vec<Value> {
    if !kwargs.is_empty() {
        let mut kwargs = kwargs;
        kwargs.insert(STARSTAR.to_owned(), Value::Bool(true));
        args.push(Value::Struct(kwargs));
    }
    args
}

/// Creates a subtask of `parent` (which the host must hold OPEN) from Koji's subtask options,
/// or returns the existing child with the same label.
async fn make_subtask(
    cx: &mut Call<'_>,
    host: &Host,
    function: &str,
    method: String,
    args: Vec<Value>,
    parent: i64,
    mut opts: Struct,
) -> Result<Value> {
    let tx = cx.tx()?;
    lifecycle::assert_host(&tx, parent, host.id).await?;
    if opts.contains_key("owner") {
        return Err(Error::NotAllowed("subtasks cannot set their owner".into()));
    }
    let label = match opts.remove("label") {
        None | Some(Value::Nil) => None,
        Some(Value::String(label)) => Some(label),
        Some(other) => Some(other.to_string()),
    };
    if let Some(label) = &label
        && let Some(existing) = db::tasks::child_by_label(&tx, parent, label).await?
    {
        return Ok(Value::Int(existing));
    }
    let args = match opts.remove("kwargs") {
        None | Some(Value::Nil) => args,
        Some(Value::Struct(kwargs)) => encode_args(args, kwargs),
        Some(other) => {
            return Err(Error::Param(format!(
                "{function}(): kwargs must be a struct, not {}",
                other.type_name()
            )));
        }
    };
    let arch = match opts.remove("arch") {
        None | Some(Value::Nil) => None,
        Some(Value::String(arch)) => Some(arch),
        Some(other) => return Err(Error::InvalidValue(format!("Invalid arch: {other}"))),
    };
    let priority = match opts.remove("priority") {
        None | Some(Value::Nil) => None,
        Some(value) => Some(
            value
                .as_i64()
                .and_then(|p| i32::try_from(p).ok())
                .ok_or_else(|| Error::InvalidValue(format!("Invalid priority: {value}")))?,
        ),
    };
    let channel = opts.remove("channel").filter(|c| !c.is_nil());
    opts.remove("parent");
    if let Some(name) = opts.keys().next() {
        return Err(Error::Param(format!(
            "{function}() got an unexpected keyword argument '{name}'"
        )));
    }
    let spec = TaskSpec {
        method,
        args,
        parent: Some(parent),
        label,
        channel,
        arch,
        priority,
        ..TaskSpec::default()
    };
    let caller = cx.session().map(|s| s.user_id);
    Ok(Value::Int(create::create(&tx, caller, spec).await?))
}

/// `host.subtask(method, arglist, parent, **opts)` with opts `label`, `arch`, `priority`,
/// `channel`, `kwargs`.
pub async fn subtask(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("subtask", ["method", "arglist", "parent"], [], **opts);
    let mut bound = params.bind(&SIG)?;
    let method: String = bound.arg()?;
    let arglist: Vec<Value> = bound.arg()?;
    let parent: i64 = bound.arg()?;
    let opts = std::mem::take(&mut bound.keywords);
    make_subtask(cx, &host, "subtask", method, arglist, parent, opts).await
}

/// `host.subtask2(__parent, __taskopts, __method, *args, **kwargs)`.
pub async fn subtask2(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "subtask2",
        ["__parent", "__taskopts", "__method"],
        [],
        *args,
        **kwargs
    );
    let mut bound = params.bind(&SIG)?;
    let parent: i64 = bound.arg()?;
    let taskopts: Option<Struct> = bound.arg()?;
    let method: String = bound.arg()?;
    let args = encode_args(
        std::mem::take(&mut bound.rest),
        std::mem::take(&mut bound.keywords),
    );
    make_subtask(
        cx,
        &host,
        "subtask2",
        method,
        args,
        parent,
        taskopts.unwrap_or_default(),
    )
    .await
}

/// `host.taskSetWait(parent, tasks)`: the parent waits on the listed children (nil: all).
pub async fn task_set_wait(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("taskSetWait", ["parent", "tasks"], []))?;
    let parent: i64 = bound.arg()?;
    let tasks: Option<Vec<i64>> = bound.arg()?;
    let tx = cx.tx()?;
    lifecycle::assert_host(&tx, parent, host.id).await?;
    lifecycle::set_wait(&tx, parent, tasks.as_deref()).await?;
    Ok(Value::Nil)
}

/// `host.taskWait(parent)`: `[finished, unfinished]` among the awaited children.
pub async fn task_wait(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("taskWait", ["parent"], []))?;
    let parent: i64 = bound.arg()?;
    let tx = cx.tx()?;
    lifecycle::assert_host(&tx, parent, host.id).await?;
    let (finished, unfinished) = lifecycle::wait(&tx, parent).await?;
    Ok(id_lists(finished, unfinished))
}

/// The `[finished, unfinished]` answer.
pub fn id_lists(finished: Vec<i64>, unfinished: Vec<i64>) -> Value {
    Value::Array(vec![
        Value::Array(finished.into_iter().map(Value::Int).collect()),
        Value::Array(unfinished.into_iter().map(Value::Int).collect()),
    ])
}

/// `host.taskUnwait(parent)`: ends a wait.
pub async fn task_unwait(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("taskUnwait", ["parent"], []))?;
    let parent: i64 = bound.arg()?;
    let tx = cx.tx()?;
    lifecycle::assert_host(&tx, parent, host.id).await?;
    db::tasks::unwait(&tx, parent).await?;
    Ok(Value::Nil)
}

/// `host.taskWaitResults(parent, tasks, canfail=None)`.
pub async fn task_wait_results(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("taskWaitResults", ["parent", "tasks"], ["canfail"]);
    let mut bound = params.bind(&SIG)?;
    let parent: i64 = bound.arg()?;
    let tasks: Option<Vec<i64>> = bound.arg()?;
    let canfail: Option<Vec<i64>> = bound.arg()?;
    let tx = cx.tx()?;
    lifecycle::assert_host(&tx, parent, host.id).await?;
    lifecycle::wait_results(&tx, parent, tasks, &canfail.unwrap_or_default()).await
}
