//! The module commands against a real hub: a bootstrap import of a Koji tag, a submission from a
//! git repository, `module-build-info`, `module-overview`, and cancellation by a stranger and by
//! the owner, with rpkg's output and error texts.

use std::path::Path;
use std::process::Command;

use hub::mbs::config::MbsConfig;
use hub::testing::{TestHub, TestHubOptions};

const TESTMODULE: &str = include_str!("../../common/src/modulemd/fixtures/mbs-testmodule_v2.yaml");

/// rpkg 1.70's read commands (`pyrpkg.Commands.module_build_info` and `module_overview`) against
/// the API, anonymously, as `fedpkg module-build-info` / `module-overview` run them. pyrpkg
/// imports the `rpm` bindings at module level; these commands never use them, so a bare module
/// stands in where the bindings are missing.
const RPKG_READ: &str = r#"
import sys, types
try:
    import rpm
except ImportError:
    sys.modules["rpm"] = types.ModuleType("rpm")
import pyrpkg
api_url, build_id, weburl = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cmd = pyrpkg.Commands.__new__(pyrpkg.Commands)
version = cmd.module_get_api_version(api_url + "1/")
cmd.module_api_url = "{0}{1}/".format(api_url, version)
cmd._kojiweburl = weburl
cmd.load_kojisession = lambda anon=False: None
cmd.module_build_info(build_id)
print("----")
cmd.module_overview(limit=10, finished=False)
"#;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_AUTHOR_DATE", "2023-11-07T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2023-11-07T10:00:00Z")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A repository at `dir` with one commit on `master` holding `files`.
fn repo(dir: &Path, files: &[(&str, &str)]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "master"]);
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
        git(dir, &["add", name]);
    }
    git(dir, &["commit", "-q", "-m", "init"]);
    git(dir, &["rev-parse", "HEAD"])
}

