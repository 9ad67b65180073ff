//! A module build cluster for the MBS backend tests: a hub process (so a test can kill it) on
//! a fresh database with MBS enabled, a `platform` bootstrap module whose tag holds the
//! `build-tools` seed and the buildroot groups, git repositories for modules and their
//! components, and real builders.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::client::ClientSession;
use common::xmlrpc::Value;
use hub::test_clients::login;

use crate::cluster::{
    Builder, BuilderOptions, HubProcess, assert_clean, eventually, new_marker, unfinished_tasks,
};
use crate::fixtures;

/// A `platform:f28` bootstrap module whose content is Koji tag `tag`.
pub fn platform(tag: &str) -> String {
    format!(
        "document: modulemd\nversion: 2\ndata:\n  name: platform\n  stream: f28\n  version: 3\n\
         \x20 context: 00000000\n  summary: Fedora 28 traditional base\n\
         \x20 description: Fedora 28 traditional base\n  license:\n    module: [MIT]\n\
         \x20 xmd:\n    mbs:\n      mse: TRUE\n      koji_tag: {tag}\n"
    )
}

/// Settings of a cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// `NUM_CONCURRENT_BUILDS`.
    pub num_concurrent_builds: u32,
    /// How many builders.
    pub builders: usize,
    /// Seconds of silence after which a host's tasks are given to others.
    pub host_timeout_seconds: f64,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            num_concurrent_builds: 0,
            builders: 2,
            host_timeout_seconds: 60.0,
        }
    }
}

/// A hub process with builders and the git repositories tests put modules in.
pub struct ModuleCluster {
    /// The hub.
    pub hub: HubProcess,
    /// `http://…/kojihub`.
    pub url: String,
    /// `http://…/module-build-service/1/`.
    pub api: String,
    /// The hub's topdir.
    pub topdir: PathBuf,
    /// Scratch files.
    pub files: PathBuf,
    /// Where module and component repositories live (`git/modules/N`, `git/rpms/P`).
    pub git: PathBuf,
    /// The builders' process marker.
    pub marker: String,
    /// The builders.
    pub builders: Vec<Builder>,
    /// An admin session.
    pub admin: ClientSession,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl ModuleCluster {
    /// Starts the hub on `database_url` (which has user `admin`, password `pw`), seeds the
    /// platform, and starts the builders.
    pub fn start(database_url: &str, files: &Path, options: &ClusterOptions) -> ModuleCluster {
        let marker = new_marker();
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}/kojihub");
        let git = files.join("git");
        let topdir = files.join("topdir");
        let config = format!(
            "listen = \"127.0.0.1:{port}\"\nstate_dir = {state:?}\ntopdir = {topdir:?}\n\
             database_url = {database_url:?}\ndb_pool_size = 12\n\n\
             [scheduler]\nhost_timeout_seconds = {timeout}\ncheck_interval_seconds = 1.0\n\n\
             [repos]\ndebounce_seconds = 0.2\ncheck_interval_seconds = 1.0\n\n\
             [mbs]\nnum_concurrent_builds = {concurrent}\n\
             scmurls = [\"git+file://\"]\nrpms_default_repository = \"git+file://{rpms}/\"\n\
             rpms_allow_repository = true\nmodules_allow_scratch = true\n",
            state = files.join("state").display().to_string(),
            topdir = topdir.display().to_string(),
            timeout = options.host_timeout_seconds,
            concurrent = options.num_concurrent_builds,
            rpms = git.join("rpms").display(),
        );
        let hub = HubProcess::start(&config, files, &url, &marker);
        let admin = login(&url, "admin", "pw");
        let cluster_url = url.clone();
        seed_platform(&admin, files);
        let api = format!("http://127.0.0.1:{port}/module-build-service/1/");
        let (status, imported) = mbs_post(
            &format!("{api}import-module/"),
            &serde_json::json!({ "modulemd": platform("platform-f28") }),
        );
        assert_eq!(status, 201, "{imported}");
        let arch = std::env::consts::ARCH;
        let topurl = format!("http://127.0.0.1:{port}/kojifiles");
        let builder_options = BuilderOptions {
            topdir: Some(topdir.clone()),
            extra_config: format!("topurl = {topurl:?}\nallowed_scms = \":/*\"\nrpmbuild_timeout = 600\n"),
            ..BuilderOptions::default()
        };
        let mut builders = Vec::new();
        for n in 1..=options.builders {
            let name = format!("b{n}");
            admin
                .call_kw(
                    "addHost",
                    vec![Value::from(name.as_str()), Value::Array(vec![Value::from(arch)])],
                    vec![("password", Value::from("hostpw"))],
                )
                .unwrap();
            admin
                .call(
                    "addHostToChannel",
                    vec![Value::from(name.as_str()), Value::from("createrepo")],
                )
                .unwrap();
            builders.push(Builder::start(
                &cluster_url,
                &name,
                "hostpw",
                &files.join(&name),
                &marker,
                &builder_options,
            ));
        }
        ModuleCluster {
            hub,
            url,
            api,
            topdir,
            files: files.to_path_buf(),
            git,
            marker,
            builders,
            admin,
        }
    }

