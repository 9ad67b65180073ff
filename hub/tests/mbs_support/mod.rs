//! Shared helpers of the MBS REST API tests: a hub whose component repositories are local git
//! repositories, git fixture repositories with fixed commit times, and a small JSON client.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use hub::mbs::config::MbsConfig;
use hub::testing::{TestHub, TestHubOptions};
use serde_json::Value;

/// The fixture MBS's own tests submit.
pub const TESTMODULE: &str = include_str!("../../../common/src/modulemd/fixtures/mbs-testmodule_v2.yaml");

/// A platform module for `f28`, importable as a bootstrap module of Koji tag `f28-build`.
pub const PLATFORM_F28: &str = "document: modulemd
version: 2
data:
  name: platform
  stream: f28
  version: 3
  context: 00000000
  summary: Fedora 28 traditional base
  description: Fedora 28 traditional base
  license:
    module: [MIT]
  xmd:
    mbs:
      mse: TRUE
      koji_tag: f28-build
";

/// The admin, a packager and a stranger, all with password `pw`.
pub const ADMIN: &str = "boss";
pub const OWNER: &str = "alice";
pub const STRANGER: &str = "mallory";

/// A hub plus the directory holding its git repositories.
pub struct MbsHub {
    pub hub: TestHub,
    pub git: tempfile::TempDir,
}

impl MbsHub {
    /// Starts a hub whose components come from `<git>/rpms/<name>` and which accepts module
    /// repositories under `<git>/modules/` only; adds the users.
    pub async fn start() -> MbsHub {
        MbsHub::start_with(|_| {}).await
    }

    /// Same, with a configuration tweak.
    pub async fn start_with(tweak: impl FnOnce(&mut MbsConfig)) -> MbsHub {
        let git = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(git.path().join("rpms")).unwrap();
        std::fs::create_dir_all(git.path().join("modules")).unwrap();
        let mut config = MbsConfig::dev();
        config.scmurls = vec![format!("file://{}/modules/", git.path().display())];
        config.rpms_default_repository = format!("file://{}/rpms/", git.path().display());
        tweak(&mut config);
        let hub = TestHub::start_with(TestHubOptions {
            mbs: Some(config),
            ..TestHubOptions::default()
        })
        .await;
        hub.add_user(ADMIN, "pw", &["mbs-admin"]).await;
        hub.add_user(OWNER, "pw", &[]).await;
        hub.add_user(STRANGER, "pw", &[]).await;
        MbsHub { hub, git }
    }

    /// The API base, `http://…/module-build-service/<v>/`.
    pub fn api(&self, version: u32) -> String {
        format!("http://{}/module-build-service/{version}/", self.hub.addr)
    }

    /// `<git>/rpms`.
    pub fn rpms(&self) -> PathBuf {
        self.git.path().join("rpms")
    }

    /// `<git>/modules/<name>`.
    pub fn module_repo(&self, name: &str) -> PathBuf {
        self.git.path().join("modules").join(name)
    }

    /// The SCM URL of a module repository at a commit.
    pub fn scmurl(&self, name: &str, commit: &str) -> String {
        format!("file://{}?#{commit}", self.module_repo(name).display())
    }
}

/// Runs git in `dir` with fixed identities and commit time `date` (ISO 8601).
pub fn git(dir: &Path, date: &str, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Creates (or extends) a repository at `dir` with `files` committed on `branch` at `date`;
/// returns the commit.
pub fn commit(dir: &Path, branch: &str, date: &str, files: &[(&str, &str)]) -> String {
    if !dir.join(".git").exists() {
        std::fs::create_dir_all(dir).unwrap();
        git(dir, date, &["init", "-q", "-b", branch]);
    }
    let current = git(dir, date, &["symbolic-ref", "--short", "HEAD"]);
    if current != branch {
        let exists = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("refs/heads/{branch}"),
            ])
            .status()
            .unwrap()
            .success();
        if exists {
            git(dir, date, &["checkout", "-q", branch]);
        } else {
            git(dir, date, &["checkout", "-q", "-b", branch]);
        }
    }
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
        git(dir, date, &["add", name]);
    }
    git(dir, date, &["commit", "-q", "--allow-empty", "-m", "change"]);
    git(dir, date, &["rev-parse", "HEAD"])
}

/// Creates component repositories `<rpms>/<name>` with a `master` commit; returns their commits.
pub fn component_repos(hub: &MbsHub, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|name| {
            let spec = format!("Name: {name}\n");
            commit(
                &hub.rpms().join(name),
                "master",
                "2017-08-01T00:00:00Z",
                &[(&format!("{name}.spec"), &spec)],
            )
        })
        .collect()
}

