//! The stock `koji` 1.36.1 client managing tags against our hub: add-tag, edit-tag, remove-tag,
//! taginfo (now and as of an earlier event), list-tags with patterns, tag inheritance, build
//! targets, package lists with blocks, comps groups and list-history. Each output is compared
//! with what Koji 1.36 prints for the same sequence; only the times are masked.

use hub::testing::TestHub;
use kiln_tests::{KojiCli, Output};

struct Scenario {
    hub: TestHub,
    cli: KojiCli,
}

impl Scenario {
    async fn start() -> Scenario {
        let hub = TestHub::start().await;
        hub.add_user("admin", "pw", &["admin"]).await;
        hub.add_user("packager", "pw", &["tag"]).await;
        let dir = tempfile::tempdir().unwrap().keep();
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
        Scenario {
            hub,
            cli: KojiCli { config },
        }
    }

    /// Runs the client anonymously, in UTC so printed times do not depend on the machine.
    async fn run(&self, args: &[&str]) -> Output {
        let cli = self.cli.clone();
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cli.run_with_env(&args, &[("TZ", "UTC")])
        })
        .await
        .unwrap()
    }

    /// Runs the client logged in as `user` (password `pw`).
    async fn run_as(&self, user: &str, args: &[&str]) -> Output {
        let mut full = vec!["--user", user, "--password", "pw"];
        full.extend_from_slice(args);
        self.run(&full).await
    }

    /// Runs an admin command that must succeed silently.
    async fn admin(&self, args: &[&str]) {
        let out = self.run_as("admin", args).await.ok();
        assert_eq!(out.stdout, "", "koji {args:?}");
    }

    /// Runs a command and compares its output, times masked, with `expected`.
    async fn check(&self, args: &[&str], expected: &str) {
        let out = self.run(args).await.ok();
        assert_eq!(mask_times(&out.stdout), expected, "koji {args:?}");
    }

    /// The newest event.
    async fn last_event(&self) -> i64 {
        let db = self.hub.ctx.pool.get().await.unwrap();
        db.query_one("SELECT max(id) FROM events", &[])
            .await
            .unwrap()
            .get(0)
    }
}

