//! Test fixtures for tag contents until builds can be imported: real RPM files made with
//! `rpmbuild` (empty packages with `Requires:`), and `package`, `build`, `rpminfo` and
//! `tag_listing` rows written straight into the database, with the files placed under
//! `topdir/packages/…` where Koji keeps them.
//!
//! FIXME: replace with `CGImport`/`importRPM` and `tagBuild` once the builds area lands.

#![expect(clippy::expect_used, reason = "test support fails loudly, by design")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::db::{self, Pool};

/// An RPM to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmSpec {
    /// The package (and build) name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Release.
    pub release: String,
    /// `noarch` or the machine's arch.
    pub arch: String,
    /// `Requires:` lines.
    pub requires: Vec<String>,
}

impl RpmSpec {
    /// A noarch package without requirements.
    pub fn noarch(name: &str, version: &str, release: &str) -> RpmSpec {
        RpmSpec {
            name: name.to_owned(),
            version: version.to_owned(),
            release: release.to_owned(),
            arch: "noarch".to_owned(),
            requires: Vec::new(),
        }
    }

    /// The file name rpmbuild gives it.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}.{}.rpm",
            self.name, self.version, self.release, self.arch
        )
    }
}

/// An RPM file with the header values `rpminfo` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltRpm {
    /// What was asked for.
    pub spec: RpmSpec,
    /// The file.
    pub path: PathBuf,
    /// The header's SIGMD5, in hex.
    pub payloadhash: String,
    /// The header's BUILDTIME.
    pub buildtime: i64,
    /// The file size.
    pub size: i64,
}

