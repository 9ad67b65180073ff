//! Tiny rpms for tests (the `testing` feature): a spec written to a temp directory and built
//! with `rpmbuild -ba`, giving a source rpm and a noarch binary rpm, plus header values read
//! back with `rpm -qp` to check what the hub stored.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support fails loudly, by design"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A built package: its source and binary rpm.
#[derive(Debug, Clone)]
pub struct BuiltRpms {
    /// `NAME-VERSION-RELEASE.src.rpm`.
    pub srpm: PathBuf,
    /// `NAME-VERSION-RELEASE.noarch.rpm`.
    pub rpm: PathBuf,
}

/// Builds `name-version-release` (noarch, one text file, one changelog entry) under `dir`.
pub fn build_noarch(dir: &Path, name: &str, version: &str, release: &str) -> BuiltRpms {
    let top = dir.join(format!("rpmbuild-{name}-{version}-{release}"));
    std::fs::create_dir_all(&top).unwrap();
    let spec = top.join(format!("{name}.spec"));
    std::fs::write(
        &spec,
        format!(
            "Name: {name}\nVersion: {version}\nRelease: {release}\nSummary: Kiln test package {name}\n\
             License: MIT\nBuildArch: noarch\n\n%description\nA tiny package for Kiln's tests.\n\n\
             %install\nmkdir -p %{{buildroot}}/usr/share/{name}\necho {name} > %{{buildroot}}/usr/share/{name}/{name}.txt\n\n\
             %files\n/usr/share/{name}/{name}.txt\n\n%changelog\n\
             * Mon Jan 01 2024 Kiln Tests <tests@example.com> - {version}-{release}\n- Built for a test\n"
        ),
    )
    .unwrap();
    let output = Command::new("rpmbuild")
        .arg("-ba")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .arg(&spec)
        .output()
        .expect("run rpmbuild (is it installed?)");
    assert!(
        output.status.success(),
        "rpmbuild failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    BuiltRpms {
        srpm: top.join(format!("SRPMS/{name}-{version}-{release}.src.rpm")),
        rpm: top.join(format!("RPMS/noarch/{name}-{version}-{release}.noarch.rpm")),
    }
}

/// A header value as `rpm -qp --qf` prints it (e.g. `%{SIGMD5}`).
pub fn query(path: &Path, format: &str) -> String {
    let output = Command::new("rpm")
        .arg("-qp")
        .arg("--qf")
        .arg(format)
        .arg(path)
        .output()
        .expect("run rpm");
    assert!(output.status.success(), "rpm -qp failed");
    String::from_utf8(output.stdout).unwrap()
}

/// Signs rpms in place with a fresh passphrase-less key kept under `dir` (`rpmsign
/// --addsign` with gpg) and returns the key's short id, as Koji records it.
pub fn sign(dir: &Path, rpms: &[&Path]) -> String {
    let home = dir.join("gnupg");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let params = dir.join("key-params");
    std::fs::write(
        &params,
        "%no-protection\nKey-Type: RSA\nKey-Length: 2048\nName-Real: Kiln Test\n\
         Name-Email: kiln-tests@example.com\nExpire-Date: 0\n%commit\n",
    )
    .unwrap();
    let run = |command: &mut Command| {
        let output = command.env("GNUPGHOME", &home).output().expect("run gpg tools");
        assert!(
            output.status.success(),
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    run(Command::new("gpg").arg("--batch").arg("--gen-key").arg(&params));
    let listing = run(Command::new("gpg").arg("--list-keys").arg("--with-colons"));
    let key_id = listing
        .lines()
        .find(|l| l.starts_with("pub:"))
        .and_then(|l| l.split(':').nth(4))
        .unwrap()
        .to_lowercase();
    for rpm in rpms {
        run(Command::new("rpmsign")
            .arg("--addsign")
            .arg("--define")
            .arg("__gpg /usr/bin/gpg")
            .arg("--define")
            .arg("_gpg_name kiln-tests@example.com")
            .arg(rpm));
    }
    // gpg started an agent for this home; it must not outlive the test.
    run(Command::new("gpgconf").arg("--kill").arg("gpg-agent"));
    key_id[key_id.len() - 8..].to_owned()
}
