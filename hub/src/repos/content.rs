//! What a repo holds (Koji's `repo_init` selection): the latest COMPLETE build of each package
//! along the tag's inheritance as of the snapshot event, only packages the inherited package
//! list allows (blocked or unlisted ones are left out), and their RPMs sorted into the repo's
//! arches: noarch into every arch, sources only with `src` (or into `src` with
//! `separate_src`), debuginfo only with `debuginfo`.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::db::Client;
use crate::db::repo_content::{self, RepoRpmRow};
use crate::db::repos::RepoOpts;
use crate::error::Result;
use crate::root::inheritance::full_inheritance;
use crate::root::packages::{PackageListQuery, read_package_list};

/// One RPM placed in a repo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoFile {
    /// Its path below `topdir` (`packages/<n>/<v>/<r>/<arch>/<file>`).
    pub relpath: String,
    /// The RPM.
    pub rpm: RepoRpmRow,
}

/// A repo's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoContent {
    /// The files of each arch directory, by arch.
    pub arches: BTreeMap<String, Vec<RepoFile>>,
    /// Blocked package names, sorted.
    pub blocked: Vec<String>,
    /// The builds chosen, as `(build id, N-V-R)`.
    pub builds: Vec<(i64, String)>,
}

/// Koji's `canonArch` for the arches Kiln meets.
pub fn canon_arch(arch: &str) -> String {
    match arch {
        "i386" | "i486" | "i586" | "i686" | "athlon" | "geode" | "pentium3" | "pentium4" => "i386".into(),
        "x86_64" | "amd64" | "ia32e" | "x86_64_v2" | "x86_64_v3" | "x86_64_v4" => "x86_64".into(),
        "armv7hl" | "armv7hnl" | "armv6hl" => "armhfp".into(),
        "ppc64p7" => "ppc64".into(),
        other => other.to_owned(),
    }
}

/// Koji's `is_debuginfo`: the debug packages createrepo leaves out of normal repos.
pub fn is_debuginfo(name: &str) -> bool {
    name.ends_with("-debuginfo") || name.ends_with("-debugsource") || name.contains("-debuginfo-")
}

/// The arch directories of a repo for a tag's `arches` setting.
pub fn repo_arches(tag_arches: &str, opts: &RepoOpts) -> Vec<String> {
    let mut arches: Vec<String> = Vec::new();
    for arch in tag_arches.split_whitespace() {
        let canon = canon_arch(arch);
        if canon != "noarch" && canon != "src" && !arches.contains(&canon) {
            arches.push(canon);
        }
    }
    if opts.get("separate_src").copied().unwrap_or(false) && !arches.is_empty() {
        arches.push("src".into());
    }
    arches.sort();
    arches
}

/// Reads what a repo of `tag_id` at `event` holds, for the arch directories `arches`.
/// `include_all` keeps every tagged build instead of the latest per package (Koji's
/// `repo_include_all` tag extra).
pub async fn read(
    client: &Client,
    tag_id: i64,
    event: i64,
    arches: &[String],
    opts: &RepoOpts,
    include_all: bool,
) -> Result<RepoContent> {
    let mut taglist = vec![tag_id];
    for node in full_inheritance(client, tag_id, Some(event), false).await? {
        if !taglist.contains(&node.link.parent_id) {
            taglist.push(node.link.parent_id);
        }
    }
    let query = PackageListQuery {
        tag: Some(tag_id),
        inherit: true,
        with_blocked: true,
        event: Some(event),
        ..PackageListQuery::default()
    };
    let mut allowed: HashMap<i64, bool> = HashMap::new();
    let mut blocked = Vec::new();
    for entry in read_package_list(client, &query).await? {
        if entry.blocked {
            blocked.push(entry.package_name.clone());
        }
        allowed.insert(entry.package_id, !entry.blocked);
    }
    blocked.sort();
    let mut by_tag: HashMap<i64, Vec<repo_content::TaggedBuildRow>> = HashMap::new();
    for build in repo_content::tagged_builds(client, &taglist, event).await? {
        by_tag.entry(build.tag_id).or_default().push(build);
    }
    let mut seen: HashSet<i64> = HashSet::new();
    let mut chosen: Vec<repo_content::TaggedBuildRow> = Vec::new();
    for tag in &taglist {
        for build in by_tag.remove(tag).unwrap_or_default() {
            if !include_all && seen.contains(&build.package_id) {
                continue;
            }
            if !allowed.get(&build.package_id).copied().unwrap_or(false) {
                continue;
            }
            seen.insert(build.package_id);
            chosen.push(build);
        }
    }
    let build_ids: Vec<i64> = chosen.iter().map(|b| b.build_id).collect();
    let packages: HashMap<i64, &str> = chosen
        .iter()
        .map(|b| (b.build_id, b.package_name.as_str()))
        .collect();
    let rpms = repo_content::rpms_of_builds(client, &build_ids).await?;
    let mut content = RepoContent {
        arches: arches.iter().map(|a| (a.clone(), Vec::new())).collect(),
        blocked,
        builds: chosen
            .iter()
            .map(|b| {
                (
                    b.build_id,
                    format!("{}-{}-{}", b.package_name, b.version, b.release),
                )
            })
            .collect(),
    };
    let flag = |name: &str| opts.get(name).copied().unwrap_or(false);
    let binary_arches: Vec<String> = arches.iter().filter(|a| *a != "src").cloned().collect();
    for rpm in rpms {
        if !flag("debuginfo") && is_debuginfo(&rpm.name) {
            continue;
        }
        let package = packages.get(&rpm.build_id).copied().unwrap_or(rpm.name.as_str());
        let relpath = format!(
            "packages/{package}/{}/{}/{}/{}-{}-{}.{}.rpm",
            rpm.version, rpm.release, rpm.arch, rpm.name, rpm.version, rpm.release, rpm.arch
        );
        let targets: Vec<String> = match rpm.arch.as_str() {
            "noarch" => binary_arches.clone(),
            "src" => {
                let mut targets = Vec::new();
                if flag("src") {
                    targets.extend(binary_arches.iter().cloned());
                }
                if flag("separate_src") {
                    targets.push("src".into());
                }
                targets
            }
            other => {
                let canon = canon_arch(other);
                if binary_arches.contains(&canon) {
                    vec![canon]
                } else {
                    Vec::new()
                }
            }
        };
        for target in targets {
            if let Some(files) = content.arches.get_mut(&target) {
                files.push(RepoFile {
                    relpath: relpath.clone(),
                    rpm: rpm.clone(),
                });
            }
        }
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arches_are_canonical_and_unique() {
        let none = RepoOpts::new();
        assert_eq!(
            repo_arches("x86_64 i686 i386 noarch", &none),
            vec!["i386", "x86_64"]
        );
        assert!(repo_arches("", &none).is_empty());
        let separate: RepoOpts = [("separate_src".to_owned(), true)].into_iter().collect();
        assert_eq!(repo_arches("aarch64", &separate), vec!["aarch64", "src"]);
    }

    #[test]
    fn debuginfo_names() {
        assert!(is_debuginfo("bash-debuginfo"));
        assert!(is_debuginfo("bash-debugsource"));
        assert!(is_debuginfo("glibc-debuginfo-common"));
        assert!(!is_debuginfo("debuginfo-install"));
    }
}
