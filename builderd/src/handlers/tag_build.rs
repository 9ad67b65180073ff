//! Koji's `tagBuild(tag_id, build_id, force=False, fromtag=None, ignore_success=False)`: the
//! subtask that tags a finished build (`host.tagBuild`, whose checks are the hub's) and
//! reports it (`host.tagNotification`, when the hub has it).

use common::xmlrpc::{Params, Value};
use tracing::debug;

use crate::buildtask::Args;
use crate::error::{Error, TaskError};
use crate::handler::{TaskContext, TaskHandler};

/// `tagBuild`.
#[derive(Debug)]
pub struct TagBuild;

impl TaskHandler for TagBuild {
    const METHOD: &'static str = "tagBuild";
    const WEIGHT: f64 = 0.1;

    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError> {
        let args = Args::bind(
            &params,
            &["tag_id", "build_id", "force", "fromtag", "ignore_success"],
            Self::METHOD,
        )?;
        let tag = args.required("tag_id")?.clone();
        let build = args.required("build_id")?.clone();
        let force = args.get("force").is_some_and(Value::truthy);
        let fromtag = args.get("fromtag").cloned().unwrap_or(Value::Nil);
        let ignore_success = args.get("ignore_success").is_some_and(Value::truthy);
        let call = |method: &str, args: Vec<Value>, kwargs: Vec<(&str, Value)>| {
            cx.session
                .call_kw(method, args, kwargs)
                .map_err(|e| Error::hub(method, e))
        };
        let owner = cx.task.owner;
        let outcome = call(
            "getBuild",
            vec![build.clone()],
            vec![("strict", Value::Bool(true))],
        )
        .and_then(|_| call("getTag", vec![tag.clone()], vec![("strict", Value::Bool(true))]))
        .and_then(|_| {
            call(
                "host.tagBuild",
                vec![Value::Int(cx.id()), tag.clone(), build.clone()],
                vec![("force", Value::Bool(force)), ("fromtag", fromtag.clone())],
            )
        });
        let (success, message) = match &outcome {
            Ok(_) => (true, Value::from("")),
            Err(e) => (false, Value::from(e.to_string())),
        };
        // Notifications are optional on the hub: a hub without them still tags.
        if let Err(e) = call(
            "host.tagNotification",
            vec![
                Value::Bool(success),
                tag,
                fromtag,
                build,
                Value::Int(owner),
                Value::Bool(ignore_success),
                message,
            ],
            vec![],
        ) {
            debug!(task.id = cx.id(), "no tag notification: {e}");
        }
        outcome?;
        Ok(Value::Nil)
    }
}
