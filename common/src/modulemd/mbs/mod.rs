//! The Module Build Service's submit-time computations on modulemd: batches, names and
//! contexts, the module-build-macros package, stream expansion and the submit checks, with the
//! messages and HTTP statuses MBS uses.

mod auto_order;
mod batches;
mod error;
mod expand;
mod json;
mod macros;
mod names;
mod submit;

pub use auto_order::{AUTO_ORDER_XMD, AutoComponent, auto_batches, spec_component, wants_auto_order};
pub use batches::{
    Batch, BatchPlan, MODULE_BUILD_MACROS, PlanError, batches_from_buildorder, plan_batches, plan_buildafter,
};
pub use error::{InitError, SubmitError, reason_phrase};
pub use expand::{
    ExpandedBuild, ResolvedModule, SubmissionInfo, apply_overrides, expand_simple, static_context_streams,
};
pub use macros::{
    MACROS_INSTALL_PATH, MACROS_RELEASE, MACROS_SOURCE_NAME, MACROS_VERSION, MacrosInput, MacrosPackage,
    conflicts_from_xmd, conflicts_line, koji_package_list, macros_file, module_build_macros,
};
pub use names::{
    Contexts, DEFAULT_MODULE_CONTEXT, DistTagInput, MAX_TAG_LENGTH, MAX_TARGET_LENGTH, Nsvc,
    base_module_stream, build_context, component_nvr, compute_contexts, context_from, dist_tag, koji_tag,
    koji_target, module_nvr, nvr, prefixed_version, runtime_context, sha1_hex, stream_version,
    version_from_time,
};
pub use submit::{
    LoadedModulemd, SubmitConfig, apply_scm_identity, apply_yaml_identity, check_dashes, check_document,
    fill_component_defaults, load_modulemd, stream_from_branch,
};