/// Replaces the `time.asctime()` stamps the client prints (`Mon Nov 23 11:49:39 2026`) with
/// `<time>`.
fn mask_times(text: &str) -> String {
    let is_stamp = |s: &str| {
        let b = s.as_bytes();
        b.len() >= 24
            && [3, 7, 10, 19].iter().all(|i| b[*i] == b' ')
            && b[13] == b':'
            && b[16] == b':'
            && b[20..24].iter().all(u8::is_ascii_digit)
    };
    let mut out = String::new();
    for line in text.lines() {
        let masked = match line.find('(') {
            Some(open) if line.starts_with("Querying at event") && is_stamp(&line[open + 1..]) => {
                format!("{}<time>{}", &line[..=open], &line[open + 25..])
            }
            _ if is_stamp(line) => format!("<time>{}", &line[24..]),
            _ => line.to_owned(),
        };
        out.push_str(&masked);
        out.push('\n');
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_targets_packages_groups_and_history() {
    let s = Scenario::start().await;

    // Tags, with a parent, arches and extra options.
    s.admin(&["add-tag", "base", "--arches", "x86_64 aarch64"]).await;
    s.admin(&[
        "add-tag",
        "build",
        "--parent",
        "base",
        "-x",
        "mock.new_chroot=0",
        "-x",
        "rpm.macro.dist=.el9",
    ])
    .await;
    s.admin(&["add-tag", "extras"]).await;
    let before_edits = s.last_event().await;
    s.check(&["list-tags"], "base\nbuild\nextras\n").await;
    s.check(&["list-tags", "b*"], "base\nbuild\n").await;
    s.check(&["list-tags", "BU*", "*tras"], "build\nextras\n").await;
    s.check(
        &["taginfo", "build"],
        "Tag: build [2]\nArches: \nGroups: \nTag options:\n  mock.new_chroot : 0\n  rpm.macro.dist : '.el9'\n\
         Current repo: no active repo\nInheritance:\n  0    .... base [1]\n",
    )
    .await;
    let out = s.run_as("admin", &["add-tag", "build"]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("GenericError: A tag with the name 'build' already exists"),
        "{}",
        out.stderr
    );

    // Edits, and the tag as it was before them.
    s.admin(&[
        "edit-tag",
        "build",
        "--arches",
        "x86_64",
        "--lock",
        "-x",
        "mock.yum.best=1",
        "-x",
        "rpm.macro.dist=.el9_1",
        "-r",
        "mock.new_chroot",
    ])
    .await;
    s.admin(&["edit-tag", "extras", "--rename", "extra-stuff"]).await;
    s.check(
        &["taginfo", "build"],
        "Tag: build [2]\nArches: x86_64\nGroups: \nLOCKED\nTag options:\n  mock.yum.best : 1\n  \
         rpm.macro.dist : '.el9_1'\nCurrent repo: no active repo\nInheritance:\n  0    .... base [1]\n",
    )
    .await;
    s.check(
        &["taginfo", "--event", &before_edits.to_string(), "build"],
        &format!(
            "Querying at event {before_edits} (<time>)\nTag: build [2]\nArches: \nGroups: \nTag options:\n  \
             mock.new_chroot : 0\n  rpm.macro.dist : '.el9'\nInheritance:\n  0    .... base [1]\n"
        ),
    )
    .await;
    let out = s.run(&["taginfo", "nope"]).await;
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("GenericError: No such tagInfo: 'nope'"),
        "{}",
        out.stderr
    );

    // Inheritance.
    s.admin(&[
        "add-tag-inheritance",
        "build",
        "extra-stuff",
        "--priority",
        "10",
        "--maxdepth",
        "2",
        "--pkg-filter",
        "^foo",
    ])
    .await;
    s.check(
        &["list-tag-inheritance", "build"],
        "     build (2)\n....  ├─base (1)\nMF..  └─extra-stuff (3)\n",
    )
    .await;
    s.admin(&[
        "edit-tag-inheritance",
        "build",
        "extra-stuff",
        "--priority",
        "20",
        "--intransitive",
    ])
    .await;
    s.check(
        &["taginfo", "build"],
        "Tag: build [2]\nArches: x86_64\nGroups: \nLOCKED\nTag options:\n  mock.yum.best : 1\n  \
         rpm.macro.dist : '.el9_1'\nCurrent repo: no active repo\nInheritance:\n  0    .... base [1]\n  \
         20   MFI. extra-stuff [3]\n    maxdepth: 2\n    package filter: ^foo\n",
    )
    .await;
    s.check(
        &["list-tag-inheritance", "--reverse", "base"],
        "     base (1)\n....  └─build (2)\n",
    )
    .await;
    s.check(
        &["list-tag-inheritance", "--reverse", "extra-stuff"],
        "     extra-stuff (3)\nMFI.  └─build (2)\n",
    )
    .await;
    s.admin(&["remove-tag-inheritance", "build", "extra-stuff"]).await;
    s.check(
        &["list-tag-inheritance", "build"],
        "     build (2)\n....  └─base (1)\n",
    )
    .await;

    // Build targets.
    s.admin(&["add-target", "t1", "build", "base"]).await;
    let targets_header = "Name                           Buildroot                      Destination                   \n\
         ---------------------------------------------------------------------------------------------\n";
    s.check(
        &["list-targets"],
        &format!(
            "{targets_header}t1                             build                          base                          \n"
        ),
    )
    .await;
    s.check(
        &["taginfo", "base"],
        "Tag: base [1]\nArches: x86_64 aarch64\nGroups: \nTag options:\nTargets that build into this tag:\n  \
         t1 (build, no active repo)\nCurrent repo: no active repo\nInheritance:\n",
    )
    .await;
    s.check(
        &["taginfo", "build"],
        "Tag: build [2]\nArches: x86_64\nGroups: \nLOCKED\nTag options:\n  mock.yum.best : 1\n  \
         rpm.macro.dist : '.el9_1'\nThis tag is a buildroot for one or more targets\n\
         Current repo: no active repo\nTargets that build from this tag:\n  t1\nInheritance:\n  \
         0    .... base [1]\n",
    )
    .await;
    s.admin(&["edit-target", "t1", "--rename", "t2", "--dest-tag", "extra-stuff"])
        .await;
    s.check(
        &["list-targets"],
        &format!(
            "{targets_header}t2                             build                          extra-stuff                   \n"
        ),
    )
    .await;
    s.admin(&["remove-target", "t2"]).await;
    let out = s.run(&["list-targets"]).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("No targets were found"), "{}", out.stderr);

    // Package lists: inherited, blocked, unblocked, removed.
    let out = s
        .run_as(
            "admin",
            &[
                "add-pkg",
                "--owner",
                "admin",
                "base",
                "pkg1",
                "pkg2",
                "--extra-arches",
                "i686",
            ],
        )
        .await
        .ok();
    assert_eq!(out.stdout, "Adding 2 packages to tag base\n");
    let packages_header = "Package                 Tag                     Extra Arches     Owner          \n\
         ----------------------- ----------------------- ---------------- ---------------\n";
    let pkg1 = "pkg1                    base                    i686             admin          \n";
    let pkg2 = "pkg2                    base                    i686             admin          \n";
    s.check(
        &["list-pkgs", "--tag", "build"],
        &format!("{packages_header}{pkg1}{pkg2}"),
    )
    .await;
    // The locked tag refuses a packager; an admin may change it.
    let out = s.run_as("packager", &["block-pkg", "build", "pkg1"]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("ActionNotAllowed: tag build is locked"),
        "{}",
        out.stderr
    );
    s.admin(&["block-pkg", "build", "pkg1"]).await;
    s.check(
        &["list-pkgs", "--tag", "build"],
        &format!("{packages_header}{pkg2}"),
    )
    .await;
    s.check(
        &["list-pkgs", "--tag", "build", "--show-blocked"],
        &format!(
            "{packages_header}pkg1                    build                   i686             admin           \
             [BLOCKED]\n{pkg2}"
        ),
    )
    .await;
    s.admin(&["unblock-pkg", "build", "pkg1"]).await;
    s.check(
        &["list-pkgs", "--tag", "build"],
        &format!("{packages_header}{pkg1}{pkg2}"),
    )
    .await;
    s.admin(&["remove-pkg", "base", "pkg2"]).await;
    s.check(
        &["list-pkgs", "--package", "pkg1"],
        &format!("{packages_header}{pkg1}"),
    )
    .await;

    // Comps groups.
    s.admin(&["add-group", "build", "build-grp"]).await;
    s.admin(&["add-group-pkg", "build", "build-grp", "bash", "make"])
        .await;
    s.check(
        &["list-groups", "build"],
        "build-grp  [build]\n  bash: None, mandatory  [build]\n  make: None, mandatory  [build]\n",
    )
    .await;

    // History, by tag and by package.
    s.check(
        &["list-history", "--tag", "build"],
        "<time> new tag: build by admin\n\
         <time> added tag option mock.new_chroot for tag build by admin\n\
         <time> added tag option rpm.macro.dist for tag build by admin\n\
         <time> inheritance line build->base added by admin [still active]\n\
         <time> tag configuration for build altered by admin [still active]\n\
         \x20   arches:  -> x86_64\n\
         \x20   locked: False -> True\n\
         <time> tag option mock.new_chroot removed for build by admin\n\
         <time> tag option rpm.macro.dist for tag build altered by admin [still active]\n\
         \x20   value: \".el9\" -> \".el9_1\"\n\
         <time> added tag option mock.yum.best for tag build by admin [still active]\n\
         <time> inheritance line build->extra-stuff added by admin\n\
         <time> inheritance line build->extra-stuff updated by admin\n\
         \x20   intransitive: False -> True\n\
         \x20   priority: 10 -> 20\n\
         <time> inheritance line build->extra-stuff removed by admin\n\
         <time> package owner admin set for pkg1 in build by admin [still active]\n\
         <time> package list entry created: pkg1 in build by admin\n\
         <time> package list entry revoked: pkg1 in build by admin\n\
         <time> group build-grp added to tag build by admin [still active]\n\
         <time> package bash added to group build-grp in tag build by admin [still active]\n\
         <time> package make added to group build-grp in tag build by admin [still active]\n",
    )
    .await;
    s.check(
        &["list-history", "--package", "pkg1"],
        "<time> package owner admin set for pkg1 in base by admin [still active]\n\
         <time> package list entry created: pkg1 in base by admin [still active]\n\
         <time> package owner admin set for pkg1 in build by admin [still active]\n\
         <time> package list entry created: pkg1 in build by admin\n\
         <time> package list entry revoked: pkg1 in build by admin\n",
    )
    .await;

    // Deleting a tag revokes what refers to it; its history stays.
    s.admin(&["remove-tag", "extra-stuff"]).await;
    s.check(&["list-tags"], "base\nbuild\n").await;
    s.check(
        &["list-history", "--tag", "extra-stuff"],
        "<time> new tag: extra-stuff by admin\n\
         <time> inheritance line build->extra-stuff added by admin\n\
         <time> inheritance line build->extra-stuff updated by admin\n\
         \x20   intransitive: False -> True\n\
         \x20   priority: 10 -> 20\n\
         <time> inheritance line build->extra-stuff removed by admin\n\
         <time> new build target: t2 by admin\n\
         <time> build target deleted: t2 by admin\n\
         <time> tag deleted: extra-stuff by admin\n",
    )
    .await;
}

#[test]
fn times_are_masked() {
    assert_eq!(
        mask_times("Mon Nov 23 11:49:39 2026 new tag: build by admin\nTag: x\n"),
        "<time> new tag: build by admin\nTag: x\n"
    );
    assert_eq!(
        mask_times("Querying at event 5 (Mon Nov 23 11:50:56 2026)\n"),
        "Querying at event 5 (<time>)\n"
    );
}
