//! The two rpmbuild steps of a build, on any [`Buildroot`]: the SRPM from a checkout
//! (`rpmbuild -bs`) and the binary RPMs from an SRPM (`rpmbuild --rebuild`, no `--nodeps`:
//! rpmbuild checks BuildRequires against the buildroot's rpmdb). Failures carry kojid's texts.

use std::path::{Path, PathBuf};

use common::FaultCode;

use crate::buildroot::backend::{Buildroot, BuildrootError};
use crate::buildroot::macros::{TOPDIR, macros_file};
use crate::error::TaskError;

/// Where the checkout is copied inside `/builddir`.
const SOURCES: &str = "src";

fn build_error(message: String) -> TaskError {
    TaskError::new(FaultCode::Build, message)
}

fn io_error(action: &str, path: &Path, e: &std::io::Error) -> TaskError {
    TaskError::new(
        FaultCode::Generic,
        format!("cannot {action} {}: {e}", path.display()),
    )
}

/// Turns a failed buildroot command into kojid's message: `error building package (arch A),
/// rpmbuild exited with status 1; see build.log for more information`.
pub fn command_failure(what: &str, error: &BuildrootError) -> TaskError {
    match (error, error.log_name()) {
        (BuildrootError::Canceled { .. }, _) => {
            TaskError::new(FaultCode::Generic, format!("{what}, {error}"))
        }
        (_, Some(log)) => build_error(format!("{what}, {error}; see {log} for more information")),
        (_, None) => build_error(format!("{what}, {error}")),
    }
}

/// Writes the macros to `/builddir/.rpmmacros` (both rpmbuild steps read it as `HOME`'s).
pub fn write_macros(buildroot: &dyn Buildroot, macros: &[(String, String)]) -> Result<(), TaskError> {
    let path = buildroot.build_dir().join(".rpmmacros");
    std::fs::write(&path, macros_file(macros)).map_err(|e| io_error("write", &path, &e))
}

/// Finds the spec file in a checkout: Koji wants exactly one `*.spec` at the top.
pub fn find_spec(sourcedir: &Path) -> Result<PathBuf, TaskError> {
    let entries = std::fs::read_dir(sourcedir).map_err(|e| io_error("list", sourcedir, &e))?;
    let mut specs: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "spec") && path.is_file())
        .collect();
    specs.sort();
    match specs.as_slice() {
        [] => Err(build_error("No spec file found".to_owned())),
        [one] => Ok(one.clone()),
        many => Err(build_error(format!(
            "Multiple spec files found: {}",
            many.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), TaskError> {
    std::fs::create_dir_all(to).map_err(|e| io_error("create", to, &e))?;
    let entries = std::fs::read_dir(from).map_err(|e| io_error("list", from, &e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name == ".git" {
            continue;
        }
        let source = entry.path();
        let target = to.join(&name);
        let kind = entry.file_type().map_err(|e| io_error("inspect", &source, &e))?;
        if kind.is_dir() {
            copy_tree(&source, &target)?;
        } else if kind.is_file() {
            std::fs::copy(&source, &target).map_err(|e| io_error("copy", &source, &e))?;
        }
        // Symbolic links are not followed: a checkout cannot point the build at host files.
    }
    Ok(())
}

/// Builds the SRPM of the checkout in `sourcedir`: copies it to `/builddir/src`, runs
/// `rpmbuild -bs` there (output in `log`), and returns the one SRPM it made.
pub fn build_srpm(buildroot: &dyn Buildroot, sourcedir: &Path, log: &Path) -> Result<PathBuf, TaskError> {
    let spec = find_spec(sourcedir)?;
    let sources = buildroot.build_dir().join(SOURCES);
    copy_tree(sourcedir, &sources)?;
    let spec_name = spec
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let argv = [
        "rpmbuild".to_owned(),
        "-bs".to_owned(),
        "--define".to_owned(),
        format!("_sourcedir /builddir/{SOURCES}"),
        "--define".to_owned(),
        format!("_specdir /builddir/{SOURCES}"),
        format!("/builddir/{SOURCES}/{spec_name}"),
    ];
    buildroot
        .run(&argv, log)
        .map_err(|e| command_failure("error building srpm", &e))?;
    let srpm_dir = results_dir(buildroot).join("SRPMS");
    let srpms = files_ending(&srpm_dir, ".src.rpm");
    match srpms.as_slice() {
        [] => Err(build_error(format!("No srpms found in {}", srpm_dir.display()))),
        [one] => Ok(one.clone()),
        many => Err(build_error(format!(
            "Multiple srpms found in {}: {}",
            srpm_dir.display(),
            many.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Rebuilds `srpm` for `arch` (`rpmbuild --rebuild`, output in `log`) and returns the
/// binary RPMs.
pub fn rebuild(
    buildroot: &dyn Buildroot,
    srpm: &Path,
    arch: &str,
    log: &Path,
) -> Result<Vec<PathBuf>, TaskError> {
    let name = srpm
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let inside = buildroot.build_dir().join(&name);
    if srpm != inside {
        std::fs::copy(srpm, &inside).map_err(|e| io_error("copy", srpm, &e))?;
    }
    let mut argv = vec!["rpmbuild".to_owned(), "--rebuild".to_owned()];
    if arch != "noarch" {
        argv.extend(["--target".to_owned(), arch.to_owned()]);
    }
    argv.push(format!("/builddir/{name}"));
    buildroot
        .run(&argv, log)
        .map_err(|e| command_failure(&format!("error building package (arch {arch})"), &e))?;
    let rpms = files_ending(&results_dir(buildroot).join("RPMS"), ".rpm");
    if rpms.is_empty() {
        return Err(build_error("no rpms found".to_owned()));
    }
    Ok(rpms)
}

/// rpmbuild's `%_topdir` as a host path.
fn results_dir(buildroot: &dyn Buildroot) -> PathBuf {
    let relative = TOPDIR.strip_prefix("/builddir/").unwrap_or(TOPDIR);
    buildroot.build_dir().join(relative)
}

/// The files in `dir` (not below it) whose names end in `suffix`, sorted.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| {
                    path.is_file()
                        && path
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().ends_with(suffix))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spec_file_is_wanted() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_spec(dir.path()).unwrap_err().message, "No spec file found");
        std::fs::write(dir.path().join("a.spec"), "").unwrap();
        assert_eq!(find_spec(dir.path()).unwrap(), dir.path().join("a.spec"));
        std::fs::write(dir.path().join("b.spec"), "").unwrap();
        let error = find_spec(dir.path()).unwrap_err();
        assert_eq!(error.code, 1005);
        assert!(
            error.message.starts_with("Multiple spec files found: "),
            "{}",
            error.message
        );
    }
}
