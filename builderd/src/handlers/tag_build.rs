//! Koji's `tagBuild(tag_id, build_id, force=False, fromtag=None, ignore_success=False)`: the
//! task `tagBuild`/`moveBuild` (and a build's final step) create; it checks the build and tag,
//! asks the hub to tag (`host.tagBuild`, done as the task's owner) and reports the outcome
//! through `host.tagNotification`.

use common::FaultCode;
use common::xmlrpc::{Params, Value};
use tracing::info;

use crate::error::{Error, TaskError};
use crate::handler::{TaskContext, TaskHandler, check_keywords, int_arg};

/// `tagBuild`.
#[derive(Debug)]
pub struct TagBuild;

const KEYWORDS: &[&str] = &["tag_id", "build_id", "force", "fromtag", "ignore_success"];

fn flag(params: &Params, index: usize, name: &str) -> bool {
    params
        .positional
        .get(index)
        .or_else(|| params.keywords.get(name))
        .is_some_and(Value::truthy)
}

impl TaskHandler for TagBuild {
    const METHOD: &'static str = "tagBuild";
    const WEIGHT: f64 = 0.1;

    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError> {
        check_keywords(&params.keywords, KEYWORDS, Self::METHOD)?;
        let missing = |name: &str| {
            TaskError::new(
                FaultCode::Parameter,
                format!("tagBuild() missing required argument: '{name}'"),
            )
        };
        let tag_id = int_arg(&params, 0, "tag_id", Self::METHOD)?.ok_or_else(|| missing("tag_id"))?;
        let build_id = int_arg(&params, 1, "build_id", Self::METHOD)?.ok_or_else(|| missing("build_id"))?;
        let force = flag(&params, 2, "force");
        let fromtag = int_arg(&params, 3, "fromtag", Self::METHOD)?;
        let ignore_success = flag(&params, 4, "ignore_success");
        let fromtag_value = fromtag.map_or(Value::Nil, Value::Int);
        let owner = cx.task.owner;
        let session = cx.session.clone();
        let call = |method: &str, args: Vec<Value>, kwargs: Vec<(&str, Value)>| {
            session
                .call_kw(method, args, kwargs)
                .map_err(|e| Error::hub(method, e))
        };
        let outcome = (|| -> Result<(), Error> {
            let strict = vec![("strict", Value::Bool(true))];
            let build = call("getBuild", vec![Value::Int(build_id)], strict.clone())?;
            let tag = call("getTag", vec![Value::Int(tag_id)], strict)?;
            call(
                "host.tagBuild",
                vec![Value::Int(cx.id()), Value::Int(tag_id), Value::Int(build_id)],
                vec![("force", Value::Bool(force)), ("fromtag", fromtag_value.clone())],
            )?;
            let nvr = build
                .get("nvr")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let tag_name = tag
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            info!(task.id = cx.id(), "tagged {nvr} into {tag_name}");
            Ok(())
        })();
        let notify = |ok: bool, message: &str| {
            call(
                "host.tagNotification",
                vec![
                    Value::Bool(ok),
                    Value::Int(tag_id),
                    fromtag_value.clone(),
                    Value::Int(build_id),
                    Value::Int(owner),
                    Value::Bool(ignore_success),
                    Value::from(message),
                ],
                vec![],
            )
        };
        match outcome {
            Ok(()) => {
                notify(true, "")?;
                Ok(Value::Nil)
            }
            Err(error) => {
                let failure = TaskError::from(error);
                // The tagging failure is what the user needs to see; a failed notification
                // must not hide it.
                if let Err(e) = notify(false, &failure.message) {
                    tracing::warn!(task.id = cx.id(), "tag notification failed: {e}");
                }
                Err(failure)
            }
        }
    }
}
