//! Real processes for end-to-end tests: the `kiln-hub` and `kiln-builderd` binaries, builders
//! started against a hub, a hub run as its own process (so it can be killed), and the checks
//! every test ends with: no task left FREE, ASSIGNED or OPEN, and no process left running.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::client::{ClientConfig, ClientSession};
use common::xmlrpc::Value;

/// The directory holding this package's binaries (next to the test executables' `deps/`).
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// The hub program the tests run as a process (`kiln-test-hub CONFIG`).
pub fn hub_binary() -> PathBuf {
    let path = bin_dir().join("kiln-test-hub");
    assert!(
        path.exists(),
        "{} is missing: build the kiln-tests package",
        path.display()
    );
    path
}

/// The builder program (`kiln-builderd`, built in this package as `kiln-test-builderd`).
pub fn builderd_binary() -> PathBuf {
    let path = bin_dir().join("kiln-test-builderd");
    assert!(
        path.exists(),
        "{} is missing: build the kiln-tests package",
        path.display()
    );
    path
}

/// The environment variable that marks every process a test starts (and their children), so
/// the test can find leftovers.
pub const MARKER_VAR: &str = "KILN_E2E_MARKER";

/// Processes whose environment carries `marker`.
pub fn marked_processes(marker: &str) -> Vec<i32> {
    let needle = format!("{MARKER_VAR}={marker}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let zombie = std::fs::read_to_string(entry.path().join("stat"))
            .map(|s| {
                s.rsplit_once(')')
                    .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
            })
            .unwrap_or(false);
        if !zombie && environ.split(|b| *b == 0).any(|v| v == needle.as_bytes()) {
            found.push(pid);
        }
    }
    found
}

/// A unique marker for one test.
pub fn new_marker() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Settings of a test builder.
#[derive(Debug, Clone)]
pub struct BuilderOptions {
    /// Seconds per long poll (also how fast it notices a dead task process).
    pub poll_seconds: f64,
    /// Most tasks at once.
    pub maxjobs: usize,
    /// The hub's topdir, for builders that make repos.
    pub topdir: Option<PathBuf>,
}

impl Default for BuilderOptions {
    fn default() -> Self {
        BuilderOptions {
            poll_seconds: 1.0,
            maxjobs: 10,
            topdir: None,
        }
    }
}

/// A `kiln-builderd` process.
pub struct Builder {
    /// The host name.
    pub name: String,
    child: Child,
    config: PathBuf,
    marker: String,
}

impl Builder {
    /// Starts a builder for host `name` logging in with `password` against `server`, with
    /// files in `dir`.
    pub fn start(
        server: &str,
        name: &str,
        password: &str,
        dir: &Path,
        marker: &str,
        options: &BuilderOptions,
    ) -> Builder {
        let auth = format!("password = {password:?}\n");
        Builder::start_with_auth(server, name, &auth, dir, marker, options)
    }

    /// Starts a builder whose login settings are the TOML lines `auth` (`password = …`, or
    /// `cert = …` and `serverca = …`).
    pub fn start_with_auth(
        server: &str,
        name: &str,
        auth: &str,
        dir: &Path,
        marker: &str,
        options: &BuilderOptions,
    ) -> Builder {
        let workdir = dir.join(format!("{name}-work"));
        std::fs::create_dir_all(&workdir).unwrap();
        let config = dir.join(format!("{name}.toml"));
        let topdir = options
            .topdir
            .as_ref()
            .map(|t| format!("topdir = {:?}\n", t.display().to_string()))
            .unwrap_or_default();
        std::fs::write(
            &config,
            format!(
                "server = {server:?}\nhost = {name:?}\n{auth}{topdir}workdir = {:?}\n\
                 poll_seconds = {}\nmaxjobs = {}\nlog_upload_seconds = 0.5\nkill_grace_seconds = 2\n\
                 shutdown_grace_seconds = 5\nretry_seconds = 0.3\n",
                workdir.display().to_string(),
                options.poll_seconds,
                options.maxjobs,
            ),
        )
        .unwrap();
        let mut builder = Builder {
            name: name.to_owned(),
            child: spawn_builder(&config, marker),
            config,
            marker: marker.to_owned(),
        };
        builder.wait_until_running();
        builder
    }

    fn wait_until_running(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "builder {} exited at once",
            self.name
        );
    }

    /// The builder's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the builder with SIGKILL, as a crash would.
    pub fn sigkill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Starts the builder again with the same configuration.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn_builder(&self.config, &self.marker);
        self.wait_until_running();
    }

    /// Asks the builder to stop (SIGTERM) and waits for it.
    pub fn stop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "builder {} did not stop", self.name);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn spawn_builder(config: &Path, marker: &str) -> Child {
    Command::new(builderd_binary())
        .arg("--config")
        .arg(config)
        .env(MARKER_VAR, marker)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdin(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap()
}

impl Drop for Builder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A hub process (`kiln-test-hub`, which is `kiln-hub serve`), so a test can kill it.
pub struct HubProcess {
    child: Child,
    config: PathBuf,
    marker: String,
}

impl HubProcess {
    /// Starts the hub with `config_text` (written to `dir/hub.toml`) and waits until
    /// it answers at `url`.
    pub fn start(config_text: &str, dir: &Path, url: &str, marker: &str) -> HubProcess {
        let config = dir.join("hub.toml");
        std::fs::write(&config, config_text).unwrap();
        let mut hub = HubProcess {
            child: spawn_hub(&config, marker),
            config,
            marker: marker.to_owned(),
        };
        hub.wait_ready(url);
        hub
    }

    fn wait_ready(&mut self, url: &str) {
        let session = ClientSession::new(ClientConfig::new(url)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(self.child.try_wait().unwrap().is_none(), "kiln-hub exited");
            if session.call("getAPIVersion", vec![]).is_ok() {
                return;
            }
            assert!(Instant::now() < deadline, "kiln-hub did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the hub with SIGKILL.
    pub fn sigkill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Starts the hub again with the same configuration.
    pub fn restart(&mut self, url: &str) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn_hub(&self.config, &self.marker);
        self.wait_ready(url);
    }
}

/// Starts the hub; its marker differs from the builders' so the end-of-test checks
/// (run while it still serves) do not count it.
fn spawn_hub(config: &Path, marker: &str) -> Child {
    Command::new(hub_binary())
        .arg(config)
        .env(MARKER_VAR, format!("{marker}-hub"))
        .stdin(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap()
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Tasks in FREE (0), OPEN (1) or ASSIGNED (4).
pub fn unfinished_tasks(session: &ClientSession) -> Vec<i64> {
    let tasks = session
        .call(
            "listTasks",
            vec![Value::structure([(
                "state",
                Value::Array(vec![Value::Int(0), Value::Int(1), Value::Int(4)]),
            )])],
        )
        .unwrap();
    tasks
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.get("id").and_then(Value::as_i64))
        .collect()
}

/// The end-of-test checks: no task left FREE, ASSIGNED or OPEN; after the builders stop, no
/// process with the test's marker left running (leftovers are killed, then the test fails).
pub fn assert_clean(session: &ClientSession, builders: &mut [Builder], marker: &str) {
    let unfinished = unfinished_tasks(session);
    for builder in builders.iter_mut() {
        builder.stop();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut left = marked_processes(marker);
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        left = marked_processes(marker);
    }
    for pid in &left {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(*pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    assert!(unfinished.is_empty(), "tasks left unfinished: {unfinished:?}");
    assert!(left.is_empty(), "processes left running: {left:?}");
}

/// Polls `check` every 100 ms until it returns `Some`, failing after `limit`.
pub fn eventually<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
