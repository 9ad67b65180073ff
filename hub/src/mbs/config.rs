//! The Module Build Service's settings (`[mbs]` in the hub's TOML), named after MBS's options.

use common::modulemd::mbs::SubmitConfig;
use serde::Deserialize;

/// The rebuild strategies MBS knows, sorted by name.
pub const REBUILD_STRATEGIES: &[(&str, &str)] = &[
    ("all", "All components will be rebuilt"),
    (
        "changed-and-after",
        "All components that have changed and those in subsequent batches will be rebuilt",
    ),
    ("only-changed", "All changed components will be rebuilt"),
];

/// `[mbs]`: what MBS's `config.py` holds for the frontend and the backend.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MbsConfig {
    /// `NUM_CONCURRENT_BUILDS`: component builds in flight over all modules (0 = unlimited).
    #[serde(default = "default_concurrent")]
    pub num_concurrent_builds: u32,
    /// `SCMURLS`: prefixes a module SCM URL must start with.
    #[serde(default = "default_scmurls")]
    pub scmurls: Vec<String>,
    /// `ALLOW_CUSTOM_SCMURLS`: any SCM URL is accepted.
    #[serde(default)]
    pub allow_custom_scmurls: bool,
    /// `ADMIN_GROUPS` as a hub permission: may cancel others' builds and import modules
    /// (the hub's `admin` permission always may).
    #[serde(default = "default_admin_permission")]
    pub admin_permission: String,
    /// `ALLOWED_GROUPS` as a hub permission: `None` lets every logged-in user submit.
    #[serde(default)]
    pub submit_permission: Option<String>,
    /// `REBUILD_STRATEGY`.
    #[serde(default = "default_rebuild_strategy")]
    pub rebuild_strategy: String,
    /// `REBUILD_STRATEGY_ALLOW_OVERRIDE`.
    #[serde(default)]
    pub rebuild_strategy_allow_override: bool,
    /// `REBUILD_STRATEGIES_ALLOWED`.
    #[serde(default = "default_strategies_allowed")]
    pub rebuild_strategies_allowed: Vec<String>,
    /// `MODULES_ALLOW_SCRATCH`.
    #[serde(default)]
    pub modules_allow_scratch: bool,
    /// `YAML_SUBMIT_ALLOWED`: non-admins may submit a document instead of an SCM URL.
    #[serde(default)]
    pub yaml_submit_allowed: bool,
    /// `RPMS_DEFAULT_REPOSITORY`: component repositories are this plus the component name.
    #[serde(default = "default_rpms_repository")]
    pub rpms_default_repository: String,
    /// `RPMS_DEFAULT_CACHE`.
    #[serde(default = "default_rpms_cache")]
    pub rpms_default_cache: String,
    /// `MODULES_DEFAULT_REPOSITORY`.
    #[serde(default = "default_modules_repository")]
    pub modules_default_repository: String,
    /// `RPMS_ALLOW_REPOSITORY`.
    #[serde(default)]
    pub rpms_allow_repository: bool,
    /// `RPMS_ALLOW_CACHE`.
    #[serde(default)]
    pub rpms_allow_cache: bool,
    /// `DEFAULT_BRANCH`.
    #[serde(default = "default_branch")]
    pub default_branch: String,
    /// `ARCHES`.
    #[serde(default = "default_arches")]
    pub arches: Vec<String>,
    /// `BASE_MODULE_NAMES`.
    #[serde(default = "default_base_modules")]
    pub base_module_names: Vec<String>,
    /// `ALLOW_NAME_OVERRIDE_FROM_SCM`.
    #[serde(default)]
    pub allow_name_override_from_scm: bool,
    /// `ALLOW_STREAM_OVERRIDE_FROM_SCM`.
    #[serde(default)]
    pub allow_stream_override_from_scm: bool,
}

impl Default for MbsConfig {
    fn default() -> Self {
        MbsConfig {
            num_concurrent_builds: default_concurrent(),
            scmurls: default_scmurls(),
            allow_custom_scmurls: false,
            admin_permission: default_admin_permission(),
            submit_permission: None,
            rebuild_strategy: default_rebuild_strategy(),
            rebuild_strategy_allow_override: false,
            rebuild_strategies_allowed: default_strategies_allowed(),
            modules_allow_scratch: false,
            yaml_submit_allowed: false,
            rpms_default_repository: default_rpms_repository(),
            rpms_default_cache: default_rpms_cache(),
            modules_default_repository: default_modules_repository(),
            rpms_allow_repository: false,
            rpms_allow_cache: false,
            default_branch: default_branch(),
            arches: default_arches(),
            base_module_names: default_base_modules(),
            allow_name_override_from_scm: false,
            allow_stream_override_from_scm: false,
        }
    }
}

