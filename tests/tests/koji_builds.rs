//! The stock `koji` 1.36.1 client with builds: `import` of a source and a noarch rpm built here
//! with rpmbuild, `add-pkg`, `tag-build` run by a real builder's `tagBuild` task, `list-tagged`,
//! `latest-build`, `buildinfo`, `list-builds`, `download-build --topurl` (read back with
//! `rpm -qpi`), `rpminfo`, `untag-build`, `list-history`, `add-external-repo`, and the refusals: a package not in the tag's
//! list, an unknown build, a duplicate import.

use std::path::Path;

use common::xmlrpc::Value;
use hub::test_clients::{blocking, login};
use hub::test_rpms::{build_noarch, query};
use hub::testing::TestHub;
use kiln_tests::cluster::{Builder, BuilderOptions, assert_clean, new_marker};
use kiln_tests::{KojiCli, Output};

fn cli_for(hub: &TestHub, dir: &Path) -> KojiCli {
    let config = dir.join("koji.conf");
    std::fs::write(
        &config,
        format!(
            "[koji]\nserver = {url}\nweburl = http://{addr}/koji\ntopurl = http://{addr}/kojifiles\n\
             authtype = password\nmax_retries = 0\n",
            url = hub.url(),
            addr = hub.addr
        ),
    )
    .unwrap();
    KojiCli { config }
}

fn admin(cli: &KojiCli, args: &[&str]) -> Output {
    let mut full = vec!["--user", "admin", "--password", "pw"];
    full.extend_from_slice(args);
    cli.run_with_env(&full, &[("TZ", "UTC")])
}

