//! Koji's debug task `waittest(count, seconds=10)`: a parent that starts `count` `sleep`
//! children (labels `0`, `1`, …) and one that fails (`sleep('BAD_ARG')`, label `bad`, allowed
//! to fail), then waits for all of them. Kiln's keyword `bad=False` leaves the failing child
//! out.

use common::xmlrpc::{Params, Value};
use tracing::info;

use crate::error::TaskError;
use crate::handler::{SubtaskOptions, TaskContext, TaskHandler, check_keywords, int_arg};

/// `waittest(count, seconds=10, bad=True)`.
#[derive(Debug)]
pub struct WaitTest;

impl TaskHandler for WaitTest {
    const METHOD: &'static str = "waittest";
    const WEIGHT: f64 = 0.1;

    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError> {
        check_keywords(&params.keywords, &["count", "seconds", "bad"], Self::METHOD)?;
        let count = int_arg(&params, 0, "count", Self::METHOD)?.unwrap_or(0);
        let seconds = params
            .positional
            .get(1)
            .or_else(|| params.keywords.get("seconds"))
            .cloned()
            .unwrap_or(Value::Int(10));
        let bad = params.keywords.get("bad").is_none_or(Value::truthy);
        let mut tasks = Vec::new();
        for i in 0..count.max(0) {
            let options = SubtaskOptions {
                label: Some(i.to_string()),
                ..SubtaskOptions::default()
            };
            tasks.push(cx.subtask("sleep", vec![seconds.clone()], options)?);
        }
        let mut canfail = Vec::new();
        if bad {
            let options = SubtaskOptions {
                label: Some("bad".into()),
                ..SubtaskOptions::default()
            };
            let bad_task = cx.subtask("sleep", vec![Value::from("BAD_ARG")], options)?;
            tasks.push(bad_task);
            canfail.push(bad_task);
        }
        let results = cx.wait(Some(&tasks), true, true, &canfail)?;
        for (task_id, result) in &results {
            info!(task.id = cx.id(), "subtask {task_id}: {result}");
        }
        Ok(Value::Nil)
    }
}
