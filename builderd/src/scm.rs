//! Source control checkouts as Koji's `SCM` class does them: parsing `git+SCHEME://host/path?module#ref`
//! URLs, the builder's own `allowed_scms` check, a checkout of the exact commit (output in
//! `checkout.log`), and the source URL with the full commit hash that the build records.

use std::path::{Path, PathBuf};
use std::process::Command;

use common::FaultCode;

use crate::buildroot::command::{Cancel, Limits, run_logged};
use crate::error::TaskError;

/// The URL schemes this builder checks out (Koji's git schemes, plus `git+file` for local
/// repositories).
const GIT_SCHEMES: &[&str] = &[
    "git://",
    "git+http://",
    "git+https://",
    "git+rsync://",
    "git+ssh://",
    "git+file://",
];

/// A parsed SCM URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scm {
    /// The URL as given.
    pub url: String,
    /// `git+https://` and the like, with the `://`.
    pub scheme: String,
    /// `user` of `user@host`, if given.
    pub user: Option<String>,
    /// The host (empty for `git+file`).
    pub host: String,
    /// The repository path, starting with `/`.
    pub repository: String,
    /// The query: a directory inside the repository holding the spec file (may be empty).
    pub module: String,
    /// The fragment: a commit or another ref.
    pub revision: String,
}

fn generic(message: String) -> TaskError {
    TaskError::new(FaultCode::Generic, message)
}

/// Whether `url` is an SCM URL this builder knows (Koji's `SCM.is_scm_url`).
pub fn is_scm_url(url: &str) -> bool {
    GIT_SCHEMES.iter().any(|scheme| url.starts_with(scheme))
}

impl Scm {
    /// Parses a URL with Koji's rules and messages.
    pub fn parse(url: &str) -> Result<Scm, TaskError> {
        let Some(scheme) = GIT_SCHEMES.iter().find(|scheme| url.starts_with(*scheme)) else {
            return Err(generic(format!("Invalid SCM URL: {url}")));
        };
        let rest = url.get(scheme.len()..).unwrap_or_default();
        let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (netloc, path) = match rest.find('/') {
            Some(index) => rest.split_at(index),
            None => (rest, ""),
        };
        let (user, host) = match netloc.split_once('@') {
            Some((user, host)) => {
                if user.contains(':') {
                    return Err(generic(format!("username:password format not supported: {user}")));
                }
                if host.contains('@') {
                    return Err(generic(format!("Invalid username@hostname specified: {netloc}")));
                }
                (Some(user.to_owned()), host.to_owned())
            }
            None => (None, netloc.to_owned()),
        };
        let file = *scheme == "git+file://";
        if host.is_empty() && !file {
            return Err(generic(format!(
                "Unable to parse SCM URL: {url} . Could not find the netloc element."
            )));
        }
        if file && !host.is_empty() {
            return Err(generic(format!(
                "Unable to parse SCM URL: {url} . A file URL has no host."
            )));
        }
        if path.is_empty() {
            return Err(generic(format!(
                "Unable to parse SCM URL: {url} . Could not find the path element."
            )));
        }
        let repository = normalize(path);
        if repository.split('/').any(|part| part == "..") {
            return Err(generic(format!("Invalid SCM URL: {url}")));
        }
        if fragment.is_empty() {
            return Err(generic(format!(
                "Unable to parse SCM URL: {url} . Could not find the fragment element."
            )));
        }
        let module = query.trim_end_matches('/').to_owned();
        if module.split('/').any(|part| part == "..") {
            return Err(generic(format!("Invalid SCM URL: {url}")));
        }
        Ok(Scm {
            url: url.to_owned(),
            scheme: (*scheme).to_owned(),
            user,
            host,
            repository,
            module,
            revision: fragment.to_owned(),
        })
    }

