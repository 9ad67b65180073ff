//! MBS's checks and fill-ins when a modulemd is submitted (mbs.md §3.2 steps 5–6) and the
//! component checks and defaults of its init step (§2.1), with MBS's messages and statuses.

use super::error::{InitError, SubmitError};
use crate::modulemd::{Document, MBS_XMD_KEY, ModuleStream, ModulemdError, ParseMode, parse_document};

/// The MBS configuration the submit-time checks depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitConfig {
    /// `BASE_MODULE_NAMES`.
    pub base_module_names: Vec<String>,
    /// `ALLOWED_PRIVILEGED_MODULE_NAMES`: modules that may carry a few `xmd.mbs` keys.
    pub privileged_module_names: Vec<String>,
    /// `ALLOW_NAME_OVERRIDE_FROM_SCM`.
    pub allow_name_override_from_scm: bool,
    /// `ALLOW_STREAM_OVERRIDE_FROM_SCM`.
    pub allow_stream_override_from_scm: bool,
    /// `ALLOW_DASHES_IN_SVC`.
    pub allow_dashes_in_svc: bool,
    /// `MODULES_ALLOW_REPOSITORY`.
    pub modules_allow_repository: bool,
    /// `RPMS_ALLOW_REPOSITORY`.
    pub rpms_allow_repository: bool,
    /// `RPMS_ALLOW_CACHE`.
    pub rpms_allow_cache: bool,
    /// `RPMS_DEFAULT_REPOSITORY`, to which the component key is appended.
    pub rpms_default_repository: String,
    /// `RPMS_DEFAULT_CACHE`, to which the component key is appended.
    pub rpms_default_cache: String,
    /// `MODULES_DEFAULT_REPOSITORY`, to which the module key is appended.
    pub modules_default_repository: String,
    /// `DEFAULT_BRANCH`.
    pub default_branch: String,
    /// `ARCHES`.
    pub arches: Vec<String>,
}

impl SubmitConfig {
    /// MBS 3.9.2's defaults (mbs.md §6).
    pub fn mbs_defaults() -> SubmitConfig {
        SubmitConfig {
            base_module_names: vec!["platform".to_owned()],
            privileged_module_names: Vec::new(),
            allow_name_override_from_scm: false,
            allow_stream_override_from_scm: false,
            allow_dashes_in_svc: false,
            modules_allow_repository: false,
            rpms_allow_repository: false,
            rpms_allow_cache: false,
            rpms_default_repository: "https://src.fedoraproject.org/rpms/".to_owned(),
            rpms_default_cache: "http://pkgs.fedoraproject.org/repo/pkgs/".to_owned(),
            modules_default_repository: "https://src.fedoraproject.org/modules/".to_owned(),
            default_branch: "master".to_owned(),
            arches: vec!["x86_64".to_owned()],
        }
    }

    /// `BASE_MODULE_NAMES` as string slices.
    pub fn base_module_name_refs(&self) -> Vec<&str> {
        self.base_module_names.iter().map(String::as_str).collect()
    }
}

/// What a submission holds after reading: one stream, or (packager v3) one per configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedModulemd {
    /// The streams, in v2 form.
    pub streams: Vec<ModuleStream>,
    /// True for packager v3: each stream has a static context and skips stream expansion.
    pub from_packager_v3: bool,
}

/// Reads a submitted document as MBS's `load_mmd` does: empty text, then libmodulemd's reader
/// (lenient), errors wrapped with the file name for SCM submissions.
pub fn load_modulemd(text: &str, file: Option<&str>) -> Result<LoadedModulemd, SubmitError> {
    if text.is_empty() {
        return Err(SubmitError::EmptyModulemd);
    }
    let invalid = |error: ModulemdError| SubmitError::InvalidModulemd {
        file: file.map(str::to_owned),
        error,
    };
    match parse_document(text, ParseMode::Lenient).map_err(invalid)? {
        Document::Stream { stream, .. } => Ok(LoadedModulemd {
            streams: vec![*stream],
            from_packager_v3: false,
        }),
        Document::PackagerV3(packager) => Ok(LoadedModulemd {
            streams: packager.to_streams().map_err(invalid)?,
            from_packager_v3: true,
        }),
        Document::Defaults(_) => Err(invalid(ModulemdError::UnknownDocumentType {
            doctype: "modulemd-defaults".to_owned(),
        })),
    }
}

/// The stream a branch stands for: dashes become underscores.
pub fn stream_from_branch(branch: &str) -> String {
    branch.replace('-', "_")
}

/// SCM submissions: the name must be the repository's, the stream the branch's, the version
/// unset; missing name and stream are filled in and the version is set to `version` (the commit
/// time, see `names::version_from_time`).
pub fn apply_scm_identity(
    stream: &mut ModuleStream,
    repo_name: &str,
    branch: &str,
    version: u64,
    config: &SubmitConfig,
) -> Result<(), SubmitError> {
    match &stream.name {
        Some(name) if name != repo_name && !config.allow_name_override_from_scm => {
            return Err(SubmitError::NameMismatch { name: name.clone() });
        }
        Some(_) => {}
        None => stream.name = Some(repo_name.to_owned()),
    }
    let branch_stream = stream_from_branch(branch);
    match &stream.stream {
        Some(value) if value.contains('-') && !config.allow_dashes_in_svc => {
            return Err(SubmitError::DashInStreamValue {
                stream: value.clone(),
            });
        }
        Some(value) if *value != branch_stream && !config.allow_stream_override_from_scm => {
            return Err(SubmitError::StreamMismatch {
                stream: value.clone(),
                branch: branch.to_owned(),
            });
        }
        Some(_) => {}
        None => stream.stream = Some(branch_stream),
    }
    if let Some(existing) = stream.version {
        return Err(SubmitError::VersionDefined { version: existing });
    }
    stream.version = Some(version);
    Ok(())
}

