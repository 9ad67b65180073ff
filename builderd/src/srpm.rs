//! What the build tasks read from an SRPM's header (with the `rpm` crate, never from command
//! output): its NVR, the arch tags that choose where it builds, and its BuildRequires.

use std::path::Path;

use rpm::{DependencyFlags, IndexTag, PackageMetadata};

/// The parts of an SRPM header the build tasks use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrpmHeader {
    /// Name.
    pub name: String,
    /// Epoch, if set.
    pub epoch: Option<i64>,
    /// Version.
    pub version: String,
    /// Release.
    pub release: String,
    /// `BuildArch:` (`BUILDARCHS`), e.g. `["noarch"]`.
    pub buildarchs: Vec<String>,
    /// `ExclusiveArch:`.
    pub exclusivearch: Vec<String>,
    /// `ExcludeArch:`.
    pub excludearch: Vec<String>,
    /// BuildRequires as dnf package specs (`libfoo-devel >= 2.0`), without `rpmlib(…)`.
    pub buildrequires: Vec<String>,
    /// Whether the header says it is a source package.
    pub is_source: bool,
}

impl SrpmHeader {
    /// `name-version-release`.
    pub fn nvr(&self) -> String {
        format!("{}-{}-{}", self.name, self.version, self.release)
    }
}

/// Reads an SRPM's header.
pub fn read_header(path: &Path) -> Result<SrpmHeader, String> {
    let metadata = PackageMetadata::open(path)
        .map_err(|e| format!("cannot read the rpm header of {}: {e}", path.display()))?;
    let text = |result: Result<&str, rpm::Error>, what: &str| {
        result
            .map(str::to_owned)
            .map_err(|e| format!("{}: no {what} in the header: {e}", path.display()))
    };
    let strings = |tag: IndexTag| -> Vec<String> {
        metadata
            .header
            .get_entry_data_as_string_array(tag)
            .map(<[String]>::to_vec)
            .unwrap_or_default()
    };
    let requires = metadata
        .get_requires()
        .map_err(|e| format!("cannot read the requires of {}: {e}", path.display()))?;
    let mut buildrequires: Vec<String> = Vec::new();
    for dependency in requires {
        if dependency.name.starts_with("rpmlib(") {
            continue;
        }
        let spec = dependency_spec(&dependency.name, dependency.flags, &dependency.version);
        if !buildrequires.contains(&spec) {
            buildrequires.push(spec);
        }
    }
    Ok(SrpmHeader {
        name: text(metadata.get_name(), "name")?,
        epoch: metadata.get_epoch().ok().map(i64::from),
        version: text(metadata.get_version(), "version")?,
        release: text(metadata.get_release(), "release")?,
        buildarchs: strings(IndexTag::RPMTAG_BUILDARCHS),
        exclusivearch: strings(IndexTag::RPMTAG_EXCLUSIVEARCH),
        excludearch: strings(IndexTag::RPMTAG_EXCLUDEARCH),
        buildrequires,
        is_source: metadata.is_source_package(),
    })
}

/// A dependency as dnf takes it: `name`, or `name OP version`.
fn dependency_spec(name: &str, flags: DependencyFlags, version: &str) -> String {
    let less = flags.contains(DependencyFlags::LESS);
    let greater = flags.contains(DependencyFlags::GREATER);
    let equal = flags.contains(DependencyFlags::EQUAL);
    let op = match (less, greater, equal) {
        (true, false, true) => "<=",
        (true, false, false) => "<",
        (false, true, true) => ">=",
        (false, true, false) => ">",
        (false, false, true) => "=",
        _ => "",
    };
    if op.is_empty() || version.is_empty() {
        name.to_owned()
    } else {
        format!("{name} {op} {version}")
    }
}

/// Koji's `getArchList`: `BuildArch` if set, else the tag's arches; then `ExclusiveArch` and
/// `ExcludeArch` applied. `noarch` in `BuildArch` is kept (one noarch build). An empty answer
/// is Koji's "No matching arches were found".
pub fn choose_arches(header: &SrpmHeader, tag_arches: &[String]) -> Result<Vec<String>, String> {
    let mut arches: Vec<String> = if header.buildarchs.is_empty() {
        tag_arches.to_vec()
    } else {
        header.buildarchs.clone()
    };
    if !header.exclusivearch.is_empty() {
        arches.retain(|arch| arch == "noarch" || header.exclusivearch.contains(arch));
    }
    if !header.excludearch.is_empty() {
        arches.retain(|arch| !header.excludearch.contains(arch));
    }
    if !header.buildarchs.is_empty() {
        // A BuildArch other than noarch must still be one the tag builds.
        arches.retain(|arch| arch == "noarch" || tag_arches.contains(arch));
    }
    arches.dedup();
    if arches.is_empty() {
        return Err("No matching arches were found".to_owned());
    }
    Ok(arches)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(buildarchs: &[&str], exclusive: &[&str], exclude: &[&str]) -> SrpmHeader {
        let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        SrpmHeader {
            name: "p".into(),
            epoch: None,
            version: "1".into(),
            release: "1".into(),
            buildarchs: strings(buildarchs),
            exclusivearch: strings(exclusive),
            excludearch: strings(exclude),
            buildrequires: Vec::new(),
            is_source: true,
        }
    }

    fn check(h: SrpmHeader, tag: &[&str], expected: Result<&[&str], &str>) {
        let tag: Vec<String> = tag.iter().map(|s| (*s).to_owned()).collect();
        let got = choose_arches(&h, &tag);
        let expected = expected
            .map(|list| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
            .map_err(str::to_owned);
        assert_eq!(got, expected);
    }

    #[test]
    fn arches_follow_kojis_rules() {
        check(
            header(&[], &[], &[]),
            &["x86_64", "aarch64"],
            Ok(&["x86_64", "aarch64"]),
        );
        check(header(&["noarch"], &[], &[]), &["x86_64"], Ok(&["noarch"]));
        check(
            header(&[], &["x86_64"], &[]),
            &["x86_64", "aarch64"],
            Ok(&["x86_64"]),
        );
        check(
            header(&[], &[], &["aarch64"]),
            &["x86_64", "aarch64"],
            Ok(&["x86_64"]),
        );
        check(
            header(&[], &["s390x"], &[]),
            &["x86_64"],
            Err("No matching arches were found"),
        );
        check(header(&[], &[], &[]), &[], Err("No matching arches were found"));
    }

    #[test]
    fn dependencies_become_dnf_specs() {
        let ge = DependencyFlags::GREATER | DependencyFlags::EQUAL;
        assert_eq!(dependency_spec("libfoo-devel", ge, "2.0"), "libfoo-devel >= 2.0");
        assert_eq!(dependency_spec("gcc", DependencyFlags::ANY, ""), "gcc");
        assert_eq!(dependency_spec("x", DependencyFlags::LESS, "3"), "x < 3");
    }

    #[test]
    fn unreadable_files_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.src.rpm");
        std::fs::write(&path, b"not an rpm").unwrap();
        let error = read_header(&path).unwrap_err();
        assert!(error.starts_with("cannot read the rpm header of"), "{error}");
    }
}