/// Makes the RPMs with one `rpmbuild -bb` per version-release (each package is a
/// subpackage of a throwaway spec), in `dir`.
pub fn make_rpms(dir: &Path, specs: &[RpmSpec]) -> Vec<BuiltRpm> {
    let mut groups: BTreeMap<(String, String), Vec<&RpmSpec>> = BTreeMap::new();
    for spec in specs {
        groups
            .entry((spec.version.clone(), spec.release.clone()))
            .or_default()
            .push(spec);
    }
    let mut built = Vec::new();
    for (n, ((version, release), group)) in groups.into_iter().enumerate() {
        let top = dir.join(format!("rpmbuild-{n}"));
        std::fs::create_dir_all(top.join("SPECS")).expect("rpmbuild dir");
        let mut text = format!(
            "Name: kiln-fixture\nVersion: {version}\nRelease: {release}\nSummary: fixture\nLicense: MIT\n\n\
             %description\nfixture\n\n"
        );
        for spec in &group {
            text.push_str(&format!("%package -n {}\nSummary: {}\n", spec.name, spec.name));
            if spec.arch == "noarch" {
                text.push_str("BuildArch: noarch\n");
            }
            for req in &spec.requires {
                text.push_str(&format!("Requires: {req}\n"));
            }
            text.push_str(&format!(
                "\n%description -n {}\n{} fixture\n\n%files -n {}\n\n",
                spec.name, spec.name, spec.name
            ));
        }
        let spec_path = top.join("SPECS/fixture.spec");
        std::fs::write(&spec_path, text).expect("write spec");
        let output = Command::new("rpmbuild")
            .arg("-bb")
            .arg("--quiet")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .arg("--define")
            .arg("_build_id_links none")
            .arg(&spec_path)
            .output()
            .expect("run rpmbuild");
        assert!(
            output.status.success(),
            "rpmbuild failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let paths: Vec<PathBuf> = group
            .iter()
            .map(|s| top.join("RPMS").join(&s.arch).join(s.file_name()))
            .collect();
        let query = Command::new("rpm")
            .arg("-qp")
            .arg("--nosignature")
            .arg("--qf")
            .arg("%{SIGMD5} %{BUILDTIME}\\n")
            .args(&paths)
            .output()
            .expect("run rpm");
        assert!(query.status.success(), "rpm -qp failed");
        let text = String::from_utf8_lossy(&query.stdout).into_owned();
        for ((spec, path), line) in group.iter().zip(paths).zip(text.lines()) {
            let mut parts = line.split_whitespace();
            let payloadhash = parts.next().unwrap_or_default().to_owned();
            let buildtime = parts.next().and_then(|t| t.parse().ok()).unwrap_or(0);
            let size = i64::try_from(std::fs::metadata(&path).expect("rpm file").len()).unwrap_or(0);
            built.push(BuiltRpm {
                spec: (*spec).clone(),
                path,
                payloadhash,
                buildtime,
                size,
            });
        }
    }
    built
}

/// Records a COMPLETE build of one RPM (package = RPM name) owned by `owner`, and places the
/// file under `topdir/packages/<n>/<v>/<r>/<arch>/`. Returns the build id.
pub async fn insert_build(pool: &Pool, topdir: &Path, owner: i64, rpm: &BuiltRpm) -> i64 {
    let client = pool.get().await.expect("pool");
    let client = db::Client::of(&client);
    let spec = &rpm.spec;
    let package_id: i64 = client
        .query_one(
            "INSERT INTO package (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name \
             RETURNING id",
            &[&spec.name],
        )
        .await
        .expect("package")
        .get(0);
    let build_id: i64 = client
        .query_one(
            "INSERT INTO build (pkg_id, version, release, state, owner, start_time, completion_time) \
             VALUES ($1, $2, $3, 1, $4, NOW(), NOW()) RETURNING id",
            &[&package_id, &spec.version, &spec.release, &owner],
        )
        .await
        .expect("build")
        .get(0);
    client
        .execute(
            "INSERT INTO build_types (build_id, btype_id) VALUES ($1, 1)",
            &[&build_id],
        )
        .await
        .expect("build type");
    client
        .execute(
            "INSERT INTO rpminfo (build_id, name, version, release, arch, draft, external_repo_id, \
             payloadhash, size, buildtime) VALUES ($1, $2, $3, $4, $5, FALSE, 0, $6, $7, $8)",
            &[
                &build_id,
                &spec.name,
                &spec.version,
                &spec.release,
                &spec.arch,
                &rpm.payloadhash,
                &rpm.size,
                &rpm.buildtime,
            ],
        )
        .await
        .expect("rpminfo");
    let dir = topdir
        .join("packages")
        .join(&spec.name)
        .join(&spec.version)
        .join(&spec.release)
        .join(&spec.arch);
    std::fs::create_dir_all(&dir).expect("packages dir");
    let target = dir.join(spec.file_name());
    if std::fs::hard_link(&rpm.path, &target).is_err() {
        std::fs::copy(&rpm.path, &target).expect("copy rpm");
    }
    build_id
}

/// Tags a build into a tag as `user` (a `tag_listing` row at a new event).
pub async fn tag_build(pool: &Pool, tag_id: i64, build_id: i64, user: i64) {
    let client = pool.get().await.expect("pool");
    client
        .execute(
            "INSERT INTO tag_listing (build_id, tag_id, creator_id) VALUES ($1, $2, $3)",
            &[&build_id, &tag_id, &user],
        )
        .await
        .expect("tag build");
}

/// Untags a build (revokes its `tag_listing` row at a new event).
pub async fn untag_build(pool: &Pool, tag_id: i64, build_id: i64, user: i64) {
    let client = pool.get().await.expect("pool");
    client
        .execute(
            "UPDATE tag_listing SET active = NULL, revoke_event = get_event(), revoker_id = $3 \
             WHERE build_id = $1 AND tag_id = $2 AND active IS TRUE",
            &[&build_id, &tag_id, &user],
        )
        .await
        .expect("untag build");
}

/// The id of a tag, by name.
pub async fn tag_id(pool: &Pool, name: &str) -> i64 {
    let client = pool.get().await.expect("pool");
    client
        .query_one("SELECT id FROM tag WHERE name = $1", &[&name])
        .await
        .expect("tag")
        .get(0)
}

/// The id of a user, by name.
pub async fn user_id(pool: &Pool, name: &str) -> i64 {
    let client = pool.get().await.expect("pool");
    client
        .query_one("SELECT id FROM users WHERE name = $1", &[&name])
        .await
        .expect("user")
        .get(0)
}

/// Records a live (BUILDING, not retired) standard buildroot of `host_id` for `task_id` that
/// uses `repo_id`, as `host.newBuildRoot` will. Returns its id.
pub async fn insert_buildroot(pool: &Pool, host_id: i64, repo_id: i64, task_id: i64) -> i64 {
    let client = pool.get().await.expect("pool");
    let buildroot_id: i64 = client
        .query_one(
            "INSERT INTO buildroot (br_type, container_type, container_arch) VALUES (0, 'chroot', 'x86_64') \
             RETURNING id",
            &[],
        )
        .await
        .expect("buildroot")
        .get(0);
    client
        .execute(
            "INSERT INTO standard_buildroot (buildroot_id, host_id, repo_id, task_id, state) \
             VALUES ($1, $2, $3, $4, 2)",
            &[&buildroot_id, &host_id, &repo_id, &task_id],
        )
        .await
        .expect("standard buildroot");
    buildroot_id
}
