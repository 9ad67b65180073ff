//! Git for the Module Build Service: reading a module's modulemd at the submitted commit and
//! resolving component refs to commits, with the `git` program (blocking; callers run these in
//! `spawn_blocking`).

use std::path::Path;
use std::process::{Command, Output};

use regex::Regex;

use super::error::ApiError;

/// A parsed module SCM URL, `<url>?[module-path]#[revision]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScmUrl {
    /// The URL as submitted.
    pub url: String,
    /// What `git` is given: the URL without `git+`, the query and the fragment.
    pub repository: String,
    /// The repository name: the last path element without `.git`.
    pub repo_name: String,
    /// The revision after `#` (a commit or a branch); empty means the branch head.
    pub revision: String,
}

fn scmurl_pattern() -> Option<Regex> {
    Regex::new(
        r"^(?:(?:git|git\+https?|git\+rsync|https?|file|git\+file)://[^/?#]*)?(/[^?#]+)(?:\?[^#]*)?#([^#]*)$",
    )
    .ok()
}

/// Parses a module SCM URL; one of another form is refused with MBS's message.
pub fn parse_scmurl(url: &str) -> Result<ScmUrl, ApiError> {
    let invalid = || {
        ApiError::bad_request(format!(
            "The submitted scmurl {url} is not valid.  Expected format is '<url>?[module-path]#[revision]'"
        ))
    };
    let pattern = scmurl_pattern().ok_or_else(invalid)?;
    let captures = pattern.captures(url).ok_or_else(invalid)?;
    let path = captures.get(1).map_or("", |m| m.as_str());
    let revision = captures.get(2).map_or("", |m| m.as_str()).to_owned();
    let without_fragment = url.split(['?', '#']).next().unwrap_or(url);
    let repository = without_fragment
        .strip_prefix("git+")
        .unwrap_or(without_fragment)
        .to_owned();
    let repo_name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .trim_end_matches(".git")
        .to_owned();
    if repo_name.is_empty() {
        return Err(invalid());
    }
    Ok(ScmUrl {
        url: url.to_owned(),
        repository,
        repo_name,
        revision,
    })
}

/// What `git` needs for a component repository: the URL without `git+`.
pub fn git_url(repository: &str) -> &str {
    repository.strip_prefix("git+").unwrap_or(repository)
}

fn git(directory: Option<&Path>, args: &[&str]) -> std::io::Result<Output> {
    let mut command = Command::new("git");
    if let Some(directory) = directory {
        command.arg("-C").arg(directory);
    }
    command
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "/bin/true")
        .stdin(std::process::Stdio::null())
        .output()
}

fn stdout_line(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn stderr_text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_owned()
}

fn io_error(error: &std::io::Error) -> ApiError {
    ApiError::new(500, format!("Could not run git: {error}"))
}

/// The module document at the submitted commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedModule {
    /// The full commit hash.
    pub commit: String,
    /// The committer time, Unix seconds.
    pub commit_time: i64,
    /// The file read (`<repo-name>.yaml`).
    pub file_name: String,
    /// Its text.
    pub text: String,
}

/// A bare scratch repository holding every branch of `repository` as `origin/<branch>`.
fn fetch_all(directory: &Path, repository: &str) -> Result<(), ApiError> {
    let init =
        git(None, &["init", "--bare", "-q", &directory.to_string_lossy()]).map_err(|e| io_error(&e))?;
    if !init.status.success() {
        return Err(ApiError::new(
            500,
            format!("git init failed: {}", stderr_text(&init)),
        ));
    }
    let fetch = git(
        Some(directory),
        &[
            "fetch",
            "-q",
            "--no-tags",
            repository,
            "+refs/heads/*:refs/remotes/origin/*",
        ],
    )
    .map_err(|e| io_error(&e))?;
    if !fetch.status.success() {
        return Err(ApiError::unprocessable(format!(
            "Failed to clone {repository}: {}",
            stderr_text(&fetch)
        )));
    }
    Ok(())
}

/// Reads `<repo-name>.yaml` at the revision of `scm` (which must name one), on any branch (for
/// imports).
pub fn fetch_module_at(scm: &ScmUrl) -> Result<FetchedModule, ApiError> {
    fetch(scm, None)
}

/// Reads `<repo-name>.yaml` at the revision of `scm` (or the head of `branch`), checking the
/// commit is on `branch`.
pub fn fetch_module(scm: &ScmUrl, branch: &str) -> Result<FetchedModule, ApiError> {
    fetch(scm, Some(branch))
}

