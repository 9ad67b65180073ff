//! The `module-build-macros` package (mbs.md §2.6): a noarch SRPM built first, in batch 1, whose
//! only file `/etc/rpm/macros.zz-modules` sets `%dist`, `%modularitylabel`, `%_module_build` and the
//! module's `buildopts.rpms.macros` in every later buildroot, and whose `Conflicts:` keep the
//! buildrequired modules' filtered RPMs out of them.

use std::collections::BTreeSet;

use super::batches::MODULE_BUILD_MACROS;
use super::names::Nsvc;
use crate::modulemd::{MbsXmd, ModuleStream};

/// The package's version.
pub const MACROS_VERSION: &str = "0.1";
/// The package's release before `%dist`.
pub const MACROS_RELEASE: &str = "1";
/// The installed macros file; `zz` sorts it after the distribution's dist macros.
pub const MACROS_INSTALL_PATH: &str = "/etc/rpm/macros.zz-modules";
/// The macros file's name among the SRPM's sources.
pub const MACROS_SOURCE_NAME: &str = "macros.modules";

/// What the package is generated from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacrosInput<'a> {
    /// The module build.
    pub nsvc: Nsvc<'a>,
    /// The dist tag without its leading dot (`module+f28+2+814cfa39`).
    pub dist_tag: &'a str,
    /// `buildopts.rpms.macros`, appended verbatim.
    pub rpm_macros: Option<&'a str>,
    /// `Conflicts:` groups: (buildrequired module, its filtered `N-E:V-R`s).
    pub conflicts: Vec<(String, Vec<String>)>,
    /// The changelog date, `%a %b %d %Y` (`Thu Aug 16 2018`).
    pub changelog_date: &'a str,
}

/// The generated sources: build the SRPM with `rpmbuild -bs` from `spec` with `macros` saved
/// as [`MACROS_SOURCE_NAME`] in the source directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacrosPackage {
    /// `module-build-macros.spec`.
    pub spec_file_name: String,
    /// The spec file text.
    pub spec: String,
    /// The macros file text.
    pub macros: String,
}

/// The `Conflicts:` groups for a stream: every buildrequired module's `filtered_rpms` from
/// `xmd.mbs`, minus `reused` NVRs when the module buildrequires itself.
pub fn conflicts_from_xmd(stream: &ModuleStream, reused: &BTreeSet<String>) -> Vec<(String, Vec<String>)> {
    let Some(xmd) = MbsXmd::from_stream(stream) else {
        return Vec::new();
    };
    let own_name = stream.name.as_deref();
    xmd.buildrequires
        .into_iter()
        .map(|(name, entry)| {
            let filtered = if Some(name.as_str()) == own_name {
                entry
                    .filtered_rpms
                    .into_iter()
                    .filter(|nevr| !reused.contains(&strip_epoch(nevr)))
                    .collect()
            } else {
                entry.filtered_rpms
            };
            (name, filtered)
        })
        .collect()
}

/// `N-E:V-R` → `N-V-R`.
fn strip_epoch(nevr: &str) -> String {
    match nevr.rsplit_once('-').and_then(|(name_epoch_version, release)| {
        let (name_epoch, version) = name_epoch_version.split_once(':')?;
        let (name, _) = name_epoch.rsplit_once('-')?;
        Some(format!("{name}-{version}-{release}"))
    }) {
        Some(nvr) => nvr,
        None => nevr.to_owned(),
    }
}

/// `Conflicts: name = epoch:version-release` for an `N-E:V-R` (epoch 0 when absent).
pub fn conflicts_line(nevr: &str) -> String {
    let (name_epoch_version, release) = nevr.rsplit_once('-').unwrap_or((nevr, ""));
    let (name, epoch, version) = match name_epoch_version.split_once(':') {
        Some((name_epoch, version)) => {
            let (name, epoch) = name_epoch.rsplit_once('-').unwrap_or((name_epoch, "0"));
            (name, epoch, version)
        }
        None => {
            let (name, version) = name_epoch_version
                .rsplit_once('-')
                .unwrap_or((name_epoch_version, ""));
            (name, "0", version)
        }
    };
    format!("Conflicts: {name} = {epoch}:{version}-{release}")
}