    /// Puts a component's sources in `git/rpms/NAME` (branch `master`) as a new commit.
    pub fn component(&self, name: &str, spec: &str) {
        commit_files(
            &self.git.join("rpms").join(name),
            &[(&format!("{name}.spec"), spec)],
        );
    }

    /// Puts a module's document in `git/modules/NAME` and returns its SCM URL.
    pub fn module_repo(&self, name: &str, modulemd: &str) -> String {
        let dir = self.git.join("modules").join(name);
        let commit = commit_files(&dir, &[(&format!("{name}.yaml"), modulemd)]);
        format!("git+file://{}?#{commit}", dir.display())
    }

    /// Submits a module from its SCM URL (branch `master`) as `admin`; returns its id.
    pub fn submit(&self, scmurl: &str) -> i64 {
        self.submit_with(scmurl, false)
    }

    /// Submits a module, as a scratch build when `scratch`; returns its id.
    pub fn submit_with(&self, scmurl: &str, scratch: bool) -> i64 {
        let (status, answer) = mbs_post(
            &format!("{}module-builds/", self.api),
            &serde_json::json!({ "scmurl": scmurl, "branch": "master", "scratch": scratch }),
        );
        assert_eq!(status, 201, "{answer}");
        answer["id"].as_i64().unwrap()
    }

    /// The module's JSON (`verbose`).
    pub fn module(&self, id: i64) -> serde_json::Value {
        let (status, answer) = mbs_get(&format!("{}module-builds/{id}?verbose=true", self.api));
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// The module's components (JSON, with `batch`).
    pub fn components(&self, id: i64) -> Vec<serde_json::Value> {
        let (status, answer) = mbs_get(&format!(
            "{}component-builds/?module_build={id}&verbose=true&per_page=100",
            self.api
        ));
        assert_eq!(status, 200, "{answer}");
        answer["items"].as_array().unwrap().clone()
    }

    /// Waits until the module is in one of `states`, failing when it fails unexpectedly;
    /// returns its JSON.
    pub fn wait_state(&self, id: i64, states: &[&str], limit: Duration) -> serde_json::Value {
        eventually(limit, &format!("module {id} to reach {states:?}"), || {
            let module = self.module(id);
            let state = module["state_name"].as_str().unwrap_or_default().to_owned();
            if states.contains(&state.as_str()) {
                return Some(module);
            }
            assert!(
                state != "failed",
                "module {id} failed: {}\n{}",
                module["state_reason"],
                self.failures(id)
            );
            std::thread::sleep(Duration::from_millis(400));
            None
        })
    }

    /// The end of a test: waits for every task to end (a parent waits for its module tag's repo
    /// after `ready`), then checks nothing is left running.
    pub fn finish(&mut self) {
        let admin = login(&self.url, "admin", "pw");
        eventually(Duration::from_secs(120), "every task to end", || {
            unfinished_tasks(&admin).is_empty().then_some(())
        });
        assert_clean(&admin, &mut self.builders, &self.marker);
    }

    /// What went wrong in the module's task tree: each failed task's method and fault.
    pub fn failures(&self, id: i64) -> String {
        let parent = self.parent_task(id);
        let tree = self
            .admin
            .call_kw(
                "getTaskDescendents",
                vec![Value::Int(parent)],
                vec![("request", Value::Bool(true))],
            )
            .unwrap_or(Value::Nil);
        let mut report = String::new();
        for tasks in tree
            .as_struct()
            .map(|s| s.values().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            for task in tasks.as_array().unwrap_or_default() {
                if task.get("state").and_then(Value::as_i64) != Some(5) {
                    continue;
                }
                let task_id = task.get("id").and_then(Value::as_i64).unwrap_or_default();
                let method = task.get("method").and_then(Value::as_str).unwrap_or_default();
                let fault = match self.admin.call("getTaskResult", vec![Value::Int(task_id)]) {
                    Ok(result) => format!("{result:?}"),
                    Err(e) => e.to_string(),
                };
                report.push_str(&format!("task {task_id} {method}: {fault}\n"));
            }
        }
        report
    }

    /// The module's parent task.
    pub fn parent_task(&self, id: i64) -> i64 {
        let tasks = self
            .admin
            .call_kw(
                "listTasks",
                vec![],
                vec![("opts", Value::structure([("method", Value::from("moduleBuild"))]))],
            )
            .unwrap();
        tasks
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t.get("id").and_then(Value::as_i64))
            .filter(|task_id| {
                let info = self
                    .admin
                    .call("getTaskInfo", vec![Value::Int(*task_id), Value::Bool(true)])
                    .unwrap();
                info.get("request")
                    .and_then(Value::as_array)
                    .and_then(|r| r.first())
                    .and_then(Value::as_i64)
                    == Some(id)
            })
            .max()
            .unwrap_or_else(|| panic!("no moduleBuild task for module {id}"))
    }
}