fn fetch(scm: &ScmUrl, branch: Option<&str>) -> Result<FetchedModule, ApiError> {
    let scratch = tempfile::tempdir().map_err(|e| io_error(&e))?;
    let directory = scratch.path().join("repo.git");
    fetch_all(&directory, &scm.repository)?;
    let branch_ref = format!("refs/remotes/origin/{}", branch.unwrap_or_default());
    let wanted = if scm.revision.is_empty() {
        branch_ref.clone()
    } else {
        scm.revision.clone()
    };
    let mut resolved = git(
        Some(&directory),
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{wanted}^{{commit}}"),
        ],
    )
    .map_err(|e| io_error(&e))?;
    if !resolved.status.success() && !scm.revision.is_empty() {
        // A branch name as the revision.
        resolved = git(
            Some(&directory),
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("refs/remotes/origin/{wanted}^{{commit}}"),
            ],
        )
        .map_err(|e| io_error(&e))?;
    }
    if !resolved.status.success() {
        if scm.revision.is_empty() {
            return Err(ApiError::bad_request(format!(
                "Branch {} does not exist in {}.",
                branch.unwrap_or_default(),
                scm.repository
            )));
        }
        return Err(ApiError::unprocessable(format!(
            "checkout: The requested commit hash was not found within the repository. Perhaps you \
             forgot to push. The original message was: error: pathspec '{}' did not match any \
             file(s) known to git",
            scm.revision
        )));
    }
    let commit = stdout_line(&resolved);
    if let Some(branch) = branch {
        let on_branch = git(
            Some(&directory),
            &["merge-base", "--is-ancestor", &commit, &branch_ref],
        )
        .map_err(|e| io_error(&e))?;
        if !on_branch.status.success() {
            return Err(ApiError::bad_request(format!(
                "Commit {commit} is not in branch {branch}."
            )));
        }
    }
    let time = git(Some(&directory), &["show", "-s", "--format=%ct", &commit]).map_err(|e| io_error(&e))?;
    let commit_time: i64 = stdout_line(&time)
        .parse()
        .map_err(|_| ApiError::new(500, format!("git gave no commit time for {commit}")))?;
    let file_name = format!("{}.yaml", scm.repo_name);
    let show =
        git(Some(&directory), &["show", &format!("{commit}:{file_name}")]).map_err(|e| io_error(&e))?;
    if !show.status.success() {
        return Err(ApiError::unprocessable(format!(
            "get_module_yaml: The SCM repository doesn't contain a modulemd file. Couldn't access: {file_name}"
        )));
    }
    let text = String::from_utf8(show.stdout)
        .map_err(|_| ApiError::unprocessable(format!("The modulemd {file_name} is not valid UTF-8")))?;
    Ok(FetchedModule {
        commit,
        commit_time,
        file_name,
        text,
    })
}

fn looks_like_commit(git_ref: &str) -> bool {
    (4..=40).contains(&git_ref.len()) && git_ref.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// Resolves a component ref as MBS does: the head of branch `git_ref` if the repository has
/// one, else `git_ref` as a (possibly short) commit; `None` when neither works.
pub fn resolve_ref(repository: &str, git_ref: &str) -> Option<String> {
    let repository = git_url(repository);
    let heads = git(
        None,
        &[
            "ls-remote",
            "--heads",
            repository,
            &format!("refs/heads/{git_ref}"),
        ],
    )
    .ok()?;
    if heads.status.success() {
        let listing = String::from_utf8_lossy(&heads.stdout);
        if let Some(hash) = listing.split_whitespace().next()
            && hash.len() == 40
        {
            return Some(hash.to_owned());
        }
    } else {
        return None;
    }
    if !looks_like_commit(git_ref) {
        return None;
    }
    let scratch = tempfile::tempdir().ok()?;
    let directory = scratch.path().join("repo.git");
    fetch_all(&directory, repository).ok()?;
    let resolved = git(
        Some(&directory),
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{git_ref}^{{commit}}"),
        ],
    )
    .ok()?;
    resolved.status.success().then(|| stdout_line(&resolved))
}

/// The text of `path` at `commit` of a component repository (for `buildorder: auto`); a
/// missing file or commit is a 422 naming both.
pub fn read_file_at(repository: &str, commit: &str, path: &str) -> Result<String, ApiError> {
    let repository = git_url(repository);
    let scratch = tempfile::tempdir().map_err(|e| io_error(&e))?;
    let directory = scratch.path().join("repo.git");
    fetch_all(&directory, repository)?;
    let shown = git(Some(&directory), &["show", &format!("{commit}:{path}")]).map_err(|e| io_error(&e))?;
    if !shown.status.success() {
        return Err(ApiError::unprocessable(format!(
            "Could not read {path} at {commit} of {repository}: {}",
            stderr_text(&shown)
        )));
    }
    String::from_utf8(shown.stdout)
        .map_err(|_| ApiError::unprocessable(format!("{path} at {commit} of {repository} is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scm_urls() {
        let parsed = parse_scmurl("git+file:///srv/git/testmodule.git?#0123abc").unwrap();
        assert_eq!(parsed.repository, "file:///srv/git/testmodule.git");
        assert_eq!(parsed.repo_name, "testmodule");
        assert_eq!(parsed.revision, "0123abc");
        let parsed = parse_scmurl("https://src.fedoraproject.org/modules/testmodule.git?#").unwrap();
        assert_eq!(
            parsed.repository,
            "https://src.fedoraproject.org/modules/testmodule.git"
        );
        assert_eq!(parsed.revision, "");
        let parsed = parse_scmurl("/srv/git/nodejs#master").unwrap();
        assert_eq!(
            (parsed.repository.as_str(), parsed.repo_name.as_str()),
            ("/srv/git/nodejs", "nodejs")
        );
        for bad in ["ftp://host/x.git#a", "https://host/x.git", "not a url#x"] {
            let error = parse_scmurl(bad).unwrap_err();
            assert_eq!(error.status, 400, "{bad}");
            assert_eq!(
                error.message,
                format!(
                    "The submitted scmurl {bad} is not valid.  Expected format is '<url>?[module-path]#[revision]'"
                )
            );
        }
    }
}
