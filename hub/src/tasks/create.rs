//! Creating tasks (Koji's `make_task`): top-level tasks for a user, subtasks under an OPEN
//! parent, with Koji's defaults for owner, arch, priority and channel.

use common::states::{PRIO_DEFAULT, TaskState};
use common::xmlrpc::{Value, encode_call};
use tracing::info;

use crate::db::hosts::ChannelKey;
use crate::db::tasks::NewTask;
use crate::db::{self, Tx};
use crate::error::{Error, Result};

/// What to create.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskSpec {
    /// The method (`build`, `sleep`, …).
    pub method: String,
    /// The arguments, kwargs as a trailing `__starstar` struct.
    pub args: Vec<Value>,
    /// The owner; defaults to the parent's owner, or the caller for top-level tasks.
    pub owner: Option<i64>,
    /// The parent (makes a subtask).
    pub parent: Option<i64>,
    /// The label under the parent.
    pub label: Option<String>,
    /// The channel, by name or id; defaults to the parent's, or `default`.
    pub channel: Option<Value>,
    /// The arch; defaults to the parent's, or `noarch`.
    pub arch: Option<String>,
    /// The priority; defaults to the parent's minus one, or 20.
    pub priority: Option<i32>,
    /// A host to assign the task to right away.
    pub assign: Option<i64>,
}

/// Reads a channel named by id or name.
pub async fn resolve_channel(client: &db::Client, channel: &Value) -> Result<Option<db::hosts::ChannelRow>> {
    match channel {
        Value::Int(id) => db::hosts::channel(client, ChannelKey::Id(*id)).await,
        Value::String(name) => db::hosts::channel(client, ChannelKey::Name(name)).await,
        other => Err(Error::InvalidValue(format!(
            "Invalid type for channelInfo: {}",
            other.type_name()
        ))),
    }
}

/// Checks an arch name: short, lower-case letters, digits and underscores.
pub fn check_arch(arch: &str) -> Result<()> {
    let valid = !arch.is_empty()
        && arch.len() <= 16
        && arch
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidValue(format!("Invalid arch: {arch}")))
    }
}

/// Creates a task for `caller` and returns its id.
pub async fn create(tx: &Tx<'_>, caller: Option<i64>, spec: TaskSpec) -> Result<i64> {
    if spec.method.is_empty() || spec.method.len() > 255 || spec.method.chars().any(char::is_control) {
        return Err(Error::InvalidValue(format!("Invalid method: {:?}", spec.method)));
    }
    if let Some(arch) = &spec.arch {
        check_arch(arch)?;
    }
    let requested_channel = match &spec.channel {
        None | Some(Value::Nil) => None,
        Some(channel) => {
            let found = resolve_channel(tx, channel)
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: "channel",
                    key: channel.to_string(),
                })?;
            if !found.enabled {
                return Err(Error::Generic(format!("channel {} is disabled", found.name)));
            }
            Some(found.id)
        }
    };
    let (owner, arch, priority, channel_id, label) = match spec.parent {
        Some(parent) => {
            let ptask = db::tasks::get(tx, parent)
                .await?
                .ok_or_else(|| Error::Generic(format!("Invalid parent task: {parent}")))?;
            if ptask.state != TaskState::Open {
                return Err(Error::ParentNotOpen { parent });
            }
            (
                spec.owner.unwrap_or(ptask.owner),
                spec.arch.unwrap_or(ptask.arch),
                spec.priority.unwrap_or(ptask.priority - 1),
                Some(requested_channel.unwrap_or(ptask.channel_id)),
                spec.label,
            )
        }
        None => {
            let owner = spec
                .owner
                .or(caller)
                .ok_or_else(|| Error::Generic("task must have an owner".into()))?;
            // No channel: the default one, looked up by the insert.
            let channel_id = requested_channel;
            let priority = spec.priority.unwrap_or(i32::try_from(PRIO_DEFAULT).unwrap_or(20));
            (
                owner,
                spec.arch.unwrap_or_else(|| "noarch".to_owned()),
                priority,
                channel_id,
                None,
            )
        }
    };
    let request = encode_call(&spec.method, &spec.args);
    let new = NewTask {
        state: if spec.assign.is_some() {
            TaskState::Assigned
        } else {
            TaskState::Free
        },
        owner,
        method: spec.method.clone(),
        request,
        priority,
        parent: spec.parent,
        label,
        channel_id,
        arch,
        host_id: spec.assign,
    };
    let task_id = db::tasks::insert(tx, &new).await?;
    if let Some(host_id) = spec.assign {
        db::scheduler::add_run(tx, task_id, host_id).await?;
    }
    info!(
        task.id = task_id,
        task.method = %spec.method,
        task.parent = ?spec.parent,
        "created task {task_id} ({})",
        spec.method
    );
    Ok(task_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arches_are_checked() {
        for good in ["noarch", "x86_64", "aarch64", "i686", "ppc64le", "s390x"] {
            assert!(check_arch(good).is_ok(), "{good}");
        }
        for bad in ["", "x86 64", "X86_64", "a/b", "averyveryverylongarch"] {
            assert!(check_arch(bad).is_err(), "{bad}");
        }
    }
}
