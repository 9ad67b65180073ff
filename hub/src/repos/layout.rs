//! A repo's files under `topdir/repos/<tag>/<repo id>/` (Koji's layout): `repo.json`,
//! `groups/comps.xml` (and `groups/modules.yaml` when the tag has module metadata), and per
//! arch `toplink` (a relative link to `topdir`), `pkglist`, `rpmlist.jsonl`, `blocklist`, and
//! the `repodata/` createrepo made. `repos/<tag>/latest` links to the newest default repo.
//!
//! Module metadata hook: a `modules.yaml` placed at `topdir/repos/<tag>/modules.yaml` (the
//! module build service writes it for its tags) is copied into each new repo's `groups/`, and
//! the createrepo task adds it to the repodata with `modifyrepo_c --mdtype=modules`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::files::paths;
use crate::repos::content::RepoContent;

/// The directory of all repos of a tag.
pub fn tag_dir(topdir: &Path, tag_name: &str) -> PathBuf {
    topdir.join("repos").join(tag_name)
}

/// A repo's directory.
pub fn repo_dir(topdir: &Path, tag_name: &str, repo_id: i64) -> PathBuf {
    tag_dir(topdir, tag_name).join(repo_id.to_string())
}

fn write_file(path: &Path, data: &[u8]) -> Result<()> {
    let mut file = std::fs::File::create(path).map_err(|e| Error::io("create", path, e))?;
    file.write_all(data).map_err(|e| Error::io("write", path, e))
}

fn mkdir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| Error::io("create", path, e))
}

/// What `repo.json` records.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RepoJson {
    /// The repo id.
    pub id: i64,
    /// The tag name.
    pub tag: String,
    /// The tag id.
    pub tag_id: i64,
    /// The newRepo task.
    pub task_id: Option<i64>,
    /// The snapshot event.
    pub event_id: i64,
    /// Effective options.
    pub opts: crate::db::repos::RepoOpts,
    /// Options that differ from the tag's defaults.
    pub custom_opts: crate::db::repos::RepoOpts,
    /// The arch directories.
    pub arches: Vec<String>,
}

/// Writes a new repo's skeleton. Runs blocking file operations: call it from
/// `spawn_blocking`.
pub fn write_skeleton(
    topdir: &Path,
    info: &RepoJson,
    content: &RepoContent,
    comps_xml: &str,
) -> Result<PathBuf> {
    let dir = repo_dir(topdir, &info.tag, info.id);
    let groups = dir.join("groups");
    mkdir(&groups)?;
    write_file(&groups.join("comps.xml"), comps_xml.as_bytes())?;
    let modules = tag_dir(topdir, &info.tag).join("modules.yaml");
    if modules.is_file() {
        std::fs::copy(&modules, groups.join("modules.yaml")).map_err(|e| Error::io("copy", &modules, e))?;
    }
    let json = serde_json::to_vec_pretty(info).map_err(|e| Error::Internal(format!("repo.json: {e}")))?;
    write_file(&dir.join("repo.json"), &json)?;
    // The link climbs from repos/<tag>/<id>/<arch> back to topdir; tag names may hold '/'.
    let depth = 4 + info.tag.matches('/').count();
    let toplink_target = vec![".."; depth].join("/");
    let blocklist: String = content.blocked.iter().map(|n| format!("{n}\n")).collect();
    for (arch, files) in &content.arches {
        let arch_dir = dir.join(arch);
        mkdir(&arch_dir)?;
        let link = arch_dir.join("toplink");
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(&toplink_target, &link).map_err(|e| Error::io("link", &link, e))?;
        }
        let mut pkglist = String::new();
        let mut rpmlist = String::new();
        for file in files {
            pkglist.push_str("toplink/");
            pkglist.push_str(&file.relpath);
            pkglist.push('\n');
            let record = serde_json::json!({
                "id": file.rpm.id,
                "build_id": file.rpm.build_id,
                "name": file.rpm.name,
                "version": file.rpm.version,
                "release": file.rpm.release,
                "epoch": file.rpm.epoch,
                "arch": file.rpm.arch,
                "payloadhash": file.rpm.payloadhash,
                "size": file.rpm.size,
                "buildtime": file.rpm.buildtime,
                "relpath": file.relpath,
            });
            rpmlist.push_str(&record.to_string());
            rpmlist.push('\n');
        }
        write_file(&arch_dir.join("pkglist"), pkglist.as_bytes())?;
        write_file(&arch_dir.join("rpmlist.jsonl"), rpmlist.as_bytes())?;
        write_file(&arch_dir.join("blocklist"), blocklist.as_bytes())?;
    }
    Ok(dir)
}

/// The arch directories `repo.json` lists.
pub fn read_arches(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join("repo.json");
    let text = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
    let value: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| Error::Generic(format!("unreadable {}: {e}", path.display())))?;
    Ok(value
        .get("arches")
        .and_then(serde_json::Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default())
}

/// A name createrepo uploaded: a plain file name.
fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.starts_with('.') || name.contains('/') || name.contains('\0') {
        return Err(Error::InvalidFileName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Moves the files a createrepo task uploaded to `work/<upload_dir>/` into the arch's
/// `repodata/` (files named `*pkglist` go next to it, as Koji does).
pub fn move_repodata(
    topdir: &Path,
    dir: &Path,
    arch: &str,
    upload_dir: &str,
    files: &[String],
) -> Result<()> {
    let mut source_dir = paths::work_dir(topdir);
    for part in paths::upload_components(upload_dir)? {
        source_dir.push(part);
    }
    let arch_dir = dir.join(arch);
    let repodata = arch_dir.join("repodata");
    mkdir(&repodata)?;
    for name in files {
        check_name(name)?;
        let source = source_dir.join(name);
        let meta = std::fs::symlink_metadata(&source).map_err(|e| Error::io("inspect", &source, e))?;
        if !meta.is_file() {
            return Err(Error::Generic(format!(
                "uploaded repodata is not a file: {}",
                source.display()
            )));
        }
        let target = if name.ends_with("pkglist") {
            arch_dir.join(name)
        } else {
            repodata.join(name)
        };
        if std::fs::rename(&source, &target).is_err() {
            std::fs::copy(&source, &target).map_err(|e| Error::io("copy", &source, e))?;
        }
    }
    Ok(())
}

/// Points `repos/<tag>/latest` at a repo.
pub fn link_latest(topdir: &Path, tag_name: &str, repo_id: i64) -> Result<()> {
    let dir = tag_dir(topdir, tag_name);
    let link = dir.join("latest");
    let temporary = dir.join(format!(".latest-{repo_id}"));
    let _ = std::fs::remove_file(&temporary);
    std::os::unix::fs::symlink(repo_id.to_string(), &temporary)
        .map_err(|e| Error::io("link", &temporary, e))?;
    std::fs::rename(&temporary, &link).map_err(|e| Error::io("rename", &link, e))
}

/// Removes a repo's directory (a DELETED repo).
pub fn remove(topdir: &Path, tag_name: &str, repo_id: i64) -> Result<()> {
    let dir = repo_dir(topdir, tag_name, repo_id);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("remove", &dir, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repodata_names_are_plain() {
        assert!(check_name("repomd.xml").is_ok());
        assert!(check_name("../x").is_err());
        assert!(check_name(".hidden").is_err());
        assert!(check_name("").is_err());
    }
}
