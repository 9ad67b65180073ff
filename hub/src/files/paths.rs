//! Where things live under `topdir`, and the checks that keep client-supplied relative paths
//! inside it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// `topdir/work`: uploads and task output.
pub fn work_dir(topdir: &Path) -> PathBuf {
    topdir.join("work")
}

/// A task's directory relative to `work/` (Koji's `taskrelpath`): `tasks/<id % 10000>/<id>`.
pub fn task_rel(task_id: i64) -> String {
    format!("tasks/{}/{task_id}", task_id.rem_euclid(10_000))
}

/// A task's output directory.
pub fn task_dir(topdir: &Path, task_id: i64) -> PathBuf {
    work_dir(topdir).join(task_rel(task_id))
}

/// Accepts only the default volume (Kiln has no other volumes yet).
pub fn check_volume(volume: Option<&str>) -> Result<()> {
    match volume {
        None | Some("DEFAULT") => Ok(()),
        Some(other) => Err(Error::NotFound {
            what: "volume",
            key: other.to_owned(),
        }),
    }
}

/// Checks a bare file name for an upload: not empty, no `/`, not hidden, no NUL.
pub fn check_upload_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && !name.contains('/')
        && !name.starts_with('.')
        && !name.contains('\0')
        && name.len() <= 255;
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidUploadName {
            name: name.to_owned(),
        })
    }
}

/// Splits a relative upload directory into its components, refusing absolute paths, `..` and
/// NUL; `.` and empty components are dropped, as `normpath` would.
pub fn upload_components(dir: &str) -> Result<Vec<String>> {
    let invalid = |reason| Error::InvalidUploadDir {
        dir: dir.to_owned(),
        reason,
    };
    if dir.starts_with('/') {
        return Err(invalid("absolute paths are not allowed"));
    }
    if dir.contains('\0') {
        return Err(invalid("NUL is not allowed"));
    }
    let mut parts = Vec::new();
    for part in dir.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(invalid("'..' is not allowed")),
            other => parts.push(other.to_owned()),
        }
    }
    if parts.is_empty() {
        return Err(invalid("it is empty"));
    }
    Ok(parts)
}

/// The task a `tasks/<id % 10000>/<id>[/…]` upload directory belongs to, or `None` for other
/// directories.
pub fn upload_task(dir: &str, parts: &[String]) -> Result<Option<i64>> {
    if parts.first().map(String::as_str) != Some("tasks") {
        return Ok(None);
    }
    let invalid = || Error::InvalidUploadDir {
        dir: dir.to_owned(),
        reason: "task directories are tasks/<id % 10000>/<id>",
    };
    let bucket: i64 = parts.get(1).and_then(|p| p.parse().ok()).ok_or_else(invalid)?;
    let task_id: i64 = parts.get(2).and_then(|p| p.parse().ok()).ok_or_else(invalid)?;
    if task_id <= 0 || task_id.rem_euclid(10_000) != bucket {
        return Err(invalid());
    }
    Ok(Some(task_id))
}

/// Checks a file name relative to a task's directory for `downloadTaskOutput`: no `..`, not
/// absolute.
pub fn check_output_name(name: &str) -> Result<()> {
    if name.contains("..") || name.starts_with('/') || name.is_empty() || name.contains('\0') {
        return Err(Error::InvalidFileName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_paths_match_koji() {
        assert_eq!(task_rel(42), "tasks/42/42");
        assert_eq!(task_rel(123_456), "tasks/3456/123456");
        assert_eq!(
            task_dir(Path::new("/mnt/koji"), 10_001),
            PathBuf::from("/mnt/koji/work/tasks/1/10001")
        );
    }

    fn check_dir(dir: &str, expected: Result<Vec<&str>, ()>) {
        let got = upload_components(dir).map_err(|_| ());
        let expected = expected.map(|v| v.into_iter().map(str::to_owned).collect::<Vec<_>>());
        assert_eq!(got, expected, "{dir}");
    }

    #[test]
    fn upload_directories_stay_inside_work() {
        check_dir("cli-build/123.abc", Ok(vec!["cli-build", "123.abc"]));
        check_dir("./a//b/", Ok(vec!["a", "b"]));
        check_dir("/etc", Err(()));
        check_dir("a/../../etc", Err(()));
        check_dir("..", Err(()));
        check_dir("", Err(()));
        check_dir(".", Err(()));
    }

    #[test]
    fn task_directories_are_recognised() {
        let parts = |d: &str| upload_components(d).unwrap();
        assert_eq!(upload_task("tasks/5/5", &parts("tasks/5/5")).unwrap(), Some(5));
        assert_eq!(
            upload_task("tasks/3456/123456/sub", &parts("tasks/3456/123456/sub")).unwrap(),
            Some(123_456)
        );
        assert_eq!(upload_task("cli-build/x", &parts("cli-build/x")).unwrap(), None);
        assert!(upload_task("tasks/1/5", &parts("tasks/1/5")).is_err());
        assert!(upload_task("tasks/5", &parts("tasks/5")).is_err());
        assert!(upload_task("tasks/x/y", &parts("tasks/x/y")).is_err());
    }

    #[test]
    fn names_are_plain() {
        assert!(check_upload_name("foo-1.0.src.rpm").is_ok());
        for bad in ["", ".user", "a/b", "..", ".hidden"] {
            assert!(check_upload_name(bad).is_err(), "{bad}");
        }
        assert!(check_output_name("build.log").is_ok());
        assert!(check_output_name("sub/dir.log").is_ok());
        for bad in ["../x", "a/../../b", "/etc/passwd", ""] {
            assert!(check_output_name(bad).is_err(), "{bad}");
        }
    }
}