async fn kiln(config: &Path, home: &Path, args: &[&str]) -> Run {
    let mut full = vec!["-c".to_owned(), config.display().to_string()];
    full.extend(args.iter().map(|a| (*a).to_owned()));
    let home = home.to_owned();
    tokio::task::spawn_blocking(move || {
        let output = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(&full)
            .env("HOME", &home)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn import_submit_inspect_and_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let git_dir = dir.path().join("git");
    let mut mbs = MbsConfig::dev();
    mbs.rpms_default_repository = format!("file://{}/rpms/", git_dir.display());
    let hub = TestHub::start_with(TestHubOptions {
        mbs: Some(mbs),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("alice", "pw", &[]).await;
    hub.add_user("mallory", "pw", &[]).await;
    let url = hub.url();
    hub::test_clients::blocking(move || {
        let admin = hub::test_clients::login(&url, "admin", "pw");
        admin
            .call("createTag", vec![common::xmlrpc::Value::from("f39-build")])
            .unwrap();
    })
    .await;
    let addr = hub.addr;
    let config = dir.path().join("koji.conf");
    std::fs::write(
        &config,
        format!(
            "[koji]\nserver = http://{addr}/kojihub\nweburl = http://{addr}/koji\ntopurl = http://{addr}/kojifiles\nauthtype = password\nmax_retries = 0\n"
        ),
    )
    .unwrap();
    let home = dir.path();
    let as_user = |user: &'static str| ["--user", user, "--password", "pw"];

    let mut args = as_user("admin").to_vec();
    args.extend(["module-import", "--tag", "f39-build", "platform:f39"]);
    let imported = kiln(&config, home, &args).await;
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    assert_eq!(
        imported.stdout,
        "Module platform:f39:1:00000000 imported\nModule build #1 (f39-build) is ready\n"
    );
    let mut args = as_user("alice").to_vec();
    args.extend(["module-import", "--tag", "f39-build", "platform:f39"]);
    let refused = kiln(&config, home, &args).await;
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.stderr,
        "The import failed with:\nalice is not in any of {'mbs-admin'}, only set()\n"
    );

    for package in ["perl-List-Compare", "perl-Tangerine", "tangerine"] {
        repo(&git_dir.join("rpms").join(package), &[("x.spec", package)]);
    }
    let document = TESTMODULE.replace("[f28]", "[f39]");
    let commit = repo(
        &git_dir.join("modules/testmodule"),
        &[("testmodule.yaml", &document)],
    );
    let scmurl = format!("git+file://{}/modules/testmodule?#{commit}", git_dir.display());
    let mut args = as_user("alice").to_vec();
    args.extend(["module-build", scmurl.as_str(), "master"]);
    let submitted = kiln(&config, home, &args).await;
    assert_eq!(submitted.code, 0, "{}", submitted.stderr);
    assert_eq!(
        submitted.stdout,
        format!(
            "Submitting the module build...\nThe build #2 was submitted to the MBS\nBuild URLs:\nhttp://{addr}/module-build-service/1/module-builds/2\n"
        )
    );
    let again = kiln(&config, home, &args).await;
    assert_eq!(again.code, 1);
    assert_eq!(
        again.stderr,
        "The build failed with:\nModule (state=0) already exists. Only a new build, resubmission of a failed build or build against new buildrequirements is allowed.\n"
    );

    let info = kiln(&config, home, &["module-build-info", "2"]).await;
    assert_eq!(info.code, 0, "{}", info.stderr);
    let version = "3920231107100000";
    assert!(
        info.stdout.starts_with(&format!(
            "Name:           testmodule\nStream:         master\nVersion:        {version}\nScratch:        False\nKoji Tag:       module-testmodule-master-{version}-"
        )),
        "{}",
        info.stdout
    );
    assert!(
        info.stdout
            .contains("\nOwner:          alice\nState:          init\nState Reason:   \n"),
        "{}",
        info.stdout
    );
    assert!(info.stdout.contains("\nTime Completed: None\nComponents:\n    Name:       perl-List-Compare\n    NVR:        None\n    State:      undefined\n    Koji Task:  \n\n"), "{}", info.stdout);
    let missing = kiln(&config, home, &["module-build-info", "99"]).await;
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.stderr,
        "Failed to get information about the module build #99:\nNo such module found.\n"
    );

    let rpkg = {
        let api = format!("http://{addr}/module-build-service/");
        let weburl = format!("http://{addr}/koji");
        tokio::task::spawn_blocking(move || {
            Command::new(kiln_tests::koji_python())
                .args(["-c", RPKG_READ, &api, "2", &weburl])
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let rpkg_out = String::from_utf8_lossy(&rpkg.stdout);
    assert!(rpkg.status.success(), "{}", String::from_utf8_lossy(&rpkg.stderr));
    let (rpkg_info, rpkg_overview) = rpkg_out.split_once("----\n").unwrap();
    // rpkg prints what kiln prints, but walks components in the JSON's order.
    assert!(
        rpkg_info.starts_with(info.stdout.split("Components:").next().unwrap()),
        "{rpkg_out}"
    );
    assert!(
        rpkg_info.contains(
            "    Name:       tangerine\n    NVR:        None\n    State:      undefined\n    Koji Task:  \n\n"
        ),
        "{rpkg_out}"
    );
    assert_eq!(
        rpkg_overview,
        format!(
            "ID:       2\nName:     testmodule\nStream:   master\nVersion:  {version}\nScratch:  False\nKoji Tag: {}\nOwner:    alice\nState:    init\n\n",
            info.stdout
                .lines()
                .nth(4)
                .unwrap()
                .trim_start_matches("Koji Tag:       ")
        )
    );

    let overview = kiln(&config, home, &["module-overview", "--unfinished"]).await;
    assert_eq!(overview.code, 0, "{}", overview.stderr);
    let lines: Vec<&str> = overview.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", overview.stdout);
    assert_eq!(
        lines[0],
        "  ID  State    Submitted             Components    Owner    Module"
    );
    assert!(lines[2].starts_with("   2  init     20"), "{}", overview.stdout);
    assert!(
        lines[2].ends_with(&format!("  0/3           alice    testmodule-master-{version}")),
        "{}",
        overview.stdout
    );

    let mut args = as_user("mallory").to_vec();
    args.extend(["module-build-cancel", "2"]);
    let stranger = kiln(&config, home, &args).await;
    assert_eq!(stranger.code, 1);
    assert_eq!(stranger.stdout, "Cancelling module build #2...\n");
    assert_eq!(
        stranger.stderr,
        "The cancellation of module build #2 failed with:\nYou are not owner of this build and therefore cannot modify it.\n"
    );
    let mut args = as_user("alice").to_vec();
    args.extend(["module-build-cancel", "2"]);
    let canceled = kiln(&config, home, &args).await;
    assert_eq!(canceled.code, 0, "{}", canceled.stderr);
    assert_eq!(
        canceled.stdout,
        "Cancelling module build #2...\nThe module build #2 was cancelled\n"
    );

    let finished = kiln(&config, home, &["module-overview", "--limit", "1"]).await;
    let lines: Vec<&str> = finished.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", finished.stdout);
    assert!(lines[2].starts_with("   2  failed   20"), "{}", finished.stdout);
}
