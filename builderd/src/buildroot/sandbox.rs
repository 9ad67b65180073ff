//! The sandbox backend (buildroot.md §3–§4). A buildroot is a directory holding:
//!
//! - `root/`: a dnf installroot populated from the tag's repo (only its rpmdb and the files
//!   of its packages matter: they are overlaid on the host's `/usr`);
//! - `build/`: the writable tree seen as `/builddir`;
//! - `etc/`: the generated `passwd`, `group` and `hosts`;
//! - `home/`: the `HOME` dnf and rpm run with outside the sandbox (its `.rpmmacros` points
//!   the rpmdb at `/var/lib/rpm` inside the installroot);
//! - `usr/`: the mount point of the read-only overlay `root/usr` over the host's `/usr`.
//!
//! A command runs as `unshare --mount` (a private mount namespace holding the overlay), then
//! `bwrap` with every namespace unshared (no network: only a loopback that is down), uid 1000,
//! its own PID 1, a tmpfs `/` with the overlay as `/usr`, a minimal `/etc` and a clean
//! environment.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::buildroot::backend::{Buildroot, BuildrootError};
use crate::buildroot::command::{Cancel, Limits, run_logged};
use crate::buildroot::packages::{InstalledPackage, QUERY_FORMAT, parse_query};

/// The user builds run as inside the sandbox.
const BUILD_UID: &str = "1000";

/// A sandbox buildroot.
#[derive(Debug)]
pub struct Sandbox {
    /// The buildroot's directory.
    dir: PathBuf,
    /// The dnf installroot.
    root: PathBuf,
    /// `/builddir`.
    build: PathBuf,
    /// The repo packages are installed from (`file://` or `http(s)://`).
    repo_url: String,
    /// Limits of commands run inside.
    limits: Limits,
    /// Kills the running command when set.
    cancel: Cancel,
    /// Install modular packages (those with a modularity label) as ordinary ones: the build
    /// tag's `mock.yum.module_hotfixes`, which module build tags set.
    module_hotfixes: bool,
}

impl Sandbox {
    /// A buildroot in `dir` (created by `init`) installing from `repo_url`.
    pub fn new(dir: &Path, repo_url: &str, limits: Limits, cancel: Cancel) -> Sandbox {
        Sandbox {
            dir: dir.to_path_buf(),
            root: dir.join("root"),
            build: dir.join("build"),
            repo_url: repo_url.to_owned(),
            limits,
            cancel,
            module_hotfixes: false,
        }
    }

    /// Sets `module_hotfixes` on the buildroot's repo (see the field).
    #[must_use]
    pub fn with_module_hotfixes(mut self, on: bool) -> Sandbox {
        self.module_hotfixes = on;
        self
    }

    /// The buildroot's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn home(&self) -> PathBuf {
        self.dir.join("home")
    }

    fn etc(&self) -> PathBuf {
        self.dir.join("etc")
    }

    fn overlay(&self) -> PathBuf {
        self.dir.join("usr")
    }

    /// The bwrap arguments up to the command.
    fn bwrap_args(&self) -> Vec<String> {
        let path = |p: PathBuf| p.display().to_string();
        let mut args: Vec<String> = [
            "bwrap",
            "--unshare-all",
            "--unshare-user",
            "--uid",
            BUILD_UID,
            "--gid",
            BUILD_UID,
            "--hostname",
            "buildhost",
            "--die-with-parent",
            "--new-session",
            "--as-pid-1",
            "--tmpfs",
            "/",
        ]
        .map(str::to_owned)
        .to_vec();
        let pair = |args: &mut Vec<String>, flag: &str, source: String, dest: &str| {
            args.extend([flag.to_owned(), source, dest.to_owned()]);
        };
        pair(&mut args, "--ro-bind", path(self.overlay()), "/usr");
        for (link, target) in [
            ("/bin", "usr/bin"),
            ("/sbin", "usr/sbin"),
            ("/lib", "usr/lib"),
            ("/lib64", "usr/lib64"),
        ] {
            pair(&mut args, "--symlink", target.to_owned(), link);
        }
        for name in ["passwd", "group", "hosts"] {
            pair(
                &mut args,
                "--ro-bind",
                path(self.etc().join(name)),
                &format!("/etc/{name}"),
            );
        }
        for shared in ["/etc/alternatives", "/etc/ld.so.cache"] {
            if Path::new(shared).exists() {
                pair(&mut args, "--ro-bind", shared.to_owned(), shared);
            }
        }
        args.extend(
            [
                "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp",
            ]
            .map(str::to_owned),
        );
        pair(&mut args, "--bind", path(self.build.clone()), "/builddir");
        pair(
            &mut args,
            "--ro-bind",
            path(self.root.join("var/lib/rpm")),
            "/var/lib/rpm",
        );
        args.push("--clearenv".into());
        for (name, value) in [
            ("HOME", "/builddir"),
            ("PATH", "/usr/bin:/usr/sbin"),
            ("LANG", "C.UTF-8"),
            ("USER", "mockbuild"),
            ("LOGNAME", "mockbuild"),
        ] {
            pair(&mut args, "--setenv", name.to_owned(), value);
        }
        args.extend(["--chdir", "/builddir", "--"].map(str::to_owned));
        args
    }

    /// `dnf` against the repo, with the installroot's rpmdb at `/var/lib/rpm`.
    fn dnf(&self) -> Command {
        let mut command = Command::new("dnf");
        command
            .env("HOME", self.home())
            .arg("-y")
            .arg(format!("--installroot={}", self.root.display()))
            .args([
                "--releasever=1",
                "--setopt=reposdir=/dev/null",
                "--setopt=install_weak_deps=0",
                "--disableplugin=*",
            ])
            // A cache of this buildroot's own: a shared one keyed by repo id and URL would
            // serve stale metadata when a hub reuses a repo URL (a new hub on the same port).
            .arg(format!(
                "--setopt=cachedir={}",
                self.dir.join("dnf-cache").display()
            ))
            .arg(format!("--repofrompath=build,{}", self.repo_url))
            .args([
                "--setopt=build.gpgcheck=0",
                "--setopt=build.skip_if_unavailable=0",
            ]);
        if self.module_hotfixes {
            command.arg("--setopt=build.module_hotfixes=1");
        }
        command
    }
}