/// Commits `files` to the repository at `dir` (created with branch `master` if new); returns
/// the commit.
pub fn commit_files(dir: &Path, files: &[(&str, &str)]) -> String {
    if !dir.join(".git").exists() {
        std::fs::create_dir_all(dir).unwrap();
        git(dir, &["init", "-q", "-b", "master"]);
    }
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
        git(dir, &["add", name]);
    }
    git(dir, &["commit", "-q", "--allow-empty", "-m", "change"]);
    git(dir, &["rev-parse", "HEAD"])
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Kiln Tests")
        .env("GIT_AUTHOR_EMAIL", "tests@kiln.invalid")
        .env("GIT_COMMITTER_NAME", "Kiln Tests")
        .env("GIT_COMMITTER_EMAIL", "tests@kiln.invalid")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The `platform-f28` tag: the host's arch, groups `build` and `srpm-build` holding
/// `build-tools`, and the `build-tools` seed imported and tagged.
fn seed_platform(admin: &ClientSession, files: &Path) {
    let arch = std::env::consts::ARCH;
    admin
        .call_kw(
            "createTag",
            vec![Value::from("platform-f28")],
            vec![("arches", Value::from(arch))],
        )
        .unwrap();
    admin
        .call_kw(
            "packageListAdd",
            vec![Value::from("platform-f28"), Value::from("build-tools")],
            vec![("owner", Value::from("admin"))],
        )
        .unwrap();
    for group in ["build", "srpm-build"] {
        admin
            .call(
                "groupListAdd",
                vec![Value::from("platform-f28"), Value::from(group)],
            )
            .unwrap();
        admin
            .call(
                "groupPackageListAdd",
                vec![
                    Value::from("platform-f28"),
                    Value::from(group),
                    Value::from("build-tools"),
                ],
            )
            .unwrap();
    }
    let (srpm, rpms) = fixtures::rpmbuild_seed(files, &fixtures::build_tools_spec(), ".seed");
    for file in std::iter::once(&srpm).chain(rpms.iter()) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        admin
            .upload_file(file, "cli-import/seed", &name, 1 << 20)
            .unwrap();
        admin
            .call(
                "importRPM",
                vec![Value::from("cli-import/seed"), Value::from(name.as_str())],
            )
            .unwrap();
    }
    admin
        .call(
            "tagBuildBypass",
            vec![Value::from("platform-f28"), Value::from("build-tools-1.0-1.seed")],
        )
        .unwrap();
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn basic_auth() -> String {
    let auth = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "admin:pw");
    format!("Basic {auth}")
}