/// The macros file: module identity first, then the author's macros verbatim.
pub fn macros_file(input: &MacrosInput<'_>) -> String {
    let nsvc = input.nsvc;
    let mut text = format!(
        "# Macros of module {label}, set by the Module Build Service\n\
         \n\
         %dist .{dist}\n\
         %modularitylabel {label}\n\
         %_module_build 1\n\
         %_module_name {name}\n\
         %_module_stream {stream}\n\
         %_module_version {version}\n\
         %_module_context {context}\n",
        label = nsvc.modularity_label(),
        dist = input.dist_tag,
        name = nsvc.name,
        stream = nsvc.stream,
        version = nsvc.version,
        context = nsvc.context,
    );
    if let Some(macros) = input.rpm_macros {
        text.push_str("\n# Macros from the modulemd's buildopts\n\n");
        text.push_str(macros);
        if !macros.ends_with('\n') {
            text.push('\n');
        }
    }
    text
}

/// The spec file and the macros file of `module-build-macros`.
pub fn module_build_macros(input: &MacrosInput<'_>) -> MacrosPackage {
    let nsvc = input.nsvc;
    let mut conflicts = String::new();
    for (module, nevrs) in &input.conflicts {
        if nevrs.is_empty() {
            continue;
        }
        conflicts.push_str(&format!("# RPMs filtered out of module {module}\n"));
        for nevr in nevrs {
            conflicts.push_str(&conflicts_line(nevr));
            conflicts.push('\n');
        }
    }
    if !conflicts.is_empty() {
        conflicts.push('\n');
    }
    let spec = format!(
        "%global dist .{dist}\n\
         %global modularitylabel {label}\n\
         %global _module_name {name}\n\
         %global _module_stream {stream}\n\
         %global _module_version {version}\n\
         %global _module_context {context}\n\
         \n\
         Name:           {package}\n\
         Version:        {macros_version}\n\
         Release:        {macros_release}%{{?dist}}\n\
         Summary:        RPM macros for building the components of module {label}\n\
         License:        MIT\n\
         BuildArch:      noarch\n\
         Source1:        {source}\n\
         \n\
         {conflicts}\
         %description\n\
         Sets the dist tag, the modularity label and the module's own macros in the buildroots\n\
         of module {label}. Only meant for those buildroots; never install it on a system.\n\
         \n\
         %prep\n\
         \n\
         %build\n\
         \n\
         %install\n\
         install -D -p -m 0644 %{{SOURCE1}} %{{buildroot}}{install_path}\n\
         \n\
         %files\n\
         {install_path}\n\
         \n\
         %changelog\n\
         * {date} Module Build Service - {macros_version}-{macros_release}.{dist}\n\
         - Generated for module {label}\n",
        dist = input.dist_tag,
        label = nsvc.modularity_label(),
        name = nsvc.name,
        stream = nsvc.stream,
        version = nsvc.version,
        context = nsvc.context,
        package = MODULE_BUILD_MACROS,
        macros_version = MACROS_VERSION,
        macros_release = MACROS_RELEASE,
        source = MACROS_SOURCE_NAME,
        install_path = MACROS_INSTALL_PATH,
        date = input.changelog_date,
    );
    MacrosPackage {
        spec_file_name: format!("{MODULE_BUILD_MACROS}.spec"),
        spec,
        macros: macros_file(input),
    }
}

/// The package names to allow in the module's Koji tags: `buildopts.rpms.whitelist` when set,
/// else the RPM component keys; `module-build-macros` always.
pub fn koji_package_list(stream: &ModuleStream) -> BTreeSet<String> {
    let mut packages: BTreeSet<String> = match &stream.buildopts {
        Some(buildopts) if !buildopts.rpm_whitelist.is_empty() => buildopts.rpm_whitelist.clone(),
        _ => stream.rpm_components.keys().cloned().collect(),
    };
    packages.insert(MODULE_BUILD_MACROS.to_owned());
    packages
}

#[cfg(test)]
#[path = "macros_tests.rs"]
mod tests;
