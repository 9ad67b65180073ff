//! MBS's JSON shapes for module builds and components (mbs.md §3.5): short, default and
//! extended (`verbose`).

use common::modulemd::{MbsXmd, ParseMode, XmdValue, parse_stream};
use common::states::{BuildState, ModuleBuildState};
use common::time::iso_utc;
use serde_json::{Map, Value, json};

use crate::db::modules::{ComponentBuildRow, ModuleBuildRow, TraceRow};

/// How much of a module build to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `short=true`.
    Short,
    /// The default.
    Default,
    /// `verbose=true`, and every POST / PATCH answer.
    Extended,
}

/// A module build with what its JSON needs beside the row.
#[derive(Debug, Clone, Default)]
pub struct ModuleView<'a> {
    /// Its components (any order; shown by id).
    pub components: Vec<&'a ComponentBuildRow>,
    /// Ids of other builds with the same N, S, V and scratch flag.
    pub siblings: Vec<i64>,
    /// Its state trace (extended only).
    pub trace: Vec<&'a TraceRow>,
    /// The base modules it was built against (extended only).
    pub base_modules: Vec<ModuleBuildRow>,
}

fn time(micros: Option<crate::db::Micros>) -> Value {
    micros.map_or(Value::Null, |m| Value::String(iso_utc(m.0)))
}

/// An `xmd` value as JSON.
pub fn xmd_json(value: &XmdValue) -> Value {
    match value {
        XmdValue::String(text) => Value::String(text.clone()),
        XmdValue::Bool(flag) => Value::Bool(*flag),
        XmdValue::List(items) => Value::Array(items.iter().map(xmd_json).collect()),
        XmdValue::Map(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), xmd_json(v))).collect()),
    }
}

/// `xmd.mbs.buildrequires` of the stored modulemd, as MBS shows it.
fn buildrequires(module: &ModuleBuildRow) -> Value {
    let Some(xmd) = parse_stream(&module.modulemd, ParseMode::Lenient)
        .ok()
        .and_then(|stream| MbsXmd::from_stream(&stream))
    else {
        return json!({});
    };
    let entries = xmd
        .buildrequires
        .iter()
        .map(|(name, entry)| {
            let mut object = Map::new();
            for (key, value) in &entry.other {
                object.insert(key.clone(), xmd_json(value));
            }
            object.insert("ref".into(), json!(entry.git_ref));
            object.insert("stream".into(), json!(entry.stream));
            object.insert("version".into(), json!(entry.version));
            object.insert("context".into(), json!(entry.context));
            object.insert("koji_tag".into(), json!(entry.koji_tag));
            object.insert("filtered_rpms".into(), json!(entry.filtered_rpms));
            (name.clone(), Value::Object(object))
        })
        .collect();
    Value::Object(entries)
}

fn short(module: &ModuleBuildRow) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("id".into(), json!(module.id));
    object.insert("state".into(), json!(module.state.code()));
    object.insert("state_name".into(), json!(module.state.name()));
    object.insert("stream".into(), json!(module.stream));
    object.insert("version".into(), json!(module.version));
    object.insert("name".into(), json!(module.name));
    object.insert("context".into(), json!(module.context));
    object.insert("scratch".into(), json!(module.scratch));
    object
}

fn state_name(state: Option<BuildState>) -> Value {
    state.map_or(Value::Null, |s| json!(s.name()))
}

