//! Kiln's `moduleBuild(module_build_id)`: the parent task of a module build. This first step
//! asks the hub to run MBS's init and wait steps (`host.moduleInit`: tags, target, inheritance,
//! groups, package lists, macros) and reports what was set up; batches and component builds
//! are not started yet.

use common::FaultCode;
use common::xmlrpc::{Params, Value};
use tracing::info;

use crate::error::TaskError;
use crate::handler::{TaskContext, TaskHandler, check_keywords, int_arg};

/// `moduleBuild`.
#[derive(Debug)]
pub struct ModuleBuild;

const KEYWORDS: &[&str] = &["module_build_id"];

impl TaskHandler for ModuleBuild {
    const METHOD: &'static str = "moduleBuild";
    const WEIGHT: f64 = 0.1;

    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError> {
        check_keywords(&params.keywords, KEYWORDS, Self::METHOD)?;
        let module_id = int_arg(&params, 0, "module_build_id", Self::METHOD)?.ok_or_else(|| {
            TaskError::new(
                FaultCode::Parameter,
                "moduleBuild() missing required argument: 'module_build_id'",
            )
        })?;
        let outcome = cx.hub_call("host.moduleInit", vec![Value::Int(module_id)], vec![])?;
        let field = |name: &str| {
            outcome
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        info!(
            task.id = cx.id(),
            module.id = module_id,
            "module build {module_id} initialised: tag {}, target {}, state {}",
            field("koji_tag"),
            field("target"),
            field("state")
        );
        Ok(outcome)
    }
}
