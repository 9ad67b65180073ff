//! Task records for the wire, and the stored request and result documents: a request is the
//! XML-RPC `methodCall` text of the task's arguments, a result the `methodResponse` text the
//! builder sent (a fault document for a failed task), as Koji stores them.

use common::Fault;
use common::wire::{TaskInfo, TaskListEntry};
use common::xmlrpc::{Struct, Value, decode_call, decode_response};

use crate::db::tasks::{ListedTaskRow, TaskRow};
use crate::error::{Error, Result};

/// The wire record of a task, with `request` if given.
pub fn task_info(row: &TaskRow, request: Option<Value>) -> TaskInfo {
    TaskInfo {
        id: row.id,
        state: row.state.code(),
        create_time: row.create_time.koji_time(),
        create_ts: row.create_time.koji_ts(),
        start_time: row.start_time.map(|t| t.koji_time()),
        start_ts: row.start_time.map(|t| t.koji_ts()),
        completion_time: row.completion_time.map(|t| t.koji_time()),
        completion_ts: row.completion_time.map(|t| t.koji_ts()),
        channel_id: row.channel_id,
        host_id: row.host_id,
        parent: row.parent,
        label: row.label.clone(),
        waiting: row.waiting,
        awaited: row.awaited,
        owner: row.owner,
        method: row.method.clone(),
        arch: row.arch.clone(),
        priority: i64::from(row.priority),
        weight: row.weight,
        request,
    }
}

/// The wire record of a `listTasks` row; `decode` turns the request into its params and the
/// result into `[value]` or a fault struct, as Koji's `decode=True` does.
pub fn list_entry(row: ListedTaskRow, decode: bool) -> Result<TaskListEntry> {
    let task = row.task;
    let (request, result) = if decode {
        let request = decode_request(task.id, &row.request)?;
        let result = match &row.result {
            None => Value::Nil,
            Some(text) if text.is_empty() => Value::Nil,
            Some(text) => match decode_result(task.id, text)? {
                Ok(value) => Value::Array(vec![value]),
                Err(fault) => fault_struct(&fault),
            },
        };
        (request, result)
    } else {
        (
            Value::String(row.request),
            row.result.map_or(Value::Nil, Value::String),
        )
    };
    Ok(TaskListEntry {
        id: task.id,
        state: task.state.code(),
        create_time: task.create_time.koji_time(),
        create_ts: task.create_time.koji_ts(),
        start_time: task.start_time.map(|t| t.koji_time()),
        start_ts: task.start_time.map(|t| t.koji_ts()),
        completion_time: task.completion_time.map(|t| t.koji_time()),
        completion_ts: task.completion_time.map(|t| t.koji_ts()),
        channel_id: task.channel_id,
        host_id: task.host_id,
        parent: task.parent,
        label: task.label,
        waiting: task.waiting,
        awaited: task.awaited,
        owner: task.owner,
        owner_name: row.owner_name,
        owner_type: row.owner_type,
        method: task.method,
        arch: task.arch,
        priority: i64::from(task.priority),
        weight: task.weight,
        request,
        result,
    })
}

/// The params of a stored request, as an array (kwargs stay a trailing `__starstar` struct).
pub fn decode_request(task_id: i64, text: &str) -> Result<Value> {
    decode_call(text.as_bytes())
        .map(|call| Value::Array(call.params))
        .map_err(|e| Error::CorruptRow {
            table: "task",
            detail: format!("request of task {task_id}: {e}"),
        })
}

/// A stored result: the value, or the fault it carries.
pub fn decode_result(task_id: i64, text: &str) -> Result<std::result::Result<Value, Fault>> {
    decode_response(text.as_bytes()).map_err(|e| Error::CorruptRow {
        table: "task",
        detail: format!("result of task {task_id}: {e}"),
    })
}

/// A fault as the struct multicall and `getTaskResult(raise_fault=False)` use.
pub fn fault_struct(fault: &Fault) -> Value {
    Value::Struct(Struct::from([
        ("faultCode".to_owned(), Value::Int(i64::from(fault.code))),
        ("faultString".to_owned(), Value::String(fault.message.clone())),
    ]))
}

/// Checks that a builder's `closeTask`/`failTask` response is a `methodResponse` document;
/// `want_fault` says which kind it must be.
pub fn check_response(text: &str, want_fault: bool) -> Result<()> {
    match decode_response(text.as_bytes()) {
        Ok(Ok(_)) if !want_fault => Ok(()),
        Ok(Err(_)) if want_fault => Ok(()),
        Ok(Ok(_)) => Err(Error::InvalidValue(
            "failTask needs a fault methodResponse document".into(),
        )),
        Ok(Err(_)) => Err(Error::InvalidValue(
            "closeTask needs a methodResponse document with a value, not a fault".into(),
        )),
        Err(e) => Err(Error::InvalidValue(format!(
            "the task response is not an XML-RPC methodResponse document: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use common::xmlrpc::{encode_call, encode_fault, encode_response};

    use super::*;

    #[test]
    fn requests_decode_to_params() {
        let text = encode_call("sleep", &[Value::Int(0)]);
        assert_eq!(
            decode_request(1, &text).unwrap(),
            Value::Array(vec![Value::Int(0)])
        );
        assert!(decode_request(1, "garbage").is_err());
    }

    #[test]
    fn results_decode_to_values_or_faults() {
        let ok = encode_response(&Value::Nil);
        assert_eq!(decode_result(1, &ok).unwrap(), Ok(Value::Nil));
        let failed = encode_fault(1005, "boom");
        assert_eq!(decode_result(1, &failed).unwrap(), Err(Fault::new(1005, "boom")));
    }

    #[test]
    fn responses_are_checked() {
        assert!(check_response(&encode_response(&Value::Int(1)), false).is_ok());
        assert!(check_response(&encode_fault(1, "x"), true).is_ok());
        assert!(check_response(&encode_fault(1, "x"), false).is_err());
        assert!(check_response(&encode_response(&Value::Nil), true).is_err());
        assert!(check_response("<nope/>", false).is_err());
    }
}
