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

pub use auto_order::{auto_batches, AutoComponent};
pub use batches::{batches_from_buildorder, plan_batches, plan_buildafter, Batch, BatchPlan, PlanError, MODULE_BUILD_MACROS};
pub use error::{reason_phrase, InitError, SubmitError};
pub use expand::{apply_overrides, expand_simple, static_context_streams, ExpandedBuild, ResolvedModule, SubmissionInfo};
pub use macros::{
    conflicts_from_xmd, conflicts_line, koji_package_list, macros_file, module_build_macros, MacrosInput, MacrosPackage,
    MACROS_INSTALL_PATH, MACROS_RELEASE, MACROS_SOURCE_NAME, MACROS_VERSION,
};
pub use names::{
    base_module_stream, build_context, component_nvr, compute_contexts, context_from, dist_tag, koji_tag, koji_target,
    module_nvr, nvr, prefixed_version, runtime_context, sha1_hex, stream_version, version_from_time, Contexts,
    DistTagInput, Nsvc, DEFAULT_MODULE_CONTEXT, MAX_TAG_LENGTH, MAX_TARGET_LENGTH,
};
pub use submit::{
    apply_scm_identity, apply_yaml_identity, check_dashes, check_document, fill_component_defaults, load_modulemd,
    stream_from_branch, LoadedModulemd, SubmitConfig,
};
