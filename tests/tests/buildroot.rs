//! The sandbox buildroot against real tools, without a hub: a tag repo made with
//! `createrepo_c` from fixture RPMs, a git checkout, `rpmbuild -bs` and `rpmbuild --rebuild`
//! in bwrap without network, and the failures kojid reports (root.log, build.log, timeouts).

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use builderd::buildroot::macros::koji_macros;
use builderd::buildroot::{Buildroot, BuildrootError, Cancel, Limits, Sandbox};
use builderd::error::TaskError;
use builderd::rpmbuild::{build_srpm, rebuild, write_macros};
use builderd::scm::Scm;
use builderd::srpm::{SrpmHeader, read_header};
use common::xmlrpc::{Struct, Value};
use kiln_tests::fixtures::{self, GitPackage};

/// The arch this host builds.
fn host_arch() -> &'static str {
    std::env::consts::ARCH
}

fn tag_extra(dist: &str) -> Value {
    let mut extra = Struct::new();
    extra.insert("rpm.macro.dist".into(), Value::from(dist));
    Value::Struct(extra)
}

/// What one pass from git to RPMs produced.
struct Built {
    srpm: SrpmHeader,
    rpms: Vec<PathBuf>,
    installed: Vec<String>,
}

/// Runs both stages as the build tasks do; returns the error of the first failing one and the
/// directory holding the logs.
fn build(
    dir: &Path,
    repo_url: &str,
    package: &GitPackage,
    limits: Limits,
) -> (Result<Built, TaskError>, PathBuf) {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let result = build_in(dir, repo_url, package, limits, &logs);
    (result, logs)
}

fn build_in(
    dir: &Path,
    repo_url: &str,
    package: &GitPackage,
    limits: Limits,
    logs: &Path,
) -> Result<Built, TaskError> {
    let extra = tag_extra(".kiln1");
    let macros = koji_macros(host_arch(), Some(&extra));
    let cancel = Cancel::new();
    // Stage 1: checkout and SRPM.
    let scm = Scm::parse(&package.url())?;
    scm.assert_allowed(":/*")?;
    let mut srpm_root = Sandbox::new(&dir.join("srpm-root"), repo_url, limits.clone(), cancel.clone());
    srpm_root
        .init()
        .map_err(|e| TaskError::new(common::FaultCode::Buildroot, e.to_string()))?;
    srpm_root
        .install(&["srpm-build"], &[], &logs.join("root.log"))
        .map_err(|e| builderd::rpmbuild::command_failure("could not init buildroot", &e))?;
    let checkout = scm.checkout(&dir.join("scm"), &logs.join("checkout.log"), &cancel)?;
    assert_eq!(checkout.commit, package.commit);
    write_macros(&srpm_root, &macros)?;
    let srpm = build_srpm(&srpm_root, &checkout.sourcedir, &logs.join("build.log"))?;
    let header = read_header(&srpm).unwrap();
    // Stage 2: a fresh buildroot with @build and the BuildRequires, then the rebuild.
    let mut root = Sandbox::new(&dir.join("arch-root"), repo_url, limits, cancel);
    root.init().unwrap();
    root.install(&["build"], &header.buildrequires, &logs.join("root.log"))
        .map_err(|e| {
            builderd::rpmbuild::command_failure(&format!("error building package (arch {})", host_arch()), &e)
        })?;
    let installed = root.package_list().unwrap().iter().map(|p| p.nevra()).collect();
    write_macros(&root, &macros)?;
    let rpms = rebuild(&root, &srpm, host_arch(), &logs.join("build.log"))?;
    srpm_root.expire().unwrap();
    root.expire().unwrap();
    Ok(Built {
        srpm: header,
        rpms,
        installed,
    })
}

fn log(logs: &Path, name: &str) -> String {
    std::fs::read_to_string(logs.join(name)).unwrap_or_default()
}

#[test]
fn a_noarch_package_builds_with_the_tags_dist() {
    let dir = tempfile::tempdir().unwrap();
    let repo = fixtures::seed_repo(dir.path(), None);
    let package = fixtures::noarch_package(dir.path(), "greeter");
    let (result, logs) = build(dir.path(), &repo, &package, Limits::for_builds(600.0));
    let built = result.unwrap_or_else(|e| panic!("{e}\n{}", log(&logs, "build.log")));
    assert_eq!(built.srpm.nvr(), "greeter-1.0-1.kiln1");
    assert!(built.srpm.is_source);
    assert_eq!(built.srpm.buildarchs, ["noarch"]);
    let names: Vec<String> = built
        .rpms
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["greeter-1.0-1.kiln1.noarch.rpm"]);
    let rpm = read_header(&built.rpms[0]).unwrap();
    assert_eq!(rpm.release, "1.kiln1");
    assert!(!rpm.is_source);
    assert_eq!(built.installed, ["build-tools-1.0-1.seed.noarch"]);
    assert!(log(&logs, "checkout.log").contains("git reset --hard"));
    assert!(log(&logs, "root.log").contains("Complete!"));
}

