//! Build fixtures the tests make themselves (buildroot.md §6): bare git repositories holding
//! tiny packages, the binary RPMs a build tag's repo starts from (`build-tools`, which only
//! provides the host's tools by name, and `libfoo-devel`), and a `createrepo_c` repo with the
//! comps groups `build` and `srpm-build`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A bare git repository with one commit.
#[derive(Debug, Clone)]
pub struct GitPackage {
    /// The bare repository.
    pub path: PathBuf,
    /// The commit holding the package.
    pub commit: String,
}

impl GitPackage {
    /// `git+file:///…/NAME.git#COMMIT`.
    pub fn url(&self) -> String {
        format!("git+file://{}#{}", self.path.display(), self.commit)
    }
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("run a fixture command");
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn git(dir: &Path, args: &[&str]) -> String {
    run(Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Kiln Tests")
        .env("GIT_AUTHOR_EMAIL", "tests@kiln.invalid")
        .env("GIT_COMMITTER_NAME", "Kiln Tests")
        .env("GIT_COMMITTER_EMAIL", "tests@kiln.invalid"))
}

/// Creates `dir/NAME.git`, a bare repository with one commit holding `files` at its top.
pub fn git_package(dir: &Path, name: &str, files: &[(&str, String)]) -> GitPackage {
    let work = dir.join(format!("{name}-work"));
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    for (file, text) in files {
        std::fs::write(work.join(file), text).unwrap();
    }
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", &format!("{name} fixture")]);
    let commit = git(&work, &["rev-parse", "HEAD"]).trim().to_owned();
    let bare = dir.join(format!("{name}.git"));
    run(Command::new("git")
        .args(["clone", "-q", "--bare"])
        .arg(&work)
        .arg(&bare));
    std::fs::remove_dir_all(&work).unwrap();
    GitPackage { path: bare, commit }
}

fn spec(name: &str, header: &str, sections: &str) -> String {
    format!(
        "Name: {name}\nVersion: 1.0\nRelease: 1%{{?dist}}\nSummary: {name} test fixture\n\
         License: MIT\n{header}\n%description\nThe {name} test fixture.\n\n{sections}"
    )
}

/// A noarch package installing a text file from its sources.
pub fn noarch_package(dir: &Path, name: &str) -> GitPackage {
    let text = spec(
        name,
        "BuildArch: noarch\nSource0: greeting.txt",
        "%prep\n%build\n\n%install\nmkdir -p %{buildroot}/usr/share/NAME\n\
         install -m 644 %{SOURCE0} %{buildroot}/usr/share/NAME/greeting.txt\n\n\
         %files\n/usr/share/NAME\n"
            .replace("NAME", name)
            .as_str(),
    );
    git_package(
        dir,
        name,
        &[
            (&format!("{name}.spec"), text),
            ("greeting.txt", format!("Hello from {name}.\n")),
        ],
    )
}

/// An arch-specific C program (`BuildRequires: gcc`).
pub fn c_package(dir: &Path, name: &str) -> GitPackage {
    let text = spec(
        name,
        "BuildRequires: gcc\nSource0: main.c",
        "%prep\ncp %{SOURCE0} .\n%build\ngcc -O2 -o NAME main.c\n\n%install\n\
         install -D -m 755 NAME %{buildroot}/usr/bin/NAME\n\n%files\n/usr/bin/NAME\n"
            .replace("NAME", name)
            .as_str(),
    );
    git_package(
        dir,
        name,
        &[
            (&format!("{name}.spec"), text),
            (
                "main.c",
                "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n".to_owned(),
            ),
        ],
    )
}

/// A C program that includes `<foo.h>` from `libfoo-devel >= 2.0`.
pub fn libfoo_user_package(dir: &Path, name: &str) -> GitPackage {
    let text = spec(
        name,
        "BuildRequires: gcc\nBuildRequires: libfoo-devel >= 2.0\nSource0: main.c",
        "%prep\ncp %{SOURCE0} .\n%build\ngcc -O2 -o NAME main.c\n\n%install\n\
         install -D -m 755 NAME %{buildroot}/usr/bin/NAME\n\n%files\n/usr/bin/NAME\n"
            .replace("NAME", name)
            .as_str(),
    );
    git_package(
        dir,
        name,
        &[
            (&format!("{name}.spec"), text),
            (
                "main.c",
                "#include <stdio.h>\n#include <foo.h>\nint main(void) { printf(\"%d\\n\", FOO_VERSION_MAJOR); return 0; }\n"
                    .to_owned(),
            ),
        ],
    )
}

/// `libfoo` at `version`: a noarch `libfoo-devel` subpackage with `/usr/include/foo.h`
/// (as a git package, to be built by the system under test).
pub fn libfoo_spec(version: &str) -> String {
    let major = version.split('.').next().unwrap_or("0");
    format!(
        "Name: libfoo\nVersion: {version}\nRelease: 1%{{?dist}}\nSummary: libfoo\nLicense: MIT\n\
         BuildArch: noarch\n\n%description\nlibfoo.\n\n\
         %package devel\nSummary: libfoo headers\n\n%description devel\nlibfoo headers.\n\n\
         %prep\n%build\n%install\nmkdir -p %{{buildroot}}/usr/include\n\
         echo '#define FOO_VERSION_MAJOR {major}' > %{{buildroot}}/usr/include/foo.h\n\n\
         %files devel\n/usr/include/foo.h\n"
    )
}

/// The libfoo package in git.
pub fn libfoo_package(dir: &Path, version: &str) -> GitPackage {
    git_package(dir, "libfoo", &[("libfoo.spec", libfoo_spec(version))])
}

/// A package that BuildRequires something no repo has.
pub fn missing_br_package(dir: &Path, name: &str) -> GitPackage {
    let text = spec(
        name,
        "BuildArch: noarch\nBuildRequires: does-not-exist-devel",
        "%prep\n%build\n%install\n%files\n",
    );
    git_package(dir, name, &[(&format!("{name}.spec"), text)])
}

/// A package whose `%build` fails.
pub fn failing_build_package(dir: &Path, name: &str) -> GitPackage {
    let text = spec(
        name,
        "BuildArch: noarch",
        "%prep\n%build\necho 'about to fail on purpose'\nexit 3\n%install\n%files\n",
    );
    git_package(dir, name, &[(&format!("{name}.spec"), text)])
}

/// A package whose `%build` connects to `127.0.0.1:port` and fails unless it cannot.
/// If it could connect, the build succeeds; a sandbox without network makes it fail.
pub fn network_package(dir: &Path, name: &str, port: u16) -> GitPackage {
    let text = spec(
        name,
        "BuildArch: noarch",
        &format!(
            "%prep\n%build\n\
             if bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}'; then echo 'network reached'; else \
             echo 'no network'; exit 1; fi\n%install\n%files\n"
        ),
    );
    git_package(dir, name, &[(&format!("{name}.spec"), text)])
}

/// A package whose `%build` sleeps `seconds` (a marker to find the process by), for
/// cancellation and timeout tests.
pub fn sleeping_package(dir: &Path, name: &str, seconds: &str) -> GitPackage {
    let text = spec(
        name,
        "BuildArch: noarch",
        &format!("%prep\n%build\nsleep {seconds}\n%install\n%files\n"),
    );
    git_package(dir, name, &[(&format!("{name}.spec"), text)])
}

/// The spec of `build-tools`: noarch, empty, `Provides` the host tools BuildRequires name.
pub fn build_tools_spec() -> String {
    spec(
        "build-tools",
        "BuildArch: noarch\nProvides: gcc gcc-c++ make bash coreutils sed grep gawk tar gzip \
         findutils diffutils patch rpm-build redhat-rpm-config",
        "%prep\n%build\n%install\n%files\n",
    )
}

/// Builds binary RPMs from a spec on the host (`rpmbuild -bb`), for seeding tag repos.
pub fn rpmbuild_binary(dir: &Path, spec_text: &str, dist: &str) -> Vec<PathBuf> {
    rpmbuild_seed(dir, spec_text, dist).1
}

/// Builds the SRPM and the binary RPMs of a spec on the host (`rpmbuild -ba`), for seeding a
/// hub with `koji import`.
pub fn rpmbuild_seed(dir: &Path, spec_text: &str, dist: &str) -> (PathBuf, Vec<PathBuf>) {
    let top = dir.join(format!("seed-{}", std::process::id()));
    let specs = top.join("SPECS");
    std::fs::create_dir_all(&specs).unwrap();
    let spec_path = specs.join("seed.spec");
    std::fs::write(&spec_path, spec_text).unwrap();
    run(Command::new("rpmbuild")
        .arg("-ba")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .arg("--define")
        .arg(format!("dist {dist}"))
        .arg("--define")
        .arg("_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm")
        .arg(&spec_path));
    let out = dir.join("seed-rpms");
    std::fs::create_dir_all(&out).unwrap();
    let take = |sub: &str| -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(top.join(sub))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found
            .iter()
            .map(|rpm| {
                let target = out.join(rpm.file_name().unwrap());
                std::fs::rename(rpm, &target).unwrap();
                target
            })
            .collect()
    };
    let srpm = take("SRPMS").into_iter().next().expect("an srpm");
    let rpms = take("RPMS");
    std::fs::remove_dir_all(&top).unwrap();
    (srpm, rpms)
}