/// A module build as JSON; `with_tasks` adds `tasks` (every default and extended answer but
/// the import's).
pub fn module_json(
    module: &ModuleBuildRow,
    view: &ModuleView<'_>,
    verbosity: Verbosity,
    with_tasks: bool,
    api_version: u32,
) -> Value {
    let mut object = short(module);
    if verbosity == Verbosity::Short {
        return Value::Object(object);
    }
    let mut components = view.components.clone();
    components.sort_by_key(|c| c.id);
    object.insert("batch".into(), json!(module.batch));
    object.insert(
        "component_builds".into(),
        json!(components.iter().map(|c| c.id).collect::<Vec<_>>()),
    );
    object.insert("koji_tag".into(), json!(module.koji_tag));
    object.insert("owner".into(), json!(module.owner));
    object.insert("new_repo_task_id".into(), json!(module.new_repo_task_id));
    object.insert("rebuild_strategy".into(), json!(module.rebuild_strategy));
    object.insert("scmurl".into(), json!(module.scmurl));
    object.insert("srpms".into(), json!([]));
    object.insert("siblings".into(), json!(view.siblings));
    object.insert("state_reason".into(), json!(module.state_reason));
    object.insert("time_completed".into(), time(module.time_completed));
    object.insert("time_modified".into(), time(Some(module.time_modified)));
    object.insert("time_submitted".into(), time(Some(module.time_submitted)));
    object.insert("buildrequires".into(), buildrequires(module));
    if with_tasks {
        let rpms: Map<String, Value> = components
            .iter()
            .map(|c| {
                (
                    c.package.clone(),
                    json!({
                        "task_id": c.task_id,
                        "state": c.state.map(BuildState::code),
                        "state_reason": c.state_reason,
                        "nvr": c.nvr,
                    }),
                )
            })
            .collect();
        object.insert("tasks".into(), json!({ "rpms": rpms }));
    }
    if verbosity == Verbosity::Extended {
        let base_modules: Vec<Value> = view
            .base_modules
            .iter()
            .map(|base| {
                let mut entry = short(base);
                entry.remove("scratch");
                entry.insert("stream_version".into(), json!(base.stream_version));
                Value::Object(entry)
            })
            .collect();
        object.insert("base_module_buildrequires".into(), json!(base_modules));
        object.insert("build_context".into(), json!(module.build_context));
        object.insert("build_context_no_bms".into(), json!(module.build_context_no_bms));
        object.insert("runtime_context".into(), json!(module.runtime_context));
        object.insert("modulemd".into(), json!(module.modulemd));
        object.insert("reused_module_id".into(), json!(module.reused_module_id));
        let trace: Vec<Value> = view
            .trace
            .iter()
            .map(|row| {
                json!({
                    "time": iso_utc(row.state_time.0),
                    "state": row.state,
                    "state_name": row.state.and_then(ModuleBuildState::from_code).map(ModuleBuildState::name),
                    "reason": row.state_reason,
                })
            })
            .collect();
        object.insert("state_trace".into(), json!(trace));
        object.insert(
            "state_url".into(),
            json!(format!(
                "/module-build-service/{api_version}/module-builds/{}",
                module.id
            )),
        );
        object.insert("stream_version".into(), json!(module.stream_version));
        object.insert("virtual_streams".into(), json!(module.virtual_streams));
        object.insert("arches".into(), json!(module.arches));
    }
    Value::Object(object)
}

/// A component as JSON; extended adds `batch`, `state_trace` and `state_url`.
pub fn component_json(
    component: &ComponentBuildRow,
    trace: &[&TraceRow],
    extended: bool,
    api_version: u32,
) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), json!(component.id));
    object.insert("package".into(), json!(component.package));
    object.insert("format".into(), json!(component.format));
    object.insert("task_id".into(), json!(component.task_id));
    object.insert("state".into(), json!(component.state.map(BuildState::code)));
    object.insert("state_name".into(), state_name(component.state));
    object.insert("state_reason".into(), json!(component.state_reason));
    object.insert("module_build".into(), json!(component.module_id));
    object.insert("nvr".into(), json!(component.nvr));
    if extended {
        object.insert("batch".into(), json!(component.batch));
        // MBS labels component trace states with module state names; kept for compatibility.
        let trace: Vec<Value> = trace
            .iter()
            .map(|row| {
                json!({
                    "time": iso_utc(row.state_time.0),
                    "state": row.state,
                    "state_name": row.state.and_then(ModuleBuildState::from_code).map(ModuleBuildState::name),
                    "reason": row.state_reason,
                })
            })
            .collect();
        object.insert("state_trace".into(), json!(trace));
        object.insert(
            "state_url".into(),
            json!(format!(
                "/module-build-service/{api_version}/component-builds/{}",
                component.id
            )),
        );
    }
    Value::Object(object)
}