/// An HTTP answer: status and JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// Who sends a request.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Nobody.
    Anonymous,
    /// HTTP Basic with password `pw`.
    Basic(&'static str),
    /// Koji session headers.
    Session(i64, String),
}

/// Sends a request (blocking).
pub fn send(method: &str, url: &str, body: Option<&Value>, auth: &Auth) -> Answer {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let headers: Vec<(String, String)> = match auth {
        Auth::Anonymous => Vec::new(),
        Auth::Basic(user) => {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:pw"));
            vec![("Authorization".to_owned(), format!("Basic {token}"))]
        }
        Auth::Session(id, key) => vec![
            ("Koji-Session-Id".to_owned(), id.to_string()),
            ("Koji-Session-Key".to_owned(), key.clone()),
        ],
    };
    let text = body.map(Value::to_string).unwrap_or_default();
    let mut response = match method {
        "GET" => {
            let mut request = agent.get(url);
            for (name, value) in &headers {
                request = request.header(name.as_str(), value.as_str());
            }
            request.call().unwrap()
        }
        "POST" | "PATCH" => {
            let mut request = if method == "POST" {
                agent.post(url)
            } else {
                agent.patch(url)
            };
            for (name, value) in &headers {
                request = request.header(name.as_str(), value.as_str());
            }
            request
                .header("Content-Type", "application/json")
                .send(text.as_bytes())
                .unwrap()
        }
        other => panic!("unsupported method {other}"),
    };
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, body }
}

/// Sends a request off the runtime.
pub async fn call(method: &'static str, url: String, body: Option<Value>, auth: Auth) -> Answer {
    tokio::task::spawn_blocking(move || send(method, &url, body.as_ref(), &auth))
        .await
        .unwrap()
}

/// Asserts an MBS error body.
pub fn assert_error(answer: &Answer, status: u16, message: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(answer.body["status"], status, "{answer:?}");
    assert_eq!(answer.body["message"], message, "{answer:?}");
    assert!(answer.body["error"].is_string(), "{answer:?}");
}

/// How many module builds and components the hub has stored.
pub async fn stored(hub: &MbsHub) -> (i64, i64) {
    let client = hub.hub.ctx.pool.get().await.unwrap();
    let modules: i64 = client
        .query_one("SELECT count(*) FROM module_builds", &[])
        .await
        .unwrap()
        .get(0);
    let components: i64 = client
        .query_one("SELECT count(*) FROM component_builds", &[])
        .await
        .unwrap()
        .get(0);
    (modules, components)
}

/// Creates Koji tag `name` as the hub's Koji admin.
pub async fn create_tag(hub: &MbsHub, name: &str) {
    let url = hub.hub.url();
    hub.hub.add_user("kojiadmin", "pw", &["admin"]).await;
    let name = name.to_owned();
    hub::test_clients::blocking(move || {
        let admin = hub::test_clients::login(&url, "kojiadmin", "pw");
        admin
            .call("createTag", vec![common::xmlrpc::Value::from(name.as_str())])
            .unwrap();
    })
    .await;
}

/// Imports the `platform:f28` bootstrap module (creating its tag first).
pub async fn import_platform(hub: &MbsHub) -> Answer {
    create_tag(hub, "f28-build").await;
    let body = serde_json::json!({ "modulemd": PLATFORM_F28 });
    call(
        "POST",
        format!("{}import-module/", hub.api(1)),
        Some(body),
        Auth::Basic(ADMIN),
    )
    .await
}

/// A module repository `testmodule` holding the fixture on `master` at 2017-08-16 08:08:15 UTC,
/// plus its three component repositories; returns the module commit.
pub fn testmodule_repo(hub: &MbsHub) -> String {
    component_repos(hub, &["perl-List-Compare", "perl-Tangerine", "tangerine"]);
    commit(
        &hub.module_repo("testmodule"),
        "master",
        "2017-08-16T08:08:15Z",
        &[("testmodule.yaml", TESTMODULE)],
    )
}

/// Submits `testmodule` at `commit` on `branch` as `user`.
pub async fn submit(hub: &MbsHub, version: u32, commit: &str, branch: &str, user: &'static str) -> Answer {
    let body = serde_json::json!({ "scmurl": hub.scmurl("testmodule", commit), "branch": branch });
    call(
        "POST",
        format!("{}module-builds/", hub.api(version)),
        Some(body),
        Auth::Basic(user),
    )
    .await
}
