//! What the daemon hands a task process on its standard input: how to reach the hub, the
//! task's subsession, and the opened task. It travels as an XML-RPC document, so no secret
//! appears on a command line.

use std::path::PathBuf;

use common::wire::TaskInfo;
use common::xmlrpc::{decode_call, encode_call, from_value, to_value};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The launch document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Launch {
    /// The hub's XML-RPC URL.
    pub server: String,
    /// CA certificates to verify the hub with.
    pub serverca: Option<PathBuf>,
    /// The task's subsession.
    pub session_id: i64,
    /// Its key.
    pub session_key: String,
    /// The task as `host.openTask` returned it (with the raw request text).
    pub task: TaskInfo,
    /// The builder's work directory.
    pub workdir: PathBuf,
    /// The hub's topdir as mounted on this host, if it is.
    #[serde(default)]
    pub topdir: Option<PathBuf>,
    /// Seconds between log uploads.
    pub log_upload_seconds: f64,
    /// The longest single wait for children, in seconds.
    pub wait_seconds: f64,
    /// Seconds between attempts when the hub cannot be reached.
    pub retry_seconds: f64,
}

impl Launch {
    /// Encodes the document.
    pub fn encode(&self) -> Result<String> {
        let value = to_value(self).map_err(|e| Error::Launch(e.to_string()))?;
        Ok(encode_call("runTask", &[value]))
    }

    /// Decodes the document.
    pub fn decode(text: &[u8]) -> Result<Launch> {
        let call = decode_call(text).map_err(|e| Error::Launch(e.to_string()))?;
        let value = call
            .params
            .into_iter()
            .next()
            .ok_or_else(|| Error::Launch("the document holds no launch data".into()))?;
        from_value(value).map_err(|e| Error::Launch(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use common::xmlrpc::Value;

    use super::*;

    #[test]
    fn launch_documents_round_trip() {
        let launch = Launch {
            server: "http://127.0.0.1:1/kojihub".into(),
            serverca: None,
            session_id: 7,
            session_key: "3-abc".into(),
            task: TaskInfo {
                id: 5,
                state: 1,
                create_time: "2026-01-01 00:00:00+00:00".into(),
                create_ts: 1.0,
                start_time: None,
                start_ts: None,
                completion_time: None,
                completion_ts: None,
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
                request: Some(Value::from("<?xml version='1.0'?>\n<methodCall>…")),
            },
            workdir: PathBuf::from("/var/tmp/kiln"),
            topdir: Some(PathBuf::from("/mnt/koji")),
            log_upload_seconds: 1.0,
            wait_seconds: 30.0,
            retry_seconds: 2.0,
        };
        let text = launch.encode().unwrap();
        assert_eq!(Launch::decode(text.as_bytes()).unwrap(), launch);
        assert!(Launch::decode(b"nope").is_err());
    }
}