#[test]
fn a_c_package_builds_for_the_host_arch() {
    let dir = tempfile::tempdir().unwrap();
    let repo = fixtures::seed_repo(dir.path(), None);
    let package = fixtures::c_package(dir.path(), "hello-c");
    let (result, logs) = build(dir.path(), &repo, &package, Limits::for_builds(600.0));
    let built = result.unwrap_or_else(|e| panic!("{e}\n{}", log(&logs, "build.log")));
    assert_eq!(built.srpm.buildrequires, ["gcc"]);
    let names: Vec<String> = built
        .rpms
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|n| !n.contains("debug"))
        .collect();
    assert_eq!(names, [format!("hello-c-1.0-1.kiln1.{}.rpm", host_arch())]);
}

#[test]
fn a_versioned_devel_buildrequires_comes_from_the_tag_repo() {
    let dir = tempfile::tempdir().unwrap();
    let repo = fixtures::seed_repo(dir.path(), Some("2.1"));
    let package = fixtures::libfoo_user_package(dir.path(), "foo-user");
    let (result, logs) = build(dir.path(), &repo, &package, Limits::for_builds(600.0));
    let built = result.unwrap_or_else(|e| panic!("{e}\n{}", log(&logs, "build.log")));
    assert_eq!(built.srpm.buildrequires, ["gcc", "libfoo-devel >= 2.0"]);
    assert!(
        built
            .installed
            .contains(&"libfoo-devel-2.1-1.seed.noarch".to_owned())
    );
    assert_eq!(built.rpms.len(), 1);
}

#[test]
fn a_too_old_devel_package_fails_in_root_log() {
    let dir = tempfile::tempdir().unwrap();
    let repo = fixtures::seed_repo(dir.path(), Some("1.0"));
    let package = fixtures::libfoo_user_package(dir.path(), "foo-user");
    let (result, logs) = build(dir.path(), &repo, &package, Limits::for_builds(600.0));
    let error = result.err().expect("the build must fail");
    assert_eq!(error.code, 1005);
    assert_eq!(
        error.message,
        format!(
            "error building package (arch {}), dnf exited with status 1; see root.log for more information",
            host_arch()
        )
    );
    assert!(
        log(&logs, "root.log").contains("libfoo-devel >= 2.0"),
        "{}",
        log(&logs, "root.log")
    );
}

#[test]
fn a_missing_buildrequires_fails_in_root_log() {
    let dir = tempfile::tempdir().unwrap();
    let repo = fixtures::seed_repo(dir.path(), None);
    let package = fixtures::missing_br_package(dir.path(), "needs-nothing-there");
    let (result, logs) = build(dir.path(), &repo, &package, Limits::for_builds(600.0));
    let error = result.err().expect("the build must fail");
    assert!(
        error.message.ends_with("; see root.log for more information"),
        "{}",
        error.message
    );
    let root_log = log(&logs, "root.log");
    assert!(
        root_log.contains("No match for argument: does-not-exist-devel"),
        "{root_log}"
    );
}

#[test]
fn a_failing_build_section_points_at_build_log() {
    let dir = tempfile::tempdir().unwrap();
    let repo = fixtures::seed_repo(dir.path(), None);
    let package = fixtures::failing_build_package(dir.path(), "breaks");
    let (result, logs) = build(dir.path(), &repo, &package, Limits::for_builds(600.0));
    let error = result.err().expect("the build must fail");
    assert_eq!(error.code, 1005);
    assert_eq!(
        error.message,
        format!(
            "error building package (arch {}), rpmbuild exited with status 1; see build.log for more information",
            host_arch()
        )
    );
    let build_log = log(&logs, "build.log");
    assert!(build_log.contains("about to fail on purpose"), "{build_log}");
    assert!(build_log.contains("Bad exit status from"), "{build_log}");
}

