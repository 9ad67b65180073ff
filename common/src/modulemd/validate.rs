//! libmodulemd's validation of a module stream, checked before a stream is written out.
//!
//! The checks run in libmodulemd's order and the first failure is returned.

use super::error::ModulemdError;
use super::types::ModuleStream;

/// The longest static context.
const MAX_STATIC_CONTEXT: usize = 13;

impl ModuleStream {
    /// Checks the stream as libmodulemd does when validating or emitting it.
    pub fn validate(&self) -> Result<(), ModulemdError> {
        if self.static_context {
            let context = self.context.as_deref().unwrap_or("");
            if context.is_empty() {
                return Err(ModulemdError::EmptyStreamContext);
            }
            if context.chars().count() > MAX_STATIC_CONTEXT {
                return Err(ModulemdError::StreamContextTooLong {
                    context: context.to_owned(),
                });
            }
            if !context
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || character == '_')
            {
                return Err(ModulemdError::StreamContextBadCharacters {
                    context: context.to_owned(),
                });
            }
        }
        if self.summary.is_none() {
            return Err(ModulemdError::SummaryMissing);
        }
        if self.description.is_none() {
            return Err(ModulemdError::DescriptionMissing);
        }
        if self.license.module.is_empty() {
            return Err(ModulemdError::ModuleLicenseMissing);
        }
        self.validate_dependencies()?;
        self.validate_components()?;
        for artifact in &self.artifacts.rpms {
            if !is_nevra(artifact) {
                return Err(ModulemdError::InvalidArtifact {
                    artifact: artifact.clone(),
                });
            }
        }
        Ok(())
    }

    fn validate_dependencies(&self) -> Result<(), ModulemdError> {
        for entry in &self.dependencies {
            for (runtime, lists) in [(false, &entry.buildrequires), (true, &entry.requires)] {
                for (module, streams) in lists {
                    let negative = streams.iter().filter(|stream| stream.starts_with('-')).count();
                    if negative != 0 && negative != streams.len() {
                        return Err(ModulemdError::MixedDependencyStreams {
                            runtime,
                            module: module.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn validate_components(&self) -> Result<(), ModulemdError> {
        let orders = self
            .rpm_components
            .iter()
            .map(|(key, component)| (key, component.buildorder, &component.buildafter))
            .chain(
                self.module_components
                    .iter()
                    .map(|(key, component)| (key, component.buildorder, &component.buildafter)),
            );
        let mut has_buildorder = false;
        let mut has_buildafter = false;
        for (key, buildorder, buildafter) in orders {
            if buildorder != 0 && !buildafter.is_empty() {
                return Err(ModulemdError::BuildorderAndBuildafterInComponent {
                    component: key.clone(),
                });
            }
            has_buildorder |= buildorder != 0;
            has_buildafter |= !buildafter.is_empty();
            if has_buildorder && has_buildafter {
                return Err(ModulemdError::BuildorderAndBuildafterInStream);
            }
            for after in buildafter {
                if !self.rpm_components.contains_key(after) && !self.module_components.contains_key(after) {
                    return Err(ModulemdError::BuildafterNotFound { key: after.clone() });
                }
            }
        }
        if let Some(buildopts) = &self.buildopts
            && !buildopts.arches.is_empty()
        {
            for (key, component) in &self.rpm_components {
                if let Some(arch) = component
                    .arches
                    .iter()
                    .find(|arch| !buildopts.arches.contains(*arch))
                {
                    return Err(ModulemdError::ComponentArchNotInBuildopts {
                        component: key.clone(),
                        arch: arch.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Whether `text` is `N-E:V-R.A` with every part non-empty.
pub(crate) fn is_nevra(text: &str) -> bool {
    let Some((rest, arch)) = text.rsplit_once('.') else {
        return false;
    };
    let Some((rest, release)) = rest.rsplit_once('-') else {
        return false;
    };
    let Some((name_epoch, version)) = rest.split_once(':') else {
        return false;
    };
    let Some((name, epoch)) = name_epoch.rsplit_once('-') else {
        return false;
    };
    !arch.is_empty()
        && !release.is_empty()
        && !version.is_empty()
        && !name.is_empty()
        && !epoch.is_empty()
        && epoch.bytes().all(|byte| byte.is_ascii_digit())
}