impl MbsConfig {
    /// A development hub's settings: module and component repositories may be local git
    /// repositories (`git+file://`, `file://` or a plain path), scratch builds are allowed.
    pub fn dev() -> MbsConfig {
        MbsConfig {
            scmurls: vec!["git+file://".to_owned(), "file://".to_owned(), "/".to_owned()],
            modules_allow_scratch: true,
            rpms_allow_repository: true,
            ..MbsConfig::default()
        }
    }

    /// The settings the shared submit checks take.
    pub fn submit_config(&self) -> SubmitConfig {
        SubmitConfig {
            base_module_names: self.base_module_names.clone(),
            privileged_module_names: Vec::new(),
            allow_name_override_from_scm: self.allow_name_override_from_scm,
            allow_stream_override_from_scm: self.allow_stream_override_from_scm,
            allow_dashes_in_svc: false,
            modules_allow_repository: false,
            rpms_allow_repository: self.rpms_allow_repository,
            rpms_allow_cache: self.rpms_allow_cache,
            rpms_default_repository: self.rpms_default_repository.clone(),
            rpms_default_cache: self.rpms_default_cache.clone(),
            modules_default_repository: self.modules_default_repository.clone(),
            default_branch: self.default_branch.clone(),
            arches: self.arches.clone(),
        }
    }

    /// Checks values serde cannot check.
    pub fn validate(&self) -> Result<(), String> {
        let known = |name: &str| REBUILD_STRATEGIES.iter().any(|(known, _)| *known == name);
        if !known(&self.rebuild_strategy) {
            return Err(format!(
                "mbs.rebuild_strategy {:?} is not a rebuild strategy",
                self.rebuild_strategy
            ));
        }
        if let Some(unknown) = self.rebuild_strategies_allowed.iter().find(|name| !known(name)) {
            return Err(format!(
                "mbs.rebuild_strategies_allowed: {unknown:?} is not a rebuild strategy"
            ));
        }
        Ok(())
    }

    /// Whether a strategy may be requested: the default always, others only when overriding is
    /// allowed and they are listed.
    pub fn strategy_allowed(&self, name: &str) -> bool {
        name == self.rebuild_strategy
            || (self.rebuild_strategy_allow_override
                && self.rebuild_strategies_allowed.iter().any(|s| s == name))
    }
}

fn default_concurrent() -> u32 {
    5
}

fn default_scmurls() -> Vec<String> {
    vec!["https://src.fedoraproject.org/modules/".to_owned()]
}

fn default_admin_permission() -> String {
    "mbs-admin".to_owned()
}

fn default_rebuild_strategy() -> String {
    "changed-and-after".to_owned()
}

fn default_strategies_allowed() -> Vec<String> {
    REBUILD_STRATEGIES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect()
}

fn default_rpms_repository() -> String {
    "https://src.fedoraproject.org/rpms/".to_owned()
}

fn default_rpms_cache() -> String {
    "http://pkgs.fedoraproject.org/repo/pkgs/".to_owned()
}

fn default_modules_repository() -> String {
    "https://src.fedoraproject.org/modules/".to_owned()
}

fn default_branch() -> String {
    "master".to_owned()
}

fn default_arches() -> Vec<String> {
    vec!["x86_64".to_owned()]
}

fn default_base_modules() -> Vec<String> {
    vec!["platform".to_owned()]
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    const BASE: &str = "listen = \"127.0.0.1:0\"\nstate_dir = \"/s\"\ntopdir = \"/t\"\n";

    #[test]
    fn defaults_are_mbs_defaults_and_keys_are_checked() {
        let config = Config::parse(BASE, Path::new("t")).unwrap();
        assert_eq!(config.mbs.num_concurrent_builds, 5);
        assert_eq!(config.mbs.rebuild_strategy, "changed-and-after");
        assert!(!config.mbs.modules_allow_scratch);
        assert!(config.mbs.strategy_allowed("changed-and-after"));
        assert!(!config.mbs.strategy_allowed("all"));

        let text = format!(
            "{BASE}[mbs]\nnum_concurrent_builds = 0\nscmurls = [\"git+file://\"]\nrebuild_strategy_allow_override = true\n"
        );
        let config = Config::parse(&text, Path::new("t")).unwrap();
        assert_eq!(config.mbs.num_concurrent_builds, 0);
        assert!(config.mbs.strategy_allowed("all"));

        let bad = format!("{BASE}[mbs]\nrebuild_strategy = \"sometimes\"\n");
        let error = Config::parse(&bad, Path::new("t")).unwrap_err().to_string();
        assert_eq!(
            error,
            "invalid configuration: mbs.rebuild_strategy \"sometimes\" is not a rebuild strategy"
        );
        let unknown = format!("{BASE}[mbs]\nnum_concurent_builds = 3\n");
        let error = Config::parse(&unknown, Path::new("t")).unwrap_err().to_string();
        assert!(error.contains("unknown field `num_concurent_builds`"), "{error}");
    }
}