#[test]
fn builds_have_no_network() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let repo = fixtures::seed_repo(dir.path(), None);
    let package = fixtures::network_package(dir.path(), "phones-home", port);
    let (result, logs) = build(dir.path(), &repo, &package, Limits::for_builds(600.0));
    let error = result.err().expect("the build must fail");
    assert!(error.message.contains("see build.log"), "{}", error.message);
    let build_log = log(&logs, "build.log");
    assert!(build_log.contains("no network"), "{build_log}");
    assert!(!build_log.contains("network reached"), "{build_log}");
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the listener saw a connection: {other:?}"),
    }
    // The same check outside the sandbox reaches the listener, so the probe itself works.
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("exec 3<>/dev/tcp/127.0.0.1/{port}"))
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn commands_run_unprivileged_in_their_own_pid_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let repo = fixtures::seed_repo(dir.path(), None);
    let mut root = Sandbox::new(
        &dir.path().join("root"),
        &repo,
        Limits::for_builds(60.0),
        Cancel::new(),
    );
    root.init().unwrap();
    root.install(&["build"], &[], &dir.path().join("root.log"))
        .unwrap();
    let out = dir.path().join("probe.log");
    let script = "id -u; echo pid=$$; hostname; touch /usr/probe 2>/dev/null && echo usr-writable || echo usr-readonly; \
                  ls /home /root 2>/dev/null | wc -l; ip -o link 2>/dev/null | wc -l; touch /builddir/ok && echo builddir-writable";
    root.run(&["sh".into(), "-c".into(), script.into()], &out)
        .unwrap_or_else(|e| panic!("{e}: {}", std::fs::read_to_string(&out).unwrap_or_default()));
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(lines[0], "1000");
    assert_eq!(lines[1], "pid=1");
    assert_eq!(lines[2], "buildhost");
    assert_eq!(lines[3], "usr-readonly");
    assert_eq!(lines[4], "0");
    assert_eq!(lines[6], "builddir-writable");
    assert!(root.build_dir().join("ok").exists());
}

#[test]
fn a_timeout_kills_the_sandboxed_processes() {
    let dir = tempfile::tempdir().unwrap();
    let repo = fixtures::seed_repo(dir.path(), None);
    let mut limits = Limits::for_builds(60.0);
    limits.timeout_seconds = Some(1.0);
    let mut root = Sandbox::new(&dir.path().join("root"), &repo, limits, Cancel::new());
    root.init().unwrap();
    root.install(&["build"], &[], &dir.path().join("root.log"))
        .unwrap();
    let marker = format!("{}.{}", 4000 + std::process::id() % 1000, std::process::id());
    let log_path = dir.path().join("build.log");
    let error = root
        .run(
            &[
                "sh".into(),
                "-c".into(),
                format!("sleep {marker} & sleep {marker}; wait"),
            ],
            &log_path,
        )
        .unwrap_err();
    assert!(matches!(error, BuildrootError::Timeout { .. }), "{error}");
    assert_eq!(error.log_name().as_deref(), Some("build.log"));
    // Everything the command started is gone (zombies awaiting their reaper aside).
    let mut survivors = Vec::new();
    for _ in 0..50 {
        survivors = processes_with_argument(&marker);
        if survivors.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(survivors.is_empty(), "left running: {survivors:?}");
}

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

#[test]
fn a_commit_that_does_not_exist_fails_the_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let package = fixtures::noarch_package(dir.path(), "greeter");
    let url = format!("git+file://{}#{}", package.path.display(), "0".repeat(40));
    let scm = Scm::parse(&url).unwrap();
    let log_path = dir.path().join("checkout.log");
    let error = scm
        .checkout(&dir.path().join("scm"), &log_path, &Cancel::new())
        .unwrap_err();
    assert_eq!(error.code, 1005);
    assert_eq!(
        error.message,
        format!(
            "Error running GIT command \"git reset --hard {}\", see checkout.log for details",
            "0".repeat(40)
        )
    );
    assert!(std::fs::read_to_string(&log_path).unwrap().contains("fatal"));
}

#[test]
fn a_repo_rebuilt_at_the_same_url_is_read_afresh() {
    // A new hub on the same port serves a different repo at the same URL: no buildroot may
    // reuse metadata another one cached.
    let dir = tempfile::tempdir().unwrap();
    let repo_dir = dir.path().join("repo");
    let install = |name: &str, url: &str| {
        let mut root = Sandbox::new(
            &dir.path().join(name),
            url,
            Limits::for_builds(60.0),
            Cancel::new(),
        );
        root.init().unwrap();
        let log_path = dir.path().join(format!("{name}.log"));
        root.install(&["build"], &[], &log_path)
            .unwrap_or_else(|e| panic!("{e}: {}", std::fs::read_to_string(&log_path).unwrap_or_default()));
        root.package_list().unwrap()
    };
    let url = fixtures::seed_repo(dir.path(), None);
    let first = install("first", &url);
    std::fs::remove_dir_all(&repo_dir).unwrap();
    // The same NVR built again: another file, another checksum, the same URL.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = fixtures::seed_repo(dir.path(), None);
    assert_eq!(again, url);
    let second = install("second", &url);
    assert_eq!(first[0].nevra(), second[0].nevra());
    assert_ne!(first[0].payloadhash, second[0].payloadhash);
}
