//! Repos end to end: the stock `koji` 1.36 client (`regen-repo`, `wait-repo`, `taginfo`,
//! `list-tasks`) against a hub with a real builder running `newRepo` and `createrepo` (real
//! `createrepo_c`), then Debian's `dnf` reading the repo over HTTP: exactly the latest builds,
//! inheritance and blocks applied, and an install into an empty root. A createrepo failure on
//! one arch leaves the repo PROBLEM and nothing half-ready in use; a builder killed while making
//! a repo hands its tasks to another, which resumes the same repo; a tag's `modules.yaml` ends up
//! in the repodata.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::client::ClientSession;
use common::xmlrpc::Value;
use hub::config::RepoConfig;
use hub::test_clients::{blocking, login};
use hub::testing::{TestHub, TestHubOptions};
use hub::testing_content::{RpmSpec, insert_build, make_rpms, tag_build, tag_id, user_id};
use kiln_tests::cluster::{Builder, BuilderOptions, assert_clean, eventually, new_marker};
use kiln_tests::{KojiCli, Output};

fn s(text: &str) -> Value {
    Value::from(text)
}

fn call(session: &ClientSession, method: &str, args: Vec<Value>) -> Value {
    session.call(method, args).unwrap()
}

fn cli(hub: &TestHub, dir: &Path) -> KojiCli {
    let config = dir.join("koji.conf");
    std::fs::write(
        &config,
        format!(
            "[koji]\nserver = {url}\nweburl = http://{addr}/koji\ntopurl = http://{addr}/kojifiles\n\
             authtype = password\nmax_retries = 0\npoll_interval = 1\n",
            url = hub.url(),
            addr = hub.addr
        ),
    )
    .unwrap();
    KojiCli { config }
}

fn admin_run(cli: &KojiCli, args: &[&str]) -> Output {
    let mut full = vec!["--user", "admin", "--password", "pw"];
    full.extend_from_slice(args);
    cli.run_with_env(&full, &[("TZ", "UTC")])
}

