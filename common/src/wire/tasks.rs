//! Tasks as the hub shows them (`getTaskInfo`, `listTasks`, `host.getTasks`,
//! `host.getHostTasks`), and the upload answers builders and clients check.

use serde::{Deserialize, Serialize};

use crate::xmlrpc::Value;

/// A task (`getTaskInfo`, `getTaskChildren`, `host.openTask`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    /// The task id.
    pub id: i64,
    /// `TASK_STATES`.
    pub state: i32,
    /// Creation time.
    pub create_time: String,
    /// Creation time, epoch seconds.
    pub create_ts: f64,
    /// When a host opened it.
    pub start_time: Option<String>,
    /// When a host opened it, epoch seconds.
    pub start_ts: Option<f64>,
    /// When it finished.
    pub completion_time: Option<String>,
    /// When it finished, epoch seconds.
    pub completion_ts: Option<f64>,
    /// Its channel.
    pub channel_id: i64,
    /// The host holding it.
    pub host_id: Option<i64>,
    /// The parent task.
    pub parent: Option<i64>,
    /// The label the parent gave it.
    pub label: Option<String>,
    /// The task waits on children.
    pub waiting: Option<bool>,
    /// The parent waits on this task.
    pub awaited: Option<bool>,
    /// The owner's user id.
    pub owner: i64,
    /// The method (`build`, `sleep`, …).
    pub method: String,
    /// The arch it must run on (`noarch` for any).
    pub arch: String,
    /// Lower runs sooner.
    pub priority: i64,
    /// The load it puts on a host.
    pub weight: f64,
    /// The request: decoded params (`request=True`), or the raw `methodCall` text
    /// (`host.openTask`). Absent unless asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Value>,
}

/// A `listTasks` row: a task plus its request and result (raw text, or decoded with
/// `decode=True`) and its owner's name and type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskListEntry {
    /// The task id.
    pub id: i64,
    /// `TASK_STATES`.
    pub state: i32,
    /// Creation time.
    pub create_time: String,
    /// Creation time, epoch seconds.
    pub create_ts: f64,
    /// When a host opened it.
    pub start_time: Option<String>,
    /// When a host opened it, epoch seconds.
    pub start_ts: Option<f64>,
    /// When it finished.
    pub completion_time: Option<String>,
    /// When it finished, epoch seconds.
    pub completion_ts: Option<f64>,
    /// Its channel.
    pub channel_id: i64,
    /// The host holding it.
    pub host_id: Option<i64>,
    /// The parent task.
    pub parent: Option<i64>,
    /// The label the parent gave it.
    pub label: Option<String>,
    /// The task waits on children.
    pub waiting: Option<bool>,
    /// The parent waits on this task.
    pub awaited: Option<bool>,
    /// The owner's user id.
    pub owner: i64,
    /// The owner's name.
    pub owner_name: Option<String>,
    /// The owner's `USERTYPES` value.
    pub owner_type: Option<i32>,
    /// The method.
    pub method: String,
    /// The arch.
    pub arch: String,
    /// Lower runs sooner.
    pub priority: i64,
    /// The load it puts on a host.
    pub weight: f64,
    /// The request (text, or decoded params).
    pub request: Value,
    /// The result (text, decoded `[value]` or a fault struct), nil while unfinished.
    pub result: Value,
}

/// A task handed to a host (`host.getTasks`, Kiln's `host.waitTasks`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignedTask {
    /// The task id.
    pub id: i64,
    /// ASSIGNED.
    pub state: i32,
    /// Its channel.
    pub channel_id: i64,
    /// The host it is assigned to.
    pub host_id: Option<i64>,
    /// The arch.
    pub arch: String,
    /// The method.
    pub method: String,
    /// Lower runs sooner.
    pub priority: i64,
    /// Creation time, epoch seconds.
    pub create_ts: f64,
}

/// An OPEN task of the calling host (`host.getHostTasks`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostTask {
    /// The task id.
    pub id: i64,
    /// The task waits on children.
    pub waiting: Option<bool>,
    /// The load it puts on the host.
    pub weight: f64,
    /// True when the task waits and an awaited child has finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<bool>,
}

/// What `rawUpload` answers for one chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResult {
    /// Bytes written.
    pub size: i64,
    /// The checksum type (`adler32`), or empty.
    pub fileverify: String,
    /// Where the chunk was written.
    pub offset: i64,
    /// The chunk's checksum, eight lowercase hex digits for Adler-32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hexdigest: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlrpc::{from_value, to_value};

    fn sample() -> TaskInfo {
        TaskInfo {
            id: 1,
            state: 2,
            create_time: "2026-11-22 10:11:03.221987+00:00".into(),
            create_ts: 1795342263.221987,
            start_time: Some("2026-11-22 10:11:57.551413+00:00".into()),
            start_ts: Some(1795342317.551413),
            completion_time: Some("2026-11-22 10:11:57.597181+00:00".into()),
            completion_ts: Some(1795342317.597181),
            channel_id: 1,
            host_id: Some(1),
            parent: None,
            label: None,
            waiting: None,
            awaited: None,
            owner: 1,
            method: "sleep".into(),
            arch: "noarch".into(),
            priority: 20,
            weight: 0.25,
            request: None,
        }
    }

    #[test]
    fn task_info_has_kojis_keys_and_request_only_when_asked() {
        let value = to_value(&sample()).unwrap();
        let keys: Vec<&str> = value.as_struct().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "arch",
                "awaited",
                "channel_id",
                "completion_time",
                "completion_ts",
                "create_time",
                "create_ts",
                "host_id",
                "id",
                "label",
                "method",
                "owner",
                "parent",
                "priority",
                "start_time",
                "start_ts",
                "state",
                "waiting",
                "weight"
            ]
        );
        let with_request = TaskInfo {
            request: Some(Value::Array(vec![Value::Int(0)])),
            ..sample()
        };
        let value = to_value(&with_request).unwrap();
        assert_eq!(value.get("request"), Some(&Value::Array(vec![Value::Int(0)])));
        assert_eq!(from_value::<TaskInfo>(value).unwrap(), with_request);
    }

    #[test]
    fn host_task_alert_is_optional() {
        let task = HostTask {
            id: 5,
            waiting: Some(true),
            weight: 0.2,
            alert: None,
        };
        let value = to_value(&task).unwrap();
        assert!(value.get("alert").is_none());
        assert_eq!(from_value::<HostTask>(value).unwrap(), task);
    }

    #[test]
    fn upload_result_round_trip() {
        let result = UploadResult {
            size: 3,
            fileverify: "adler32".into(),
            offset: 0,
            hexdigest: Some("024d0127".into()),
        };
        assert_eq!(
            from_value::<UploadResult>(to_value(&result).unwrap()).unwrap(),
            result
        );
    }
}
