//! RPM builds end to end with the stock `koji` 1.36 client: `koji build TARGET git+file://…#SHA`
//! against a hub with a real builder (checkout, SRPM and rebuild in the sandbox, import,
//! tagging), then `buildinfo`, `list-tagged`, `latest-build`, `download-build` + `rpm -qpi`,
//! `rpminfo` and `list-buildroot`; a scratch build; a BuildRequires satisfied only by an
//! earlier build once the repo is regenerated (and failing in root.log before); a failing
//! `%build` that points at build.log and leaves a FAILED build.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::client::ClientSession;
use common::xmlrpc::Value;
use hub::config::RepoConfig;
use hub::test_clients::{blocking, login};
use hub::testing::{TestHub, TestHubOptions};
use kiln_tests::cluster::{Builder, BuilderOptions, assert_clean, eventually, new_marker, unfinished_tasks};
use kiln_tests::fixtures;
use kiln_tests::{KojiCli, Output};

fn s(text: &str) -> Value {
    Value::from(text)
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

fn admin(cli: &KojiCli, args: &[&str]) -> Output {
    admin_in(cli, cli.config.parent().unwrap(), args)
}

fn admin_in(cli: &KojiCli, dir: &Path, args: &[&str]) -> Output {
    let mut full = vec!["--user", "admin", "--password", "pw"];
    full.extend_from_slice(args);
    cli.run_in_with_env(dir, &full, &[("TZ", "UTC")])
}

/// The task id of `koji build` output (`Created task: N`).
fn created_task(out: &Output) -> i64 {
    out.stdout
        .lines()
        .find_map(|line| line.strip_prefix("Created task: "))
        .and_then(|id| id.trim().parse().ok())
        .unwrap_or_else(|| panic!("no task id in:\n{}\n{}", out.stdout, out.stderr))
}

/// A hub with targets `cand` (build tag `kbuild`, which inherits `kdest`), `build` and
/// `srpm-build` groups holding `build-tools` (imported with `koji import` and tagged), a
/// builder, and a ready repo.
struct Setup {
    hub: TestHub,
    koji: KojiCli,
    files: PathBuf,
    marker: String,
    builders: Vec<Builder>,
}

async fn setup() -> Setup {
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
    let files = hub.path().join("e2e");
    std::fs::create_dir_all(&files).unwrap();
    let koji = cli(&hub, &files);
    let topurl = format!("http://{}/kojifiles", hub.addr);
    let topdir = hub.topdir();
    let (marker, builders) = blocking({
        let koji = koji.clone();
        let files = files.clone();
        move || {
            let arch = std::env::consts::ARCH;
            for args in [
                vec!["add-tag", "kdest", "--arches", arch],
                vec!["add-tag", "kbuild", "--parent", "kdest", "--arches", arch],
                vec!["edit-tag", "kbuild", "-x", "rpm.macro.dist=.kiln1"],
                vec!["add-target", "cand", "kbuild", "kdest"],
                vec![
                    "add-pkg",
                    "--owner",
                    "admin",
                    "kdest",
                    "build-tools",
                    "greeter",
                    "hello-c",
                    "libfoo",
                    "foo-user",
                    "breaks",
                    "sleeper",
                ],
                vec!["add-group", "kbuild", "build"],
                vec!["add-group", "kbuild", "srpm-build"],
                vec!["add-group-pkg", "kbuild", "build", "build-tools"],
                vec!["add-group-pkg", "kbuild", "srpm-build", "build-tools"],
                vec!["add-host", "builder", arch],
                vec!["add-host-to-channel", "builder", "createrepo"],
            ] {
                admin(&koji, &args).ok();
            }
            let session = login(&koji_url(&koji), "admin", "pw");
            session
                .call_kw("editUser", vec![s("builder")], vec![("password", s("hostpw"))])
                .unwrap();
            // Bootstrap: build-tools from outside, imported and tagged as Koji's docs say.
            let (srpm, rpms) = fixtures::rpmbuild_seed(&files, &fixtures::build_tools_spec(), ".seed");
            let mut args = vec!["import".to_owned(), srpm.display().to_string()];
            args.extend(rpms.iter().map(|r| r.display().to_string()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            admin(&koji, &args).ok();
            let marker = new_marker();
            let options = BuilderOptions {
                topdir: Some(topdir.clone()),
                extra_config: format!(
                    "topurl = {topurl:?}\nallowed_scms = \":/*\"\nrpmbuild_timeout = 600\n"
                ),
                ..BuilderOptions::default()
            };
            let builders = vec![Builder::start(
                &koji_url(&koji),
                "builder",
                "hostpw",
                &files,
                &marker,
                &options,
            )];
            admin(&koji, &["tag-build", "kdest", "build-tools-1.0-1.seed"]).ok();
            admin(&koji, &["regen-repo", "--wait", "kbuild"]).ok();
            (marker, builders)
        }
    })
    .await;
    let _ = url;
    Setup {
        hub,
        koji,
        files,
        marker,
        builders,
    }
}

fn koji_url(koji: &KojiCli) -> String {
    let text = std::fs::read_to_string(&koji.config).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("server = "))
        .unwrap()
        .to_owned()
}

fn finish(session: &ClientSession, builders: &mut [Builder], marker: &str) {
    eventually(Duration::from_secs(30), "no unfinished tasks", || {
        unfinished_tasks(session).is_empty().then_some(())
    });
    assert_clean(session, builders, marker);
}

/// Wall time of each stage, from the `state.log`s a task wrote (`Finish: STAGE (S s)`).
fn stage_times(topdir: &Path, task_id: i64) -> Vec<(String, f64)> {
    let path = topdir.join(format!("work/tasks/{}/{task_id}/state.log", task_id % 10_000));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let rest = line.split_once(" Finish: ")?.1;
            let (stage, seconds) = rest.rsplit_once(" (")?;
            let seconds: f64 = seconds.trim_end_matches(" s)").parse().ok()?;
            Some((stage.to_owned(), seconds))
        })
        .collect()
}