/// Runs Debian's dnf against one repo URL, with no system repos and a private cache.
fn dnf(dir: &Path, url: &str, args: &[&str]) -> Output {
    let output = Command::new("dnf")
        .arg("--setopt=reposdir=/dev/null")
        .arg(format!("--setopt=cachedir={}", dir.join("dnf-cache").display()))
        .arg(format!("--setopt=logdir={}", dir.join("dnf-log").display()))
        .arg("--setopt=persistdir=".to_owned() + &dir.join("dnf-persist").display().to_string())
        .arg(format!("--repofrompath=t,{url}"))
        .arg("--repo=t")
        .arg("--nogpgcheck")
        .arg("--releasever=1")
        .arg("-q")
        .args(args)
        .output()
        .expect("run dnf");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Package names and versions of `dnf list available` output.
fn listed(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let name = parts.next()?;
            let version = parts.next()?;
            name.contains('.').then(|| format!("{name} {version}"))
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regen_wait_taginfo_then_dnf_lists_and_installs_the_latest_builds() {
    let hub = TestHub::start_with(TestHubOptions {
        repos: Some(RepoConfig {
            debounce_seconds: 0.5,
            check_interval_seconds: 1.0,
            ..RepoConfig::default()
        }),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().to_path_buf();
    let koji = cli(&hub, &files);
    // base (a b c) <- build (blocks b, adds d), target t builds in build.
    blocking({
        let url = url.clone();
        move || {
            let admin = login(&url, "admin", "pw");
            admin
                .call_kw("createTag", vec![s("base")], vec![("arches", s("x86_64"))])
                .unwrap();
            admin
                .call_kw(
                    "createTag",
                    vec![s("build")],
                    vec![("parent", s("base")), ("arches", s("x86_64"))],
                )
                .unwrap();
            for package in ["a", "b", "c"] {
                call(&admin, "packageListAdd", vec![s("base"), s(package), s("admin")]);
            }
            call(&admin, "packageListAdd", vec![s("build"), s("d"), s("admin")]);
            call(&admin, "packageListBlock", vec![s("build"), s("b")]);
            call(&admin, "groupListAdd", vec![s("build"), s("build")]);
            call(
                &admin,
                "groupPackageListAdd",
                vec![s("build"), s("build"), s("d")],
            );
            call(&admin, "createBuildTarget", vec![s("t"), s("build"), s("build")]);
            admin
                .call_kw(
                    "addHost",
                    vec![s("builder"), Value::Array(vec![s("x86_64")])],
                    vec![("password", s("hostpw"))],
                )
                .unwrap();
            call(&admin, "addHostToChannel", vec![s("builder"), s("createrepo")]);
        }
    })
    .await;
    let mut d = RpmSpec::noarch("d", "1", "1");
    d.requires = vec!["a >= 2".into()];
    let specs = vec![
        RpmSpec::noarch("a", "1", "1"),
        RpmSpec::noarch("a", "2", "1"),
        RpmSpec::noarch("b", "1", "1"),
        RpmSpec::noarch("c", "1", "1"),
        d,
        RpmSpec::noarch("e", "1", "1"),
    ];
    let rpms = blocking({
        let files = files.clone();
        move || make_rpms(&files, &specs)
    })
    .await;
    let admin_id = user_id(&hub.ctx.pool, "admin").await;
    let base = tag_id(&hub.ctx.pool, "base").await;
    let build = tag_id(&hub.ctx.pool, "build").await;
    let mut late_build = 0;
    for rpm in &rpms {
        let build_id = insert_build(&hub.ctx.pool, &hub.topdir(), admin_id, rpm).await;
        match rpm.spec.name.as_str() {
            "e" => late_build = build_id,
            "d" => tag_build(&hub.ctx.pool, build, build_id, admin_id).await,
            _ => tag_build(&hub.ctx.pool, base, build_id, admin_id).await,
        }
    }
    let pool = hub.ctx.pool.clone();
    let handle = tokio::runtime::Handle::current();
    let topurl = format!("http://{}/kojifiles", hub.addr);
    let topdir = hub.topdir();
    blocking(move || {
        let marker = new_marker();
        let options = BuilderOptions {
            topdir: Some(topdir.clone()),
            ..BuilderOptions::default()
        };
        let mut builders = vec![Builder::start(
            &url, "builder", "hostpw", &files, &marker, &options,
        )];
        let admin = login(&url, "admin", "pw");
        let out = admin_run(&koji, &["regen-repo", "--wait", "build"]).ok();
        assert!(
            out.stdout.contains("Got repo") || out.stdout.contains("Got request"),
            "{}",
            out.stdout
        );
        let out = koji.run(&["wait-repo", "build", "--timeout", "2"]).ok();
        let repo_id: i64 = out
            .stdout
            .split_whitespace()
            .skip_while(|w| *w != "repo")
            .nth(1)
            .and_then(|w| w.trim_end_matches(|c: char| !c.is_ascii_digit()).parse().ok())
            .unwrap_or_else(|| panic!("no repo id in {:?}", out.stdout));
        let info = call(&admin, "repoInfo", vec![Value::Int(repo_id)]);
        assert_eq!(info.get("state"), Some(&Value::Int(1)));
        let out = koji.run(&["taginfo", "build"]).ok();
        assert!(
            out.stdout.contains(&format!("Current repo: repo#{repo_id}")),
            "{}",
            out.stdout
        );
        let out = admin_run(
            &koji,
            &[
                "list-tasks",
                "--all",
                "--after",
                "2020-01-01",
                "--method",
                "createrepo",
            ],
        )
        .ok();
        assert!(out.stdout.contains("createrepo"), "{}", out.stdout);
        let out = admin_run(
            &koji,
            &[
                "list-tasks",
                "--all",
                "--after",
                "2020-01-01",
                "--method",
                "newRepo",
            ],
        )
        .ok();
        assert!(
            out.stdout.contains("newRepo") && out.stdout.contains("CLOSED"),
            "{}",
            out.stdout
        );
        // dnf sees exactly the latest builds, through inheritance, without the blocked one.
        let repo_url = format!("{topurl}/repos/build/latest/x86_64");
        let out = dnf(&files, &repo_url, &["list", "available"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            listed(&out.stdout),
            vec!["a.noarch 2-1", "c.noarch 1-1", "d.noarch 1-1"],
            "{}",
            out.stdout
        );
        let root = files.join("root");
        let out = dnf(
            &files,
            &repo_url,
            &[
                "install",
                "-y",
                &format!("--installroot={}", root.display()),
                "--setopt=install_weak_deps=False",
                "d",
            ],
        );
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        let query = Command::new("rpm")
            .arg("--root")
            .arg(&root)
            .args(["-q", "a", "d"])
            .output()
            .unwrap();
        let installed = String::from_utf8_lossy(&query.stdout).into_owned();
        assert_eq!(installed, "a-2-1.noarch\nd-1-1.noarch\n");
        // Tagging into the parent tag regenerates the build tag's repo on its own; wait-repo
        // (with and without --request) sees it.
        call(&admin, "packageListAdd", vec![s("base"), s("e"), s("admin")]);
        handle.block_on(tag_build(&pool, base, late_build, admin_id));
        let out = koji.run(&["wait-repo", "build", "--timeout", "2"]).ok();
        assert!(out.stdout.contains("Got repo"), "{}", out.stdout);
        let out = admin_run(&koji, &["wait-repo", "--request", "build", "--timeout", "2"]).ok();
        assert!(out.stdout.contains("Got repo"), "{}", out.stdout);
        // --build: the repo must hold that build (through the parent tag).
        let out = koji
            .run(&["wait-repo", "build", "--build", "e-1-1", "--timeout", "2"])
            .ok();
        assert!(out.stdout.contains("Got repo"), "{}", out.stdout);
        let out = koji.run(&["wait-repo", "build", "--build", "nosuch-1-1", "--timeout", "1"]);
        assert_ne!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("No nosuch builds in tag build"),
            "{}",
            out.stderr
        );
        let out = dnf(&files, &repo_url, &["--refresh", "list", "available"]);
        assert_eq!(
            listed(&out.stdout),
            vec!["a.noarch 2-1", "c.noarch 1-1", "d.noarch 1-1", "e.noarch 1-1"],
            "{}",
            out.stdout
        );
        eventually(Duration::from_secs(20), "no unfinished tasks", || {
            kiln_tests::cluster::unfinished_tasks(&admin)
                .is_empty()
                .then_some(())
        });
        assert_clean(&admin, &mut builders, &marker);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn createrepo_failing_on_one_arch_leaves_the_repo_problem_and_unused() {
    let hub = TestHub::start_with(TestHubOptions {
        repos: Some(RepoConfig {
            check_interval_seconds: 0.5,
            ..RepoConfig::default()
        }),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().to_path_buf();
    let koji = cli(&hub, &files);
    blocking({
        let url = url.clone();
        move || {
            let admin = login(&url, "admin", "pw");
            admin
                .call_kw("createTag", vec![s("two")], vec![("arches", s("x86_64 aarch64"))])
                .unwrap();
            call(&admin, "packageListAdd", vec![s("two"), s("x"), s("admin")]);
            admin
                .call_kw(
                    "addHost",
                    vec![s("builder"), Value::Array(vec![s("x86_64")])],
                    vec![("password", s("hostpw"))],
                )
                .unwrap();
            call(&admin, "addHostToChannel", vec![s("builder"), s("createrepo")]);
        }
    })
    .await;
    // An x86_64 package whose file went missing: createrepo fails for x86_64 only.
    let specs = vec![RpmSpec {
        arch: std::env::consts::ARCH.to_owned(),
        ..RpmSpec::noarch("x", "1", "1")
    }];
    let rpms = blocking({
        let files = files.clone();
        move || make_rpms(&files, &specs)
    })
    .await;
    let admin_id = user_id(&hub.ctx.pool, "admin").await;
    let two = tag_id(&hub.ctx.pool, "two").await;
    let build_id = insert_build(&hub.ctx.pool, &hub.topdir(), admin_id, &rpms[0]).await;
    tag_build(&hub.ctx.pool, two, build_id, admin_id).await;
    let arch = std::env::consts::ARCH;
    std::fs::remove_file(
        hub.topdir()
            .join(format!("packages/x/1/1/{arch}/x-1-1.{arch}.rpm")),
    )
    .unwrap();
    let topdir = hub.topdir();
    blocking(move || {
        let marker = new_marker();
        let options = BuilderOptions {
            topdir: Some(topdir.clone()),
            ..BuilderOptions::default()
        };
        let mut builders = vec![Builder::start(
            &url, "builder", "hostpw", &files, &marker, &options,
        )];
        let admin = login(&url, "admin", "pw");
        let out = admin_run(&koji, &["regen-repo", "--make-task", "--wait", "two"]);
        assert_ne!(out.code, 0, "{}", out.stdout);
        assert!(out.stdout.contains("FAILED"), "{}", out.stdout);
        let repos = call(&admin, "repo.query", vec![Value::Array(vec![])]);
        let repo_id = repos.as_array().unwrap()[0]
            .get("id")
            .and_then(Value::as_i64)
            .unwrap();
        eventually(Duration::from_secs(10), "the PROBLEM state", || {
            let info = call(&admin, "repoInfo", vec![Value::Int(repo_id)]);
            (info.get("state") == Some(&Value::Int(4))).then_some(())
        });
        assert!(call(&admin, "getRepo", vec![s("two")]).is_nil());
        let children = call(&admin, "listTasks", vec![]);
        let states: Vec<(String, i64)> = children
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t.get("method") == Some(&s("createrepo")))
            .map(|t| {
                (
                    t.get("arch")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    t.get("state").and_then(Value::as_i64).unwrap(),
                )
            })
            .collect();
        assert_eq!(states.len(), 2, "{states:?}");
        assert!(!topdir.join("repos/two/latest").exists());
        assert_clean(&admin, &mut builders, &marker);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_builder_killed_while_making_a_repo_hands_the_work_to_another() {
    let hub = TestHub::start_with(TestHubOptions {
        repos: Some(RepoConfig {
            enabled: false,
            ..RepoConfig::default()
        }),
        scheduler: Some(hub::config::SchedulerConfig {
            host_timeout_seconds: 3.0,
            check_interval_seconds: 0.5,
            ..hub::config::SchedulerConfig::default()
        }),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().to_path_buf();
    let names: Vec<String> = (0..300).map(|i| format!("p{i:03}")).collect();
    blocking({
        let url = url.clone();
        let names = names.clone();
        move || {
            let admin = login(&url, "admin", "pw");
            admin
                .call_kw("createTag", vec![s("big")], vec![("arches", s("x86_64 aarch64"))])
                .unwrap();
            for name in &names {
                call(&admin, "packageListAdd", vec![s("big"), s(name), s("admin")]);
            }
            for host in ["b1", "b2"] {
                admin
                    .call_kw(
                        "addHost",
                        vec![s(host), Value::Array(vec![s("x86_64")])],
                        vec![("password", s("hostpw"))],
                    )
                    .unwrap();
                call(&admin, "addHostToChannel", vec![s(host), s("createrepo")]);
            }
        }
    })
    .await;
    let specs: Vec<RpmSpec> = names.iter().map(|n| RpmSpec::noarch(n, "1", "1")).collect();
    let rpms = blocking({
        let files = files.clone();
        move || make_rpms(&files, &specs)
    })
    .await;
    let admin_id = user_id(&hub.ctx.pool, "admin").await;
    let big = tag_id(&hub.ctx.pool, "big").await;
    for rpm in &rpms {
        let build_id = insert_build(&hub.ctx.pool, &hub.topdir(), admin_id, rpm).await;
        tag_build(&hub.ctx.pool, big, build_id, admin_id).await;
    }
    let topdir = hub.topdir();
    // The module metadata hook: a modules.yaml beside the tag's repos goes into each repo.
    std::fs::create_dir_all(topdir.join("repos/big")).unwrap();
    std::fs::write(
        topdir.join("repos/big/modules.yaml"),
        "---\ndocument: modulemd\nversion: 2\ndata:\n  name: big\n  stream: \"1\"\n  version: 1\n  \
         context: c0ffee42\n  summary: fixture\n  description: fixture\n  license:\n    module: [MIT]\n...\n",
    )
    .unwrap();
    blocking(move || {
        let marker = new_marker();
        let options = BuilderOptions {
            topdir: Some(topdir.clone()),
            ..BuilderOptions::default()
        };
        let admin = login(&url, "admin", "pw");
        let mut first = Builder::start(&url, "b1", "hostpw", &files, &marker, &options);
        let task_id = call(&admin, "newRepo", vec![s("big")]).as_i64().unwrap();
        // Kill b1 as soon as it works on the repo: a createrepo child open if we catch one,
        // else the newRepo parent itself.
        eventually(Duration::from_secs(60), "b1 working on the repo", || {
            let tasks = call(&admin, "listTasks", vec![]);
            let busy =
                tasks.as_array().unwrap().iter().any(|t| {
                    t.get("method") == Some(&s("createrepo")) && t.get("state") == Some(&Value::Int(1))
                });
            let parent_open =
                call(&admin, "getTaskInfo", vec![Value::Int(task_id)]).get("state") == Some(&Value::Int(1));
            (busy || parent_open).then_some(())
        });
        first.sigkill();
        let second = Builder::start(&url, "b2", "hostpw", &files, &marker, &options);
        let repo = eventually(Duration::from_secs(90), "the repo made on b2", || {
            let repo = call(&admin, "getRepo", vec![s("big")]);
            (!repo.is_nil()).then_some(repo)
        });
        let repo_id = repo.get("id").and_then(Value::as_i64).unwrap();
        assert_eq!(repo.get("task_id"), Some(&Value::Int(task_id)));
        // repoDone makes the repo READY before the task closes itself.
        eventually(Duration::from_secs(30), "the newRepo task to close", || {
            let info = call(&admin, "getTaskInfo", vec![Value::Int(task_id)]);
            (info.get("state") == Some(&Value::Int(2))).then_some(())
        });
        let runs = call(&admin, "scheduler.getTaskRuns", vec![]);
        let parent_hosts = runs
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r.get("task_id") == Some(&Value::Int(task_id)))
            .count();
        assert_eq!(parent_hosts, 2, "newRepo ran on b1, then on b2: {runs}");
        // One repo only: the rerun resumed the repo b1 started.
        let repos = call(&admin, "repo.query", vec![Value::Array(vec![])]);
        assert_eq!(repos.as_array().unwrap().len(), 1, "{repos}");
        let pkglist =
            std::fs::read_to_string(topdir.join(format!("repos/big/{repo_id}/x86_64/pkglist"))).unwrap();
        assert_eq!(pkglist.lines().count(), 300);
        let repomd =
            std::fs::read_to_string(topdir.join(format!("repos/big/{repo_id}/aarch64/repodata/repomd.xml")))
                .unwrap();
        assert!(repomd.contains("type=\"modules\""), "{repomd}");
        assert!(repomd.contains("type=\"group\""), "{repomd}");
        let mut builders = vec![first, second];
        assert_clean(&admin, &mut builders, &marker);
    })
    .await;
}
