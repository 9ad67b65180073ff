//! Files a build task reads from the hub's file store through `topurl`: SRPMs other tasks
//! uploaded (`TOPURL/work/…`) and the build tag's repo (`TOPURL/repos/TAG/REPO_ID/ARCH`).

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use common::FaultCode;

use crate::error::TaskError;

/// The URL of a file under the hub's `work/` directory.
pub fn work_url(topurl: &str, relpath: &str) -> String {
    format!(
        "{}/work/{}",
        topurl.trim_end_matches('/'),
        relpath.trim_start_matches('/')
    )
}

/// The URL of a build tag's repo for one arch (Koji's `pathinfo.repo` plus the arch).
pub fn repo_url(topurl: &str, tag_name: &str, repo_id: i64, arch: &str) -> String {
    format!(
        "{}/repos/{tag_name}/{repo_id}/{arch}",
        topurl.trim_end_matches('/')
    )
}

fn failed(url: &str, why: impl std::fmt::Display) -> TaskError {
    TaskError::new(FaultCode::Generic, format!("cannot fetch {url}: {why}"))
}

/// Downloads `url` (`http(s)://` or `file://`) to `dest`.
pub fn fetch(url: &str, dest: &Path) -> Result<(), TaskError> {
    if let Some(path) = url.strip_prefix("file://") {
        return std::fs::copy(path, dest).map(|_| ()).map_err(|e| failed(url, e));
    }
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(3600)))
        .build()
        .new_agent();
    let mut response = agent.get(url).call().map_err(|e| failed(url, e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failed(url, format!("HTTP status {}", status.as_u16())));
    }
    let mut file = std::fs::File::create(dest).map_err(|e| failed(url, e))?;
    let mut reader = response.body_mut().as_reader();
    std::io::copy(&mut reader, &mut file).map_err(|e| failed(url, e))?;
    file.flush().map_err(|e| failed(url, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_kojis_layout() {
        assert_eq!(
            work_url("http://h/kojifiles/", "tasks/5/5/x.src.rpm"),
            "http://h/kojifiles/work/tasks/5/5/x.src.rpm"
        );
        assert_eq!(
            repo_url("http://h/kojifiles", "f40-build", 7, "x86_64"),
            "http://h/kojifiles/repos/f40-build/7/x86_64"
        );
    }

    #[test]
    fn file_urls_are_copied_and_missing_files_fail() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("a");
        std::fs::write(&source, "x").unwrap();
        let dest = dir.path().join("b");
        fetch(&format!("file://{}", source.display()), &dest).unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "x");
        let error = fetch("file:///nonexistent/x", &dest).unwrap_err();
        assert!(
            error.message.starts_with("cannot fetch file:///nonexistent/x"),
            "{}",
            error.message
        );
    }
}