    /// Koji's `assert_allowed`: `allowed` is a space-separated list of
    /// `host:repository[:use_common[:source_cmd]]` or `!host:repository` glob patterns; the
    /// first match decides; no match is a `BuildError`.
    pub fn assert_allowed(&self, allowed: &str) -> Result<(), TaskError> {
        for entry in allowed.split_whitespace() {
            let mut parts = entry.split(':');
            let (Some(host_pattern), Some(repo_pattern)) = (parts.next(), parts.next()) else {
                tracing::warn!("Ignoring incorrectly formatted SCM host:repository: {entry}");
                continue;
            };
            let (deny, host_pattern) = match host_pattern.strip_prefix('!') {
                Some(pattern) => (true, pattern),
                None => (false, host_pattern),
            };
            if glob_match(host_pattern, &self.host) && glob_match(repo_pattern, &self.repository) {
                if deny {
                    break;
                }
                return Ok(());
            }
        }
        Err(TaskError::new(
            FaultCode::Build,
            format!(
                "{}:{} is not in the list of allowed SCMs",
                self.host, self.repository
            ),
        ))
    }

    /// The URL git clones (`https://host/path`, `file:///path`).
    pub fn git_url(&self) -> String {
        let scheme = self
            .scheme
            .split_once('+')
            .map_or(self.scheme.as_str(), |(_, rest)| rest);
        match (&self.user, scheme) {
            (Some(user), "ssh://") => format!("ssh://{user}@{}{}", self.host, self.repository),
            _ => format!("{scheme}{}{}", self.host, self.repository),
        }
    }

    /// The directory name of the checkout: the repository's last part without `.git`.
    fn checkout_name(&self) -> String {
        let trimmed = self.repository.trim_end_matches("/.git");
        let base = trimmed.rsplit('/').next().unwrap_or_default();
        let base = base.strip_suffix(".git").unwrap_or(base);
        if base.is_empty() {
            "src".to_owned()
        } else {
            base.to_owned()
        }
    }

    /// Clones into `scmdir/NAME` and resets to the revision, with git's output in `log`.
    /// Returns the checkout (with the full commit hash) and the directory with the spec file.
    pub fn checkout(&self, scmdir: &Path, log: &Path, cancel: &Cancel) -> Result<Checkout, TaskError> {
        std::fs::create_dir_all(scmdir)
            .map_err(|e| generic(format!("cannot create {}: {e}", scmdir.display())))?;
        let tree = scmdir.join(self.checkout_name());
        let clone = vec![
            "git".to_owned(),
            "clone".to_owned(),
            "-n".to_owned(),
            self.git_url(),
            tree.display().to_string(),
        ];
        run_git(&clone, scmdir, log, cancel)?;
        let reset = ["git", "reset", "--hard", self.revision.as_str()].map(str::to_owned);
        run_git(&reset, &tree, log, cancel)?;
        let output = git_command(&["git", "rev-parse", "HEAD"].map(str::to_owned), &tree)
            .output()
            .map_err(|e| generic(format!("cannot run git: {e}")))?;
        if !output.status.success() {
            return Err(generic("Error getting commit hash for git".to_owned()));
        }
        let commit = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let sourcedir = if self.module.is_empty() {
            tree.clone()
        } else {
            tree.join(&self.module)
        };
        let query = if self.module.is_empty() {
            String::new()
        } else {
            format!("?{}", self.module)
        };
        let netloc = match &self.user {
            Some(user) => format!("{user}@{}", self.host),
            None => self.host.clone(),
        };
        Ok(Checkout {
            source: format!("{}{netloc}{}{query}#{commit}", self.scheme, self.repository),
            commit,
            sourcedir,
        })
    }
}

/// A finished checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The full commit hash checked out.
    pub commit: String,
    /// The URL with the commit hash as its fragment (Koji's `get_source()['source']`).
    pub source: String,
    /// The directory holding the spec file.
    pub sourcedir: PathBuf,
}