fn children(session: &ClientSession, task_id: i64) -> Vec<Value> {
    session
        .call("getTaskChildren", vec![Value::Int(task_id)])
        .unwrap()
        .as_array()
        .unwrap()
        .to_vec()
}

fn child(session: &ClientSession, task_id: i64, method: &str) -> Value {
    children(session, task_id)
        .into_iter()
        .find(|c| c.get("method").and_then(Value::as_str) == Some(method))
        .unwrap_or_else(|| panic!("task {task_id} has no {method} child"))
}

fn number(task: &Value, key: &str) -> f64 {
    match task.get(key) {
        Some(Value::Double(d)) => *d,
        Some(Value::Int(n)) => *n as f64,
        _ => 0.0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn koji_build_makes_a_real_rpm_that_the_stock_client_finds_and_downloads() {
    let mut setup = setup().await;
    let topdir = setup.hub.topdir();
    blocking(move || {
        let koji = &setup.koji;
        let files = &setup.files;
        let session = login(&koji_url(koji), "admin", "pw");
        let greeter = fixtures::noarch_package(files, "greeter");
        let started = Instant::now();
        let out = admin(koji, &["build", "--wait", "cand", &greeter.url()]);
        let total = started.elapsed();
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        let task_id = created_task(&out);
        assert!(out.stdout.contains("completed successfully"), "{}", out.stdout);
        let nvr = "greeter-1.0-1.kiln1";

        let info = admin(koji, &["buildinfo", nvr]).ok();
        assert!(info.stdout.contains("State: COMPLETE"), "{}", info.stdout);
        assert!(info.stdout.contains(&format!("Task: {task_id} build")), "{}", info.stdout);
        assert!(info.stdout.contains("greeter-1.0-1.kiln1.noarch.rpm"), "{}", info.stdout);
        assert!(info.stdout.contains("greeter-1.0-1.kiln1.src.rpm"), "{}", info.stdout);
        let logs = session.call("getBuildLogs", vec![s(nvr)]).unwrap();
        let log_names: Vec<String> = logs
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect();
        for wanted in ["build.log", "root.log", "state.log", "installed_pkgs.log"] {
            assert!(log_names.iter().any(|n| n == wanted), "{wanted} missing from {log_names:?}");
        }
        let source = session.call("getBuild", vec![s(nvr)]).unwrap();
        assert_eq!(
            source.get("source").and_then(Value::as_str),
            Some(greeter.url().as_str())
        );

        let tagged = koji.run(&["list-tagged", "kdest"]).ok();
        assert!(tagged.stdout.contains(nvr), "{}", tagged.stdout);
        let latest = koji.run(&["latest-build", "kdest", "greeter"]).ok();
        assert!(latest.stdout.contains(nvr), "{}", latest.stdout);

        let downloads = files.join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        admin_in(koji, &downloads, &["download-build", nvr]).ok();
        let rpm = downloads.join("greeter-1.0-1.kiln1.noarch.rpm");
        assert!(rpm.is_file(), "{:?}", std::fs::read_dir(&downloads).unwrap().collect::<Vec<_>>());
        let query = Command::new("rpm").arg("-qpi").arg(&rpm).output().unwrap();
        let text = String::from_utf8_lossy(&query.stdout);
        assert!(text.contains("Release     : 1.kiln1"), "{text}");
        assert!(text.contains("Vendor      : Koji"), "{text}");
        let contents = Command::new("rpm").arg("-qpl").arg(&rpm).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&contents.stdout),
            "/usr/share/greeter\n/usr/share/greeter/greeting.txt\n"
        );

        // (The stock `rpminfo` also asks for getRPMHeaders, which the hub lacks; getRPM is
        // what names the buildroot.)
        let rpm_info = session.call("getRPM", vec![s("greeter-1.0-1.kiln1.noarch")]).unwrap();
        let buildroot = rpm_info
            .get("buildroot_id")
            .and_then(Value::as_i64)
            .unwrap_or_else(|| panic!("no buildroot in {rpm_info}"))
            .to_string();
        let listing = koji.run(&["list-buildroot", &buildroot]).ok();
        assert!(
            listing.stdout.contains("build-tools-1.0-1.seed.noarch"),
            "{}",
            listing.stdout
        );

        // Figures: the wall time of each stage of this noarch build.
        let srpm_task = child(&session, task_id, "buildSRPMFromSCM");
        let arch_task = child(&session, task_id, "buildArch");
        let tag_task = child(&session, task_id, "tagBuild");
        let srpm_id = srpm_task.get("id").and_then(Value::as_i64).unwrap();
        let arch_id = arch_task.get("id").and_then(Value::as_i64).unwrap();
        let import = number(&tag_task, "create_ts") - number(&arch_task, "completion_ts");
        let mut figures = String::new();
        for (task, label) in [(srpm_id, "buildSRPMFromSCM"), (arch_id, "buildArch")] {
            for (stage, seconds) in stage_times(&topdir, task) {
                figures.push_str(&format!("  {label}: {stage}: {seconds:.3} s\n"));
            }
        }
        eprintln!(
            "noarch build figures (task {task_id}):\n{figures}  import (buildArch closed → tagBuild created): {import:.3} s\n  total koji build --wait: {:.3} s",
            total.as_secs_f64()
        );
        assert!(figures.contains("rpmbuild --rebuild"), "{figures}");
        finish(&session, &mut setup.builders, &setup.marker);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scratch_builds_land_under_scratch_and_are_not_imported() {
    let mut setup = setup().await;
    let topdir = setup.hub.topdir();
    blocking(move || {
        let koji = &setup.koji;
        let session = login(&koji_url(koji), "admin", "pw");
        let package = fixtures::c_package(&setup.files, "hello-c");
        let out = admin(koji, &["build", "--wait", "--scratch", "cand", &package.url()]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        let task_id = created_task(&out);
        let builds = session
            .call_kw("listBuilds", vec![], vec![("packageID", s("hello-c"))])
            .unwrap_or(Value::Array(Vec::new()));
        assert_eq!(builds.as_array().map(<[Value]>::len).unwrap_or(0), 0, "{builds}");
        let dir = topdir.join(format!("scratch/admin/task_{task_id}"));
        let rpm = dir.join(format!("hello-c-1.0-1.kiln1.{}.rpm", std::env::consts::ARCH));
        assert!(rpm.is_file(), "missing {}", rpm.display());
        assert!(dir.join("hello-c-1.0-1.kiln1.src.rpm").is_file());
        let tagged = koji.run(&["list-tagged", "kdest"]).ok();
        assert!(!tagged.stdout.contains("hello-c"), "{}", tagged.stdout);
        finish(&session, &mut setup.builders, &setup.marker);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buildrequires_on_an_earlier_build_works_once_the_repo_has_it() {
    let mut setup = setup().await;
    blocking(move || {
        let koji = &setup.koji;
        let files = &setup.files;
        let session = login(&koji_url(koji), "admin", "pw");
        let user = fixtures::libfoo_user_package(files, "foo-user");
        // Without libfoo-devel in the tag's repo, the buildroot cannot be made.
        let out = admin(koji, &["build", "--wait", "cand", &user.url()]);
        assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
        let failed = created_task(&out);
        let arch_task = child(&session, failed, "buildArch");
        let result = session
            .call("getTaskResult", vec![arch_task.get("id").cloned().unwrap()])
            .unwrap_err();
        let fault = result.fault().unwrap();
        assert_eq!(fault.code, 1005);
        assert_eq!(
            fault.message,
            format!(
                "error building package (arch {}), dnf exited with status 1; see root.log for more information",
                std::env::consts::ARCH
            )
        );
        let state = session.call("getBuild", vec![s("foo-user-1.0-1.kiln1")]).unwrap();
        assert_eq!(state.get("state"), Some(&Value::Int(3)), "{state}");

        let libfoo = fixtures::libfoo_package(files, "2.1");
        admin(koji, &["build", "--wait", "cand", &libfoo.url()]).ok();
        admin(
            koji,
            &["wait-repo", "kbuild", "--build", "libfoo-2.1-1.kiln1", "--timeout", "2"],
        )
        .ok();
        // The same NVR failed before; Koji allows building it again.
        let out = admin(koji, &["build", "--wait", "cand", &user.url()]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        let task_id = created_task(&out);
        let arch_task = child(&session, task_id, "buildArch");
        let result = session
            .call("getTaskResult", vec![arch_task.get("id").cloned().unwrap()])
            .unwrap();
        let brootid = result.get("brootid").cloned().unwrap();
        let listing = koji.run(&["list-buildroot", &brootid.to_string()]).ok();
        assert!(listing.stdout.contains("libfoo-devel-2.1-1.kiln1.noarch"), "{}", listing.stdout);
        finish(&session, &mut setup.builders, &setup.marker);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_build_points_at_build_log_and_leaves_a_failed_build() {
    let mut setup = setup().await;
    blocking(move || {
        let koji = &setup.koji;
        let session = login(&koji_url(koji), "admin", "pw");
        let package = fixtures::failing_build_package(&setup.files, "breaks");
        let out = admin(koji, &["build", "--wait", "cand", &package.url()]);
        assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(text.contains("see build.log for more information"), "{text}");
        let build = session.call("getBuild", vec![s("breaks-1.0-1.kiln1")]).unwrap();
        assert_eq!(build.get("state"), Some(&Value::Int(3)), "{build}");
        let tagged = koji.run(&["list-tagged", "kdest"]).ok();
        assert!(!tagged.stdout.contains("breaks"), "{}", tagged.stdout);
        // The logs are kept on the failed task.
        let task_id = created_task(&out);
        let arch = child(&session, task_id, "buildArch");
        let output = session
            .call("listTaskOutput", vec![arch.get("id").cloned().unwrap()])
            .unwrap();
        let names: Vec<&str> = output
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(names.contains(&"build.log"), "{names:?}");
        // A package the destination tag does not list fails before any build is made.
        let unlisted = fixtures::noarch_package(&setup.files, "unlisted");
        let out = admin(koji, &["build", "--wait", "cand", &unlisted.url()]);
        assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
        let fault = session
            .call("getTaskResult", vec![Value::Int(created_task(&out))])
            .unwrap_err();
        let fault = fault.fault().unwrap();
        assert_eq!(fault.code, 1005);
        assert_eq!(fault.message, "package unlisted not in list for tag kdest");
        let none = session.call("getBuild", vec![s("unlisted-1.0-1.kiln1")]).unwrap();
        assert!(none.is_nil(), "{none}");
        finish(&session, &mut setup.builders, &setup.marker);
    })
    .await;
}

/// Processes whose command line has `argument`.
fn processes_with_argument(argument: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline.split(|b| *b == 0).any(|a| a == argument.as_bytes()) {
            found.push(pid);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_build_kills_the_sandboxed_rpmbuild() {
    let mut setup = setup().await;
    blocking(move || {
        let koji = &setup.koji;
        let session = login(&koji_url(koji), "admin", "pw");
        // A sleep length no other process uses, to find the build's sleep by.
        let seconds = format!("{}.{}", 900 + std::process::id() % 100, std::process::id());
        let package = fixtures::sleeping_package(&setup.files, "sleeper", &seconds);
        let out = admin(koji, &["build", "--nowait", "cand", &package.url()]);
        let task_id = created_task(&out.ok());
        eventually(Duration::from_secs(60), "the build's sleep to start", || {
            let state = session.call("getTaskInfo", vec![Value::Int(task_id)]).unwrap();
            let state = state.get("state").and_then(Value::as_i64);
            assert!(
                matches!(state, Some(0..=2 | 4)),
                "the build ended before it could be canceled: {:?} {:?}",
                session.call("getTaskResult", vec![Value::Int(task_id)]),
                children(&session, task_id)
                    .iter()
                    .map(|c| session.call("getTaskResult", vec![c.get("id").cloned().unwrap()]))
                    .collect::<Vec<_>>()
            );
            (!processes_with_argument(&seconds).is_empty()).then_some(())
        });
        admin(koji, &["cancel", &task_id.to_string()]).ok();
        eventually(Duration::from_secs(30), "the build's sleep to be killed", || {
            processes_with_argument(&seconds).is_empty().then_some(())
        });
        let info = session.call("getTaskInfo", vec![Value::Int(task_id)]).unwrap();
        assert_eq!(info.get("state"), Some(&Value::Int(3)), "{info}");
        finish(&session, &mut setup.builders, &setup.marker);
    })
    .await;
}
