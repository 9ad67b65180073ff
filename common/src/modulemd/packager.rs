//! The `modulemd-packager` v3 format: build configurations instead of dependencies, converted to
//! one stream-v2 document with a static context per configuration.

use std::collections::{BTreeMap, BTreeSet};

use super::error::ModulemdError;
use super::parse::{Reader, map_key, mapping, string, string_set, xmd_map};
use super::types::{
    Buildopts, Dependencies, License, ModuleComponent, ModuleStream, Profile, References, RpmComponent,
    XmdValue,
};
use super::yaml::Node;

type Result<T> = std::result::Result<T, ModulemdError>;

/// The longest packager v3 context.
const MAX_BUILD_CONFIG_CONTEXT: usize = 10;

/// A `modulemd-packager` v3 document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackagerV3 {
    /// Module name (else from the SCM repository).
    pub name: Option<String>,
    /// Stream name (else from the branch).
    pub stream: Option<String>,
    /// Mandatory summary.
    pub summary: Option<String>,
    /// Mandatory description.
    pub description: Option<String>,
    /// Licences of the metadata; MIT when empty.
    pub license: BTreeSet<String>,
    /// Free-form metadata.
    pub xmd: BTreeMap<String, XmdValue>,
    /// One build per configuration.
    pub configurations: Vec<BuildConfig>,
    /// Upstream links.
    pub references: References,
    /// Profiles (may carry `default: true`).
    pub profiles: BTreeMap<String, Profile>,
    /// `api.rpms`.
    pub api: BTreeSet<String>,
    /// `filter.rpms`.
    pub filter: BTreeSet<String>,
    /// `demodularized.rpms`.
    pub demodularized: BTreeSet<String>,
    /// `components.rpms`.
    pub rpm_components: BTreeMap<String, RpmComponent>,
    /// `components.modules`.
    pub module_components: BTreeMap<String, ModuleComponent>,
}

/// One entry of `configurations`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildConfig {
    /// 1–10 characters of `[a-zA-Z0-9]`, unique in the document.
    pub context: String,
    /// The platform stream; mandatory.
    pub platform: Option<String>,
    /// Build-time module → its single stream.
    pub buildrequires: BTreeMap<String, String>,
    /// Run-time module → its single stream.
    pub requires: BTreeMap<String, String>,
    /// This configuration's build options.
    pub buildopts: Option<Buildopts>,
}

impl PackagerV3 {
    /// Checks the configurations the way libmodulemd does before converting.
    pub fn validate(&self) -> Result<()> {
        if self.configurations.is_empty() {
            return Err(ModulemdError::NoBuildConfigurations);
        }
        let mut seen = BTreeSet::new();
        for config in &self.configurations {
            let context = &config.context;
            if context.is_empty() {
                return Err(ModulemdError::EmptyBuildConfigContext);
            }
            if context.chars().count() > MAX_BUILD_CONFIG_CONTEXT {
                return Err(ModulemdError::BuildConfigContextTooLong {
                    context: context.clone(),
                });
            }
            if !context.chars().all(|character| character.is_ascii_alphanumeric()) {
                return Err(ModulemdError::BuildConfigContextNotAlphanumeric {
                    context: context.clone(),
                });
            }
            if config.platform.is_none() {
                return Err(ModulemdError::BuildConfigWithoutPlatform {
                    context: context.clone(),
                });
            }
            if !seen.insert(context.as_str()) {
                return Err(ModulemdError::DuplicateBuildConfigContext {
                    context: context.clone(),
                });
            }
        }
        Ok(())
    }