/// YAML submissions: name from the document, else `module_name`, else the file's base name;
/// stream from `module_stream`, else the document, else `DEFAULT_BRANCH`; version from the
/// document, else `now_version`.
pub fn apply_yaml_identity(
    stream: &mut ModuleStream,
    module_name: Option<&str>,
    module_stream: Option<&str>,
    file_base_name: Option<&str>,
    now_version: u64,
    config: &SubmitConfig,
) -> Result<(), SubmitError> {
    if stream.name.is_none() {
        let name = module_name.or(file_base_name).ok_or(SubmitError::NameMissing)?;
        stream.name = Some(name.to_owned());
    }
    if let Some(module_stream) = module_stream {
        stream.stream = Some(module_stream.to_owned());
    } else if stream.stream.is_none() {
        stream.stream = Some(config.default_branch.clone());
    }
    if stream.version.is_none() {
        stream.version = Some(now_version);
    }
    Ok(())
}

/// MBS's document checks: `xmd.mbs` is reserved (privileged modules may set
/// `disttag_marking`, `koji_tag_arches` and `static_context`), base-module names cannot be
/// built, included modules cannot name their own repository.
pub fn check_document(stream: &ModuleStream, config: &SubmitConfig) -> Result<(), SubmitError> {
    let name = stream.name.as_deref().unwrap_or("");
    if let Some(mbs) = stream.xmd.get(MBS_XMD_KEY) {
        if !config
            .privileged_module_names
            .iter()
            .any(|privileged| privileged == name)
        {
            return Err(SubmitError::MbsXmdReserved);
        }
        const ALLOWED: [&str; 3] = ["disttag_marking", "koji_tag_arches", "static_context"];
        let keys_allowed = mbs
            .as_map()
            .is_some_and(|map| map.keys().all(|key| ALLOWED.contains(&key.as_str())));
        if !keys_allowed {
            return Err(SubmitError::MbsXmdReserved);
        }
    }
    if config.base_module_names.iter().any(|base| base == name) {
        return Err(SubmitError::BaseModuleName {
            name: name.to_owned(),
        });
    }
    if !config.modules_allow_repository {
        for (module, component) in &stream.module_components {
            if let Some(repository) = &component.repository {
                return Err(SubmitError::CustomModuleRepository {
                    module: module.clone(),
                    repository: repository.clone(),
                });
            }
        }
    }
    Ok(())
}

/// The generated stream, version and context may not contain dashes (unless allowed).
pub fn check_dashes(stream: &ModuleStream, config: &SubmitConfig) -> Result<(), SubmitError> {
    if config.allow_dashes_in_svc {
        return Ok(());
    }
    let version = stream.version.unwrap_or(0).to_string();
    for (field, value) in [
        ("stream", stream.stream.as_deref().unwrap_or("")),
        ("version", version.as_str()),
        ("context", stream.context.as_deref().unwrap_or("")),
    ] {
        if value.contains('-') {
            return Err(SubmitError::DashesNotAllowed {
                field,
                value: value.to_owned(),
            });
        }
    }
    Ok(())
}

/// The init step's component checks and defaults (MBS's `format_mmd`), component by component
/// in key order: a custom repository or cache is refused unless allowed, `buildafter` is refused;
/// then `repository`, `cache`, `ref` (the submitted branch, else `DEFAULT_BRANCH`) and `arches`
/// are filled in where missing.
pub fn fill_component_defaults(
    stream: &mut ModuleStream,
    branch: Option<&str>,
    config: &SubmitConfig,
) -> Result<(), InitError> {
    for (key, component) in &stream.rpm_components {
        if let Some(repository) = &component.repository
            && !config.rpms_allow_repository
        {
            return Err(InitError::CustomComponentRepository {
                component: key.clone(),
                repository: repository.clone(),
            });
        }
        if let Some(cache) = &component.cache
            && !config.rpms_allow_cache
        {
            return Err(InitError::CustomComponentCache {
                component: key.clone(),
                cache: cache.clone(),
            });
        }
        if !component.buildafter.is_empty() {
            return Err(InitError::BuildafterNotSupported {
                component: key.clone(),
            });
        }
    }
    let default_ref = branch.unwrap_or(&config.default_branch);
    for (key, component) in &mut stream.rpm_components {
        component
            .repository
            .get_or_insert_with(|| format!("{}{key}", config.rpms_default_repository));
        component
            .cache
            .get_or_insert_with(|| format!("{}{key}", config.rpms_default_cache));
        component.git_ref.get_or_insert_with(|| default_ref.to_owned());
        if component.arches.is_empty() {
            component.arches = config.arches.iter().cloned().collect();
        }
    }
    for (key, component) in &mut stream.module_components {
        component
            .repository
            .get_or_insert_with(|| format!("{}{key}", config.modules_default_repository));
        component.git_ref.get_or_insert_with(|| default_ref.to_owned());
    }
    Ok(())
}

#[cfg(test)]
#[path = "submit_tests.rs"]
mod tests;
