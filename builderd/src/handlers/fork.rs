//! Koji's debug task `fork(n=5, m=37)`: starts `n` `sleep m` processes and returns without
//! waiting; the daemon kills what is left of the task's process group when the task ends.

use common::FaultCode;
use common::xmlrpc::{Params, Value};
use tracing::info;

use crate::error::TaskError;
use crate::handler::{TaskContext, TaskHandler, check_keywords, int_arg};

/// `fork(n=5, m=37)`.
#[derive(Debug)]
pub struct Fork;

impl TaskHandler for Fork {
    const METHOD: &'static str = "fork";
    const WEIGHT: f64 = 1.0;

    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError> {
        check_keywords(&params.keywords, &["n", "m"], Self::METHOD)?;
        let n = int_arg(&params, 0, "n", Self::METHOD)?.unwrap_or(5);
        let m = int_arg(&params, 1, "m", Self::METHOD)?.unwrap_or(37);
        for _ in 0..n.max(0) {
            let child = std::process::Command::new("sleep")
                .arg(m.to_string())
                .stdin(std::process::Stdio::null())
                .spawn()
                .map_err(|e| TaskError::new(FaultCode::Generic, format!("cannot start sleep: {e}")))?;
            info!(
                task.id = cx.id(),
                pid = child.id(),
                "started sleep {m} as process {}",
                child.id()
            );
        }
        Ok(Value::Nil)
    }
}