/// The comps file of a build tag: groups `build` and `srpm-build` with `packages`.
pub fn comps_xml(packages: &[&str]) -> String {
    let list: String = packages
        .iter()
        .map(|p| format!("      <packagereq type=\"mandatory\">{p}</packagereq>\n"))
        .collect();
    let group = |id: &str| {
        format!(
            "  <group>\n    <id>{id}</id>\n    <name>{id}</name>\n    <description/>\n    \
             <default>false</default>\n    <uservisible>true</uservisible>\n    <packagelist>\n\
             {list}    </packagelist>\n  </group>\n"
        )
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE comps PUBLIC \"-//Red Hat, Inc.//DTD Comps info//EN\" \"comps.dtd\">\n<comps>\n{}{}</comps>\n",
        group("build"),
        group("srpm-build")
    )
}

/// Makes `dir` a yum repo of `rpms` (copied in) with comps groups `build` and `srpm-build`
/// holding `build-tools`; returns its `file://` URL.
pub fn create_repo(dir: &Path, rpms: &[PathBuf]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    for rpm in rpms {
        std::fs::copy(rpm, dir.join(rpm.file_name().unwrap())).unwrap();
    }
    let comps = dir.join("comps.xml");
    std::fs::write(&comps, comps_xml(&["build-tools"])).unwrap();
    run(Command::new("createrepo_c")
        .arg("-q")
        .arg("-g")
        .arg(&comps)
        .arg(dir));
    format!("file://{}", dir.display())
}

/// A tag repo holding `build-tools` and, if given, `libfoo-devel` at `libfoo_version`.
pub fn seed_repo(dir: &Path, libfoo_version: Option<&str>) -> String {
    let mut rpms = rpmbuild_binary(dir, &build_tools_spec(), ".seed");
    if let Some(version) = libfoo_version {
        rpms.extend(rpmbuild_binary(dir, &libfoo_spec(version), ".seed"));
    }
    create_repo(&dir.join("repo"), &rpms)
}