fn git_command(args: &[String], cwd: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .args(args.get(1..).unwrap_or_default())
        .current_dir(cwd)
        // Repositories owned by another user are fine to read; this reaches the processes git
        // starts for the local transport too, which `-c` does not.
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "safe.directory")
        .env("GIT_CONFIG_VALUE_0", "*")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "/bin/false");
    command
}

fn run_git(argv: &[String], cwd: &Path, log: &Path, cancel: &Cancel) -> Result<(), TaskError> {
    let _ = crate::buildroot::sandbox::append(log, &format!("$ {}", argv.join(" ")));
    run_logged("git", git_command(argv, cwd), log, &Limits::none(), cancel).map_err(|_| {
        let log_name = log
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        TaskError::new(
            FaultCode::Build,
            format!(
                "Error running GIT command \"{}\", see {log_name} for details",
                argv.join(" ")
            ),
        )
    })
}

/// `os.path.normpath` for an absolute URL path, without a trailing `/`.
fn normalize(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    format!("/{}", parts.join("/"))
}

/// `fnmatch` with `*`, `?` and no character classes (Koji's patterns use only these).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(c) if *c == '?' || Some(c) == text.get(t) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).unwrap_or_default().iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_like_kojis() {
        let scm = Scm::parse("git+https://src.example.org/rpms/foo.git?sub/dir#abc123").unwrap();
        assert_eq!(scm.host, "src.example.org");
        assert_eq!(scm.repository, "/rpms/foo.git");
        assert_eq!(scm.module, "sub/dir");
        assert_eq!(scm.revision, "abc123");
        assert_eq!(scm.git_url(), "https://src.example.org/rpms/foo.git");
        assert_eq!(scm.checkout_name(), "foo");
        let file = Scm::parse("git+file:///tmp/x//repos/bar.git#main").unwrap();
        assert_eq!(file.host, "");
        assert_eq!(file.repository, "/tmp/x/repos/bar.git");
        assert_eq!(file.git_url(), "file:///tmp/x/repos/bar.git");
    }

    #[test]
    fn bad_urls_fail_with_kojis_messages() {
        let check = |url: &str, expected: &str| {
            let error = Scm::parse(url).unwrap_err();
            assert_eq!(error.code, 1000);
            assert_eq!(error.message, expected.replace("{url}", url));
        };
        check("http://x/y#1", "Invalid SCM URL: {url}");
        check(
            "git+https://host/path",
            "Unable to parse SCM URL: {url} . Could not find the fragment element.",
        );
        check(
            "git+https:///path#1",
            "Unable to parse SCM URL: {url} . Could not find the netloc element.",
        );
        check(
            "git+https://host#1",
            "Unable to parse SCM URL: {url} . Could not find the path element.",
        );
        check("git+file:///a/../etc#1", "Invalid SCM URL: {url}");
    }

    #[test]
    fn allowed_scms_are_checked_in_order() {
        let scm = Scm::parse("git+https://src.example.org/rpms/foo.git#1").unwrap();
        scm.assert_allowed("other.org:/* src.example.org:/rpms/*")
            .unwrap();
        scm.assert_allowed("*:*").unwrap();
        let denied = scm
            .assert_allowed("!src.example.org:/rpms/foo.git *:*")
            .unwrap_err();
        assert_eq!(denied.code, 1005);
        assert_eq!(
            denied.message,
            "src.example.org:/rpms/foo.git is not in the list of allowed SCMs"
        );
        assert!(scm.assert_allowed("").is_err());
        assert!(scm.assert_allowed("badentry").is_err());
        let file = Scm::parse("git+file:///srv/git/foo.git#1").unwrap();
        file.assert_allowed(":/srv/git/*").unwrap();
        assert!(file.assert_allowed("src.example.org:*").is_err());
    }

    #[test]
    fn globs_match_like_fnmatch() {
        assert!(glob_match("*", ""));
        assert!(glob_match("/rpms/*", "/rpms/a/b"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("*.git", "/x/y.git"));
        assert!(!glob_match("*.git", "/x/y.gitx"));
    }
}