fn anonymous(cli: &KojiCli, args: &[&str]) -> Output {
    cli.run_with_env(args, &[("TZ", "UTC")])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_rpms_are_tagged_listed_and_downloaded_with_the_stock_client() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().to_path_buf();
    let cli = cli_for(&hub, &work);
    let url = hub.url();
    let topurl = format!("http://{}/kojifiles", hub.addr);
    blocking(move || {
        let built = build_noarch(&work.join("fixtures"), "hello", "1.0", "1");
        let srpm = built.srpm.display().to_string();
        let rpm = built.rpm.display().to_string();
        admin(&cli, &["add-tag", "dest"]).ok();
        admin(&cli, &["add-tag", "other"]).ok();
        admin(&cli, &["add-pkg", "--owner", "admin", "dest", "hello"]).ok();

        let out = admin(&cli, &["import", &srpm, &rpm]).ok();
        assert_eq!(
            out.stdout,
            format!(
                "uploading {srpm}... done\nimporting {srpm}... done\nuploading {rpm}... done\nimporting {rpm}... done\n"
            )
        );
        // A second import of the same NVR is skipped by the client, which asks getRPM first.
        let out = admin(&cli, &["import", &rpm]).ok();
        assert_eq!(out.stdout, format!("RPM already imported: {rpm}\nSkipping import\n"));

        let session = login(&url, "admin", "pw");
        session
            .call_kw(
                "addHost",
                vec![Value::from("builder1"), Value::Array(vec![Value::from("x86_64")])],
                vec![("password", Value::from("hostpw"))],
            )
            .unwrap();
        let marker = new_marker();
        let mut builders = vec![Builder::start(
            &url,
            "builder1",
            "hostpw",
            &work,
            &marker,
            &BuilderOptions::default(),
        )];

        let out = admin(&cli, &["tag-build", "--wait", "dest", "hello-1.0-1"]).ok();
        assert!(out.stdout.starts_with("Created task "), "{}", out.stdout);
        assert!(out.stdout.contains("tagBuild"), "{}", out.stdout);
        assert!(out.stdout.contains("completed successfully"), "{}", out.stdout);

        let out = anonymous(&cli, &["list-tagged", "dest"]).ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 3, "{}", out.stdout);
        assert!(lines[0].starts_with("Build"), "{}", out.stdout);
        let row: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(row, ["hello-1.0-1", "dest", "admin"]);
        let out = anonymous(&cli, &["latest-build", "dest", "hello"]).ok();
        assert_eq!(
            out.stdout.lines().nth(2).map(|l| l.split_whitespace().collect::<Vec<_>>()),
            Some(vec!["hello-1.0-1", "dest", "admin"])
        );
        let out = anonymous(&cli, &["list-tagged", "--rpms", "dest"]).ok();
        assert!(out.stdout.contains("hello-1.0-1.noarch"), "{}", out.stdout);
        assert!(out.stdout.contains("hello-1.0-1.src"), "{}", out.stdout);

        let out = anonymous(&cli, &["buildinfo", "hello-1.0-1"]).ok();
        let shown: Vec<&str> = out
            .stdout
            .lines()
            .map(|l| if l.starts_with("Finished: ") { "Finished: <time>" } else { l })
            .collect();
        assert_eq!(
            shown,
            [
                "BUILD: hello-1.0-1 [1]",
                "State: COMPLETE",
                "Built by: admin",
                "Volume: DEFAULT",
                "Task: none",
                "Finished: <time>",
                "Tags: dest",
                "RPMs:",
                "/mnt/koji/packages/hello/1.0/1/src/hello-1.0-1.src.rpm",
                "/mnt/koji/packages/hello/1.0/1/noarch/hello-1.0-1.noarch.rpm",
            ]
        );
        let out = anonymous(&cli, &["rpminfo", "hello-1.0-1.noarch"]).ok();
        let sigmd5 = query(&built.rpm, "%{SIGMD5}");
        for expected in [
            "RPM: hello-1.0-1.noarch [2]".to_owned(),
            "Build: hello-1.0-1 [1]".to_owned(),
            "RPM Path: /mnt/koji/packages/hello/1.0/1/noarch/hello-1.0-1.noarch.rpm".to_owned(),
            format!("SIGMD5: {sigmd5}"),
            "License: MIT".to_owned(),
            "No buildroot data available".to_owned(),
        ] {
            assert!(out.stdout.lines().any(|l| l == expected), "{expected} in\n{}", out.stdout);
        }
        let out = anonymous(&cli, &["list-builds", "--package", "hello"]).ok();
        assert!(out.stdout.contains("hello-1.0-1"), "{}", out.stdout);
        assert!(out.stdout.contains("COMPLETE"), "{}", out.stdout);

        let downloads = work.join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let out = cli.run_in(&downloads, &["download-build", "--topurl", &topurl, "hello-1.0-1"]).ok();
        assert!(out.stdout.contains("hello-1.0-1.noarch.rpm"), "{}", out.stdout);
        let fetched = downloads.join("hello-1.0-1.noarch.rpm");
        assert_eq!(std::fs::read(&fetched).unwrap(), std::fs::read(&built.rpm).unwrap());
        let info = query(&fetched, "%{NAME} %{VERSION} %{RELEASE} %{ARCH}");
        assert_eq!(info, "hello 1.0 1 noarch");
        let qpi = std::process::Command::new("rpm").arg("-qpi").arg(&fetched).output().unwrap();
        assert!(String::from_utf8_lossy(&qpi.stdout).contains("Kiln test package hello"));

        // Refusals, each with Koji's message.
        let out = admin(&cli, &["tag-build", "--nowait", "other", "hello-1.0-1"]);
        assert_eq!(out.code, 1);
        assert!(out.stderr.contains("Package hello not in list for other"), "{}", out.stderr);
        let out = admin(&cli, &["tag-build", "--nowait", "dest", "nope-1-1"]);
        assert_eq!(out.code, 1);
        assert!(out.stderr.contains("No such build: 'nope-1-1'"), "{}", out.stderr);
        let out = anonymous(&cli, &["buildinfo", "nope-1-1"]);
        assert_eq!((out.code, out.stderr.as_str()), (1, "No such build: nope-1-1\n\n"));

        let out = admin(&cli, &["untag-build", "dest", "hello-1.0-1"]).ok();
        assert_eq!(out.stdout, "");
        let out = anonymous(&cli, &["list-tagged", "dest"]).ok();
        assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
        let out = anonymous(&cli, &["list-history", "--build", "hello-1.0-1"]).ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{}", out.stdout);
        assert!(lines[0].contains("hello-1.0-1 tagged into dest by admin"), "{}", out.stdout);
        assert!(lines[1].contains("hello-1.0-1 untagged from dest by admin"), "{}", out.stdout);

        let out = admin(
            &cli,
            &["add-external-repo", "-t", "dest", "-a", "x86_64,noarch", "fedora", "file:///srv/fedora/"],
        )
        .ok();
        assert_eq!(
            out.stdout,
            "Created external repo 1\nAdded external repo fedora to tag dest (priority 5)\n"
        );
        let out = anonymous(&cli, &["list-external-repos", "--tag", "dest"]).ok();
        assert!(out.stdout.contains("fedora"), "{}", out.stdout);
        assert!(out.stdout.contains("file:///srv/fedora/"), "{}", out.stdout);

        assert_clean(&session, &mut builders, &marker);
    })
    .await;
    hub.shutdown().await;
}