/// POSTs JSON to the MBS API as `admin`; returns the status and the answer.
pub fn mbs_post(url: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let response = agent()
        .post(url)
        .header("Authorization", &basic_auth())
        .send_json(body)
        .unwrap();
    let status = response.status().as_u16();
    (status, response.into_body().read_json().unwrap())
}

/// PATCHes JSON to the MBS API as `admin`.
pub fn mbs_patch(url: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let response = agent()
        .patch(url)
        .header("Authorization", &basic_auth())
        .send_json(body)
        .unwrap();
    let status = response.status().as_u16();
    (status, response.into_body().read_json().unwrap())
}

/// GETs from the MBS API anonymously.
pub fn mbs_get(url: &str) -> (u16, serde_json::Value) {
    let response = agent().get(url).call().unwrap();
    let status = response.status().as_u16();
    (status, response.into_body().read_json().unwrap())
}

/// A noarch spec whose `%build` runs `build` (shell) and which installs one text file;
/// `header` adds tags (`BuildRequires: …`, `%package devel` goes in `extra`).
pub fn noarch_spec(name: &str, header: &str, build: &str, extra: &str) -> String {
    format!(
        "Name: {name}\nVersion: 1.0\nRelease: 1%{{?dist}}\nSummary: {name}\nLicense: MIT\n\
         BuildArch: noarch\n{header}\n%description\n{name}.\n\n{extra}\
         %prep\n%build\n{build}\n%install\nmkdir -p %{{buildroot}}/usr/share/{name}\n\
         echo {name} > %{{buildroot}}/usr/share/{name}/{name}.txt\n{install}\n\
         %files\n/usr/share/{name}\n{files}",
        install = if extra.is_empty() {
            String::new()
        } else {
            format!(
                "mkdir -p %{{buildroot}}/usr/include\necho '#define {name}_H 1' > %{{buildroot}}/usr/include/{name}.h\n"
            )
        },
        files = if extra.is_empty() {
            String::new()
        } else {
            "\n%files devel\n/usr/include/*.h\n".to_owned()
        },
    )
}

/// A modulemd (stream v2) over platform f28 with `components` as (name, buildorder).
pub fn modulemd(components: &[(&str, i64)]) -> String {
    let mut text = String::from(
        "document: modulemd\nversion: 2\ndata:\n  summary: A test module\n  description: A test module.\n\
         \x20 license:\n    module: [MIT]\n  dependencies:\n  - buildrequires:\n      platform: [f28]\n\
         \x20   requires:\n      platform: [f28]\n  components:\n    rpms:\n",
    );
    for (name, buildorder) in components {
        text.push_str(&format!(
            "      {name}:\n        rationale: Part of the test module.\n        ref: master\n        buildorder: {buildorder}\n"
        ));
    }
    text
}

/// A scratch directory for a test; kept (and named on stderr) when `KILN_KEEP_TEST_FILES` is
/// set, for looking at logs after a failure.
pub fn scratch_dir() -> tempfile::TempDir {
    let mut builder = tempfile::Builder::new();
    builder.prefix("kiln-mbs-");
    if std::env::var_os("KILN_KEEP_TEST_FILES").is_some() {
        builder.disable_cleanup(true);
    }
    let dir = builder.tempdir().unwrap();
    eprintln!("test files in {}", dir.path().display());
    dir
}

/// Runs `test` against a fresh cluster (a new database with user `admin`, password `pw`),
/// then [`ModuleCluster::finish`].
pub async fn with_cluster(options: ClusterOptions, test: impl FnOnce(&mut ModuleCluster) + Send + 'static) {
    let db = hub::testing::TestDb::new().await;
    hub::testing::add_user(&db.pool(), "admin", "pw", &["admin"]).await;
    let dir = scratch_dir();
    let files = dir.path().to_path_buf();
    let database_url = db.url.clone();
    hub::test_clients::blocking(move || {
        let mut cluster = ModuleCluster::start(&database_url, &files, &options);
        test(&mut cluster);
        cluster.finish();
    })
    .await;
    drop(dir);
}