fn write(path: &Path, text: &str) -> Result<(), BuildrootError> {
    std::fs::write(path, text).map_err(|e| BuildrootError::io("write", path, e))
}

fn create_dir(path: &Path) -> Result<(), BuildrootError> {
    std::fs::create_dir_all(path).map_err(|e| BuildrootError::io("create", path, e))
}

impl Buildroot for Sandbox {
    fn init(&mut self) -> Result<(), BuildrootError> {
        let text = self.dir.display().to_string();
        if text.contains([',', ':', '\n']) {
            return Err(BuildrootError::Setup(format!(
                "the buildroot directory {text} holds a character an overlay mount cannot take"
            )));
        }
        for dir in [
            self.root.join("usr"),
            self.root.join("var/lib/rpm"),
            self.build.clone(),
            self.home(),
            self.etc(),
            self.overlay(),
        ] {
            create_dir(&dir)?;
        }
        write(&self.home().join(".rpmmacros"), "%_dbpath /var/lib/rpm\n")?;
        write(
            &self.etc().join("passwd"),
            "root:x:0:0:root:/root:/bin/sh\nmockbuild:x:1000:1000:Mock Build User:/builddir:/bin/sh\n\
             nobody:x:65534:65534:Nobody:/:/usr/sbin/nologin\n",
        )?;
        write(
            &self.etc().join("group"),
            "root:x:0:\nmock:x:1000:\nmockbuild:x:1000:\nnogroup:x:65534:\n",
        )?;
        write(
            &self.etc().join("hosts"),
            "127.0.0.1 localhost buildhost\n::1 localhost buildhost\n",
        )
    }

    fn install(&mut self, groups: &[&str], extra: &[String], log: &Path) -> Result<(), BuildrootError> {
        let mut command = self.dnf();
        command.arg("install");
        command.args(groups.iter().map(|group| format!("@{group}")));
        command.args(extra);
        let mut line = format!("Installing from {}:", self.repo_url);
        for group in groups {
            line.push_str(&format!(" @{group}"));
        }
        for spec in extra {
            line.push_str(&format!(" '{spec}'"));
        }
        append(log, &line)?;
        run_logged("dnf", command, log, &Limits::none(), &self.cancel)
    }

    fn run(&self, argv: &[String], log: &Path) -> Result<(), BuildrootError> {
        let program = argv.first().cloned().unwrap_or_default();
        let lower = format!("lowerdir={}:/usr", self.root.join("usr").display());
        let mut command = Command::new("unshare");
        if nix::unistd::geteuid().is_root() {
            command.args(["--mount", "--propagation", "private"]);
        } else {
            command.args(["--user", "--map-root-user", "--mount", "--propagation", "private"]);
        }
        command
            .args([
                "--",
                "/bin/sh",
                "-c",
                "mount -t overlay -o \"ro,$1\" overlay \"$2\" && shift 2 && exec \"$@\"",
                "sh",
            ])
            .arg(lower)
            .arg(self.overlay())
            .args(self.bwrap_args())
            .args(argv);
        append(log, &format!("Running in the buildroot: {}", argv.join(" ")))?;
        run_logged(&program, command, log, &self.limits, &self.cancel)
    }

    fn package_list(&self) -> Result<Vec<InstalledPackage>, BuildrootError> {
        let output = Command::new("rpm")
            .env("HOME", self.home())
            .arg("--root")
            .arg(&self.root)
            .args(["--dbpath", "/var/lib/rpm", "-qa", "--queryformat", QUERY_FORMAT])
            .output()
            .map_err(|e| BuildrootError::io("start", "rpm", e))?;
        if !output.status.success() {
            return Err(BuildrootError::Setup(format!(
                "cannot read the buildroot's rpmdb: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        parse_query(&String::from_utf8_lossy(&output.stdout)).map_err(BuildrootError::Setup)
    }

    fn expire(&mut self) -> Result<(), BuildrootError> {
        for dir in [
            self.root.clone(),
            self.home(),
            self.etc(),
            self.overlay(),
            self.dir.join("dnf-cache"),
        ] {
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(BuildrootError::io("remove", &dir, e)),
            }
        }
        Ok(())
    }

    fn build_dir(&self) -> &Path {
        &self.build
    }
}

/// Appends one line to a log.
pub fn append(log: &Path, line: &str) -> Result<(), BuildrootError> {
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .and_then(|mut file| writeln!(file, "{line}"))
        .map_err(|e| BuildrootError::io("write", log, e))
}