    /// One stream-v2 document per configuration, each with `static_context: true`.
    ///
    /// As in libmodulemd, the first configuration's `buildopts` apply to every stream.
    pub fn to_streams(&self) -> Result<Vec<ModuleStream>> {
        self.validate()?;
        let buildopts = self
            .configurations
            .first()
            .and_then(|config| config.buildopts.clone());
        let license_module = if self.license.is_empty() {
            BTreeSet::from(["MIT".to_owned()])
        } else {
            self.license.clone()
        };
        let streams = self
            .configurations
            .iter()
            .map(|config| {
                let mut dependencies = Dependencies::default();
                if let Some(platform) = &config.platform {
                    let platform = BTreeSet::from([platform.clone()]);
                    dependencies
                        .buildrequires
                        .insert("platform".to_owned(), platform.clone());
                    dependencies.requires.insert("platform".to_owned(), platform);
                }
                for (module, stream) in &config.buildrequires {
                    dependencies
                        .buildrequires
                        .insert(module.clone(), BTreeSet::from([stream.clone()]));
                }
                for (module, stream) in &config.requires {
                    dependencies
                        .requires
                        .insert(module.clone(), BTreeSet::from([stream.clone()]));
                }
                ModuleStream {
                    name: self.name.clone(),
                    stream: self.stream.clone(),
                    context: Some(config.context.clone()),
                    static_context: true,
                    summary: self.summary.clone(),
                    description: self.description.clone(),
                    license: License {
                        module: license_module.clone(),
                        content: BTreeSet::new(),
                    },
                    xmd: self.xmd.clone(),
                    dependencies: vec![dependencies],
                    references: self.references.clone(),
                    profiles: self.profiles.clone(),
                    api: self.api.clone(),
                    filter: self.filter.clone(),
                    demodularized: self.demodularized.clone(),
                    buildopts: buildopts.clone(),
                    rpm_components: self.rpm_components.clone(),
                    module_components: self.module_components.clone(),
                    ..ModuleStream::default()
                }
            })
            .collect();
        Ok(streams)
    }
}

impl Reader {
    pub(crate) fn packager_v3(&self, data: &Node) -> Result<PackagerV3> {
        let Node::Map(entries) = data else {
            return Err(ModulemdError::parse("Data section did not begin with a map."));
        };
        let mut packager = PackagerV3::default();
        let mut scratch = ModuleStream::default();
        for (key, value) in entries {
            match map_key(key, "PackagerV3")? {
                "name" => packager.name = Some(string(value)?),
                "stream" => packager.stream = Some(string(value)?),
                "summary" => packager.summary = Some(string(value)?),
                "description" => packager.description = Some(string(value)?),
                "license" => packager.license = string_set(value)?,
                "xmd" => packager.xmd = xmd_map(value)?,
                "configurations" => packager.configurations = self.configurations(value)?,
                "references" => packager.references = self.references(value)?,
                "profiles" => packager.profiles = self.profiles(value)?,
                "api" => packager.api = self.set_in_map(value, "rpms")?,
                "filter" => packager.filter = self.set_in_map(value, "rpms")?,
                "demodularized" => packager.demodularized = self.set_in_map(value, "rpms")?,
                "components" => self.components(value, &mut scratch)?,
                // libmodulemd always reads packager v3 strictly.
                other => {
                    return Err(ModulemdError::UnexpectedKey {
                        section: "data",
                        key: other.to_owned(),
                    });
                }
            }
        }
        packager.rpm_components = scratch.rpm_components;
        packager.module_components = scratch.module_components;
        Ok(packager)
    }

    fn configurations(&self, node: &Node) -> Result<Vec<BuildConfig>> {
        let Node::Seq(items) = node else {
            return Err(ModulemdError::parse(format!(
                "Got {} instead of SEQUENCE_START in configurations.",
                node.event_name()
            )));
        };
        let mut configurations = Vec::with_capacity(items.len());
        for item in items {
            let mut config = BuildConfig::default();
            for (key, value) in mapping(item, "BuildConfig")? {
                match map_key(key, "BuildConfig")? {
                    "context" => config.context = string(value)?,
                    "platform" => config.platform = Some(string(value)?),
                    "buildrequires" => config.buildrequires = single_streams(value)?,
                    "requires" => config.requires = single_streams(value)?,
                    "buildopts" => config.buildopts = Some(self.buildopts(value)?),
                    other => {
                        return Err(ModulemdError::UnexpectedKey {
                            section: "BuildConfig",
                            key: other.to_owned(),
                        });
                    }
                }
            }
            configurations.push(config);
        }
        Ok(configurations)
    }
}

/// `{module: [stream]}` with exactly one stream per module.
fn single_streams(node: &Node) -> Result<BTreeMap<String, String>> {
    let mut streams = BTreeMap::new();
    for (key, value) in mapping(node, "BuildConfig dependencies")? {
        let module = map_key(key, "BuildConfig dependencies")?;
        let mut set = string_set(value)?.into_iter();
        let (Some(stream), None) = (set.next(), set.next()) else {
            return Err(ModulemdError::parse(format!(
                "BuildConfig dependency {module} must list exactly one stream"
            )));
        };
        streams.insert(module.to_owned(), stream);
    }
    Ok(streams)
}
